//! SIEM forwarding end to end, through the local gateway against moto: changes commit
//! their audit events, the event publisher reads them from the audit table's stream
//! and queues them per destination, and the forwarder delivers them to Debian's
//! rsyslog (CEF and LEEF over TLS and TCP, RFC 5424 over UDP) and to the
//! protocol-accurate HEC and `_bulk` receivers. Tenant scoping, the platform
//! operator's destinations, every sink's refusals and retries, and the count:
//! produced = delivered + dead-lettered, per destination, through outages.

use gatehouse_devtools::pump::QueuePump;
use gatehouse_devtools::template::TemplateValue;
use gatehouse_integration_tests::TestStack;
use gatehouse_integration_tests::rsyslog::{Rsyslog, unescape};
use gatehouse_integration_tests::siem_receivers::{BulkPlan, BulkReceiver, HecPlan, HecReceiver};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const HEC_TOKEN: &str = "8f2d6c1e-5b7a-4e0f-9c3d-2a1b0e9f8d7c";

async fn siem_stack(allow: &str) -> TestStack {
    TestStack::with_params(&[
        ("AuthCacheTtlSeconds", "0"),
        ("IntegrationAllowHosts", allow),
        ("SiemRetryBaseSeconds", "1"),
        ("WebhookAllowHosts", "127.0.0.1:9"),
    ])
    .await
}

fn allow(rsyslog: &Rsyslog, others: &[u16]) -> String {
    let mut hosts = vec![
        format!("127.0.0.1:{}", rsyslog.tcp_port),
        format!("127.0.0.1:{}", rsyslog.tls_port),
        format!("127.0.0.1:{}", rsyslog.udp_port),
    ];
    hosts.extend(others.iter().map(|p| format!("127.0.0.1:{p}")));
    hosts.join(",")
}

async fn create(stack: &TestStack, key: &str, body: Value) -> String {
    let created = stack
        .send("POST", "/v2/integrations/siem", key, Some(body))
        .await;
    created.assert_status(201);
    created.json()["destination_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn syslog(
    name: &str,
    preset: &str,
    port: u16,
    protocol: &str,
    format: &str,
    ca: Option<&str>,
) -> Value {
    let mut body = json!({
        "name": name, "preset": preset,
        "transport": {"kind": "syslog", "host": "127.0.0.1", "port": port, "protocol": protocol, "format": format},
    });
    if let Some(ca) = ca {
        body["tls"] = json!({"ca_certificate": ca});
    }
    body
}

fn hec(url: &str, acknowledgements: bool) -> Value {
    json!({
        "name": "Splunk", "preset": "splunk", "token": HEC_TOKEN,
        "transport": {"kind": "hec", "url": url, "index": "security", "acknowledgements": acknowledgements},
    })
}

fn bulk(url: &str, index: &str) -> Value {
    json!({
        "name": "Elastic", "preset": "elastic", "token": "ZWxhc3RpYzpjaGFuZ2VtZQ==",
        "transport": {"kind": "bulk", "url": url, "index": index},
    })
}

/// Pumps the outbox and the queues until `done` holds (or panics after `rounds`).
async fn pump_until(pump: &QueuePump, rounds: usize, mut done: impl FnMut() -> bool) {
    for _ in 0..rounds {
        pump.pump_once(1).await.unwrap();
        if done() {
            return;
        }
    }
    panic!("the SIEM deliveries did not settle");
}

/// Messages of a queue of the stack (drained).
async fn drain(stack: &TestStack, queue: &str) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk);
    let url = stack
        .local
        .resolve(&TemplateValue::Ref(queue.into()))
        .unwrap();
    let mut out = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return out;
        }
        for m in messages {
            out.push(serde_json::from_str(m.body().unwrap_or("null")).unwrap());
            sqs.delete_message()
                .queue_url(&url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .unwrap();
        }
    }
}

/// Messages still in the SIEM queue, visible, in flight or delayed.
async fn in_flight(stack: &TestStack) -> u64 {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk);
    let url = stack
        .local
        .resolve(&TemplateValue::Ref("SiemQueue".into()))
        .unwrap();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(A::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default();
    [
        A::ApproximateNumberOfMessages,
        A::ApproximateNumberOfMessagesNotVisible,
        A::ApproximateNumberOfMessagesDelayed,
    ]
    .iter()
    .map(|a| {
        attributes
            .get(a)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    })
    .sum()
}

/// Every audit event id of the tenant, read from the table (not through the API,
/// which would audit the read).
async fn produced(stack: &TestStack, tenant: &gatehouse::ids::TenantId) -> BTreeSet<String> {
    let page = stack
        .app
        .audit
        .query(
            tenant,
            &gatehouse::audit::AuditQuery {
                limit: 10_000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    page.events
        .iter()
        .map(|e| format!("{tenant}.{}", e.event_id))
        .collect()
}

fn sd_event_ids(rsyslog: &Rsyslog, port_input: &str) -> Vec<String> {
    rsyslog
        .received()
        .iter()
        .filter(|m| m["inputname"] == port_input)
        .map(|m| {
            m["$!"]["rfc5424-sd"]["gatehouse@32473"]["eventId"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn key_webhook_secret_and_sso_events_reach_every_kind_of_sink() {
    gatehouse_integration_tests::emf::init();
    let rsyslog = Rsyslog::start();
    let hec_rx = HecReceiver::start(HEC_TOKEN, true).await;
    let bulk_rx = BulkReceiver::start().await;
    let stack = siem_stack(&allow(&rsyslog, &[hec_rx.port, bulk_rx.port])).await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    create(
        &stack,
        &admin,
        syslog(
            "ArcSight",
            "arcsight",
            rsyslog.tls_port,
            "tls",
            "cef",
            Some(&rsyslog.ca_pem),
        ),
    )
    .await;
    create(
        &stack,
        &admin,
        syslog("QRadar", "qradar", rsyslog.tcp_port, "tcp", "leef2", None),
    )
    .await;
    create(
        &stack,
        &admin,
        syslog("Syslog", "custom", rsyslog.udp_port, "udp", "rfc5424", None),
    )
    .await;
    create(&stack, &admin, hec(&hec_rx.url(), true)).await;
    create(&stack, &admin, bulk(&bulk_rx.url(), "gatehouse-security")).await;
    // A destination whose filter passes nothing these changes make: they are counted
    // as dropped, not sent.
    let mut findings = bulk(&bulk_rx.url(), "findings");
    findings["filter"] = json!({"categories": ["findings"], "min_severity": "high"});
    let findings_id = create(&stack, &admin, findings).await;

    // A key, a webhook, a secret and an SSO connection, each a committed change.
    let (full_key, key_id) = stack
        .create_key(&admin, json!({"name": "ci", "scopes": ["keys:read"]}))
        .await;
    stack
        .send(
            "POST",
            "/v2/webhooks",
            &admin,
            Some(json!({"url": "http://127.0.0.1:9/in", "event_types": ["*"]})),
        )
        .await
        .assert_status(201);
    stack
        .send(
            "POST",
            "/v2/secrets/data/app/db",
            &admin,
            Some(json!({"data": {"password": "s3cr3t-value"}})),
        )
        .await
        .assert_status(201);
    let idp = gatehouse_integration_tests::saml_idp::SamlIdp::new(
        "https://idp.acme.example",
        "https://idp.acme.example/sso",
        30,
    );
    stack
        .send(
            "POST",
            "/v2/integrations/sso",
            &admin,
            Some(json!({"name": "Acme SAML", "preset": "saml", "saml": {"metadata_xml": idp.metadata()}})),
        )
        .await
        .assert_status(201);

    let pump = QueuePump::new(&stack.template, &stack.local, &stack.sdk).unwrap();
    let produced = produced(&stack, &tenant.tenant.tenant_id).await;
    let actions = [
        "api_key.create",
        "webhook.create",
        "secret.write",
        "sso.connection.create",
    ];
    pump_until(&pump, 60, || {
        let ids: BTreeSet<String> = sd_event_ids(&rsyslog, "imtcp").into_iter().collect();
        let documents = bulk_rx.documents();
        ids.len() >= produced.len()
            && hec_rx.events().len() >= produced.len()
            && documents.len() >= produced.len()
    })
    .await;

    // rsyslog: CEF over TLS and LEEF 2.0 over TCP (both imtcp), RFC 5424 over UDP.
    let received = rsyslog.received();
    let messages: Vec<String> = received
        .iter()
        .map(|m| unescape(m["msg"].as_str().unwrap()))
        .collect();
    for action in actions {
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("CEF:0|Gatehouse|Gatehouse|")
                    && m.contains(&format!("|{action}|"))),
            "CEF {action}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("LEEF:2.0|Gatehouse|Gatehouse|")
                    && m.contains(&format!("|{action}|"))),
            "LEEF {action}"
        );
        assert!(
            received
                .iter()
                .any(|m| m["inputname"] == "imudp" && m["msgid"] == action),
            "RFC 5424 {action}"
        );
    }
    // HEC: OCSF events with the collector's channel; bulk: ECS documents, `_id` the
    // event id.
    let hec_events = hec_rx.events();
    assert!(
        hec_events
            .iter()
            .any(|e| e["class_uid"] == 3001 && e["metadata"]["event_code"] == "api_key.create")
    );
    assert_eq!(hec_rx.channels().len(), 1, "one channel per destination");
    let documents = bulk_rx.documents();
    for ((index, id), doc) in &documents {
        assert_eq!(index, "gatehouse-security");
        assert_eq!(doc["event"]["id"], id.as_str());
    }
    let created = documents
        .values()
        .find(|d| d["event"]["action"] == "api_key.create")
        .unwrap();
    assert_eq!(created["event"]["category"], json!(["iam"]));
    assert_eq!(created["gatehouse"]["target"]["id"], key_id.as_str());
    // Every produced event reached every sink, and no sink holds key or secret material.
    let bulk_ids: BTreeSet<String> = documents.keys().map(|(_, id)| id.clone()).collect();
    assert_eq!(bulk_ids, produced);
    let stats = stack
        .send(
            "GET",
            &format!("/v2/integrations/siem/{findings_id}/stats"),
            &admin,
            None,
        )
        .await
        .json();
    assert_eq!(stats["total"]["sent"], 0, "{stats}");
    assert_eq!(
        stats["total"]["dropped_by_filter"],
        produced.len(),
        "{stats}"
    );
    let everything = format!("{received:?}{hec_events:?}{documents:?}");
    assert!(!everything.contains(&full_key), "a key reached a SIEM");
    assert!(
        !everything.contains("s3cr3t-value"),
        "a secret value reached a SIEM"
    );
    gatehouse_integration_tests::emf::assert_emitted("SiemLag", &[]);
    gatehouse_integration_tests::emf::assert_emitted("SiemEvents", &[("Outcome", "delivered")]);
}

#[tokio::test]
async fn a_tenant_destination_gets_its_tenant_only_and_the_platform_one_gets_all() {
    let rsyslog = Rsyslog::start();
    let bulk_rx = BulkReceiver::start().await;
    let mut stack = siem_stack(&allow(&rsyslog, &[bulk_rx.port])).await;
    let platform = stack.tenant("Platform").await;
    stack.set_parameter("PlatformTenantId", platform.tenant.tenant_id.as_str());
    let acme = stack.tenant("Acme").await;
    let globex = stack.tenant("Globex").await;
    let (platform_admin, acme_admin, globex_admin) = (
        platform.admin_key.expose().to_owned(),
        acme.admin_key.expose().to_owned(),
        globex.admin_key.expose().to_owned(),
    );
    // Only the operator's tenant may receive everyone's events.
    let mut everyone = bulk(&bulk_rx.url(), "acme-all");
    everyone["all_tenants"] = json!(true);
    stack
        .send("POST", "/v2/integrations/siem", &acme_admin, Some(everyone))
        .await
        .assert_problem(403, "insufficient-scope");
    let mut platform_body = bulk(&bulk_rx.url(), "platform");
    platform_body["all_tenants"] = json!(true);
    create(&stack, &platform_admin, platform_body).await;
    create(&stack, &acme_admin, bulk(&bulk_rx.url(), "acme")).await;
    create(&stack, &globex_admin, bulk(&bulk_rx.url(), "globex")).await;
    for admin in [&acme_admin, &globex_admin] {
        stack
            .create_key(admin, json!({"name": "k", "scopes": ["keys:read"]}))
            .await;
    }
    let pump = QueuePump::new(&stack.template, &stack.local, &stack.sdk).unwrap();
    let (acme_events, globex_events, platform_events) = (
        produced(&stack, &acme.tenant.tenant_id).await,
        produced(&stack, &globex.tenant.tenant_id).await,
        produced(&stack, &platform.tenant.tenant_id).await,
    );
    let ids_in = |index: &str| -> BTreeSet<String> {
        bulk_rx
            .documents()
            .keys()
            .filter(|(i, _)| i == index)
            .map(|(_, id)| id.clone())
            .collect()
    };
    let everyone: BTreeSet<String> = acme_events
        .iter()
        .chain(&globex_events)
        .chain(&platform_events)
        .cloned()
        .collect();
    pump_until(&pump, 60, || {
        ids_in("acme").len() >= acme_events.len()
            && ids_in("globex").len() >= globex_events.len()
            && ids_in("platform").len() >= everyone.len()
    })
    .await;
    assert_eq!(
        ids_in("acme"),
        acme_events,
        "Acme's destination holds Acme's events only"
    );
    assert_eq!(ids_in("globex"), globex_events);
    assert_eq!(
        ids_in("platform"),
        everyone,
        "the operator's destination holds every tenant's"
    );
    for doc in bulk_rx
        .documents()
        .iter()
        .filter(|((i, _), _)| i == "acme")
        .map(|(_, d)| d)
    {
        assert_eq!(doc["organization"]["id"], acme.tenant.tenant_id.as_str());
    }
}

#[tokio::test]
async fn hec_refusals_retries_and_acknowledgements_follow_splunk() {
    let hec_rx = HecReceiver::start(HEC_TOKEN, true).await;
    let rsyslog = Rsyslog::start();
    let stack = siem_stack(&allow(&rsyslog, &[hec_rx.port])).await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let hec_id = create(&stack, &admin, hec(&hec_rx.url(), true)).await;
    let mut wrong = hec(&hec_rx.url(), false);
    wrong["token"] = json!("not-the-token");
    wrong["name"] = json!("Splunk, wrong token");
    let wrong_id = create(&stack, &admin, wrong).await;
    // The first request: its second event is invalid (the first is indexed, the third
    // is sent again); then the collector is busy; then an acknowledgement never comes.
    hec_rx.plan(&[
        HecPlan::InvalidEvent(1),
        HecPlan::Busy,
        HecPlan::AcceptWithoutAck,
    ]);
    for name in ["a", "b"] {
        stack
            .create_key(&admin, json!({"name": name, "scopes": ["keys:read"]}))
            .await;
    }
    let produced = produced(&stack, &tenant.tenant.tenant_id).await;
    let pump = QueuePump::new(&stack.template, &stack.local, &stack.sdk).unwrap();
    let mut dead = Vec::new();
    for _ in 0..80 {
        pump.pump_once(1).await.unwrap();
        dead.extend(drain(&stack, "SiemDeadLetterQueue").await);
        let delivered: BTreeSet<String> = hec_rx
            .events()
            .iter()
            .map(|e| e["metadata"]["uid"].as_str().unwrap().to_owned())
            .collect();
        let settled = delivered.len()
            + dead
                .iter()
                .filter(|d| d["message"]["destination_id"] == hec_id.as_str())
                .count();
        if settled >= produced.len() && in_flight(&stack).await == 0 {
            break;
        }
    }
    let to = |id: &str| -> Vec<&Value> {
        dead.iter()
            .filter(|d| d["message"]["destination_id"] == id)
            .collect()
    };
    // The wrong token: every event dead-lettered with HEC's own reason, none retried.
    assert_eq!(to(&wrong_id).len(), produced.len());
    assert!(to(&wrong_id).iter().all(|d| {
        d["reason"]
            .as_str()
            .unwrap()
            .contains("HEC code 4: Invalid token")
    }));
    // The invalid event: dead-lettered with code 6; everything else delivered, once
    // acknowledged (an event whose ack never came was sent again).
    let invalid = to(&hec_id);
    assert_eq!(invalid.len(), 1, "{invalid:?}");
    assert!(
        invalid[0]["reason"]
            .as_str()
            .unwrap()
            .contains("HEC code 6: Invalid data format")
    );
    let delivered: BTreeSet<String> = hec_rx
        .events()
        .iter()
        .map(|e| e["metadata"]["uid"].as_str().unwrap().to_owned())
        .collect();
    let dead_id = invalid[0]["message"]["event"]["id"].as_str().unwrap();
    let expected: BTreeSet<String> = produced
        .iter()
        .filter(|id| *id != dead_id)
        .cloned()
        .collect();
    assert_eq!(delivered, expected);
    let stats = stack
        .send(
            "GET",
            &format!("/v2/integrations/siem/{hec_id}/stats"),
            &admin,
            None,
        )
        .await
        .json();
    assert_eq!(stats["total"]["dead_lettered"], 1, "{stats}");
    assert!(stats["total"]["retried"].as_u64().unwrap() >= 2, "{stats}");
    assert!(
        stats["total"]["sent"].as_u64().unwrap() >= expected.len() as u64,
        "{stats}"
    );
    // The test route asks HEC's health endpoint first.
    hec_rx.go_busy();
    let tested = stack
        .send(
            "POST",
            &format!("/v2/integrations/siem/{hec_id}/test"),
            &admin,
            None,
        )
        .await
        .json();
    assert_eq!(tested["healthy"], false);
    assert!(
        tested["last_error"].as_str().unwrap().contains("503"),
        "{tested}"
    );
    hec_rx.recover();
}

#[tokio::test]
async fn bulk_items_are_matched_by_position_and_only_429_and_5xx_retried() {
    let bulk_rx = BulkReceiver::start().await;
    let rsyslog = Rsyslog::start();
    let stack = siem_stack(&allow(&rsyslog, &[bulk_rx.port])).await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let id = create(&stack, &admin, bulk(&bulk_rx.url(), "sec")).await;
    for name in ["a", "b", "c", "d"] {
        stack
            .create_key(&admin, json!({"name": name, "scopes": ["keys:read"]}))
            .await;
    }
    let produced = produced(&stack, &tenant.tenant.tenant_id).await;
    assert_eq!(
        produced.len(),
        5,
        "the destination's creation and four keys"
    );
    // One request for all five, answered 200 with errors: true.
    bulk_rx.plan(vec![
        BulkPlan::Items(vec![201, 429, 400, 503, 409]),
        BulkPlan::Status(503),
    ]);
    let pump = QueuePump::new(&stack.template, &stack.local, &stack.sdk).unwrap();
    let mut dead = Vec::new();
    for _ in 0..60 {
        pump.pump_once(1).await.unwrap();
        dead.extend(drain(&stack, "SiemDeadLetterQueue").await);
        if bulk_rx.documents().len() >= 3 && in_flight(&stack).await == 0 {
            break;
        }
    }
    // 201 stored; 409 already there (delivered); 400 dead-lettered with its reason;
    // 429 and 503 retried (the retry met a whole-request 503, then got through).
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(
        dead[0]["reason"]
            .as_str()
            .unwrap()
            .contains("HTTP 400: document_parsing_exception")
    );
    assert_eq!(bulk_rx.documents().len(), 3);
    let stats = stack
        .send(
            "GET",
            &format!("/v2/integrations/siem/{id}/stats"),
            &admin,
            None,
        )
        .await
        .json();
    assert_eq!(stats["total"]["sent"], 4, "{stats}");
    assert_eq!(stats["total"]["dead_lettered"], 1);
    assert!(stats["total"]["retried"].as_u64().unwrap() >= 4, "{stats}");
    assert!(stats["total"]["latency_p50_ms"].as_u64().is_some());
}

#[tokio::test]
async fn produced_equals_delivered_plus_dead_lettered_through_outages() {
    let mut rsyslog = Rsyslog::start();
    let hec_rx = HecReceiver::start(HEC_TOKEN, false).await;
    let stack = siem_stack(&allow(&rsyslog, &[hec_rx.port])).await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let syslog_id = create(
        &stack,
        &admin,
        syslog(
            "ArcSight",
            "arcsight",
            rsyslog.tls_port,
            "tls",
            "cef",
            Some(&rsyslog.ca_pem),
        ),
    )
    .await;
    let hec_id = create(&stack, &admin, hec(&hec_rx.url(), false)).await;
    let pump = QueuePump::new(&stack.template, &stack.local, &stack.sdk).unwrap();
    let mut dead = Vec::new();
    // Thirty changes while the receivers come and go: rsyslog is down for the middle
    // third, the collector answers 503 from the second third to the end.
    for i in 0..30 {
        if i == 10 {
            rsyslog.stop();
            hec_rx.go_busy();
        }
        if i == 20 {
            rsyslog.restart();
        }
        stack
            .create_key(
                &admin,
                json!({"name": format!("k{i}"), "scopes": ["keys:read"]}),
            )
            .await;
        pump.pump_once(0).await.unwrap();
    }
    hec_rx.recover();
    let produced = produced(&stack, &tenant.tenant.tenant_id).await;
    for _ in 0..120 {
        pump.pump_once(1).await.unwrap();
        dead.extend(drain(&stack, "SiemDeadLetterQueue").await);
        if in_flight(&stack).await == 0 {
            break;
        }
    }
    assert_eq!(in_flight(&stack).await, 0, "everything settled");
    let dead_to = |id: &str| -> BTreeSet<String> {
        dead.iter()
            .filter(|d| d["message"]["destination_id"] == id)
            .map(|d| d["message"]["event"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let at_rsyslog: BTreeSet<String> = sd_event_ids(&rsyslog, "imtcp").into_iter().collect();
    let at_hec: BTreeSet<String> = hec_rx
        .events()
        .iter()
        .map(|e| e["metadata"]["uid"].as_str().unwrap().to_owned())
        .collect();
    for (destination, delivered) in [(&syslog_id, &at_rsyslog), (&hec_id, &at_hec)] {
        let dead = dead_to(destination);
        assert!(
            delivered.is_disjoint(&dead),
            "{destination}: delivered and dead-lettered"
        );
        let settled: BTreeSet<String> = delivered.union(&dead).cloned().collect();
        assert_eq!(
            settled, produced,
            "{destination}: produced = delivered + dead-lettered"
        );
    }
    assert!(
        dead.is_empty(),
        "outages are retried, not dead-lettered: {dead:?}"
    );
    let health = stack
        .send(
            "GET",
            &format!("/v2/integrations/siem/{syslog_id}"),
            &admin,
            None,
        )
        .await
        .json();
    assert_eq!(health["health"]["healthy"], true, "{health}");
    let report = stack
        .send("GET", "/v2/integrations/health", &admin, None)
        .await
        .json();
    let siem: Vec<&Value> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "siem")
        .collect();
    assert_eq!(siem.len(), 2, "{report}");
    assert!(siem.iter().all(|l| l["status"] == "healthy"), "{report}");
}

/// A destination that accepts connections and never answers holds up only its own
/// events: another destination's events of the same batch arrive while the slow one's
/// delivery is still waiting for its timeout.
#[tokio::test]
async fn a_slow_destination_does_not_hold_up_the_others() {
    // Accepts, reads nothing, never closes: a syslog receiver that hangs.
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hole_port = hole.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hole.accept().await {
            held.push(socket);
        }
    });
    let bulk_rx = BulkReceiver::start().await;
    let rsyslog = Rsyslog::start();
    let stack = siem_stack(&allow(&rsyslog, &[hole_port, bulk_rx.port])).await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    create(
        &stack,
        &admin,
        syslog("Hanging", "custom", hole_port, "tcp", "rfc5424", None),
    )
    .await;
    create(&stack, &admin, bulk(&bulk_rx.url(), "fast")).await;
    stack
        .create_key(&admin, json!({"name": "k", "scopes": ["keys:read"]}))
        .await;
    let produced = produced(&stack, &tenant.tenant.tenant_id).await;
    // The outbox first, so the SIEM queue holds both destinations' messages.
    stack.outbox.pump_once().await.unwrap();
    let pump = QueuePump::new(&stack.template, &stack.local, &stack.sdk).unwrap();
    let started = std::time::Instant::now();
    let round = tokio::spawn(async move { pump.pump_once(1).await });
    while bulk_rx.documents().len() < produced.len() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the fast destination waited for the slow one"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        !round.is_finished(),
        "the slow destination's delivery is still waiting for its timeout"
    );
    round.await.unwrap().unwrap();
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(9),
        "the slow delivery ran into its 10 s timeout"
    );
}
