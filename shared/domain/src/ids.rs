//! Identifiers: newtypes so a tenant id can't be passed where a key id is expected.
//!
//! Both are fixed-width base62 strings drawn from the OS CSPRNG, because they are
//! embedded in API keys at fixed offsets (see `keys::format`).

use crate::keys::base62;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Width of tenant ids and key ids, in base62 characters (about 59.5 random bits).
pub const ID_LEN: usize = 10;
/// [`ID_LEN`] base62 characters, as a JSON Schema pattern.
pub const ID_PATTERN: &str = "^[0-9A-Za-z]{10}$";

macro_rules! base62_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// A fresh random id from the OS CSPRNG.
            pub fn generate() -> Result<Self, getrandom::Error> {
                Ok(Self(base62::random_string(ID_LEN)?))
            }

            pub fn parse(value: &str) -> Result<Self, InvalidId> {
                if value.len() == ID_LEN && base62::is_base62(value) {
                    Ok(Self(value.to_owned()))
                } else {
                    Err(InvalidId { what: $what })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(value: String) -> Result<Self, InvalidId> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({"type": "string", "pattern": ID_PATTERN})
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

base62_id!(
    /// The tenant that owns an object. Only ever taken from the authorizer's verified
    /// context or from an operator tool, never from a request body.
    TenantId,
    "tenant id"
);
base62_id!(
    /// An API key's id, unique within its tenant and embedded in the key itself.
    KeyId,
    "key id"
);

base62_id!(
    /// A webhook endpoint's id, unique within its tenant.
    WebhookId,
    "webhook id"
);

base62_id!(
    /// A tenant integration's id (a Vault secret store; later SSO connections and SIEM
    /// destinations), unique within its tenant.
    IntegrationId,
    "integration id"
);

base62_id!(
    /// A dynamic secret's lease (credentials issued by the tenant's Vault or by STS),
    /// unique within its tenant.
    LeaseId,
    "lease id"
);

base62_id!(
    /// A person known through SSO, unique within its tenant.
    PrincipalId,
    "principal id"
);

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("not a valid {what}: expected {ID_LEN} base62 characters")]
pub struct InvalidId {
    pub what: &'static str,
}

#[cfg(test)]
#[path = "tests/ids.rs"]
mod tests;
