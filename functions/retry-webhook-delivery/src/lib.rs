//! `POST /v2/webhooks/deliveries/{delivery_id}/retry`: queues one more attempt of a
//! delivery that failed or was skipped (its endpoint must be active). 202: queued.
#![forbid(unsafe_code)]

use gatehouse::App;
use gatehouse::http::call::{Call, handle_call};
use gatehouse::http::{ApiResult, Problem, ProblemType, json_response};
use gatehouse::webhooks::delivery::DeliveryStatus;
use gatehouse::webhooks::endpoint::EndpointStatus;
use gatehouse::webhooks::manage::{load_delivery, resend};
use lambda_http::{Body, Request, Response};

pub const ACTION: &str = "webhook.delivery_retry";

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    handle_call(app, &req, ACTION, |call| Box::pin(retry(call))).await
}

async fn retry(call: &Call<'_>) -> ApiResult {
    call.require_route_scope()?;
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
        .keys
        .get_endpoint(&delivery.tenant_id, &delivery.webhook_id)
        .await?
        .is_some_and(|e| e.status == EndpointStatus::Active);
    if !active {
        return Err(Problem::new(
            ProblemType::Conflict,
            "the endpoint is deleted or disabled",
        ));
    }
    let audit = call
        .audit_event(ACTION)
        .target("webhook_delivery", delivery.delivery_id.as_str());
    call.app.audit.put(&audit).await?;
    resend(call.app, &mut delivery, call.now).await?;
    Ok(json_response(202, &delivery.view()))
}
