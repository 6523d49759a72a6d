//! `GET /v2/access-policy`: the tenant's route scopes and plan limits.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::limits::view::PolicyView;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT);

pub const ACTION: &str = "access_policy.read";

pub const DOC: Operation = Operation {
    description: "The scope each of the tenant's own routes behind the authorizer requires, whether unlisted routes are refused, and the plan limits keys inherit.",
    ..Operation::new(
        Tag::AccessPolicy,
        "Read the access policy",
        &[Reply::new(200, "The policy", of::<PolicyView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let stored = call.app.policies.get(&call.caller.tenant_id).await?;
    Ok(json_response(200, &PolicyView::from(stored)))
}
