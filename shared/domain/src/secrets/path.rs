//! A secret's path within a tenant: `team/app/db`. Segments of letters, digits and
//! `- _ . @ + =`, joined by `/`; no empty, `.` or `..` segment, at most 512
//! characters. Both backends see the same names, and no path can climb out of the
//! tenant's space on either.

use serde::{Deserialize, Serialize};
use std::fmt;

pub const MAX_PATH_CHARS: usize = 512;
/// [`SecretPath::parse`]'s rule, for the document.
pub const PATH_PATTERN: &str =
    "^[A-Za-z0-9_@+=-][A-Za-z0-9._@+=-]*(/[A-Za-z0-9_@+=-][A-Za-z0-9._@+=-]*)*$";

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SecretPath(String);

impl SecretPath {
    pub fn parse(text: &str) -> Result<Self, super::SecretError> {
        let fail = |why: &str| super::SecretError::InvalidPath(format!("secret path: {why}"));
        if text.is_empty() || text.chars().count() > MAX_PATH_CHARS {
            return Err(fail(&format!("1-{MAX_PATH_CHARS} characters")));
        }
        for segment in text.split('/') {
            if segment.is_empty() {
                return Err(fail("no empty segments (leading, trailing or doubled `/`)"));
            }
            if segment == "." || segment == ".." {
                return Err(fail("no `.` or `..` segments"));
            }
            if segment.starts_with('.') {
                return Err(fail("a segment must not start with `.`"));
            }
            let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.@+=".contains(c);
            if !segment.chars().all(allowed) {
                return Err(fail(
                    "segments are letters, digits and `- _ . @ + =`, joined by `/`",
                ));
            }
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this path lies under `prefix` (`a/b` is under `a`, `a/bc` is not).
    pub fn is_under(&self, prefix: &str) -> bool {
        prefix.is_empty()
            || self.0 == prefix
            || self
                .0
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

impl TryFrom<String> for SecretPath {
    type Error = super::SecretError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SecretPath> for String {
    fn from(path: SecretPath) -> String {
        path.0
    }
}

impl fmt::Display for SecretPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SecretPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretPath({})", self.0)
    }
}

crate::inline_string_schema!(SecretPath, "SecretPath", {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_PATH_CHARS,
    "pattern": PATH_PATTERN,
});
