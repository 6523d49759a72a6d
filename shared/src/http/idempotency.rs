//! `Idempotency-Key` on POST routes: a repeated request with the same key and body gets
//! the first response again instead of creating a second object.
//!
//! Stored in the ephemeral table for 24 hours, per tenant and calling key. What a
//! response shows only once is never stored: full API keys (`key`), webhook signing
//! secrets (`secret`) and issued credentials (`credentials`). A replay returns the same
//! answer with those fields null and the header `Idempotent-Replayed: true`.

use super::problem::{Problem, ProblemType};
use crate::ids::{KeyId, TenantId};
use crate::store::IdempotencyRecords;
use crate::store::idempotency::{Claimed, ClaimedRecord, StoredResponse};
use lambda_http::{Body, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// What the records say about a request carrying an idempotency key.
pub enum Claim {
    /// First time: run the request, then [`complete`] it.
    New(ClaimedRecord),
    /// Seen before and finished: send this response again.
    Replay(Response<Body>),
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

/// Claims `key` for this request: a new claim, the first response again, or the
/// problem of a key in use or used for another request.
pub async fn claim(
    records: &IdempotencyRecords,
    tenant: &TenantId,
    caller: &KeyId,
    key: &str,
    fingerprint: &str,
    now: OffsetDateTime,
) -> Result<Claim, Problem> {
    match records.claim(tenant, caller, key, fingerprint, now).await? {
        Claimed::New(claimed) => Ok(Claim::New(claimed)),
        Claimed::Completed(stored) => {
            let mut response = Response::builder()
                .status(stored.status)
                .header("content-type", stored.content_type)
                .header("cache-control", "no-store")
                .header(REPLAYED_HEADER, "true");
            if let Some(location) = stored.location {
                response = response.header("location", location);
            }
            let replay = response
                .body(Body::from(stored.body))
                .map_err(|e| Problem::internal(&e))?;
            Ok(Claim::Replay(replay))
        }
        Claimed::OtherRequest => Err(Problem::new(
            ProblemType::IdempotencyKeyReused,
            "this `Idempotency-Key` was used for a different request; use a new key",
        )),
        Claimed::InProgress => Err(Problem::new(
            ProblemType::Conflict,
            "a request with this `Idempotency-Key` is still in progress; retry shortly",
        )),
        Claimed::Released => Err(Problem::new(
            ProblemType::Conflict,
            "the idempotency key is being released; retry",
        )),
    }
}

/// Records a successful response for replays, with any full API key removed. Any
/// other outcome releases the key, so a retry runs the request again (a refusal
/// caused by a passing state, such as a concurrent change, is not frozen for 24 h).
pub async fn complete(
    records: &IdempotencyRecords,
    claimed: ClaimedRecord,
    response: &Response<Body>,
) {
    let result = if !response.status().is_success() {
        records.release(claimed).await
    } else {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let stored = StoredResponse {
            status: response.status().as_u16(),
            content_type: header("content-type").unwrap_or_else(|| "application/json".into()),
            location: header("location"),
            body: match response.body() {
                Body::Text(t) => redact_shown_once(t),
                _ => String::new(),
            },
        };
        records.complete(claimed, &stored).await
    };
    if let Err(e) = result {
        // The record expires by itself; until then a retry gets "in progress".
        tracing::error!(error = %e, "idempotency record not completed");
    }
}

/// Fields whose value a response shows once (at any depth): an API key, a webhook
/// signing secret, a lease's credentials.
const SHOWN_ONCE: &[&str] = &["key", "secret", "credentials"];

/// Replaces every shown-once field of a JSON body with null, before it is stored.
pub fn redact_shown_once(body: &str) -> String {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (name, v) in map.iter_mut() {
                    if SHOWN_ONCE.contains(&name.as_str()) && (v.is_string() || v.is_object()) {
                        *v = Value::Null;
                    } else if name != "secret_ref" {
                        // A credential reference names a secret's field (its `key`);
                        // it holds no secret and replays as it was.
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

#[cfg(test)]
mod tests {
    use super::redact_shown_once;
    use serde_json::{Value, json};

    #[test]
    fn shown_once_fields_are_never_stored() {
        let body = json!({
            "key": "gh_live_secret",
            "new_key": {"key": "gh_live_other", "key_id": "K000000001"},
            "secret": "whsec_abc",
            "credentials": {"username": "u", "password": "p"},
            "auth": {"secret_ref": {"path": "vault/approle", "key": "secret_id"}},
            "items": [{"key": "gh_live_third"}],
            "name": "kept",
        });
        let stored: Value = serde_json::from_str(&redact_shown_once(&body.to_string())).unwrap();
        assert_eq!(
            stored,
            json!({
                "key": null,
                "new_key": {"key": null, "key_id": "K000000001"},
                "secret": null,
                "credentials": null,
                "auth": {"secret_ref": {"path": "vault/approle", "key": "secret_id"}},
                "items": [{"key": null}],
                "name": "kept",
            })
        );
        assert_eq!(redact_shown_once("not json"), "not json");
    }
}
