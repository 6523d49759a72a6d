//! `DELETE /v2/integrations/siem/{destination_id}`: stops forwarding to it and forgets
//! its credentials. Events already queued for it are dropped when their turn comes.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::siem::DestinationView;
use gatehouse::store::WriteBatch;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS.with(Needs::AUDIT);

pub const ACTION: &str = "siem.destination.delete";

pub const DOC: Operation = Operation {
    description: "Forwarding stops within a minute; events already queued for the destination are dropped, not delivered.",
    conflict: Some("Changed concurrently; read it again and retry"),
    ..Operation::new(
        Tag::Integrations,
        "Delete a SIEM destination",
        &[Reply::new(
            200,
            "The destination as it was",
            of::<DestinationView>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let destination = gatehouse::siem::load(call).await?;
    let mut batch = WriteBatch::new();
    call.app
        .siem
        .destinations
        .delete(&mut batch, &destination)?;
    let audit = gatehouse::siem::audit(call, ACTION, &destination.destination_id)
        .detail(destination.name.clone());
    call.commit(
        batch,
        &audit,
        "the destination changed while this request was processed; read it again and retry",
    )
    .await?;
    Ok(json_response(200, &DestinationView::of(&destination)))
}
