//! A secret version's value: a JSON object of named fields (`{"username": ...,
//! "password": ...}`), as Vault KV v2 stores it. Its `Debug` never shows the values.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The largest value, as compact JSON: what one Secrets Manager version holds
/// (65,536 bytes) less the envelope's nonce and tag (28 bytes). The same on both
/// backends, so a secret can move between them.
pub const MAX_DATA_BYTES: usize = 65_536 - 28;
/// Fields in one value.
pub const MAX_FIELDS: usize = 256;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretData(Map<String, Value>);

impl SecretData {
    /// Checks a value: at least one field, field names 1-256 characters without
    /// control characters, at most [`MAX_FIELDS`] fields and [`MAX_DATA_BYTES`].
    pub fn new(fields: Map<String, Value>) -> Result<Self, super::SecretError> {
        let fail = |why: String| super::SecretError::InvalidData(why);
        if fields.is_empty() {
            return Err(fail("`data` must have at least one field".into()));
        }
        if fields.len() > MAX_FIELDS {
            return Err(fail(format!("`data` has at most {MAX_FIELDS} fields")));
        }
        if let Some(name) = fields
            .keys()
            .find(|k| k.is_empty() || k.chars().count() > 256 || k.chars().any(char::is_control))
        {
            return Err(fail(format!(
                "field name `{}` must be 1-256 characters without control characters",
                name.chars()
                    .filter(|c| !c.is_control())
                    .take(40)
                    .collect::<String>()
            )));
        }
        let data = Self(fields);
        let size = data.to_bytes().len();
        if size > MAX_DATA_BYTES {
            return Err(fail(format!(
                "`data` is {size} bytes as JSON; the limit is {MAX_DATA_BYTES}"
            )));
        }
        Ok(data)
    }

    /// Compact JSON: what is sealed and stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.0).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok().map(Self)
    }

    pub fn fields(&self) -> &Map<String, Value> {
        &self.0
    }

    /// One field as text (a string field as it is, any other as JSON).
    pub fn field(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }
}

impl std::fmt::Debug for SecretData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&String> = self.0.keys().collect();
        write!(f, "SecretData({names:?}: <redacted>)")
    }
}

impl schemars::JsonSchema for SecretData {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SecretData".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "The value: named fields, at most 65,508 bytes as compact JSON.",
            "minProperties": 1,
            "maxProperties": MAX_FIELDS,
            "propertyNames": {"minLength": 1, "maxLength": 256, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"},
        })
    }
}
