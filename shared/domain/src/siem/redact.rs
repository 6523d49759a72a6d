//! The one place an event is made fit to leave: every encoder takes a [`Redacted`]
//! event, and only [`redact`] makes one. Key material and bearer tokens never leave
//! (a text that holds one has it replaced, whatever the policy); email addresses and
//! IP addresses leave as the destination's policy says.

use super::event::SecurityEvent;
use crate::keys::ApiKey;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// What a destination receives of email addresses.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "SiemEmailPolicy")]
pub enum EmailPolicy {
    /// As audited.
    #[default]
    Keep,
    /// The first character of the local part and the domain: `j***@example.com`.
    Mask,
    /// `[email]`.
    Drop,
}

/// What a destination receives of IP addresses.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "SiemIpPolicy")]
pub enum IpPolicy {
    #[default]
    Keep,
    /// The network only: IPv4 /24, IPv6 /48.
    Truncate,
    /// Left out.
    Drop,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[schemars(rename = "SiemRedactionRequest")]
pub struct Redaction {
    #[serde(default)]
    pub emails: EmailPolicy,
    #[serde(default)]
    pub ips: IpPolicy,
}

/// An event that has been through [`redact`]: what encoders accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted(SecurityEvent);

impl Redacted {
    pub fn event(&self) -> &SecurityEvent {
        &self.0
    }
}

impl std::ops::Deref for Redacted {
    type Target = SecurityEvent;
    fn deref(&self) -> &SecurityEvent {
        &self.0
    }
}

pub const KEY_REDACTED: &str = "[redacted key]";
pub const TOKEN_REDACTED: &str = "[redacted token]";
pub const EMAIL_DROPPED: &str = "[email]";

/// The event with secrets removed from every text and PII treated per `policy`.
pub fn redact(mut event: SecurityEvent, policy: &Redaction) -> Redacted {
    let text = |value: &mut String| *value = redact_text(value, policy);
    let optional = |value: &mut Option<String>| {
        if let Some(v) = value.as_mut() {
            *v = redact_text(v, policy);
        }
    };
    text(&mut event.actor);
    text(&mut event.message);
    optional(&mut event.detail);
    optional(&mut event.user_agent);
    optional(&mut event.target_id);
    optional(&mut event.route);
    event.source_ip = match policy.ips {
        IpPolicy::Keep => event.source_ip,
        IpPolicy::Drop => None,
        IpPolicy::Truncate => event.source_ip.as_deref().and_then(truncate_ip),
    };
    Redacted(event)
}

/// One text with key material and tokens replaced, and emails per `policy`. Words are
/// runs of characters that can appear in a key, token or address.
pub fn redact_text(value: &str, policy: &Redaction) -> String {
    let mut out = String::with_capacity(value.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            out.push_str(&redact_word(word, policy));
            word.clear();
        }
    };
    for c in value.chars() {
        if c.is_ascii_alphanumeric() || "_-.@+=/~%".contains(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn redact_word(word: &str, policy: &Redaction) -> String {
    // Trailing sentence punctuation is not part of what it ends.
    let core = word.trim_end_matches(['.', ',']);
    let tail = &word[core.len()..];
    if ApiKey::parse(core).is_ok() || looks_like_key(core) {
        return format!("{KEY_REDACTED}{tail}");
    }
    if looks_like_jwt(core) {
        return format!("{TOKEN_REDACTED}{tail}");
    }
    if let Some((local, domain)) = email(core) {
        return match policy.emails {
            EmailPolicy::Keep => word.to_owned(),
            EmailPolicy::Drop => format!("{EMAIL_DROPPED}{tail}"),
            EmailPolicy::Mask => {
                let first = local.chars().next().unwrap_or('*');
                format!("{first}***@{domain}{tail}")
            }
        };
    }
    word.to_owned()
}

/// A Gatehouse-shaped key whose checksum does not match (mistyped, truncated by a
/// log line) is still key material.
fn looks_like_key(word: &str) -> bool {
    let mut parts = word.splitn(3, '_');
    let (Some(prefix), Some(env), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    (2..=10).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && (env == "live" || env == "test")
        && body.len() >= 40
        && body.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Three base64url segments, the first a JSON header (`eyJ`): a JWT (sessions,
/// ID tokens).
fn looks_like_jwt(word: &str) -> bool {
    let segments: Vec<&str> = word.split('.').collect();
    segments.len() == 3
        && segments[0].starts_with("eyJ")
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn email(word: &str) -> Option<(&str, &str)> {
    let (local, domain) = word.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.contains('@');
    ok.then_some((local, domain))
}

fn truncate_ip(ip: &str) -> Option<String> {
    match ip.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(format!("{a}.{b}.{c}.0"))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0).to_string())
        }
    }
}
