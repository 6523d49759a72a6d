//! `PUT /v2/integrations/vault`: changes the tenant's Vault integration
//! (`update_integration_credentials`). The new configuration is checked against the
//! Vault before it replaces the old one; a failed check changes nothing.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::body::json_body_up_to;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::integrations::{self, MAX_BODY_BYTES, VaultRequest, VaultView};
use gatehouse::store::WriteBatch;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS.with(Needs::SECRETS).with(Needs::AUDIT);

pub const ACTION: &str = "integration.update";

pub const DOC: Operation = Operation {
    dependency: Some(
        "The check of the Vault failed: the detail says what it found (unreachable, sealed, token refused, mount missing)",
    ),
    description: "Replaces the address, namespace, mount, CA certificate and, if `auth` is given, the credentials. The new configuration is checked first; if the check fails nothing changes.",
    body: RequestBody::Required(of::<VaultRequest>()),
    conflict: Some("Changed concurrently; read it again and retry"),
    ..Operation::new(
        Tag::Integrations,
        "Update the tenant's Vault integration",
        &[Reply::new(
            200,
            "The integration, checked",
            of::<VaultView>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let request: VaultRequest = json_body_up_to(call.req, MAX_BODY_BYTES)?;
    let mut integration = integrations::load_vault(call).await?;
    let credentials_changed = request.auth.is_some();
    let config = integrations::vault_config(
        call,
        &integration.integration_id,
        request,
        Some(&integration.vault),
    )
    .await?;
    let (health, failure) = call
        .app
        .secrets
        .check(
            &integration.tenant_id,
            integration.integration_id.as_str(),
            &config,
            call.now,
        )
        .await;
    if let Some(diagnosis) = failure {
        return Err(integrations::check_failed(&diagnosis));
    }
    integration.vault = config;
    integration.health = health;
    integration.updated_at = Some(call.now);
    integration.version += 1;
    let mut batch = WriteBatch::new();
    call.app
        .secrets
        .integrations
        .put_changed(&mut batch, &integration)?;
    let audit = integrations::audit(call, ACTION, &integration.integration_id)
        .status(200)
        .detail(if credentials_changed {
            "configuration and credentials replaced"
        } else {
            "configuration replaced, credentials kept"
        });
    call.commit(
        batch,
        &audit,
        "the integration changed while this request was processed; read it again and retry",
    )
    .await?;
    call.app.secrets.forget_session(&integration.tenant_id);
    Ok(json_response(200, &VaultView::of(&integration)))
}
