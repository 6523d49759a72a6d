//! What the local gateway measured, kept where a developer can read it: every request
//! (route, status, time) in `requests.jsonl`, and the functions' CloudWatch Embedded
//! Metric Format lines, exactly as Lambda would write them to CloudWatch Logs, in
//! `metrics.jsonl` (both under `.local/`). `gatehouse-admin metrics` (`make metrics`)
//! summarises the last minutes of both as tables.
//!
//! The gateway runs every function in one process, so its EMF lines carry
//! `Function: local-gateway`; the per-route table is where per-function figures are.

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const REQUESTS: &str = "requests.jsonl";
pub const METRICS: &str = "metrics.jsonl";

/// Appends the gateway's requests and metric lines under one directory.
#[derive(Debug, Clone)]
pub struct LocalMetrics {
    dir: PathBuf,
}

fn epoch_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

impl LocalMetrics {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn append(&self, file: &str, text: &[u8]) {
        let path = self.dir.join(file);
        let written = std::fs::create_dir_all(&self.dir).and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?
                .write_all(text)
        });
        if let Err(e) = written {
            tracing::warn!(target: "gateway", "{}: {e}", path.display());
        }
    }

    /// One request as API Gateway's metrics would count it.
    pub fn request(&self, route: &str, status: u16, latency_ms: u128) {
        let line = serde_json::json!({
            "at": epoch_ms(),
            "route": if route.is_empty() { "(no route)" } else { route },
            "status": status,
            "latency_ms": latency_ms,
        });
        self.append(REQUESTS, format!("{line}\n").as_bytes());
    }

    /// Writes the EMF lines recorded since the last call.
    pub fn flush(&self) {
        let mut lines = Vec::new();
        if gatehouse::telemetry::metrics::flush_into(&mut lines).is_ok() && !lines.is_empty() {
            self.append(METRICS, &lines);
        }
    }
}

/// Samples and their order statistics.
#[derive(Debug, Default)]
struct Samples(Vec<f64>);

impl Samples {
    fn quantile(&mut self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.sort_by(f64::total_cmp);
        let rank = ((self.0.len() as f64) * q).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1]
    }
}

fn lines_since(path: &Path, since_ms: u128, at: impl Fn(&Value) -> Option<u128>) -> Vec<Value> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|doc| at(doc).is_some_and(|t| t >= since_ms))
        .collect()
}

/// The tables for the last `minutes` of what `dir` holds.
pub fn summary(dir: &Path, minutes: u64) -> String {
    let since = epoch_ms().saturating_sub(u128::from(minutes) * 60_000);
    let mut out = format!(
        "Local gateway, last {minutes} minutes ({})\n\n",
        dir.display()
    );

    let requests = lines_since(&dir.join(REQUESTS), since, |doc| {
        doc["at"].as_u64().map(u128::from)
    });
    let mut routes: BTreeMap<String, (Samples, usize, usize)> = BTreeMap::new();
    for doc in &requests {
        let entry = routes
            .entry(doc["route"].as_str().unwrap_or_default().to_owned())
            .or_default();
        entry
            .0
            .0
            .push(doc["latency_ms"].as_f64().unwrap_or_default());
        match doc["status"].as_u64().unwrap_or_default() {
            400..=499 => entry.1 += 1,
            500.. => entry.2 += 1,
            _ => {}
        }
    }
    out.push_str(&format!(
        "{:<58} {:>6} {:>8} {:>8} {:>5} {:>5}\n",
        "route", "count", "p50 ms", "p99 ms", "4xx", "5xx"
    ));
    for (route, (mut times, client, server)) in routes {
        let count = times.0.len();
        out.push_str(&format!(
            "{route:<58} {count:>6} {:>8.1} {:>8.1} {client:>5} {server:>5}\n",
            times.quantile(0.5),
            times.quantile(0.99)
        ));
    }
    if requests.is_empty() {
        out.push_str("(no requests)\n");
    }

    let metrics = lines_since(&dir.join(METRICS), since, |doc| {
        doc["_aws"]["Timestamp"].as_u64().map(u128::from)
    });
    // (metric, "Dim=value ...") -> unit, total, samples
    let mut seen: BTreeMap<(String, String), (String, f64, Samples)> = BTreeMap::new();
    for doc in &metrics {
        for directive in doc["_aws"]["CloudWatchMetrics"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let dimensions: Vec<String> = directive["Dimensions"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|set| set.as_array().into_iter().flatten())
                .filter_map(Value::as_str)
                .filter(|d| *d != gatehouse::telemetry::metrics::FUNCTION)
                .map(|d| format!("{d}={}", doc[d].as_str().unwrap_or_default()))
                .collect();
            for metric in directive["Metrics"].as_array().into_iter().flatten() {
                let name = metric["Name"].as_str().unwrap_or_default().to_owned();
                let unit = metric["Unit"].as_str().unwrap_or("None").to_owned();
                let entry = seen
                    .entry((name.clone(), dimensions.join(" ")))
                    .or_insert_with(|| (unit, 0.0, Samples::default()));
                let values: Vec<f64> = match &doc[name.as_str()] {
                    Value::Array(values) => values.iter().filter_map(Value::as_f64).collect(),
                    value => value.as_f64().into_iter().collect(),
                };
                entry.1 += values.iter().sum::<f64>();
                entry.2.0.extend(values);
            }
        }
    }
    out.push_str(&format!(
        "\n{:<24} {:<42} {:>10} {:>10} {:>10}\n",
        "metric (EMF)", "dimensions", "count/sum", "p50", "p99"
    ));
    for ((name, dimensions), (unit, total, mut samples)) in seen {
        if unit == "Milliseconds" {
            let count = samples.0.len();
            out.push_str(&format!(
                "{name:<24} {dimensions:<42} {count:>10} {:>8.2}ms {:>8.2}ms\n",
                samples.quantile(0.5),
                samples.quantile(0.99)
            ));
        } else {
            out.push_str(&format!("{name:<24} {dimensions:<42} {total:>10}\n"));
        }
    }
    if metrics.is_empty() {
        out.push_str("(no metrics)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_routes_and_emf_lines_of_the_window() {
        let dir = std::env::temp_dir().join(format!("gatehouse-metrics-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let local = LocalMetrics::new(&dir);
        local.request("GET /v2/api-keys", 200, 12);
        local.request("GET /v2/api-keys", 503, 40);
        let now = epoch_ms();
        let emf = serde_json::json!({
            "_aws": {"Timestamp": now as u64, "CloudWatchMetrics": [{
                "Namespace": "Gatehouse", "Dimensions": [["Function", "Outcome"]],
                "Metrics": [{"Name": "WebhookAttempts", "Unit": "Count"}]}]},
            "Function": "local-gateway", "Outcome": "delivered", "WebhookAttempts": 3
        });
        let old = serde_json::json!({
            "_aws": {"Timestamp": 1_000, "CloudWatchMetrics": [{
                "Namespace": "Gatehouse", "Dimensions": [["Function"]],
                "Metrics": [{"Name": "SiemLag", "Unit": "Milliseconds"}]}]},
            "Function": "local-gateway", "SiemLag": [5.0]
        });
        local.append(METRICS, format!("{emf}\n{old}\n").as_bytes());
        let table = summary(&dir, 5);
        let route = table
            .lines()
            .find(|l| l.starts_with("GET /v2/api-keys"))
            .unwrap();
        let cells: Vec<&str> = route.split_whitespace().collect();
        assert_eq!(cells[2..], ["2", "12.0", "40.0", "0", "1"]);
        assert!(table.contains("Outcome=delivered"), "{table}");
        assert!(!table.contains("SiemLag"), "outside the window: {table}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
