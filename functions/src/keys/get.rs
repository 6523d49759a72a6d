//! `GET /v2/api-keys/{key_id}`: one key's metadata, masked.

use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::keys::lifecycle::load_key;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT);

pub const ACTION: &str = "api_key.read";

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let key = load_key(call).await?;
    Ok(json_response(200, &key.view()))
}
