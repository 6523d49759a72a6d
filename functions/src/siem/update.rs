//! `PUT /v2/integrations/siem/{destination_id}` (`configure_event_filtering` among the
//! rest): replaces the destination's settings. A token or client key left out is
//! kept; the HEC channel is kept.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::body::json_body_up_to;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::siem::{DestinationRequest, DestinationView, MAX_BODY_BYTES};
use gatehouse::store::WriteBatch;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SECRETS)
    .with(Needs::AUDIT)
    .with(Needs::OPERATOR);

pub const ACTION: &str = "siem.destination.update";

pub const DOC: Operation = Operation {
    description: "The whole destination as it should be (as for a create); `token` and `tls.client_key` may be left out to keep the stored ones. Takes effect within a minute.",
    body: RequestBody::Required(of::<DestinationRequest>()),
    conflict: Some("Changed concurrently; read it again and retry"),
    ..Operation::new(
        Tag::Integrations,
        "Change a SIEM destination",
        &[Reply::new(200, "The destination", of::<DestinationView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    // Another tenant's id is a 404 whatever the body.
    let current = gatehouse::siem::load(call).await?;
    let request: DestinationRequest = json_body_up_to(call.req, MAX_BODY_BYTES)?;
    let next =
        gatehouse::siem::destination_of(call, &current.destination_id, request, Some(&current))
            .await?;
    let changes = gatehouse::siem::changes(&current, &next);
    let mut batch = WriteBatch::new();
    call.app.siem.destinations.put_changed(&mut batch, &next)?;
    let audit = gatehouse::siem::audit(call, ACTION, &next.destination_id).changes(changes);
    call.commit(
        batch,
        &audit,
        "the destination changed while this request was processed; read it again and retry",
    )
    .await?;
    Ok(json_response(200, &DestinationView::of(&next)))
}
