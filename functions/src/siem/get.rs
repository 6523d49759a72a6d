//! `GET /v2/integrations/siem/{destination_id}`: one destination and its health.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::siem::DestinationView;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS.with(Needs::AUDIT);

pub const ACTION: &str = "siem.destination.read";

pub const DOC: Operation = Operation {
    description: "Where the events go, in which format, which of them, and the destination's health (never its token or key).",
    ..Operation::new(
        Tag::Integrations,
        "Read a SIEM destination",
        &[Reply::new(200, "The destination", of::<DestinationView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let destination = gatehouse::siem::load(call).await?;
    Ok(json_response(200, &DestinationView::of(&destination)))
}
