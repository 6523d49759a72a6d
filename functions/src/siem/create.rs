//! `POST /v2/integrations/siem` (`setup_siem_forwarding`): a new SIEM destination.
//! Its token and client key are sealed and never shown again; events start flowing
//! to it within a minute (the publisher re-reads destinations every 30 s).

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::body::json_body_up_to;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, ProblemType, json_response};
use gatehouse::ids::IntegrationId;
use gatehouse::siem::{DestinationRequest, DestinationView, MAX_BODY_BYTES, MAX_DESTINATIONS};
use gatehouse::store::WriteBatch;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SECRETS)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL)
    .with(Needs::OPERATOR);

pub const ACTION: &str = "siem.destination.create";

pub const DOC: Operation = Operation {
    description: "Sends the tenant's security events to a SIEM: Splunk (HEC), QRadar (LEEF over syslog), ArcSight (CEF over syslog), Elastic (ECS through `_bulk`), or a custom HTTPS or syslog receiver. `filter` chooses the events and `redaction` how much PII leaves; keys, tokens and secrets never do. Test it with `POST /v2/integrations/siem/{destination_id}/test`.",
    body: RequestBody::Required(of::<DestinationRequest>()),
    ..Operation::new(
        Tag::Integrations,
        "Add a SIEM destination",
        &[Reply::new(201, "The destination", of::<DestinationView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let request: DestinationRequest = json_body_up_to(call.req, MAX_BODY_BYTES)?;
    let existing = call
        .app
        .siem
        .destinations
        .list(&call.caller.tenant_id)
        .await?;
    if existing.len() >= MAX_DESTINATIONS {
        return Err(Problem::new(
            ProblemType::Conflict,
            format!("a tenant has at most {MAX_DESTINATIONS} SIEM destinations"),
        ));
    }
    let id = IntegrationId::generate().map_err(|e| Problem::internal(&e))?;
    let destination = gatehouse::siem::destination_of(call, &id, request, None).await?;
    let mut batch = WriteBatch::new();
    call.app
        .siem
        .destinations
        .put_new(&mut batch, &destination)?;
    let audit = gatehouse::siem::audit(call, ACTION, &id)
        .status(201)
        .detail(format!(
            "{} ({} over {})",
            destination.name,
            destination.transport.format(),
            destination.transport.kind()
        ));
    call.commit(batch, &audit, "the destination already exists")
        .await?;
    Ok(json_response(201, &DestinationView::of(&destination)))
}
