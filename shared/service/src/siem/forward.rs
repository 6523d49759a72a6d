//! The SIEM forwarder: delivers a batch of queued events, grouped by destination.
//!
//! Each destination's group is sent on its own, several at once, each with its own
//! timeout, so a slow or unreachable destination holds up only its own events. Retry
//! state is per event (its attempt count and due time travel in its message): a
//! failed event is queued again with a backoff delay, so events of a destination that
//! is down wait in the queue, not in front of other destinations' events.

use super::delivery::{Outcome, SiemMessage, bucket_of, jitter_of, retry};
use super::destination::{Destination, JsonFormat, SyslogFormat, SyslogProtocol, Transport};
use super::sinks::{Bulk, Hec, Https};
use super::syslog_transport::{Protocol, Target, send_batch};
use super::{cef, client_key_context, credential_context, ecs, hec, leef, ocsf, redact, syslog};
use crate::App;
use crate::ids::{IntegrationId, TenantId};
use crate::integrations::Health;
use crate::outbound::OutboundClient;
use crate::store::siem_stats::Counts;
use crate::tls::ClientIdentity;
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::time::Duration;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// Destinations delivered to at once.
const CONCURRENCY: usize = 4;
/// How long one destination's delivery may take (its own connection and answers).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// A destination's health is written again after this long even if unchanged.
const HEALTH_REFRESH: time::Duration = time::Duration::minutes(1);

/// What became of a batch.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Forwarded {
    pub delivered: usize,
    pub retried: usize,
    pub dead_lettered: usize,
    /// Events for destinations deleted or disabled since they were queued.
    pub dropped: usize,
    /// Not due yet: queued again unchanged.
    pub deferred: usize,
}

/// Where each message ended: `true` if it must come back (its new message or
/// dead letter could not be queued), so the queue delivers it again.
pub type Failed = Vec<bool>;

struct Group {
    delivered: usize,
    retry: Vec<(usize, SiemMessage)>,
    dead: Vec<(usize, SiemMessage, String)>,
    dropped: usize,
}

/// Delivers `messages`; what happened, and which must come back.
pub async fn forward(app: &App, messages: Vec<SiemMessage>) -> (Forwarded, Failed) {
    let now = app.clock.now();
    let mut summary = Forwarded::default();
    let mut failed = vec![false; messages.len()];
    let mut requeue: Vec<(usize, SiemMessage)> = Vec::new();
    let mut groups: BTreeMap<(TenantId, IntegrationId), Vec<(usize, SiemMessage)>> =
        BTreeMap::new();
    for (i, message) in messages.into_iter().enumerate() {
        if message.due_at > now + time::Duration::SECOND {
            summary.deferred += 1;
            requeue.push((i, message));
        } else {
            groups
                .entry((
                    message.destination_tenant.clone(),
                    message.destination_id.clone(),
                ))
                .or_default()
                .push((i, message));
        }
    }
    let results: Vec<Group> = futures_util::stream::iter(groups)
        .map(|((tenant, id), group)| deliver_group(app, tenant, id, group, now))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut dead = Vec::new();
    for group in results {
        summary.delivered += group.delivered;
        summary.dropped += group.dropped;
        summary.retried += group.retry.len();
        summary.dead_lettered += group.dead.len();
        requeue.extend(group.retry);
        dead.extend(group.dead);
    }
    let (indices, next): (Vec<usize>, Vec<SiemMessage>) = requeue.into_iter().unzip();
    if let Err((first, e)) = app.siem.queue.send_all(&next, now).await {
        tracing::error!(error = %e, "retries not queued; their events come back");
        for i in &indices[first..] {
            failed[*i] = true;
        }
    }
    let letters: Vec<(SiemMessage, String)> = dead
        .iter()
        .map(|(_, m, r)| (m.clone(), r.clone()))
        .collect();
    if let Err(e) = app.siem.queue.dead_letter(&letters).await {
        tracing::error!(error = %e, "dead letters not queued; their events come back");
        for (i, _, _) in &dead {
            failed[*i] = true;
        }
    }
    (summary, failed)
}

async fn deliver_group(
    app: &App,
    tenant: TenantId,
    id: IntegrationId,
    group: Vec<(usize, SiemMessage)>,
    now: OffsetDateTime,
) -> Group {
    let mut result = Group {
        delivered: 0,
        retry: Vec::new(),
        dead: Vec::new(),
        dropped: 0,
    };
    let destination = match app.siem.destinations.get(&tenant, &id).await {
        Ok(Some(d)) if d.enabled => d,
        Ok(_) => {
            tracing::info!(destination_id = %id, events = group.len(), "destination gone or disabled: events dropped");
            result.dropped = group.len();
            return result;
        }
        Err(e) => {
            let reason = format!("the destination could not be read: {e}");
            let outcomes = vec![Outcome::Retry(reason); group.len()];
            settle(
                &mut result,
                group,
                outcomes,
                now,
                app.config.siem_retry_base,
            );
            return result;
        }
    };
    let events: Vec<_> = group
        .iter()
        .map(|(_, m)| redact(m.event.clone(), &destination.redaction))
        .collect();
    let outcomes =
        match tokio::time::timeout(SEND_TIMEOUT * 3, send(app, &destination, &events)).await {
            Ok(outcomes) => outcomes,
            Err(_) => vec![Outcome::Retry("the destination took too long".into()); events.len()],
        };
    let mut counts = Counts::default();
    let mut first_error = None;
    for (outcome, (_, message)) in outcomes.iter().zip(&group) {
        match outcome {
            Outcome::Delivered => {
                counts.sent += 1;
                let latency = (now - message.event.time).whole_milliseconds().max(0);
                counts.latency[bucket_of(u64::try_from(latency).unwrap_or(u64::MAX))] += 1;
            }
            Outcome::Retry(reason) | Outcome::Reject(reason) => {
                first_error.get_or_insert_with(|| reason.clone());
            }
        }
    }
    let healthy = !outcomes.iter().any(|o| matches!(o, Outcome::Retry(_)));
    settle(
        &mut result,
        group,
        outcomes,
        now,
        app.config.siem_retry_base,
    );
    counts.retried = result.retry.len() as u64;
    counts.dead_lettered = result.dead.len() as u64;
    if let Err(e) = app.siem.stats.add(&tenant, &id, now, &counts).await {
        tracing::warn!(error = %e, destination_id = %id, "delivery statistics not counted");
    }
    record_health(app, &destination, healthy, first_error, now).await;
    result
}

/// Sorts each message by its outcome (missing outcomes are retries).
fn settle(
    result: &mut Group,
    group: Vec<(usize, SiemMessage)>,
    outcomes: Vec<Outcome>,
    now: OffsetDateTime,
    base: time::Duration,
) {
    let mut outcomes = outcomes.into_iter();
    for (i, message) in group {
        match outcomes
            .next()
            .unwrap_or_else(|| Outcome::Retry("not attempted".into()))
        {
            Outcome::Delivered => {
                result.delivered += 1;
                let lag = (now - message.first_queued_at).max(time::Duration::ZERO);
                crate::telemetry::metrics::time(
                    crate::telemetry::metrics::SIEM_LAG,
                    &[],
                    lag.unsigned_abs(),
                );
            }
            Outcome::Reject(reason) => result.dead.push((i, message, reason)),
            Outcome::Retry(reason) => match retry(&message, now, base, jitter_of(&message)) {
                Some(next) => result.retry.push((i, next)),
                None => result.dead.push((
                    i,
                    message,
                    format!(
                        "retried for {} hours: {reason}",
                        super::delivery::MAX_AGE.whole_hours()
                    ),
                )),
            },
        }
    }
}

async fn record_health(
    app: &App,
    destination: &Destination,
    healthy: bool,
    error: Option<String>,
    now: OffsetDateTime,
) {
    let before = &destination.health;
    let stale = before.checked_at.is_none_or(|at| now - at > HEALTH_REFRESH);
    if before.healthy == healthy && before.last_error == error && !stale {
        return;
    }
    let health = Health {
        healthy,
        checked_at: Some(now),
        last_success: if healthy {
            Some(now)
        } else {
            before.last_success
        },
        last_error: error.or_else(|| {
            if healthy {
                None
            } else {
                before.last_error.clone()
            }
        }),
        latency_ms: None,
    };
    if let Err(e) = app
        .siem
        .destinations
        .record_health(&destination.tenant_id, &destination.destination_id, &health)
        .await
    {
        tracing::warn!(error = %e, "destination health not recorded");
    }
}

/// The destination's credential in clear, if it has one.
async fn open_credential(app: &App, d: &Destination) -> Result<Option<Zeroizing<String>>, String> {
    match &d.credential {
        None => Ok(None),
        Some(c) => app
            .secrets
            .credential(
                &d.tenant_id,
                c,
                &credential_context(&d.tenant_id, &d.destination_id),
            )
            .await
            .map(Some)
            .map_err(|e| format!("the destination's credential could not be opened: {e}")),
    }
}

async fn open_client_key(app: &App, d: &Destination) -> Result<Option<Zeroizing<String>>, String> {
    match &d.tls.client_key {
        None => Ok(None),
        Some(c) => app
            .secrets
            .credential(
                &d.tenant_id,
                c,
                &client_key_context(&d.tenant_id, &d.destination_id),
            )
            .await
            .map(Some)
            .map_err(|e| format!("the client key could not be opened: {e}")),
    }
}

/// The HTTP client for an HTTP destination: its CA and client certificate.
pub async fn http_client(app: &App, d: &Destination) -> Result<OutboundClient, String> {
    let key = open_client_key(app, d).await?;
    let identity = match (&d.tls.client_certificate_pem, &key) {
        (Some(cert), Some(key)) => Some(Zeroizing::new(format!("{}\n{}", key.as_str(), cert))),
        _ => None,
    };
    OutboundClient::for_destination(
        app.config.integration_allow_hosts.clone(),
        SEND_TIMEOUT,
        d.tls.ca_pem.as_deref().map(str::as_bytes),
        identity.as_ref().map(|i| i.as_bytes()),
    )
    .map_err(|e| format!("the TLS settings are not usable: {e}"))
}

/// Sends the redacted events to the destination: one outcome per event, in order.
pub async fn send(app: &App, d: &Destination, events: &[super::Redacted]) -> Vec<Outcome> {
    let all = |o: Outcome| vec![o; events.len()];
    let credential = match open_credential(app, d).await {
        Ok(c) => c,
        Err(e) => return all(Outcome::Retry(e)),
    };
    match &d.transport {
        Transport::Syslog {
            host,
            port,
            protocol,
            format,
            facility,
            hostname,
            max_message_bytes,
        } => {
            let header = syslog::Header {
                facility: *facility,
                hostname: hostname.clone(),
                app_name: "gatehouse".into(),
            };
            let max = *max_message_bytes as usize;
            let messages: Vec<String> = events
                .iter()
                .map(|e| match format {
                    SyslogFormat::Rfc5424 => syslog::encode_plain(e, &header, max),
                    SyslogFormat::Cef => syslog::encode(e, &header, &cef::encode(e), max),
                    SyslogFormat::Leef1 => {
                        syslog::encode(e, &header, &leef::encode(e, leef::Version::V1), max)
                    }
                    SyslogFormat::Leef2 => {
                        syslog::encode(e, &header, &leef::encode(e, leef::Version::V2), max)
                    }
                })
                .collect();
            let key = match open_client_key(app, d).await {
                Ok(k) => k,
                Err(e) => return all(Outcome::Retry(e)),
            };
            let target = Target {
                host,
                port: *port,
                protocol: match protocol {
                    SyslogProtocol::Udp => Protocol::Udp,
                    SyslogProtocol::Tcp => Protocol::Tcp,
                    SyslogProtocol::Tls => Protocol::Tls,
                },
                ca_pem: d.tls.ca_pem.as_deref(),
                identity: match (&d.tls.client_certificate_pem, &key) {
                    (Some(cert), Some(key)) => Some(ClientIdentity {
                        certificate_pem: cert,
                        key_pem: key,
                    }),
                    _ => None,
                },
                timeout: SEND_TIMEOUT,
            };
            match send_batch(&target, &app.config.integration_allow_hosts, &messages).await {
                Ok(_) => all(Outcome::Delivered),
                Err(e) if e.is_refused() => all(Outcome::Reject(e.to_string())),
                Err(e) => all(Outcome::Retry(e.to_string())),
            }
        }
        Transport::Hec {
            url,
            index,
            source,
            sourcetype,
            acknowledgements,
            channel,
        } => {
            let client = match http_client(app, d).await {
                Ok(c) => c,
                Err(e) => return all(Outcome::Reject(e)),
            };
            let envelope = hec::Envelope {
                host: "gatehouse".into(),
                source: source.clone(),
                sourcetype: sourcetype.clone(),
                index: index.clone(),
            };
            let encoded: Vec<String> = events
                .iter()
                .map(|e| hec::event(e, &envelope).to_string())
                .collect();
            let token = credential.as_ref().map(|c| c.as_str()).unwrap_or_default();
            Hec {
                url,
                token,
                channel,
                acknowledgements: *acknowledgements,
            }
            .send(&client, &encoded)
            .await
        }
        Transport::Bulk { url, index } => {
            let client = match http_client(app, d).await {
                Ok(c) => c,
                Err(e) => return all(Outcome::Reject(e)),
            };
            let pairs: Vec<String> = events.iter().map(|e| ecs::bulk_lines(e, index)).collect();
            Bulk {
                url,
                authorization: credential
                    .as_ref()
                    .map(|c| format!("ApiKey {}", c.as_str())),
            }
            .send(&client, &pairs)
            .await
        }
        Transport::Https { url, format } => {
            let client = match http_client(app, d).await {
                Ok(c) => c,
                Err(e) => return all(Outcome::Reject(e)),
            };
            let documents: Vec<String> = events
                .iter()
                .map(|e| match format {
                    JsonFormat::Ocsf => ocsf::encode(e).to_string(),
                    JsonFormat::Ecs => ecs::document(e).to_string(),
                })
                .collect();
            Https {
                url,
                token: credential.as_ref().map(|c| c.as_str()),
            }
            .send(&client, &documents)
            .await
        }
    }
}
