//! The local gateway's access log: the same JSON lines the HTTP API writes with
//! `ACCESS_LOG_FORMAT`, buffered and handed to the usage-ingest handler as a
//! CloudWatch Logs subscription event (gzip + base64), as AWS delivers them.

use aws_lambda_events::cloudwatch_logs::{AwsLogs, LogData, LogEntry, LogsEvent};
use gatehouse::App;
use gatehouse::usage::ingest::IngestSummary;
use serde_json::{Value, json};
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

    /// Delivers the buffered lines to usage ingest, as one subscription event.
    pub async fn flush(&self) -> Option<IngestSummary> {
        let app = self.ingest.as_ref()?;
        let lines = std::mem::take(&mut *self.lines.lock().unwrap_or_else(|p| p.into_inner()));
        if lines.is_empty() {
            return Some(IngestSummary::default());
        }
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
        let mut logs = AwsLogs::default();
        logs.data = data;
        let mut event = LogsEvent::default();
        event.aws_logs = logs;
        // Through the wire format (gzip + base64), as the function receives it.
        let wire = serde_json::to_string(&event).ok()?;
        let event: LogsEvent = match serde_json::from_str(&wire) {
            Ok(event) => event,
            Err(e) => {
                tracing::error!(target: "gateway", "access log event did not decode: {e}");
                return None;
            }
        };
        match fn_usage_ingest::handle(app, event).await {
            Ok(summary) => Some(summary),
            Err(e) => {
                tracing::error!(target: "gateway", "usage ingest failed: {e}");
                None
            }
        }
    }
}
