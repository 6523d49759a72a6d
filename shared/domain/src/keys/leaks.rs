//! Leaked-key reports from secret scanners (GitHub's secret scanning partner format):
//! what a report says, how many one request may carry, and the answer per token.
//!
//! A report is a JSON array of `{token, type, url, source}`. The answer is an array of
//! `{token_hash, token_type, label}`, one per reported token, `label` being
//! `true_positive` (a real Gatehouse key, revoked now if it was still active) or
//! `false_positive`. Tokens are answered by their SHA-256 (`token_hash`, which the
//! partner format accepts in place of `token_raw`) so the answer never carries key
//! material back.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Tokens one request may report; GitHub batches matches, and each real key costs an
/// argon2id verification.
pub const MAX_TOKENS: usize = 100;
/// Longest token read; longer ones cannot be keys and are answered without parsing.
pub const MAX_TOKEN_CHARS: usize = 1_024;
/// Longest `url` or `type` kept; a longer one is cut (it is only recorded).
pub const MAX_TEXT_CHARS: usize = 2_048;

/// One reported token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "LeakedToken")]
pub struct LeakReport {
    /// The matched text.
    #[schemars(length(min = 1, max = 1024))]
    pub token: String,
    /// The scanner's name for the token's pattern.
    #[serde(rename = "type", default)]
    pub token_type: String,
    /// Where the token was found (a public URL).
    #[serde(default)]
    pub url: Option<String>,
    /// What kind of place: `content`, `commit`, `pull_request_description`, `npm`, ...
    #[serde(default)]
    pub source: Option<String>,
}

/// Why a report body cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("the report must be a JSON array of {{token, type, url, source}} objects: {0}")]
    NotReports(String),
    #[error("the report is empty")]
    Empty,
    #[error("a report may carry at most {MAX_TOKENS} tokens")]
    TooMany,
}

/// The reports in a request body.
pub fn parse_reports(body: &[u8]) -> Result<Vec<LeakReport>, ReportError> {
    let mut reports: Vec<LeakReport> =
        serde_json::from_slice(body).map_err(|e| ReportError::NotReports(e.to_string()))?;
    if reports.is_empty() {
        return Err(ReportError::Empty);
    }
    if reports.len() > MAX_TOKENS {
        return Err(ReportError::TooMany);
    }
    for report in &mut reports {
        cut(&mut report.token_type);
        if let Some(url) = &mut report.url {
            cut(url);
        }
        if let Some(source) = &mut report.source {
            cut(source);
        }
    }
    Ok(reports)
}

fn cut(text: &mut String) {
    if text.len() > MAX_TEXT_CHARS {
        let mut end = MAX_TEXT_CHARS;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// A real key: it was revoked now, or already was.
    TruePositive,
    /// Not a key, or not one this deployment issued.
    FalsePositive,
}

/// The answer for one reported token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "LeakVerdict")]
pub struct Verdict {
    /// Lowercase hex SHA-256 of the token.
    pub token_hash: String,
    pub token_type: String,
    pub label: Label,
}

impl Verdict {
    pub fn of(report: &LeakReport, label: Label) -> Self {
        Self {
            token_hash: token_hash(&report.token),
            token_type: report.token_type.clone(),
            label,
        }
    }
}

/// Lowercase hex SHA-256 of a token, as the partner format's `token_hash`.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
#[path = "tests/leaks.rs"]
mod tests;
