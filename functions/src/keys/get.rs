//! `GET /v2/api-keys/{key_id}`: one key's metadata, masked.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::keys::lifecycle::load_key;
use gatehouse::keys::model::KeyView;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT);

pub const ACTION: &str = "api_key.read";

pub const DOC: Operation = Operation::new(
    Tag::ApiKeys,
    "Read an API key",
    &[Reply::new(
        200,
        "The key's metadata, masked",
        of::<KeyView>(),
    )],
);

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let key = load_key(call).await?;
    Ok(json_response(200, &key.view()))
}
