//! `GET /v2/principals/{principal_id}`: one principal.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::sso::{PrincipalView, load_principal};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT);

pub const ACTION: &str = "principal.read";

pub const DOC: Operation = Operation::new(
    Tag::Integrations,
    "Get a principal",
    &[Reply::new(200, "The principal", of::<PrincipalView>())],
);

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let principal = load_principal(call).await?;
    Ok(json_response(200, &PrincipalView::of(&principal)?))
}
