//! `POST /v2/webhooks/deliveries/{delivery_id}/retry`: queues one more attempt of a
//! delivery that failed or was skipped (its endpoint must be active). 202: queued.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, ProblemType, json_response};
use gatehouse::webhooks::delivery::DeliveryStatus;
use gatehouse::webhooks::delivery::DeliveryView;
use gatehouse::webhooks::endpoint::EndpointStatus;
use gatehouse::webhooks::manage::{load_delivery, resend};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL)
    .with(Needs::DELIVERIES)
    .with(Needs::DELIVERY_QUEUE)
    .with(Needs::DISPATCH);

pub const ACTION: &str = "webhook.delivery_retry";

pub const DOC: Operation = Operation {
    description: "Queues one more attempt of a failed or skipped delivery; its endpoint must be active.",
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::Webhooks,
        "Retry a delivery",
        &[Reply::new(202, "Queued", of::<DeliveryView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let (mut delivery, _) = load_delivery(call).await?;
    if !matches!(
        delivery.status,
        DeliveryStatus::Failed | DeliveryStatus::Skipped
    ) {
        return Err(Problem::new(
            ProblemType::Conflict,
            format!(
                "the delivery is {}; only failed or skipped deliveries are retried",
                delivery.status.as_str()
            ),
        ));
    }
    let active = call
        .app
        .endpoints
        .get(&delivery.tenant_id, &delivery.webhook_id)
        .await?
        .is_some_and(|e| e.status == EndpointStatus::Active);
    if !active {
        return Err(Problem::new(
            ProblemType::Conflict,
            "the endpoint is deleted or disabled",
        ));
    }
    let audit = call.audit_event(ACTION).target(
        gatehouse::audit::TargetKind::WebhookDelivery,
        delivery.delivery_id.as_str(),
    );
    call.app.audit.put(&audit).await?;
    resend(call.app, &mut delivery, call.now).await?;
    Ok(json_response(202, &delivery.view()))
}
