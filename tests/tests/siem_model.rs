//! The security-event model covers everything Gatehouse audits: every audit action in
//! the source tree has a classification (not the "Other" fallback), and every one,
//! succeeded or refused, encodes to OCSF that validates against the OCSF 1.1 JSON
//! Schema of its class (PyPI `ocsf-json-schema`, checked by `jsonschema`).

use gatehouse::audit::AuditEvent;
use gatehouse::ids::TenantId;
use gatehouse::siem::{Redaction, SecurityEvent, classify, ocsf, redact};
use gatehouse_integration_tests::workspace_root;
use std::collections::BTreeSet;
use std::io::Write;

/// Namespaces of audit actions and event types.
const NAMESPACES: &[&str] = &[
    "access_policy.",
    "api_key.",
    "audit.",
    "integration.",
    "lease.",
    "principal.",
    "scope.",
    "secret.",
    "sso.",
    "usage.",
    "webhook.",
];

/// Every string literal in the Rust sources that names an action or event type.
fn names_in_source() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let root = workspace_root();
    let mut dirs = vec![
        root.join("functions/src"),
        root.join("shared/src"),
        root.join("shared/service/src"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("tests") {
                    dirs.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for literal in text.split('"').skip(1).step_by(2) {
                let shaped = literal
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.')
                    && literal.contains('.')
                    && !literal.ends_with('.');
                if shaped && NAMESPACES.iter().any(|n| literal.starts_with(n)) {
                    names.insert(literal.to_owned());
                }
            }
        }
    }
    names
}

/// The names that are event types (what a change publishes), not audit actions.
fn event_types() -> BTreeSet<String> {
    let mut types: BTreeSet<String> = gatehouse::webhooks::endpoint::EVENT_TYPES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    // Published only with the audit action of the same name, or to operators.
    for t in [
        "webhook.delivery_failed",
        "webhook.disabled",
        "sso.refresh_failed",
    ] {
        types.insert(t.to_owned());
    }
    types
}

#[test]
fn every_audit_action_has_a_classification() {
    let names = names_in_source();
    assert!(
        names.len() > 60,
        "the source scan found too little: {names:?}"
    );
    let types = event_types();
    let unclassified: Vec<&String> = names
        .iter()
        .filter(|n| classify(n).is_none() && !types.contains(*n))
        .collect();
    assert!(
        unclassified.is_empty(),
        "audit actions the SIEM model does not classify (add them to siem::classify): {unclassified:?}"
    );
}

fn audit(action: &str) -> AuditEvent {
    gatehouse_integration_tests::siem_fixture::audit_event(action, time::OffsetDateTime::now_utc())
}

#[test]
fn every_event_type_encodes_to_valid_ocsf() {
    let actions: Vec<String> = names_in_source()
        .into_iter()
        .filter(|n| classify(n).is_some())
        .collect();
    let mut lines = String::new();
    let mut classes = BTreeSet::new();
    for action in &actions {
        let system = AuditEvent::system(
            &TenantId::parse("acme000001").unwrap(),
            action,
            "integration-prober",
            time::OffsetDateTime::now_utc(),
        );
        for audit in [
            audit(action),
            audit(action).refused(403, "refused"),
            system.failed("it failed"),
        ] {
            let event = SecurityEvent::from_audit(&audit);
            classes.insert(event.class.uid());
            let doc = ocsf::encode(&redact(event, &Redaction::default()));
            lines.push_str(&doc.to_string());
            lines.push('\n');
        }
    }
    assert_eq!(
        classes.len(),
        4,
        "all four OCSF classes are exercised: {classes:?}"
    );
    let mut child = std::process::Command::new(workspace_root().join(".venv/bin/python"))
        .arg(workspace_root().join("tests/ocsf/validate.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the venv's python (make tools)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains(&format!("{} events checked, 0 errors", actions.len() * 3)),
        "{report}"
    );
}
