//! JSON request bodies and responses.

use super::problem::{Problem, ProblemType};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Largest request body any management route accepts.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Decodes a JSON body into `T` (whose serde attributes should deny unknown fields).
/// Every failure is a 4xx problem that says what is wrong, never the body itself.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, Problem> {
    json_body_up_to(req, MAX_BODY_BYTES)
}

/// [`json_body`] for a route that takes larger bodies (a secret's value).
pub fn json_body_up_to<T: DeserializeOwned>(req: &Request, limit: usize) -> Result<T, Problem> {
    let bytes = raw_body_up_to(req, limit)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::invalid_body("a JSON object body is required"));
    }
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !is_json_media_type(content_type) {
        return Err(Problem::new(
            ProblemType::UnsupportedMediaType,
            "send the body with `Content-Type: application/json`",
        ));
    }
    // serde would also read a struct from a JSON array (`[60]`); only objects are bodies.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Problem::invalid_body("the body must be a JSON object"));
    }
    match serde_json::from_slice(bytes) {
        Ok(body) => Ok(body),
        Err(e) => match integral_retry(bytes) {
            Some(body) => Ok(body),
            None => Err(Problem::invalid_body(describe_json_error(&e))),
        },
    }
}

/// The body's bytes as sent (what a signature covers), refused above `limit`.
pub fn raw_body_up_to(req: &Request, limit: usize) -> Result<&[u8], Problem> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > limit {
        return Err(Problem::new(
            ProblemType::PayloadTooLarge,
            format!("the body is {} bytes; the limit is {limit}", bytes.len()),
        ));
    }
    Ok(bytes)
}

/// JSON Schema counts a number with a zero fraction (`944.0`) as an integer, so the
/// documented `integer` fields accept it: the body again, with such numbers read as
/// integers. `None` if it has none, or still does not fit.
fn integral_retry<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if !integralise(&mut value) {
        return None;
    }
    serde_json::from_value(value).ok()
}

/// Rewrites integral floats as integers; whether any was rewritten.
fn integralise(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0) else {
                return false;
            };
            // Within ±2^53 a float is an exact integer.
            if f.abs() > 9_007_199_254_740_992.0 {
                return false;
            }
            #[allow(clippy::cast_possible_truncation)]
            let int = f as i64;
            *value = Value::from(int);
            true
        }
        Value::Array(items) => items.iter_mut().fold(false, |any, v| integralise(v) | any),
        Value::Object(fields) => fields
            .values_mut()
            .fold(false, |any, v| integralise(v) | any),
        _ => false,
    }
}

fn is_json_media_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn describe_json_error(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof => {
            format!(
                "the body is not valid JSON (line {}, column {})",
                err.line(),
                err.column()
            )
        }
        // serde's messages name the field and the expected type without echoing values
        // longer than a token, e.g. "unknown field `nmae`, expected one of ...".
        Category::Data | Category::Io => format!("the body does not match the schema: {err}"),
    }
}

/// A listing's body: `{"items": [...]}`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "{T}List")]
pub struct Items<T: Serialize> {
    pub items: Vec<T>,
}

pub fn json_response<T: Serialize>(status: u16, value: &T) -> Response<Body> {
    match serde_json::to_string(value) {
        Ok(body) => Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("cache-control", "no-store")
            .body(Body::from(body))
            .unwrap_or_else(|_| Response::new(Body::Empty)),
        Err(e) => Problem::internal(&e).into_response(),
    }
}

#[cfg(test)]
#[path = "tests/body.rs"]
mod tests;

/// For `#[serde(default, deserialize_with = "present")]` on an `Option<Option<T>>`
/// field of a change request: tells an absent field (`None`, unchanged) from an
/// explicit `null` (`Some(None)`, cleared).
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}
