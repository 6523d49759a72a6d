//! `GET /v2/key-policy`: the tenant's key policy, and the active keys that do not
//! comply with it.

use super::KeyPolicyView;
use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT);

pub const ACTION: &str = "key_policy.read";

pub const DOC: Operation = Operation {
    description: "The rules every key the tenant issues must satisfy, per environment (longest lifetime, required expiry, allowed scopes) and per principal and tenant (most active keys), with the active keys that do not comply.",
    ..Operation::new(
        Tag::ApiKeys,
        "Read the key policy",
        &[Reply::new(
            200,
            "The policy and its violations",
            of::<KeyPolicyView>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let tenant = &call.caller.tenant_id;
    let stored = call.app.key_policies.get(tenant).await?;
    let active = call.app.keys.all_active(tenant, call.now).await?;
    let violations = stored.policy.violations(&active, call.now);
    Ok(json_response(200, &KeyPolicyView::of(stored, violations)))
}
