//! `PUT /v2/access-policy`: replaces the tenant's access policy: the scope each of its
//! own routes behind the authorizer requires, whether unlisted routes are refused,
//! and the plan limits its keys inherit. Audited with the before and after values;
//! the authorizer applies it within its cache TTL.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::audit::Change;
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_body, json_response};
use gatehouse::keys::lifecycle;
use gatehouse::limits::policy::AccessPolicy;
use gatehouse::limits::view::PolicyView;
use gatehouse::store::{StoredPolicy, WriteBatch};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT);

pub const ACTION: &str = "access_policy.update";

pub const DOC: Operation = Operation {
    description: "Replaces the whole policy. The authorizer applies it within its cache TTL (`AuthCacheTtlSeconds`). Gatehouse's own routes cannot be listed.",
    body: RequestBody::Required(of::<AccessPolicy>()),
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::AccessPolicy,
        "Replace the access policy",
        &[Reply::new(200, "The policy as stored", of::<PolicyView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let policy: AccessPolicy = json_body(call.req)?;
    policy
        .validate(crate::ROUTES)
        .map_err(Problem::invalid_body)?;
    let tenant = &call.caller.tenant_id;
    let stored = call.app.policies.get(tenant).await?;
    let changes: Vec<Change> = [
        Change::of(
            "route_scopes",
            &stored.policy.route_scopes,
            &policy.route_scopes,
        ),
        Change::of(
            "deny_unlisted_routes",
            &stored.policy.deny_unlisted_routes,
            &policy.deny_unlisted_routes,
        ),
        Change::of("plan", &stored.policy.plan, &policy.plan),
    ]
    .into_iter()
    .flatten()
    .collect();
    if changes.is_empty() {
        return Ok(json_response(200, &PolicyView::from(stored)));
    }
    let audit = call
        .audit_event(ACTION)
        .target(gatehouse::audit::TargetKind::AccessPolicy, tenant.as_str())
        .changes(changes);
    let mut batch = WriteBatch::new();
    call.app
        .policies
        .put(&mut batch, tenant, &stored, &policy, call.now)?;
    lifecycle::commit(call, batch, &audit).await?;
    let written = StoredPolicy {
        policy,
        version: stored.version + 1,
        updated_at: Some(call.now),
    };
    Ok(json_response(200, &PolicyView::from(written)))
}
