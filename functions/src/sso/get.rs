//! `GET /v2/integrations/sso/{integration_id}`: one connection (never its secret).

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::sso::ConnectionView;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS.with(Needs::SSO).with(Needs::AUDIT);

pub const ACTION: &str = "sso.connection.read";

pub const DOC: Operation = Operation::new(
    Tag::Integrations,
    "Get an SSO connection",
    &[Reply::new(200, "The connection", of::<ConnectionView>())],
);

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let connection = super::delete::load(call).await?;
    Ok(json_response(
        200,
        &ConnectionView::of(&connection, &gatehouse::sso::base_url(call.app, call.req)),
    ))
}
