//! Integration health, on a schedule (EventBridge): every tenant's Vault checked, its
//! health recorded, a change published as `integration.unhealthy` or
//! `integration.recovered` (`gatehouse::integrations_probe`); SAML connections'
//! metadata refreshed and expiring certificates announced.

use crate::event_sources::scheduled;
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::integrations_probe::{ProbeSummary, probe_all};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SECRETS)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub async fn handle(app: &App) -> Result<ProbeSummary, String> {
    let summary = scheduled("integration-health", probe_all(app, app.clock.now())).await?;
    tracing::info!(
        checked = summary.checked,
        unhealthy = summary.unhealthy,
        changed = summary.changed,
        saml_connections = summary.saml.connections,
        saml_refreshed = summary.saml.refreshed,
        certificates_expiring = summary.saml.expiring,
        "integration health"
    );
    Ok(summary)
}

/// The scheduled run: the check's counts, as the runtime answers the schedule.
pub fn run(app: &App) -> crate::ScheduledFuture<'_> {
    Box::pin(async move {
        let summary = handle(app).await?;
        Ok(serde_json::json!({
            "checked": summary.checked,
            "unhealthy": summary.unhealthy,
            "changed": summary.changed,
        }))
    })
}
