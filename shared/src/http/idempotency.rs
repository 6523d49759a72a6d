//! `Idempotency-Key` on POST routes: a repeated request with the same key and body gets
//! the first response again instead of creating a second object.
//!
//! Stored in the ephemeral table for 24 hours, per tenant and calling key. The full API
//! key in a creation response is never stored: a replay returns the same metadata with
//! `"key": null` and the header `Idempotent-Replayed: true`.

use super::problem::{Problem, ProblemType};
use crate::ids::{KeyId, TenantId};
use crate::store::item::{self, Reader};
use crate::store::{StoreError, is_condition_failure};
use aws_sdk_dynamodb::Client;
use lambda_http::{Body, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
const RETENTION: Duration = Duration::hours(24);

#[derive(Debug, Clone)]
pub struct IdempotencyStore {
    client: Client,
    table: String,
}

/// What the store says about a request carrying an idempotency key.
pub enum Claim {
    /// First time: run the request, then [`IdempotencyStore::complete`] it.
    New(ClaimedKey),
    /// Seen before and finished: send this response again.
    Replay(Response<Body>),
}

pub struct ClaimedKey {
    pk: String,
}

/// A request fingerprint: method, path and body, so a key reused for a different
/// request is refused rather than answered with the wrong response.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), body] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Idempotency keys are client-chosen: 1-255 visible ASCII characters.
pub fn parse_key(value: &str) -> Result<&str, Problem> {
    if (1..=255).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(value)
    } else {
        Err(Problem::invalid_parameter(
            "`Idempotency-Key` must be 1-255 visible ASCII characters",
        ))
    }
}

impl IdempotencyStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub async fn claim(
        &self,
        tenant: &TenantId,
        caller: &KeyId,
        key: &str,
        fingerprint: &str,
        now: OffsetDateTime,
    ) -> Result<Claim, Problem> {
        let pk = format!("IDEMPOTENCY#{tenant}#{caller}#{key}");
        let claimed = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", item::s(&pk))
            .item("state", item::s("in_progress"))
            .item("fingerprint", item::s(fingerprint))
            .item("expires_at", item::time(now + RETENTION))
            // An expired record that TTL has not swept yet counts as absent.
            .condition_expression("attribute_not_exists(pk) OR expires_at < :now")
            .expression_attribute_values(":now", item::time(now))
            .send()
            .await;
        match claimed {
            Ok(_) => return Ok(Claim::New(ClaimedKey { pk })),
            Err(e) if !is_condition_failure(&e) => return Err(StoreError::from_sdk(e).into()),
            Err(_) => {}
        }
        let existing = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", item::s(&pk))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?
            .item
            .ok_or_else(|| {
                Problem::new(
                    ProblemType::Conflict,
                    "the idempotency key is being released; retry",
                )
            })?;
        let r = Reader::new(&existing);
        if r.str("fingerprint")? != fingerprint {
            return Err(Problem::new(
                ProblemType::IdempotencyKeyReused,
                "this `Idempotency-Key` was used for a different request; use a new key",
            ));
        }
        if r.str("state")? != "completed" {
            return Err(Problem::new(
                ProblemType::Conflict,
                "a request with this `Idempotency-Key` is still in progress; retry shortly",
            ));
        }
        let status = r.number("status")?.unwrap_or(200) as u16;
        let mut response = Response::builder()
            .status(status)
            .header("content-type", r.str("content_type")?)
            .header("cache-control", "no-store")
            .header(REPLAYED_HEADER, "true");
        if let Some(location) = r.opt_str("location")? {
            response = response.header("location", location);
        }
        let body = r.str("body")?.to_owned();
        Ok(Claim::Replay(
            response
                .body(Body::from(body))
                .map_err(|e| Problem::internal(&e))?,
        ))
    }

    /// Records a successful response for replays, with any full API key removed. Any
    /// other outcome releases the key, so a retry runs the request again (a refusal
    /// caused by a passing state, such as a concurrent change, is not frozen for 24 h).
    pub async fn complete(&self, claimed: ClaimedKey, response: &Response<Body>) {
        let result = if !response.status().is_success() {
            self.client
                .delete_item()
                .table_name(&self.table)
                .key("pk", item::s(&claimed.pk))
                .send()
                .await
                .map(|_| ())
                .map_err(StoreError::from_sdk)
        } else {
            let body = match response.body() {
                Body::Text(t) => redact_keys(t),
                _ => String::new(),
            };
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let mut update = item::from_pairs([
                ("state", item::s("completed")),
                ("status", item::n(i64::from(response.status().as_u16()))),
                ("body", item::s(body)),
                (
                    "content_type",
                    item::s(header("content-type").unwrap_or_else(|| "application/json".into())),
                ),
            ]);
            if let Some(location) = header("location") {
                update.insert("location".into(), item::s(location));
            }
            let mut request = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", item::s(&claimed.pk));
            let mut expression = Vec::new();
            for (i, (name, value)) in update.into_iter().enumerate() {
                expression.push(format!("#f{i} = :v{i}"));
                request = request
                    .expression_attribute_names(format!("#f{i}"), name)
                    .expression_attribute_values(format!(":v{i}"), value);
            }
            request
                .update_expression(format!("SET {}", expression.join(", ")))
                .send()
                .await
                .map(|_| ())
                .map_err(StoreError::from_sdk)
        };
        if let Err(e) = result {
            // The record expires by itself; until then a retry gets "in progress".
            tracing::error!(error = %e, "idempotency record not completed");
        }
    }
}

/// Replaces every `"key"` string in a JSON body with null: full API keys are shown once.
pub fn redact_keys(body: &str) -> String {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (name, v) in map.iter_mut() {
                    if name == "key" && v.is_string() {
                        *v = Value::Null;
                    } else {
                        walk(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    match serde_json::from_str::<Value>(body) {
        Ok(mut json) => {
            walk(&mut json);
            json.to_string()
        }
        Err(_) => body.to_owned(),
    }
}
