//! Fan-out (domain event -> one delivery per subscribed endpoint) and the dispatcher
//! (one queued attempt -> POST, log, and what next).
//!
//! Every step is safe to repeat: SQS delivers at least once, so a delivery is created
//! with a conditional write and an attempt is claimed before it is sent. A message
//! whose handling fails is reported as a batch item failure and comes back.

use super::circuit::{Admit, Counts, Policy};
use super::client::{AttemptOutcome, OutboundClient};
use super::delivery::{AttemptLog, Delivery, DeliveryMessage, DeliveryStatus, payload};
use super::endpoint::{Disabled, Endpoint, EndpointStatus};
use super::retry::{AttemptResult, Next, after_attempt, parse_retry_after};
use super::sealed::Owner;
use super::signature::{
    HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, SigningSecret, signature_header,
};
use crate::App;
use crate::audit::{AuditEvent, TargetKind};
use crate::events::{Category, DomainEvent};
use crate::limits::Window;
use crate::store::deliveries::Claim;
use crate::store::{StoreError, WriteBatch};
use crate::telemetry::metrics;
use bytes::Bytes;
use time::{Duration, OffsetDateTime};

/// Who the audit trail names for the dispatcher's own changes.
const DISPATCHER: &str = "webhook-dispatcher";

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] super::queue::QueueError),
    #[error("secret: {0}")]
    Secret(#[from] super::sealed::SealError),
    #[error("message: {0}")]
    Message(String),
}

/// One delivery per active endpoint of the event's tenant subscribed to its type;
/// returns how many were new.
pub async fn fan_out(
    app: &App,
    event: &DomainEvent,
    now: OffsetDateTime,
) -> Result<usize, DispatchError> {
    let endpoints = app.endpoints.list(&event.tenant_id).await?;
    let mut queued = 0;
    for endpoint in endpoints
        .iter()
        .filter(|e| e.status == EndpointStatus::Active && e.subscribes_to(&event.event_type))
    {
        let delivery = Delivery {
            tenant_id: event.tenant_id.clone(),
            // One per (event, endpoint): a repeated fan-out finds it already there.
            delivery_id: format!(
                "dlv_{}_{}",
                endpoint.webhook_id,
                event.id.trim_start_matches("evt_")
            ),
            webhook_id: endpoint.webhook_id.clone(),
            message_id: event.id.clone(),
            event_type: event.event_type.clone(),
            payload: payload(event),
            created_at: now,
            status: DeliveryStatus::Pending,
            attempts: 0,
            last_status: None,
            last_latency_ms: None,
            finished_at: None,
            reason: None,
        };
        // A repeated fan-out finds the delivery there and queues its first attempt
        // again: the earlier run may have stopped before queueing it, and if it did
        // not, the dispatcher's claim drops the duplicate.
        let created = match app.deliveries.create(&delivery).await {
            Ok(()) => true,
            Err(StoreError::AlreadyExists) => false,
            Err(e) => return Err(e.into()),
        };
        let message = DeliveryMessage {
            tenant_id: delivery.tenant_id.clone(),
            delivery_id: delivery.delivery_id.clone(),
            webhook_id: Some(delivery.webhook_id.clone()),
            attempt: 1,
            due_at: now,
        };
        app.delivery_queue.send(&message, now).await?;
        queued += usize::from(created);
    }
    Ok(queued)
}

/// What became of one queued attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatched {
    /// Not yet due, or held back by the circuit or the endpoint's rate limit: queued
    /// again for later, without using the attempt.
    Deferred,
    /// The delivery is unknown (expired from the log): nothing to do.
    Dropped,
    /// A duplicate message: the delivery is finished, or this attempt is recorded.
    Duplicate,
    /// The endpoint is gone or disabled: the delivery is finished as skipped.
    Skipped,
    Delivered,
    /// Failed; the next attempt is queued.
    Retrying,
    /// Failed for the last time (or 410 Gone): dead-lettered and finished as failed.
    GaveUp,
}

impl Dispatched {
    /// The metrics' name for the outcome.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deferred => "deferred",
            Self::Dropped => "dropped",
            Self::Duplicate => "duplicate",
            Self::Skipped => "skipped",
            Self::Delivered => "delivered",
            Self::Retrying => "retrying",
            Self::GaveUp => "gave_up",
        }
    }
}

/// Handles one queued attempt in four steps: admit (is it due, is its endpoint still
/// there and active, do the circuit and the rate limit let it through), claim
/// (exactly one dispatcher sends each attempt; the claim also reads the delivery),
/// attempt (the signed POST) and settle (log, breaker, and what comes next).
///
/// A delivered attempt costs four DynamoDB calls: the endpoint, the claim, the
/// breaker's counts and the record.
pub async fn dispatch(
    app: &App,
    client: &OutboundClient,
    message: &DeliveryMessage,
    now: OffsetDateTime,
) -> Result<Dispatched, DispatchError> {
    let endpoint = match admit(app, message, now).await? {
        Admission::Ready(endpoint) => endpoint,
        Admission::Not(outcome) => return Ok(outcome),
    };
    let delivery = match app
        .deliveries
        .claim(
            &message.tenant_id,
            &message.delivery_id,
            message.attempt,
            now,
        )
        .await?
    {
        Claim::Claimed(delivery) => delivery,
        Claim::Unknown => return Ok(dropped(message)),
        // Finished, or this attempt recorded: the message is a duplicate.
        Claim::Finished | Claim::Recorded => return Ok(Dispatched::Duplicate),
        // In flight elsewhere, or its dispatcher died: come back, and after the
        // claim goes stale it is made again.
        Claim::InFlight => {
            return Err(DispatchError::Message(format!(
                "attempt {} of {} is claimed but not recorded yet",
                message.attempt, message.delivery_id
            )));
        }
    };
    let outcome = send(app, client, &endpoint, &delivery, now).await?;
    settle(app, message, delivery, &endpoint, &outcome, now).await
}

enum Admission {
    /// Due, its endpoint active, and the circuit and rate limit allow it.
    Ready(Box<Endpoint>),
    /// Handled without an attempt.
    Not(Dispatched),
}

fn dropped(message: &DeliveryMessage) -> Dispatched {
    tracing::warn!(delivery_id = %message.delivery_id, "no such delivery; message dropped");
    Dispatched::Dropped
}

async fn admit(
    app: &App,
    message: &DeliveryMessage,
    now: OffsetDateTime,
) -> Result<Admission, DispatchError> {
    if message.due_at > now {
        // A wait longer than one SQS delay: pass it on.
        app.delivery_queue.send(message, now).await?;
        return Ok(Admission::Not(Dispatched::Deferred));
    }
    let webhook_id = match &message.webhook_id {
        Some(id) => id.clone(),
        // Queued before messages named the endpoint: the delivery does.
        None => match app
            .deliveries
            .get(&message.tenant_id, &message.delivery_id)
            .await?
        {
            Some((delivery, _)) => delivery.webhook_id,
            None => return Ok(Admission::Not(dropped(message))),
        },
    };
    let endpoint = app.endpoints.get(&message.tenant_id, &webhook_id).await?;
    let skip_because = match &endpoint {
        None => Some("the endpoint was deleted"),
        Some(e) if e.status == EndpointStatus::Disabled => Some("the endpoint is disabled"),
        Some(_) => None,
    };
    let (Some(mut endpoint), None) = (endpoint, skip_because) else {
        let reason = skip_because.unwrap_or_default();
        return skip(app, message, reason, now).await;
    };
    // The circuit and the endpoint's rate limit hold the attempt back without using it.
    match endpoint.breaker.admit(now) {
        Admit::Yes => {}
        Admit::NotUntil(at) => return later(app, message, at, now).await,
        Admit::Probe => {
            let mut probing = endpoint.clone();
            probing.breaker.start_probe(now);
            if !save_endpoint(app, &mut probing, now, None).await? {
                return later(app, message, now + Duration::SECOND, now).await;
            }
            endpoint = probing;
        }
    }
    if let Some(limit) = endpoint.rate_limit_per_second {
        let name = format!("webhook#{}#{}", endpoint.tenant_id, endpoint.webhook_id);
        if !app
            .counters
            .take(&name, Window::Second, u64::from(limit), now)
            .await?
        {
            return later(app, message, Window::Second.end(now), now).await;
        }
    }
    Ok(Admission::Ready(Box::new(endpoint)))
}

/// Finishes a pending delivery whose endpoint is gone or disabled as skipped.
async fn skip(
    app: &App,
    message: &DeliveryMessage,
    reason: &str,
    now: OffsetDateTime,
) -> Result<Admission, DispatchError> {
    let Some((mut delivery, _)) = app
        .deliveries
        .get(&message.tenant_id, &message.delivery_id)
        .await?
    else {
        return Ok(Admission::Not(dropped(message)));
    };
    if delivery.status != DeliveryStatus::Pending {
        return Ok(Admission::Not(Dispatched::Duplicate));
    }
    finish(app, &mut delivery, DeliveryStatus::Skipped, reason, now).await?;
    Ok(Admission::Not(Dispatched::Skipped))
}

/// Records the attempt, moves the breaker and queues what comes next: done, the next
/// attempt, or the dead-letter queue.
async fn settle(
    app: &App,
    message: &DeliveryMessage,
    mut delivery: Box<Delivery>,
    endpoint: &Endpoint,
    outcome: &AttemptOutcome,
    now: OffsetDateTime,
) -> Result<Dispatched, DispatchError> {
    let result = match outcome.status {
        Some(status) => AttemptResult::from_status(
            status,
            outcome
                .retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, now)),
        ),
        None => AttemptResult::Failed,
    };
    delivery.attempts = message.attempt;
    delivery.last_status = outcome.status;
    let latency_ms = u64::try_from(outcome.latency.as_millis()).unwrap_or(u64::MAX);
    delivery.last_latency_ms = Some(latency_ms);
    let log = AttemptLog {
        attempt: message.attempt,
        at: now,
        status: outcome.status,
        latency_ms,
        response_excerpt: outcome.response_excerpt.clone(),
        error: outcome.error,
        error_detail: outcome.error_detail.clone(),
    };
    let success = result == AttemptResult::Delivered;
    metrics::time(
        metrics::WEBHOOK_ATTEMPT_LATENCY,
        &[("Result", if success { "success" } else { "failure" })],
        outcome.latency,
    );
    let policy = Policy::with_min_volume(app.config.webhook_circuit_min_volume);
    let counts = app
        .deliveries
        .count_attempt(
            &endpoint.tenant_id,
            &endpoint.webhook_id,
            &policy,
            success,
            now,
        )
        .await?;
    move_breaker(app, endpoint, &policy, &counts, success, now).await?;
    let unit_random =
        f64::from(jitter_seed(&delivery.delivery_id, message.attempt)) / f64::from(u32::MAX);
    let schedule = &app.config.webhook_retry_schedule;
    let dispatched = match after_attempt(schedule, message.attempt, result, unit_random) {
        Next::Done => {
            delivery.status = DeliveryStatus::Delivered;
            delivery.finished_at = Some(now);
            app.deliveries.record(&delivery, Some(&log)).await?;
            Dispatched::Delivered
        }
        Next::RetryIn(wait) => {
            // The next attempt is queued before this one is recorded: if recording
            // fails, this message returns and is dropped once the next attempt is
            // recorded; the other order could lose the delivery.
            let next = DeliveryMessage {
                attempt: message.attempt + 1,
                due_at: now + wait,
                ..message.clone()
            };
            app.delivery_queue.send(&next, now).await?;
            app.deliveries.record(&delivery, Some(&log)).await?;
            Dispatched::Retrying
        }
        Next::GiveUp => {
            let reason = give_up_reason(result, message.attempt, outcome);
            delivery.status = DeliveryStatus::Failed;
            delivery.finished_at = Some(now);
            delivery.reason = Some(reason.clone());
            // Dead-lettered first, for the same reason as above.
            app.delivery_queue.dead_letter(message, &reason).await?;
            app.deliveries.record(&delivery, Some(&log)).await?;
            operational_event(app, &delivery, "webhook.delivery_failed", &reason, now).await;
            if result == AttemptResult::Gone {
                disable(app, endpoint, "the endpoint answered 410 Gone", now).await?;
            }
            Dispatched::GaveUp
        }
    };
    if !success && counts.should_disable(&policy, now) {
        disable(
            app,
            endpoint,
            "deliveries failed without a success for 5 days",
            now,
        )
        .await?;
    }
    Ok(dispatched)
}

fn give_up_reason(result: AttemptResult, attempt: u32, outcome: &AttemptOutcome) -> String {
    match (result, outcome.status) {
        (AttemptResult::Gone, _) => "the endpoint answered 410 Gone".to_owned(),
        (_, Some(status)) => format!("{attempt} attempts; the last answered {status}"),
        (_, None) => format!(
            "{attempt} attempts; the last failed: {}",
            outcome.error_detail.as_deref().unwrap_or("no answer")
        ),
    }
}

/// Signs and POSTs the delivery's payload with the endpoint's secrets.
async fn send(
    app: &App,
    client: &OutboundClient,
    endpoint: &Endpoint,
    delivery: &Delivery,
    now: OffsetDateTime,
) -> Result<AttemptOutcome, DispatchError> {
    let owner = Owner {
        tenant_id: endpoint.tenant_id.as_str(),
        webhook_id: endpoint.webhook_id.as_str(),
    };
    let mut secrets: Vec<SigningSecret> = vec![app.sealer.open(&endpoint.secret, owner).await?];
    if let Some(retiring) = endpoint.retiring_secret.as_ref().filter(|r| r.until > now) {
        secrets.push(app.sealer.open(&retiring.sealed, owner).await?);
    }
    let timestamp = now.unix_timestamp();
    let body = Bytes::from(delivery.payload.clone());
    let refs: Vec<&SigningSecret> = secrets.iter().collect();
    let headers = [
        (HEADER_ID, delivery.message_id.clone()),
        (HEADER_TIMESTAMP, timestamp.to_string()),
        (
            HEADER_SIGNATURE,
            signature_header(&refs, &delivery.message_id, timestamp, &body),
        ),
    ];
    Ok(client.post(&endpoint.url, &headers, body).await)
}

/// Queues the attempt again for `at`, without using it.
async fn later(
    app: &App,
    message: &DeliveryMessage,
    at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<Admission, DispatchError> {
    let again = DeliveryMessage {
        due_at: at,
        ..message.clone()
    };
    app.delivery_queue.send(&again, now).await?;
    Ok(Admission::Not(Dispatched::Deferred))
}

async fn finish(
    app: &App,
    delivery: &mut Delivery,
    status: DeliveryStatus,
    reason: &str,
    now: OffsetDateTime,
) -> Result<(), DispatchError> {
    delivery.status = status;
    delivery.finished_at = Some(now);
    delivery.reason = Some(reason.to_owned());
    app.deliveries.record(delivery, None).await?;
    Ok(())
}

/// Saves the endpoint, with the audit event of the change if it has one: `Ok(false)`
/// if it changed meanwhile.
async fn save_endpoint(
    app: &App,
    endpoint: &mut Endpoint,
    now: OffsetDateTime,
    audit: Option<&AuditEvent>,
) -> Result<bool, StoreError> {
    endpoint.version += 1;
    endpoint.updated_at = Some(now);
    let mut batch = WriteBatch::new();
    app.endpoints.put_changed(&mut batch, endpoint)?;
    if let Some(audit) = audit {
        app.audit.add_to(&mut batch, audit)?;
    }
    match app.dynamo.commit(batch).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Moves the endpoint's breaker state if this outcome moves it, re-reading on a
/// concurrent change (the endpoint item is written only here, not per attempt).
async fn move_breaker(
    app: &App,
    endpoint: &Endpoint,
    policy: &Policy,
    counts: &Counts,
    success: bool,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut current = endpoint.clone();
    for _ in 0..5 {
        let Some(state) = current.breaker.after(policy, counts, success, now) else {
            return Ok(());
        };
        current.breaker.state = state;
        if save_endpoint(app, &mut current, now, None).await? {
            metrics::count(
                metrics::WEBHOOK_ENDPOINT_CHANGES,
                &[("State", state.name())],
            );
            return Ok(());
        }
        match app
            .endpoints
            .get(&endpoint.tenant_id, &endpoint.webhook_id)
            .await?
        {
            Some(stored) => current = stored,
            None => return Ok(()),
        }
    }
    tracing::warn!(webhook_id = %endpoint.webhook_id, "circuit breaker state change lost to contention");
    Ok(())
}

async fn disable(
    app: &App,
    endpoint: &Endpoint,
    reason: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let Some(mut current) = app
        .endpoints
        .get(&endpoint.tenant_id, &endpoint.webhook_id)
        .await?
    else {
        return Ok(());
    };
    if current.status == EndpointStatus::Disabled {
        return Ok(());
    }
    current.status = EndpointStatus::Disabled;
    current.disabled = Some(Disabled {
        at: now,
        by: format!("system:{DISPATCHER}"),
        reason: reason.to_owned(),
    });
    let audit = AuditEvent::system(&current.tenant_id, "webhook.disable", DISPATCHER, now)
        .target(TargetKind::Webhook, current.webhook_id.as_str())
        .detail(reason)
        .publishing(DomainEvent::new(
            "webhook.disabled",
            Category::Lifecycle,
            &current.tenant_id,
            now,
            serde_json::json!({ "webhook_id": current.webhook_id, "reason": reason }),
        ));
    if save_endpoint(app, &mut current, now, Some(&audit)).await? {
        metrics::count(metrics::WEBHOOK_ENDPOINT_CHANGES, &[("State", "disabled")]);
    }
    Ok(())
}

async fn operational_event(
    app: &App,
    delivery: &Delivery,
    kind: &str,
    reason: &str,
    now: OffsetDateTime,
) {
    tracing::warn!(delivery_id = %delivery.delivery_id, webhook_id = %delivery.webhook_id, reason, "{kind}");
    let published = DomainEvent::new(
        kind,
        Category::Lifecycle,
        &delivery.tenant_id,
        now,
        serde_json::json!({
            "webhook_id": delivery.webhook_id,
            "delivery_id": delivery.delivery_id,
            "event_type": delivery.event_type,
            "reason": reason,
        }),
    );
    let audit = AuditEvent::system(&delivery.tenant_id, kind, DISPATCHER, now)
        .target(TargetKind::WebhookDelivery, delivery.delivery_id.as_str())
        .failed(reason)
        .publishing(published);
    if let Err(e) = app.audit.put(&audit).await {
        tracing::error!(error = %e, delivery_id = %delivery.delivery_id, "{kind} not audited");
    }
}

/// Jitter that differs per delivery and attempt but is the same when an attempt's
/// bookkeeping is repeated.
fn jitter_seed(delivery_id: &str, attempt: u32) -> u32 {
    crc32fast::hash(format!("{delivery_id}#{attempt}").as_bytes())
}
