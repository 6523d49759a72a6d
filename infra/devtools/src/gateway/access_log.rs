//! The local gateway's access log: the same JSON lines the HTTP API writes with
//! `ACCESS_LOG_FORMAT`, buffered and handed to the usage-ingest handler as a
//! CloudWatch Logs subscription event (gzip + base64), as AWS delivers them.

use aws_lambda_events::cloudwatch_logs::{LogData, LogEntry, LogsEvent};
use base64::Engine;
use gatehouse::App;
use gatehouse::usage::ingest::IngestSummary;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// What one request contributes to its log line.
pub struct AccessFacts {
    pub request_id: String,
    pub route_key: String,
    pub method: String,
    pub status: u16,
    pub latency_ms: u128,
    pub source_ip: String,
    pub user_agent: String,
    pub authorizer: Option<Value>,
}

/// The line API Gateway would write for these facts (empty values as `-`).
pub fn line(facts: &AccessFacts, at_millis: u128) -> String {
    let context = |name: &str| {
        facts
            .authorizer
            .as_ref()
            .and_then(|c| c.get(name))
            .and_then(Value::as_str)
            .unwrap_or("-")
            .to_owned()
    };
    let dash = |s: &str| {
        if s.is_empty() {
            "-".to_owned()
        } else {
            s.to_owned()
        }
    };
    json!({
        "requestId": facts.request_id,
        "requestTimeEpoch": at_millis.to_string(),
        "routeKey": dash(&facts.route_key),
        "method": facts.method,
        "status": facts.status.to_string(),
        "latencyMs": facts.latency_ms.to_string(),
        "sourceIp": dash(&facts.source_ip),
        "userAgent": dash(&facts.user_agent),
        "tenantId": context("tenantId"),
        "keyId": context("keyId"),
    })
    .to_string()
}

pub struct AccessLog {
    ingest: Option<App>,
    lines: Mutex<Vec<(u128, String)>>,
}

impl AccessLog {
    /// `ingest`: the usage-ingest function's app, if the template has one.
    pub fn new(ingest: Option<App>) -> Self {
        Self {
            ingest,
            lines: Mutex::new(Vec::new()),
        }
    }

    pub fn record(&self, facts: &AccessFacts) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let line = line(facts, now.saturating_sub(facts.latency_ms));
        tracing::debug!(target: "access", "{line}");
        if self.ingest.is_some() {
            self.lines
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((now, line));
        }
    }

    /// Delivers the buffered lines to usage ingest, as one subscription event. Lines
    /// that failed to ingest are kept for the next flush (Lambda retries a failed
    /// subscription delivery too).
    pub async fn flush(&self) -> Result<IngestSummary, String> {
        let Some(app) = self.ingest.as_ref() else {
            return Err("the template has no usage-ingest function".into());
        };
        let lines = std::mem::take(&mut *self.lines.lock().unwrap_or_else(|p| p.into_inner()));
        if lines.is_empty() {
            return Ok(IngestSummary::default());
        }
        let kept = lines.clone();
        let mut data = LogData::default();
        data.owner = "000000000000".into();
        data.log_group = "gatehouse-local/api-access".into();
        data.log_stream = "local-gateway".into();
        data.subscription_filters = vec!["usage-ingest".into()];
        data.message_type = "DATA_MESSAGE".into();
        data.log_events = lines
            .into_iter()
            .enumerate()
            .map(|(i, (at, message))| {
                let mut entry = LogEntry::default();
                entry.id = format!("{at}{i:06}");
                entry.timestamp = at as i64;
                entry.message = message;
                entry
            })
            .collect();
        // The wire format CloudWatch Logs delivers: the batch as JSON, gzipped, then
        // padded base64, decoded by the function as it would be in AWS.
        let event: LogsEvent = wire_event(&data)
            .and_then(|wire| serde_json::from_str(&wire).map_err(|e| e.to_string()))
            .map_err(|e| format!("access log event did not decode: {e}"))?;
        gatehouse_functions::usage::ingest::handle(app, event)
            .await
            .map_err(|e| {
                let mut buffered = self.lines.lock().unwrap_or_else(|p| p.into_inner());
                let newer = std::mem::take(&mut *buffered);
                *buffered = kept;
                buffered.extend(newer);
                format!("usage ingest failed: {e}")
            })
    }
}

/// `{"awslogs":{"data":"<base64(gzip(json))>"}}`, as a subscription delivers it.
fn wire_event(data: &LogData) -> Result<String, String> {
    let json = serde_json::to_vec(data).map_err(|e| e.to_string())?;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&json).map_err(|e| e.to_string())?;
    let zipped = gzip.finish().map_err(|e| e.to_string())?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(zipped);
    Ok(json!({ "awslogs": { "data": encoded } }).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every batch length decodes (base64 padding differs with the length mod 3).
    #[test]
    fn batches_of_any_length_survive_the_wire_format() {
        for n in 0..7 {
            let mut data = LogData::default();
            data.message_type = "DATA_MESSAGE".into();
            data.log_events = (0..n)
                .map(|i| {
                    let mut entry = LogEntry::default();
                    entry.id = i.to_string();
                    entry.message = "x".repeat(i * 7 + 1);
                    entry
                })
                .collect();
            let event: LogsEvent = serde_json::from_str(&wire_event(&data).unwrap()).unwrap();
            assert_eq!(event.aws_logs.data.log_events, data.log_events);
        }
    }
}
