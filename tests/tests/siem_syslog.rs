//! Syslog transports against Debian's rsyslog: RFC 5424 messages carrying plain text,
//! CEF, LEEF 1.0 and LEEF 2.0, over TCP and TLS (octet counting) and UDP, read back as
//! rsyslog parsed them (header fields, structured data through mmpstrucdata, the
//! message) and compared field by field with what was sent, hostile values included.

use gatehouse::siem::syslog_transport::{Protocol, SendError, Target, send_batch};
use gatehouse::siem::{Redacted, Redaction, SecurityEvent, cef, leef, redact, syslog};
use gatehouse::webhooks::ssrf::AllowList;
use gatehouse_integration_tests::rsyslog::{Rsyslog, unescape};
use gatehouse_integration_tests::siem_fixture::audit_event;
use serde_json::Value;
use std::time::Duration;
use time::macros::datetime;

const HOSTILE: &str = "a|b=c\\d\r\ne\"f]g\0h é漢 [x] \\| \\= \t end";

fn events() -> Vec<Redacted> {
    let audit = |action: &str| audit_event(action, datetime!(2026-12-07 09:30:00.123 UTC));
    let mut hostile =
        audit("api_key.compromise").refused(409, format!("{HOSTILE} {}", "Z".repeat(10_240)));
    hostile.actor.principal = format!("evil{HOSTILE}");
    hostile.origin.user_agent = Some(HOSTILE.into());
    [audit("api_key.create").status(201), hostile]
        .iter()
        .map(|a| redact(SecurityEvent::from_audit(a), &Redaction::default()))
        .collect()
}

/// Each event in each format: (event, RFC 5424 message, its MSG part).
fn messages() -> Vec<(Redacted, String, String)> {
    let header = syslog::Header::default();
    let mut out = Vec::new();
    for event in events() {
        let payloads = [
            None,
            Some(cef::encode(&event)),
            Some(leef::encode(&event, leef::Version::V1)),
            Some(leef::encode(&event, leef::Version::V2)),
        ];
        for payload in payloads {
            let message = match &payload {
                Some(p) => syslog::encode(&event, &header, p, 8192),
                None => syslog::encode_plain(&event, &header, 8192),
            };
            // The MSG part: what follows the structured data element.
            let msg = message[message.find("\"] ").unwrap() + 3..].to_owned();
            out.push((event.clone(), message, msg));
        }
    }
    out
}

fn target(rsyslog: &Rsyslog, protocol: Protocol) -> Target<'_> {
    Target {
        host: "127.0.0.1",
        port: match protocol {
            Protocol::Tcp => rsyslog.tcp_port,
            Protocol::Tls => rsyslog.tls_port,
            Protocol::Udp => rsyslog.udp_port,
        },
        protocol,
        ca_pem: Some(&rsyslog.ca_pem),
        identity: None,
        timeout: Duration::from_secs(5),
    }
}

fn allow(rsyslog: &Rsyslog) -> AllowList {
    AllowList::parse(&format!(
        "127.0.0.1:{},127.0.0.1:{},127.0.0.1:{}",
        rsyslog.tcp_port, rsyslog.tls_port, rsyslog.udp_port
    ))
}

/// A structured-data value as sent: control characters become a space.
fn sd(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn check(received: &Value, event: &Redacted, msg: &str, input: &str) {
    let field = |name: &str| received[name].as_str().unwrap_or_default().to_owned();
    let pri = 13 * 8 + u32::from(event.severity.syslog());
    assert_eq!(field("pri"), pri.to_string());
    assert_eq!(field("syslogfacility"), "13");
    assert_eq!(field("hostname"), "gatehouse");
    assert_eq!(field("app-name"), "gatehouse");
    assert_eq!(field("procid"), "-");
    assert_eq!(field("msgid"), event.action);
    assert_eq!(field("timereported"), "2026-12-07T09:30:00.123Z");
    assert_eq!(field("inputname"), input);
    let params = &received["$!"]["rfc5424-sd"]["gatehouse@32473"];
    assert_eq!(params["eventId"], event.id.as_str());
    assert_eq!(params["tenant"], "acme000001");
    assert_eq!(params["typeUid"], event.type_uid().to_string());
    assert_eq!(params["outcome"], event.status.label());
    assert_eq!(params["actor"], sd(&event.actor).as_str());
    assert_eq!(
        params["userAgent"],
        sd(event.user_agent.as_deref().unwrap()).as_str()
    );
    assert_eq!(params["target"], "api_key:9hV2nB6dS3");
    assert_eq!(unescape(&field("msg")), msg, "the message arrives whole");
}

#[tokio::test]
async fn every_format_arrives_whole_over_tcp_tls_and_udp() {
    let rsyslog = Rsyslog::start();
    let messages = messages();
    let texts: Vec<String> = messages.iter().map(|(_, m, _)| m.clone()).collect();
    let mut seen = 0;
    for (protocol, input) in [
        (Protocol::Tcp, "imtcp"),
        (Protocol::Tls, "imtcp"),
        (Protocol::Udp, "imudp"),
    ] {
        send_batch(&target(&rsyslog, protocol), &allow(&rsyslog), &texts)
            .await
            .unwrap_or_else(|e| panic!("{protocol:?}: {e}"));
        let received = rsyslog.wait_for(seen + texts.len());
        for ((event, _, msg), got) in messages.iter().zip(&received[seen..]) {
            check(got, event, msg, input);
        }
        seen += texts.len();
    }
    // A CEF record as rsyslog passed it on still splits into its eight parts.
    let cef = unescape(rsyslog.received()[1]["msg"].as_str().unwrap());
    assert!(cef.starts_with("CEF:0|Gatehouse|Gatehouse|"), "{cef}");
}

#[tokio::test]
async fn tls_fails_closed_and_internal_addresses_need_the_allow_list() {
    let rsyslog = Rsyslog::start();
    let texts: Vec<String> = messages().into_iter().map(|(_, m, _)| m).take(1).collect();
    // A CA that did not sign the listener's certificate.
    let other = gatehouse_integration_tests::rsyslog::Rsyslog::start();
    let wrong_ca = Target {
        ca_pem: Some(&other.ca_pem),
        ..target(&rsyslog, Protocol::Tls)
    };
    let err: SendError = send_batch(&wrong_ca, &allow(&rsyslog), &texts)
        .await
        .unwrap_err();
    assert_eq!(err.step, "TLS", "{err}");
    // Loopback is internal: refused unless the allow list names it.
    let err = send_batch(
        &target(&rsyslog, Protocol::Tcp),
        &AllowList::default(),
        &texts,
    )
    .await
    .unwrap_err();
    assert!(err.is_refused(), "{err}");
    assert!(rsyslog.received().is_empty(), "nothing was delivered");
}

#[tokio::test]
async fn a_stopped_receiver_fails_the_batch_and_a_restarted_one_takes_it() {
    let mut rsyslog = Rsyslog::start();
    let texts: Vec<String> = messages().into_iter().map(|(_, m, _)| m).take(3).collect();
    rsyslog.stop();
    for protocol in [Protocol::Tcp, Protocol::Tls] {
        let err = send_batch(&target(&rsyslog, protocol), &allow(&rsyslog), &texts)
            .await
            .unwrap_err();
        assert_eq!(err.step, "connect", "{protocol:?}: {err}");
    }
    rsyslog.restart();
    send_batch(&target(&rsyslog, Protocol::Tls), &allow(&rsyslog), &texts)
        .await
        .unwrap();
    assert_eq!(rsyslog.wait_for(3).len(), 3);
}
