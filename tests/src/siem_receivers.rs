//! Protocol-accurate stand-ins for the SIEM sinks no test can install here: a Splunk
//! HTTP Event Collector and an Elasticsearch `_bulk` endpoint, on loopback, answering
//! as the real ones do (HEC's JSON `{text, code}` answers, its status codes and
//! `invalid-event-number`, acknowledgement ids and `/services/collector/ack`, its
//! health endpoint and 503 "Server is busy"; bulk's per-item results with
//! `errors: true`, 409 on an existing `_id`, 429 and 503 items). Tests script
//! failures and read back what was accepted.

use crate::stub_server::{Response, reply, serve};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// What the HEC receiver does with the next event request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HecPlan {
    Accept,
    /// 503, code 9, "Server is busy" (the health endpoint says so too).
    Busy,
    /// 400, code 6, "Invalid data format", naming this event of the request.
    InvalidEvent(usize),
    /// Accept, but never acknowledge (acknowledgement on).
    AcceptWithoutAck,
}

#[derive(Default)]
struct HecState {
    token: String,
    acknowledgements: bool,
    plans: VecDeque<HecPlan>,
    /// Accepted events (the `event` objects), in order.
    events: Vec<Value>,
    /// Every request's `fields`, as received.
    requests: usize,
    next_ack: u64,
    /// Ack id -> acknowledged yet.
    acks: BTreeMap<u64, bool>,
    channels: Vec<String>,
    busy: bool,
}

pub struct HecReceiver {
    pub port: u16,
    state: Arc<Mutex<HecState>>,
}

impl HecReceiver {
    /// A collector accepting `token`; with `acknowledgements`, every request needs a
    /// channel and gets an `ackId`, acknowledged when the sender polls once.
    pub async fn start(token: &str, acknowledgements: bool) -> Self {
        let state = Arc::new(Mutex::new(HecState {
            token: token.to_owned(),
            acknowledgements,
            ..HecState::default()
        }));
        let serving = Arc::clone(&state);
        let port = serve(move |method, uri, headers, body| {
            let state = Arc::clone(&serving);
            async move { hec(&state, method, &uri, &headers, &body) }
        })
        .await;
        Self { port, state }
    }

    /// The next requests' plans, in order; after them, requests are accepted.
    pub fn plan(&self, plans: &[HecPlan]) {
        self.state
            .lock()
            .unwrap()
            .plans
            .extend(plans.iter().copied());
    }

    /// Busy (503) until [`HecReceiver::recover`].
    pub fn go_busy(&self) {
        self.state.lock().unwrap().busy = true;
    }

    pub fn recover(&self) {
        self.state.lock().unwrap().busy = false;
    }

    pub fn events(&self) -> Vec<Value> {
        self.state.lock().unwrap().events.clone()
    }

    pub fn requests(&self) -> usize {
        self.state.lock().unwrap().requests
    }

    pub fn channels(&self) -> Vec<String> {
        self.state.lock().unwrap().channels.clone()
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn hec_answer(status: u16, code: u32, text: &str) -> Response {
    reply(status, &json!({"text": text, "code": code}))
}

fn hec(
    state: &Mutex<HecState>,
    method: http::Method,
    uri: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Response {
    let mut s = state.lock().unwrap();
    let path = uri.split('?').next().unwrap_or_default();
    if method == http::Method::GET && path == "/services/collector/health" {
        return if s.busy {
            hec_answer(503, 9, "Server is busy")
        } else {
            hec_answer(200, 17, "HEC is healthy")
        };
    }
    let authorized = match header(headers, "authorization") {
        None => return hec_answer(401, 2, "Token is required"),
        Some(value) => match value.strip_prefix("Splunk ") {
            None => return hec_answer(401, 3, "Invalid authorization"),
            Some(token) => token == s.token,
        },
    };
    if !authorized {
        return hec_answer(403, 4, "Invalid token");
    }
    let channel = header(headers, "x-splunk-request-channel").map(str::to_owned);
    if path == "/services/collector/ack" {
        if !s.acknowledgements {
            return hec_answer(400, 14, "ACK is disabled");
        }
        let asked: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let mut acks = serde_json::Map::new();
        for id in asked["acks"].as_array().cloned().unwrap_or_default() {
            let id = id.as_u64().unwrap_or(u64::MAX);
            let done = s.acks.get(&id).copied().unwrap_or(false);
            acks.insert(id.to_string(), json!(done));
        }
        return reply(200, &json!({ "acks": acks }));
    }
    if path != "/services/collector/event" || method != http::Method::POST {
        return hec_answer(404, 404, "The requested URL was not found on this server.");
    }
    s.requests += 1;
    if s.acknowledgements && channel.is_none() {
        return hec_answer(400, 10, "Data channel is missing");
    }
    if let Some(c) = &channel
        && !s.channels.contains(c)
    {
        s.channels.push(c.clone());
    }
    if s.busy {
        return hec_answer(503, 9, "Server is busy");
    }
    let plan = s.plans.pop_front().unwrap_or(HecPlan::Accept);
    if plan == HecPlan::Busy {
        return hec_answer(503, 9, "Server is busy");
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return hec_answer(400, 5, "No data");
    }
    let mut events = Vec::new();
    for (n, parsed) in serde_json::Deserializer::from_slice(body)
        .into_iter::<Value>()
        .enumerate()
    {
        let invalid = |code: u32, text: &str| {
            reply(
                400,
                &json!({"text": text, "code": code, "invalid-event-number": n}),
            )
        };
        let Ok(object) = parsed else {
            return invalid(6, "Invalid data format");
        };
        if plan == HecPlan::InvalidEvent(n) {
            // As HEC does: the events before the invalid one are indexed.
            s.events.extend(events);
            return invalid(6, "Invalid data format");
        }
        match object.get("event") {
            None => return invalid(12, "Event field is required"),
            Some(Value::String(text)) if text.is_empty() => {
                return invalid(13, "Event field cannot be blank");
            }
            Some(event) => events.push(event.clone()),
        }
    }
    s.events.extend(events);
    if s.acknowledgements {
        let id = s.next_ack;
        s.next_ack += 1;
        // Acknowledged by the first poll, unless the plan holds it back.
        s.acks.insert(id, false);
        if plan != HecPlan::AcceptWithoutAck {
            s.acks.insert(id, true);
        }
        return reply(200, &json!({"text": "Success", "code": 0, "ackId": id}));
    }
    hec_answer(200, 0, "Success")
}

/// What the bulk receiver does with the next `_bulk` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkPlan {
    Accept,
    /// The whole request answered with this status (429, 503, 401, ...).
    Status(u16),
    /// Per-item statuses by position (201 stores the document as usual).
    Items(Vec<u16>),
}

#[derive(Default)]
struct BulkState {
    plans: VecDeque<BulkPlan>,
    /// Stored documents by index and `_id`.
    documents: BTreeMap<(String, String), Value>,
    requests: usize,
}

pub struct BulkReceiver {
    pub port: u16,
    state: Arc<Mutex<BulkState>>,
}

impl BulkReceiver {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(BulkState::default()));
        let serving = Arc::clone(&state);
        let port = serve(move |method, uri, headers, body| {
            let state = Arc::clone(&serving);
            async move { bulk(&state, method, &uri, &headers, &body) }
        })
        .await;
        Self { port, state }
    }

    pub fn plan(&self, plans: Vec<BulkPlan>) {
        self.state.lock().unwrap().plans.extend(plans);
    }

    /// Stored documents: (index, `_id`) -> document.
    pub fn documents(&self) -> BTreeMap<(String, String), Value> {
        self.state.lock().unwrap().documents.clone()
    }

    pub fn requests(&self) -> usize {
        self.state.lock().unwrap().requests
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn es_error(kind: &str, reason: &str) -> Value {
    json!({"type": kind, "reason": reason})
}

fn bulk(
    state: &Mutex<BulkState>,
    method: http::Method,
    uri: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Response {
    let mut s = state.lock().unwrap();
    if method != http::Method::POST || uri.split('?').next() != Some("/_bulk") {
        return reply(
            404,
            &json!({"error": es_error("no_handler_found_exception", "no handler"), "status": 404}),
        );
    }
    s.requests += 1;
    if header(headers, "content-type") != Some("application/x-ndjson") {
        return reply(
            406,
            &json!({"error": "Content-Type header [text/plain] is not supported", "status": 406}),
        );
    }
    let plan = s.plans.pop_front().unwrap_or(BulkPlan::Accept);
    if let BulkPlan::Status(status) = plan {
        let kind = match status {
            429 => "es_rejected_execution_exception",
            401 => "security_exception",
            _ => "unavailable_shards_exception",
        };
        return reply(
            status,
            &json!({"error": {"root_cause": [es_error(kind, "planned")], "type": kind, "reason": "planned"}, "status": status}),
        );
    }
    let text = String::from_utf8_lossy(body);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if !lines.len().is_multiple_of(2) {
        return reply(
            400,
            &json!({"error": {"type": "illegal_argument_exception", "reason": "The bulk request must be terminated by a newline [\\n]"}, "status": 400}),
        );
    }
    let mut items = Vec::new();
    let mut errors = false;
    for (n, pair) in lines.chunks(2).enumerate() {
        let action: Value = serde_json::from_str(pair[0]).unwrap_or(Value::Null);
        let create = &action["create"];
        let index = create["_index"].as_str().unwrap_or_default().to_owned();
        let id = create["_id"].as_str().unwrap_or_default().to_owned();
        let planned = match &plan {
            BulkPlan::Items(statuses) => statuses.get(n).copied().unwrap_or(201),
            _ => 201,
        };
        let document: Result<Value, _> = serde_json::from_str(pair[1]);
        let (status, error) = match (planned, document) {
            (201, Ok(doc)) => match s.documents.entry((index.clone(), id.clone())) {
                std::collections::btree_map::Entry::Occupied(_) => (
                    409,
                    Some(es_error(
                        "version_conflict_engine_exception",
                        &format!("[{id}]: version conflict, document already exists"),
                    )),
                ),
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(doc);
                    (201, None)
                }
            },
            (201, Err(_)) => (
                400,
                Some(es_error("document_parsing_exception", "failed to parse")),
            ),
            (409, _) => (
                409,
                Some(es_error(
                    "version_conflict_engine_exception",
                    "document already exists",
                )),
            ),
            (429, _) => (
                429,
                Some(es_error(
                    "es_rejected_execution_exception",
                    "rejected execution of coordinating operation",
                )),
            ),
            (400, _) => (
                400,
                Some(es_error(
                    "document_parsing_exception",
                    "[1:2] failed to parse field [source.ip] of type [ip]",
                )),
            ),
            (status, _) => (
                status,
                Some(es_error(
                    "unavailable_shards_exception",
                    "primary shard is not active",
                )),
            ),
        };
        let mut result = json!({"_index": index, "_id": id, "status": status});
        match error {
            Some(e) => {
                errors = true;
                result["error"] = e;
            }
            None => {
                result["result"] = json!("created");
                result["_version"] = json!(1);
            }
        }
        items.push(json!({ "create": result }));
    }
    reply(200, &json!({"took": 3, "errors": errors, "items": items}))
}
