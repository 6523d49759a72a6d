//! The rotation function of Gatehouse's own service secret (the cursor signing key):
//! Secrets Manager invokes it for each of the four steps of a rotation
//! (`gatehouse::store::rotation`). Every step is safe to repeat; a failed step fails
//! the invocation, and Secrets Manager retries it.

use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::store::rotation::Step;
use serde::Deserialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::CURSORS;

/// The event Secrets Manager invokes a rotation function with.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationEvent {
    pub step: String,
    pub secret_id: String,
    pub client_request_token: String,
}

pub async fn handle(app: &App, event: RotationEvent) -> Result<(), String> {
    let step = Step::parse(&event.step).ok_or_else(|| format!("unknown step `{}`", event.step))?;
    let span = tracing::info_span!("rotation", step = event.step.as_str());
    let _entered = span.enter();
    app.cursors
        .rotate(&event.secret_id, &event.client_request_token, step)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("rotation step done");
    Ok(())
}
