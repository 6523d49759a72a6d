//! `GET /v2/integrations/siem`: the tenant's SIEM destinations, oldest first.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::siem::DestinationView;
use schemars::JsonSchema;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS.with(Needs::AUDIT);

pub const ACTION: &str = "siem.destination.list";

#[derive(serde::Serialize, JsonSchema)]
#[schemars(rename = "SiemDestinationList")]
struct Listed {
    items: Vec<DestinationView>,
}

pub const DOC: Operation = Operation::new(
    Tag::Integrations,
    "List the SIEM destinations",
    &[Reply::new(200, "The destinations", of::<Listed>())],
);

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let items = call
        .app
        .siem
        .destinations
        .list(&call.caller.tenant_id)
        .await?
        .iter()
        .map(DestinationView::of)
        .collect();
    Ok(json_response(200, &Listed { items }))
}
