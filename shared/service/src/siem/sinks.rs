//! The HTTP sinks: Splunk HEC, Elasticsearch `_bulk` and plain HTTPS (NDJSON), each
//! giving one [`Outcome`] per event, in order.
//!
//! - HEC: events are sent in requests of at most [`HEC_MAX_EVENTS`] events and
//!   [`MAX_REQUEST_BYTES`]. A 400 "invalid data format" names the first invalid event
//!   (`invalid-event-number`): the events before it were indexed, it is rejected, and
//!   those after it are sent again. With indexer acknowledgement on, an event counts as
//!   delivered only once `/services/collector/ack` says so; one not acknowledged
//!   within [`ACK_WAIT`] is retried (sent again), never dropped.
//! - Bulk: every event is a `create` with `_id` = the event id, so a repeat is a 409,
//!   which counts as delivered. Per-item results are matched by position; only 408,
//!   429 and 5xx items are retried.
//! - HTTPS: the status of the request decides for all its events.

use super::delivery::{Outcome, outcome_of_status, retryable_status};
use crate::outbound::{OutboundClient, Unanswered};
use serde_json::{Value, json};
use std::time::Duration;

pub const HEC_MAX_EVENTS: usize = 100;
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;
/// How long an acknowledgement is waited for.
pub const ACK_WAIT: Duration = Duration::from_secs(10);
/// How much of an answer is read.
const MAX_ANSWER: usize = 1024 * 1024;

fn unanswered(e: &Unanswered) -> Outcome {
    if e.class == crate::outbound::ErrorClass::Refused {
        Outcome::Reject(format!("refused: {}", e.detail))
    } else {
        Outcome::Retry(format!("{:?}: {}", e.class, e.detail).to_lowercase())
    }
}

/// POSTs `body`: the status and the answer as JSON (`null` if it is none), or the
/// outcome of a request that got no answer.
async fn post(
    client: &OutboundClient,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<(u16, Value), Outcome> {
    let answer = client
        .send(reqwest::Method::POST, url, headers, Some(body), MAX_ANSWER)
        .await
        .map_err(|e| unanswered(&e))?;
    let parsed = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    Ok((answer.status, parsed))
}

/// Splits encoded events into requests of at most `max_events` and
/// [`MAX_REQUEST_BYTES`] (an event larger than that goes alone).
fn chunks(encoded: &[String], max_events: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, e) in encoded.iter().enumerate() {
        if i > start && (i - start == max_events || bytes + e.len() > MAX_REQUEST_BYTES) {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += e.len() + 1;
    }
    if start < encoded.len() {
        out.push(start..encoded.len());
    }
    out
}

/// Where and how a HEC destination is reached.
pub struct Hec<'a> {
    pub url: &'a str,
    pub token: &'a str,
    pub channel: &'a str,
    pub acknowledgements: bool,
}

impl Hec<'_> {
    fn headers(&self) -> [(&'static str, String); 2] {
        [
            ("authorization", format!("Splunk {}", self.token)),
            ("x-splunk-request-channel", self.channel.to_owned()),
        ]
    }

    /// Sends HEC event objects (one JSON text each).
    pub async fn send(&self, client: &OutboundClient, events: &[String]) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(events.len());
        for range in chunks(events, HEC_MAX_EVENTS) {
            let batch = &events[range];
            outcomes.extend(self.send_chunk(client, batch).await);
        }
        outcomes
    }

    async fn send_chunk(&self, client: &OutboundClient, batch: &[String]) -> Vec<Outcome> {
        let body = batch.join("\n").into_bytes();
        let headers = self.headers();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let url = format!(
            "{}/services/collector/event",
            self.url.trim_end_matches('/')
        );
        let all = |o: Outcome| vec![o; batch.len()];
        let (status, parsed) = match post(client, &url, &headers, body).await {
            Ok(answer) => answer,
            Err(outcome) => return all(outcome),
        };
        let code = parsed["code"].as_i64();
        let text = parsed["text"]
            .as_str()
            .unwrap_or("no HEC answer")
            .to_owned();
        let detail = match code {
            Some(code) => format!("HEC code {code}: {text}"),
            None => text,
        };
        if status == 400 && code == Some(6) {
            // Invalid data format: the events before the invalid one were indexed.
            let invalid = parsed["invalid-event-number"]
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n < batch.len())
                .unwrap_or(0);
            return (0..batch.len())
                .map(|i| match i.cmp(&invalid) {
                    std::cmp::Ordering::Less => Outcome::Delivered,
                    std::cmp::Ordering::Equal => Outcome::Reject(detail.clone()),
                    std::cmp::Ordering::Greater => Outcome::Retry(format!(
                        "not indexed: event {invalid} of its request was invalid"
                    )),
                })
                .collect();
        }
        match outcome_of_status(status, &detail) {
            Outcome::Delivered if self.acknowledgements => match parsed["ackId"].as_u64() {
                Some(ack) => all(self.await_ack(client, ack).await),
                None => all(Outcome::Retry(
                    "HEC gave no ackId although acknowledgement is on".into(),
                )),
            },
            outcome => all(outcome),
        }
    }

    /// Polls `/services/collector/ack` until `ack` is acknowledged or [`ACK_WAIT`] ends.
    async fn await_ack(&self, client: &OutboundClient, ack: u64) -> Outcome {
        let url = format!(
            "{}/services/collector/ack?channel={}",
            self.url.trim_end_matches('/'),
            self.channel
        );
        let headers = self.headers();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body = json!({ "acks": [ack] });
        let started = std::time::Instant::now();
        let mut wait = Duration::from_millis(100);
        loop {
            match client
                .send_json(
                    reqwest::Method::POST,
                    &url,
                    &headers,
                    Some(&body),
                    MAX_ANSWER,
                )
                .await
            {
                Ok(answer) if answer.status == 200 => {
                    let parsed: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
                    if parsed["acks"][ack.to_string()].as_bool() == Some(true) {
                        return Outcome::Delivered;
                    }
                }
                Ok(answer) if !retryable_status(answer.status) => {
                    return Outcome::Retry(format!(
                        "acknowledgement refused: HTTP {}",
                        answer.status
                    ));
                }
                _ => {}
            }
            if started.elapsed() + wait > ACK_WAIT {
                return Outcome::Retry(format!(
                    "not acknowledged within {} s (ack {ack}): sent again",
                    ACK_WAIT.as_secs()
                ));
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(2));
        }
    }

    /// HEC's health endpoint: `Ok` when it reports healthy.
    pub async fn health(&self, client: &OutboundClient) -> Result<(), String> {
        let url = format!(
            "{}/services/collector/health",
            self.url.trim_end_matches('/')
        );
        let answer = client
            .send(reqwest::Method::GET, &url, &[], None, MAX_ANSWER)
            .await
            .map_err(|e| format!("{:?}: {}", e.class, e.detail).to_lowercase())?;
        let parsed: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        if answer.status == 200 {
            Ok(())
        } else {
            Err(format!(
                "HEC health: HTTP {} (code {}: {})",
                answer.status,
                parsed["code"],
                parsed["text"].as_str().unwrap_or("")
            ))
        }
    }
}

/// An Elasticsearch `_bulk` destination.
pub struct Bulk<'a> {
    pub url: &'a str,
    /// `ApiKey <base64>` or `Basic <base64>`, from the credential.
    pub authorization: Option<String>,
}

impl Bulk<'_> {
    /// Sends `_bulk` line pairs (action and document, each pair ending in `\n`).
    pub async fn send(&self, client: &OutboundClient, pairs: &[String]) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(pairs.len());
        for range in chunks(pairs, 500) {
            outcomes.extend(self.send_chunk(client, &pairs[range]).await);
        }
        outcomes
    }

    async fn send_chunk(&self, client: &OutboundClient, pairs: &[String]) -> Vec<Outcome> {
        let body = pairs.concat().into_bytes();
        let mut headers = vec![("content-type", "application/x-ndjson")];
        if let Some(auth) = &self.authorization {
            headers.push(("authorization", auth.as_str()));
        }
        let url = format!("{}/_bulk", self.url.trim_end_matches('/'));
        let all = |o: Outcome| vec![o; pairs.len()];
        let (status, parsed) = match post(client, &url, &headers, body).await {
            Ok(answer) => answer,
            Err(outcome) => return all(outcome),
        };
        if status != 200 {
            let reason = parsed["error"]["reason"]
                .as_str()
                .or_else(|| parsed["error"].as_str())
                .unwrap_or("no reason given");
            return all(outcome_of_status(status, reason));
        }
        let items = parsed["items"].as_array().cloned().unwrap_or_default();
        if items.len() != pairs.len() {
            return all(Outcome::Retry(format!(
                "_bulk answered {} items for {} documents",
                items.len(),
                pairs.len()
            )));
        }
        items
            .iter()
            .map(|item| {
                let result = &item["create"];
                let status = result["status"]
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(0);
                let reason = format!(
                    "{}: {}",
                    result["error"]["type"].as_str().unwrap_or("error"),
                    result["error"]["reason"]
                        .as_str()
                        .unwrap_or("no reason given")
                );
                match status {
                    // Already there: an earlier attempt delivered it.
                    409 => Outcome::Delivered,
                    0 => Outcome::Retry("a _bulk item without a status".into()),
                    s => outcome_of_status(s, &reason),
                }
            })
            .collect()
    }
}

/// A plain HTTPS destination: NDJSON documents, optionally with a bearer token.
pub struct Https<'a> {
    pub url: &'a str,
    pub token: Option<&'a str>,
}

impl Https<'_> {
    pub async fn send(&self, client: &OutboundClient, documents: &[String]) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(documents.len());
        for range in chunks(documents, 500) {
            let batch = &documents[range];
            let mut body = batch.join("\n");
            body.push('\n');
            let bearer = self.token.map(|t| format!("Bearer {t}"));
            let mut headers = vec![("content-type", "application/x-ndjson")];
            if let Some(b) = &bearer {
                headers.push(("authorization", b.as_str()));
            }
            let outcome = match client
                .send(
                    reqwest::Method::POST,
                    self.url,
                    &headers,
                    Some(body.into_bytes()),
                    MAX_ANSWER,
                )
                .await
            {
                Ok(answer) => outcome_of_status(
                    answer.status,
                    &String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)]),
                ),
                Err(e) => unanswered(&e),
            };
            outcomes.extend(vec![outcome; batch.len()]);
        }
        outcomes
    }
}

#[cfg(test)]
mod tests {
    use super::chunks;

    #[test]
    fn requests_are_cut_by_count_and_bytes() {
        let small: Vec<String> = (0..250).map(|_| "x".repeat(10)).collect();
        assert_eq!(chunks(&small, 100), vec![0..100, 100..200, 200..250]);
        let big: Vec<String> = (0..5).map(|_| "x".repeat(400 * 1024)).collect();
        assert_eq!(chunks(&big, 100), vec![0..2, 2..4, 4..5]);
        assert!(chunks(&[], 100).is_empty());
    }
}
