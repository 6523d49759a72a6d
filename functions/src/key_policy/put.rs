//! `PUT /v2/key-policy`: replaces the tenant's key policy. Existing keys are never
//! changed by it: the answer lists the active keys that do not comply and when each is
//! brought into line (rotation clamps an expiry; scopes and counts wait for the
//! tenant). Audited with the before and after values.

use super::KeyPolicyView;
use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::audit::Change;
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_body, json_response};
use gatehouse::keys::key_policy::KeyPolicy;
use gatehouse::keys::lifecycle;
use gatehouse::store::{StoredKeyPolicy, WriteBatch};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT);

pub const ACTION: &str = "key_policy.update";

pub const DOC: Operation = Operation {
    description: "Replaces the whole key policy. It binds keys issued or changed from now on; existing keys keep working, and the answer lists those that do not comply and when each is brought into line.",
    body: RequestBody::Required(of::<KeyPolicy>()),
    conflict: Some("The policy changed while this request was processed"),
    ..Operation::new(
        Tag::ApiKeys,
        "Replace the key policy",
        &[Reply::new(
            200,
            "The policy as stored, and its violations",
            of::<KeyPolicyView>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let policy: KeyPolicy = json_body(call.req)?;
    policy.validate().map_err(Problem::invalid_body)?;
    let tenant = &call.caller.tenant_id;
    let stored = call.app.key_policies.get(tenant).await?;
    let active = call.app.keys.all_active(tenant, call.now).await?;
    let violations = policy.violations(&active, call.now);
    let Some(change) = Change::of("key_policy", &stored.policy, &policy) else {
        return Ok(json_response(200, &KeyPolicyView::of(stored, violations)));
    };
    let audit = call
        .audit_event(ACTION)
        .target(gatehouse::audit::TargetKind::KeyPolicy, tenant.as_str())
        .changes(vec![change])
        .detail(format!("{} active keys do not comply", violations.len()));
    let mut batch = WriteBatch::new();
    call.app
        .key_policies
        .put(&mut batch, tenant, &stored, &policy, call.now)?;
    lifecycle::commit(call, batch, &audit).await?;
    let written = StoredKeyPolicy {
        policy,
        version: stored.version + 1,
        updated_at: Some(call.now),
    };
    Ok(json_response(200, &KeyPolicyView::of(written, violations)))
}
