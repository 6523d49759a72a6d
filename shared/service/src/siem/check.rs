//! The connectivity check of a destination (`POST /v2/integrations/siem/{id}/test`,
//! and the scheduled health check): a test event is delivered as events are, and
//! HEC's health endpoint is asked first. The answer is a diagnosis a person can act on.

use super::delivery::Outcome;
use super::destination::{Destination, Transport};
use super::event::SecurityEvent;
use super::forward::{http_client, send};
use super::redact;
use super::sinks::Hec;
use crate::App;
use crate::integrations::Health;
use time::OffsetDateTime;

/// The result of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub health: Health,
    /// What failed, if anything.
    pub diagnosis: Option<String>,
}

/// Checks `destination` by delivering `event` to it.
pub async fn check(
    app: &App,
    destination: &Destination,
    event: SecurityEvent,
    now: OffsetDateTime,
) -> Checked {
    let started = std::time::Instant::now();
    let mut diagnosis = None;
    if let Transport::Hec {
        url,
        channel,
        acknowledgements,
        ..
    } = &destination.transport
    {
        match http_client(app, destination).await {
            Ok(client) => {
                let hec = Hec {
                    url,
                    token: "",
                    channel,
                    acknowledgements: *acknowledgements,
                };
                if let Err(e) = hec.health(&client).await {
                    diagnosis = Some(e);
                }
            }
            Err(e) => diagnosis = Some(e),
        }
    }
    if diagnosis.is_none() {
        let event = redact(event, &destination.redaction);
        diagnosis = match send(app, destination, std::slice::from_ref(&event))
            .await
            .pop()
        {
            Some(Outcome::Delivered) => None,
            Some(Outcome::Retry(why) | Outcome::Reject(why)) => Some(why),
            None => Some("nothing was sent".into()),
        };
    }
    let healthy = diagnosis.is_none();
    Checked {
        health: Health {
            healthy,
            checked_at: Some(now),
            last_success: healthy.then_some(now).or(destination.health.last_success),
            last_error: diagnosis.clone(),
            latency_ms: Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
        },
        diagnosis,
    }
}
