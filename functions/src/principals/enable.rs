//! `POST /v2/principals/{principal_id}/enable`: Enables a disabled principal: it may log in again.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::sso::{PrincipalView, set_disabled};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT).with(Needs::EPHEMERAL);

pub const ACTION: &str = "principal.enable";

pub const DOC: Operation = Operation {
    description: "Enables a disabled principal: it may log in again.",
    conflict: Some("Changed concurrently; retry"),
    ..Operation::new(
        Tag::Integrations,
        "Enable a principal",
        &[Reply::new(200, "The principal", of::<PrincipalView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let principal = set_disabled(call, ACTION, false).await?;
    Ok(json_response(200, &PrincipalView::of(&principal)?))
}
