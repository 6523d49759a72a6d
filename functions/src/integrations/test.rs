//! `POST /v2/integrations/{integration_id}/test` (`test_integration_connectivity`):
//! checks a stored integration now (reachable, unsealed, credentials accepted, mount
//! there), records the result as its health, and answers with a diagnosis a person can
//! act on; never a credential.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, ProblemType, json_response};
use gatehouse::integrations::{self, HealthView};
use gatehouse::store::WriteBatch;
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SECRETS)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "integration.test";

pub const DOC: Operation = Operation {
    description: "Logs in to the integration's service and checks it now; the result becomes its recorded health. A failed check is a 200 with `healthy: false` and the diagnosis.",
    conflict: Some("Changed concurrently; retry"),
    ..Operation::new(
        Tag::Integrations,
        "Test an integration",
        &[Reply::new(200, "The check's result", of::<TestResult>())],
    )
};

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "IntegrationTestResult")]
struct TestResult {
    integration_id: gatehouse::ids::IntegrationId,
    #[serde(flatten)]
    health: HealthView,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let not_found = || Problem::new(ProblemType::NotFound, "no such integration");
    let id = call
        .path_parameter("integration_id")
        .ok_or_else(not_found)?;
    let mut integration = integrations::load_vault(call)
        .await
        .map_err(|_| not_found())?;
    if integration.integration_id.as_str() != id {
        return Err(not_found());
    }
    let (health, _) = call
        .app
        .secrets
        .check(
            &integration.tenant_id,
            integration.integration_id.as_str(),
            &integration.vault,
            call.now,
        )
        .await;
    integration.health = health.after(&integration.health);
    integration.version += 1;
    let mut batch = WriteBatch::new();
    call.app
        .secrets
        .integrations
        .put_changed(&mut batch, &integration)?;
    let audit = integrations::audit(call, ACTION, &integration.integration_id)
        .status(200)
        .detail(match &integration.health.last_error {
            Some(e) if !integration.health.healthy => format!("unhealthy: {e}"),
            _ => "healthy".to_owned(),
        });
    call.commit(
        batch,
        &audit,
        "the integration changed while it was tested; retry",
    )
    .await?;
    let view = gatehouse::integrations::VaultView::of(&integration);
    Ok(json_response(
        200,
        &TestResult {
            integration_id: integration.integration_id,
            health: view.health,
        },
    ))
}
