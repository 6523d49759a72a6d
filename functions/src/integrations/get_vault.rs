//! `GET /v2/integrations/vault`: the tenant's Vault integration and its last check.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::integrations::{self, VaultView};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS.with(Needs::SECRETS).with(Needs::AUDIT);

pub const ACTION: &str = "integration.read";

pub const DOC: Operation = Operation {
    description: "Where the tenant's Vault is, how Gatehouse logs in (never the credentials) and the last connectivity check.",
    ..Operation::new(
        Tag::Integrations,
        "Read the tenant's Vault integration",
        &[Reply::new(200, "The integration", of::<VaultView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let integration = integrations::load_vault(call).await?;
    Ok(json_response(200, &VaultView::of(&integration)))
}
