//! `POST /v2/integrations/vault`: makes the tenant's own Vault / OpenBao its secret
//! store. The configuration is checked against the Vault (up, unsealed, credentials
//! accepted, KV v2 mount there) before it is stored; credentials are stored sealed.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::body::json_body_up_to;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::ids::IntegrationId;
use gatehouse::integrations::{self, Integration, MAX_BODY_BYTES, VaultCreateRequest, VaultView};
use gatehouse::store::WriteBatch;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SECRETS)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "integration.create";

pub const DOC: Operation = Operation {
    dependency: Some(
        "The check of the Vault failed: the detail says what it found (unreachable, sealed, token refused, mount missing)",
    ),
    description: "From now on the tenant's secrets (`/v2/secrets`) are read from and written to this Vault's KV v2 engine. Token or AppRole auth; the credentials are checked first and stored sealed, never shown again. Secrets kept in Gatehouse's own store stay there, hidden until the integration is deleted.",
    body: RequestBody::Required(of::<VaultCreateRequest>()),
    conflict: Some("The tenant already has a Vault integration"),
    ..Operation::new(
        Tag::Integrations,
        "Configure the tenant's Vault",
        &[Reply::new(
            201,
            "The integration, checked",
            of::<VaultView>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let request: VaultCreateRequest = json_body_up_to(call.req, MAX_BODY_BYTES)?;
    let tenant = &call.caller.tenant_id;
    let id = IntegrationId::generate().map_err(|e| gatehouse::http::Problem::internal(&e))?;
    let config = integrations::vault_config(call, &id, request.into(), None).await?;
    let (health, failure) = call
        .app
        .secrets
        .check(tenant, id.as_str(), &config, call.now)
        .await;
    if let Some(diagnosis) = failure {
        return Err(integrations::check_failed(&diagnosis));
    }
    let integration = Integration {
        tenant_id: tenant.clone(),
        integration_id: id.clone(),
        vault: config,
        health,
        created_at: call.now,
        created_by: call.caller.principal.clone(),
        updated_at: None,
        version: 1,
    };
    let mut batch = WriteBatch::new();
    call.app
        .secrets
        .integrations
        .put_new(&mut batch, &integration)?;
    let audit = integrations::audit(call, ACTION, &id)
        .status(201)
        .detail(format!(
            "{} at {} ({} auth)",
            integration.vault.mount,
            integration.vault.address,
            integration.vault.auth.method()
        ));
    call.commit(batch, &audit, "the tenant already has a Vault integration")
        .await?;
    Ok(json_response(201, &VaultView::of(&integration)))
}
