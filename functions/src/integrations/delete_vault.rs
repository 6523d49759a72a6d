//! `DELETE /v2/integrations/vault`: removes the tenant's Vault integration and its
//! sealed credentials. The tenant's secrets are again those in Gatehouse's own store;
//! nothing in the Vault is touched.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::integrations::{self, VaultView};
use gatehouse::store::WriteBatch;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS.with(Needs::SECRETS).with(Needs::AUDIT);

pub const ACTION: &str = "integration.delete";

pub const DOC: Operation = Operation {
    description: "Forgets the Vault and its credentials; the Vault's data is not touched. `/v2/secrets` serves Gatehouse's own store again.",
    conflict: Some("Changed concurrently; read it again and retry"),
    ..Operation::new(
        Tag::Integrations,
        "Delete the tenant's Vault integration",
        &[Reply::new(
            200,
            "The integration as it was",
            of::<VaultView>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let integration = integrations::load_vault(call).await?;
    let mut batch = WriteBatch::new();
    call.app
        .secrets
        .integrations
        .delete(&mut batch, &integration)?;
    let audit = integrations::audit(call, ACTION, &integration.integration_id).status(200);
    call.commit(
        batch,
        &audit,
        "the integration changed while this request was processed; read it again and retry",
    )
    .await?;
    call.app.secrets.forget_session(&integration.tenant_id);
    Ok(json_response(200, &VaultView::of(&integration)))
}
