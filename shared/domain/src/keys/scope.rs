//! Scopes: `resource:action` (e.g. `keys:read`), `*` as a wildcard segment, and `admin`,
//! the tenant-wide superset.

use serde::{Deserialize, Serialize};
use std::fmt;

pub const ADMIN: &str = "admin";
const MAX_SEGMENT: usize = 32;
/// A key carries at most this many scopes; more is a sign of a mistake, and the list is
/// copied into every authorizer context.
pub const MAX_SCOPES: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid scope `{scope}`: {problem}")]
pub struct ScopeError {
    pub scope: String,
    pub problem: String,
}

/// One validated scope.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Scope(String);

impl Scope {
    pub fn parse(value: &str) -> Result<Self, ScopeError> {
        let fail = |problem: String| ScopeError {
            scope: value.chars().take(80).collect(),
            problem,
        };
        if value == ADMIN {
            return Ok(Self(value.to_owned()));
        }
        let Some((resource, action)) = value.split_once(':') else {
            return Err(fail("expected `resource:action` or `admin`".into()));
        };
        check_segment(resource).map_err(|why| fail(format!("resource `{resource}` {why}")))?;
        check_segment(action).map_err(|why| fail(format!("action `{action}` {why}")))?;
        Ok(Self(value.to_owned()))
    }

    pub fn admin() -> Self {
        Self(ADMIN.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parts(&self) -> Option<(&str, &str)> {
        self.0.split_once(':')
    }

    /// Whether holding `self` grants `required`.
    pub fn covers(&self, required: &Scope) -> bool {
        if self.0 == ADMIN {
            return true;
        }
        match (self.parts(), required.parts()) {
            (Some((hr, ha)), Some((rr, ra))) => (hr == "*" || hr == rr) && (ha == "*" || ha == ra),
            _ => false,
        }
    }
}

fn check_segment(segment: &str) -> Result<(), String> {
    if segment == "*" {
        return Ok(());
    }
    let valid_chars = segment
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    let starts_with_letter = segment
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase());
    if !(1..=MAX_SEGMENT).contains(&segment.len()) || !valid_chars || !starts_with_letter {
        return Err(format!(
            "must be `*` or 1-{MAX_SEGMENT} lowercase letters, digits, `_` or `-`, starting with a letter"
        ));
    }
    Ok(())
}

impl TryFrom<String> for Scope {
    type Error = ScopeError;
    fn try_from(value: String) -> Result<Self, ScopeError> {
        Self::parse(&value)
    }
}

impl From<Scope> for String {
    fn from(s: Scope) -> String {
        s.0
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scope({})", self.0)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `admin` or `resource:action`, each segment `*` or 1-32 of `[a-z0-9_-]` starting with
/// a letter: [`Scope::parse`]'s rule.
pub const SCOPE_PATTERN: &str = "^(admin|([a-z][a-z0-9_-]{0,31}|\\*):([a-z][a-z0-9_-]{0,31}|\\*))$";

crate::inline_string_schema!(Scope, "Scope", {"type": "string", "pattern": SCOPE_PATTERN});

impl schemars::JsonSchema for ScopeSet {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ScopeSet".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "array",
            "items": generator.subschema_for::<Scope>(),
            "maxItems": MAX_SCOPES,
        })
    }
}

/// A sorted, de-duplicated set of scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Scope>", into = "Vec<Scope>")]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    pub fn new(mut scopes: Vec<Scope>) -> Result<Self, ScopeError> {
        scopes.sort();
        scopes.dedup();
        if scopes.len() > MAX_SCOPES {
            return Err(ScopeError {
                scope: format!("{} scopes", scopes.len()),
                problem: format!("a key can hold at most {MAX_SCOPES} scopes"),
            });
        }
        Ok(Self(scopes))
    }

    /// A set without the per-key limit, for derived sets such as effective scopes.
    pub(crate) fn unbounded(mut scopes: Vec<Scope>) -> Self {
        scopes.sort();
        scopes.dedup();
        Self(scopes)
    }

    /// Parses a space-separated list, the form used in authorizer contexts.
    pub fn parse_space_separated(value: &str) -> Result<Self, ScopeError> {
        Self::new(
            value
                .split_whitespace()
                .map(Scope::parse)
                .collect::<Result<_, _>>()?,
        )
    }

    pub fn to_space_separated(&self) -> String {
        self.0
            .iter()
            .map(Scope::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn allows(&self, required: &Scope) -> bool {
        self.0.iter().any(|held| held.covers(required))
    }

    /// The scopes of `requested` that this set does not grant (empty: no escalation).
    pub fn missing_from<'a>(&self, requested: &'a ScopeSet) -> Vec<&'a Scope> {
        requested.iter().filter(|s| !self.allows(s)).collect()
    }
}

impl TryFrom<Vec<Scope>> for ScopeSet {
    type Error = ScopeError;
    fn try_from(scopes: Vec<Scope>) -> Result<Self, ScopeError> {
        Self::new(scopes)
    }
}

impl From<ScopeSet> for Vec<Scope> {
    fn from(set: ScopeSet) -> Self {
        set.0
    }
}

#[cfg(test)]
#[path = "tests/scope.rs"]
mod tests;
