//! Encoders against golden files (`golden/`, rewritten with `UPDATE_GOLDEN=1` and then
//! reviewed by hand), with a plain event and a hostile one (pipes, `=`, backslashes,
//! CR/LF, quotes, `]`, NUL, non-ASCII, a 10 KB value), plus parse-backs that hold for
//! any input: what a receiver splits out is what was sent, within the limits.

use super::event::{EventClass, SecurityEvent, Severity, Status};
use super::redact::{EmailPolicy, IpPolicy, Redaction, redact};
use super::syslog::Header;
use super::{cef, ecs, hec, leef, ocsf, syslog};
use crate::audit::{Actor, AuditEvent, Change, Origin, TargetKind};
use crate::ids::{KeyId, TenantId};
use time::macros::datetime;

fn audit(action: &str) -> AuditEvent {
    AuditEvent {
        event_id: "k3Jd8sQ2vX9pL0aB".into(),
        ..AuditEvent::new(
            &TenantId::parse("acme000001").unwrap(),
            action,
            Actor {
                principal: "ops@example.com".into(),
                key_id: Some(KeyId::parse("4fT7wq2LmN").unwrap()),
            },
            Origin {
                source_ip: Some("203.0.113.7".into()),
                user_agent: Some("curl/8.5.0".into()),
                request_id: Some("Rq1ABCdefGHI=".into()),
                route: Some("POST /v2/api-keys".into()),
            },
            datetime!(2026-12-07 09:30:00.123 UTC),
        )
    }
    .target(TargetKind::ApiKey, "9hV2nB6dS3")
}

fn plain() -> SecurityEvent {
    SecurityEvent::from_audit(&audit("api_key.create").status(201))
}

/// Every character receivers trip on, in every text field.
const HOSTILE: &str = "a|b=c\\d\r\ne\"f]g\0h é漢 [x] \\| \\= \t end";

fn hostile() -> SecurityEvent {
    let mut audit =
        audit("api_key.compromise").refused(409, format!("{HOSTILE} {}", "Z".repeat(10_240)));
    audit.actor.principal = format!("evil{HOSTILE}");
    audit.origin.user_agent = Some(HOSTILE.into());
    audit.origin.source_ip = Some("2001:db8::7".into());
    SecurityEvent::from_audit(&audit)
}

fn golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/siem/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{name}: no golden file (run with UPDATE_GOLDEN=1)"));
    assert_eq!(actual, expected, "{name} differs from its golden file");
}

fn keep() -> Redaction {
    Redaction::default()
}

#[test]
fn cef_matches_golden() {
    golden("plain.cef", &cef::encode(&redact(plain(), &keep())));
    golden("hostile.cef", &cef::encode(&redact(hostile(), &keep())));
}

#[test]
fn leef_matches_golden() {
    for (name, event) in [("plain", plain()), ("hostile", hostile())] {
        let event = redact(event, &keep());
        golden(
            &format!("{name}.leef1"),
            &leef::encode(&event, leef::Version::V1),
        );
        golden(
            &format!("{name}.leef2"),
            &leef::encode(&event, leef::Version::V2),
        );
    }
}

#[test]
fn syslog_matches_golden() {
    let header = Header::default();
    for (name, event) in [("plain", plain()), ("hostile", hostile())] {
        let event = redact(event, &keep());
        golden(
            &format!("{name}.5424"),
            &syslog::encode_plain(&event, &header, 8192),
        );
        let cef = cef::encode(&event);
        golden(
            &format!("{name}.cef.5424"),
            &syslog::encode(&event, &header, &cef, 8192),
        );
    }
}

#[test]
fn json_formats_match_golden() {
    for (name, event) in [("plain", plain()), ("hostile", hostile())] {
        let event = redact(event, &keep());
        let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap() + "\n";
        golden(&format!("{name}.ocsf.json"), &pretty(&ocsf::encode(&event)));
        golden(&format!("{name}.ecs.json"), &pretty(&ecs::document(&event)));
        golden(
            &format!("{name}.hec.json"),
            &pretty(&hec::event(&event, &hec::Envelope::default())),
        );
        golden(
            &format!("{name}.bulk"),
            &ecs::bulk_lines(&event, "gatehouse-security"),
        );
    }
}

/// Splits on `sep` not preceded by an escaping backslash.
fn split_unescaped(text: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in text.chars() {
        if escaped {
            parts.last_mut().unwrap().push(c);
            escaped = false;
        } else if c == '\\' {
            parts.last_mut().unwrap().push(c);
            escaped = true;
        } else if c == sep {
            parts.push(String::new());
        } else {
            parts.last_mut().unwrap().push(c);
        }
    }
    parts
}

fn unescape_cef(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('r') => out.push('\r'),
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => panic!("a dangling backslash in {value:?}"),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The CEF extension as a receiver reads it: keys are the words before an unescaped
/// `=`; a value runs to the next key.
fn cef_extension(ext: &str) -> Vec<(String, String)> {
    let parts = split_unescaped(ext, '=');
    let mut pairs = Vec::new();
    let mut key = parts[0].clone();
    for (i, part) in parts.iter().enumerate().skip(1) {
        let (value, next) = if i + 1 < parts.len() {
            let at = part.rfind(' ').expect("a space before the next key");
            (&part[..at], part[at + 1..].to_owned())
        } else {
            (part.as_str(), String::new())
        };
        pairs.push((key, unescape_cef(value)));
        key = next;
    }
    pairs
}

#[test]
fn cef_parses_back_to_what_was_sent() {
    let event = redact(hostile(), &keep());
    let record = cef::encode(&event);
    assert!(!record.contains(['\r', '\n', '\0']), "one line, no NUL");
    let header = split_unescaped(&record, '|');
    // The extension may hold unescaped pipes: only the first 7 separators count.
    assert!(header.len() >= 8, "{header:?}");
    assert_eq!(header[0], "CEF:0");
    assert_eq!(header[4], "api_key.compromise");
    assert_eq!(header[6], "9", "a compromise is critical");
    assert!(header[5].len() <= 512);
    let extension = {
        // Past the seventh unescaped pipe.
        let mut seen = 0;
        let mut escaped = false;
        let mut at = 0;
        for (i, c) in record.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '|' {
                seen += 1;
                if seen == 7 {
                    at = i + 1;
                    break;
                }
            }
        }
        &record[at..]
    };
    let pairs = cef_extension(extension);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let without_nul = |s: &str| s.replace('\0', "");
    assert_eq!(
        get("suser").unwrap(),
        without_nul(&format!("evil{HOSTILE}"))
    );
    assert_eq!(
        get("requestClientApplication").unwrap(),
        without_nul(HOSTILE)
    );
    assert_eq!(get("c6a2").unwrap(), "2001:db8::7");
    assert_eq!(get("outcome").unwrap(), "failure");
    let reason = get("reason").unwrap();
    assert!(without_nul(&event.detail.clone().unwrap()).starts_with(&reason));
    let escaped_reason = record.split(" reason=").nth(1).unwrap();
    let escaped_reason = &escaped_reason[..escaped_reason.find(" cs1Label=").unwrap()];
    assert!(
        escaped_reason.len() <= 1023,
        "the limit is on the escaped text"
    );
}

#[test]
fn leef2_picks_a_delimiter_no_value_holds() {
    let event = redact(hostile(), &keep());
    let record = leef::encode(&event, leef::Version::V2);
    let fields: Vec<&str> = record.splitn(7, '|').collect();
    assert_eq!(fields[0], "LEEF:2.0");
    // `^` is free in the hostile values; each attribute survives whole.
    assert_eq!(fields[5], "^");
    let attrs: Vec<(&str, &str)> = fields[6]
        .split('^')
        .map(|kv| kv.split_once('=').unwrap())
        .collect();
    let get = |k: &str| attrs.iter().find(|(key, _)| *key == k).unwrap().1;
    assert_eq!(get("devTimeFormat"), leef::DEV_TIME_FORMAT);
    assert_eq!(get("devTime"), "2026-12-07T09:30:00.123+0000");
    assert!(get("userAgent").starts_with("a|b=c\\d  e\"f]g h é漢"));
    assert!(!record.contains(['\r', '\n', '\0']));

    let mut caret = hostile();
    caret.actor = "a^b\tc~d".into();
    let record = leef::encode(&redact(caret, &keep()), leef::Version::V2);
    assert!(record.contains("|^|usrName=") || record.contains("|^|devTime="));
    assert!(record.contains("usrName=a b c~d"), "{record}");
}

#[test]
fn syslog_structured_data_parses_back() {
    let event = redact(hostile(), &keep());
    let message = syslog::encode_plain(&event, &Header::default(), 8192);
    assert!(message.len() <= 8192);
    assert!(message.starts_with("<106>1 2026-12-07T09:30:00.123Z gatehouse gatehouse - api_key.compromise [gatehouse@32473 "),
        "PRI = 13 * 8 + 2 (critical): {}", &message[..120]);
    assert!(!message.contains(['\r', '\n', '\0']));
    // The actor param, read as RFC 5424 says: up to the first unescaped quote.
    let start = message.find("actor=\"").unwrap() + 7;
    let mut value = String::new();
    let mut chars = message[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => value.push(chars.next().unwrap()),
            '"' => break,
            c => value.push(c),
        }
    }
    let expected: String = format!("evil{HOSTILE}")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    assert_eq!(value, expected);
}

#[test]
fn octet_counting_counts_bytes() {
    let framed = syslog::octet_counted("<14>1 - - - - - - é");
    assert_eq!(framed, "20 <14>1 - - - - - - é".as_bytes());
}

#[test]
fn type_uid_is_class_times_100_plus_activity() {
    let e = plain();
    assert_eq!(e.class, EventClass::AccountChange);
    assert_eq!(e.type_uid(), 300101);
    assert_eq!(e.severity, Severity::Informational);
    assert_eq!(e.status, Status::Success);
    let h = hostile();
    assert_eq!(
        (h.class, h.type_uid()),
        (EventClass::DetectionFinding, 200401)
    );
    assert_eq!(h.severity, Severity::Critical);
    assert_eq!(h.time_ms(), 1_796_635_800_123);
}

#[test]
fn scope_changes_are_policy_attach_and_detach() {
    let change = |from: &[&str], to: &[&str]| {
        let audit =
            audit("api_key.update").changes(vec![Change::of("scopes", &from, &to).unwrap()]);
        SecurityEvent::from_audit(&audit).type_uid()
    };
    assert_eq!(change(&["a"], &["a", "b"]), 300107);
    assert_eq!(change(&["a", "b"], &["a"]), 300108);
}

#[test]
fn keys_and_tokens_never_leave_whatever_the_policy() {
    let key = crate::keys::ApiKey::generate(
        &crate::keys::KeyPrefix::parse("gh").unwrap(),
        crate::keys::KeyEnvironment::Live,
        &TenantId::parse("acme000001").unwrap(),
        &KeyId::parse("4fT7wq2LmN").unwrap(),
    )
    .unwrap();
    let full = key.expose().to_owned();
    let last = if full.ends_with('X') { "Y" } else { "X" };
    let mistyped = format!("{}{last}", &full[..full.len() - 1]);
    let jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    let mut event = plain();
    event.detail = Some(format!(
        "pasted {full}, then {mistyped}. Session: Bearer {jwt}"
    ));
    event.user_agent = Some(format!("x ({full})"));
    let out = redact(event, &keep());
    let detail = out.detail.clone().unwrap();
    assert!(!detail.contains(&full) && !detail.contains(&mistyped) && !detail.contains(jwt));
    assert_eq!(
        detail,
        "pasted [redacted key], then [redacted key]. Session: Bearer [redacted token]"
    );
    assert_eq!(out.user_agent.as_deref(), Some("x ([redacted key])"));
}

#[test]
fn emails_and_ips_follow_the_destination_policy() {
    let mask = Redaction {
        emails: EmailPolicy::Mask,
        ips: IpPolicy::Truncate,
    };
    let out = redact(plain(), &mask);
    assert_eq!(out.actor, "o***@example.com");
    assert!(out.message.contains("by o***@example.com"));
    assert_eq!(out.source_ip.as_deref(), Some("203.0.113.0"));
    let mut v6 = plain();
    v6.source_ip = Some("2001:db8:1234:5678::1".into());
    assert_eq!(
        redact(v6, &mask).source_ip.as_deref(),
        Some("2001:db8:1234::")
    );
    let drop = Redaction {
        emails: EmailPolicy::Drop,
        ips: IpPolicy::Drop,
    };
    let out = redact(plain(), &drop);
    assert_eq!(out.actor, "[email]");
    assert_eq!(out.source_ip, None);
    assert_eq!(redact(plain(), &keep()).actor, "ops@example.com");
}

#[test]
fn every_encoder_takes_only_redacted_events() {
    // Compile-time: encoders take `&Redacted`, which only `redact` makes. This checks
    // a redacted event carries no key however it is encoded.
    let mut event = plain();
    let key = "gh_live_acme0000014fT7wq2LmNaaaaaaaaaaaaaaaaaaaaaaaaaaaaa000000";
    event.message = format!("leaked {key}");
    let out = redact(event, &keep());
    let encoded = [
        cef::encode(&out),
        leef::encode(&out, leef::Version::V2),
        syslog::encode_plain(&out, &Header::default(), 8192),
        ocsf::encode(&out).to_string(),
        ecs::document(&out).to_string(),
        hec::event(&out, &hec::Envelope::default()).to_string(),
    ];
    for text in encoded {
        assert!(!text.contains(key), "{text}");
    }
}
