//! Tenant-defined scopes, documented like the built-in ones.

use super::catalogue;
use super::scope::Scope;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A tenant may define at most this many scopes.
pub const MAX_CUSTOM_SCOPES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CustomScope {
    pub name: Scope,
    pub description: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: String,
}

/// Checks a new custom scope's name: `resource:action`, no wildcards, and a resource
/// that Gatehouse does not reserve for itself.
pub fn check_new_name(name: &str) -> Result<Scope, String> {
    let scope = Scope::parse(name).map_err(|e| e.to_string())?;
    let Some((resource, action)) = scope.as_str().split_once(':') else {
        return Err("`admin` is built in; custom scopes are `resource:action`".into());
    };
    if resource == "*" || action == "*" {
        return Err(format!(
            "custom scope `{name}`: wildcards cannot be defined, only held"
        ));
    }
    if catalogue::is_reserved_resource(resource) {
        return Err(format!(
            "custom scope `{name}`: the resource `{resource}` is reserved for Gatehouse's own scopes"
        ));
    }
    Ok(scope)
}

pub fn check_description(text: &str) -> Result<String, String> {
    let text = text.trim();
    let count = text.chars().count();
    if count == 0 || count > 500 {
        return Err("`description` must be 1-500 characters".into());
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err("`description` must not contain control characters".into());
    }
    Ok(text.to_owned())
}

/// A new custom scope's name as [`check_new_name`] accepts it, for the document:
/// `resource:action` without wildcards, on a resource Gatehouse does not reserve.
pub struct NewScopeName;

impl schemars::JsonSchema for NewScopeName {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "NewScopeName".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut reserved: Vec<&str> = catalogue::BUILTIN_SCOPES
            .iter()
            .filter_map(|s| s.name.split_once(':').map(|(resource, _)| resource))
            .collect();
        reserved.dedup();
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[a-z][a-z0-9_-]{0,31}:[a-z][a-z0-9_-]{0,31}$",
            "not": {"pattern": format!("^({}):", reserved.join("|"))},
        })
    }
}
