//! The delivery guarantee under trouble: receivers that fail their first attempts,
//! drop connections and time out, and the AWS endpoint (this test's own moto server)
//! frozen with SIGSTOP mid-run and resumed with SIGCONT (it keeps its state; a restart
//! would not). Every event is delivered at least once or accounted for in the
//! dead-letter queue, the counts match exactly, and duplicates share their webhook-id.

use gatehouse::ids::WebhookId;
use gatehouse::webhooks::delivery::DeliveryStatus;
use gatehouse_devtools::pump::QueuePump;
use gatehouse_devtools::template::TemplateValue;
use gatehouse_integration_tests::webhook_receiver::{Reply, receiver};
use gatehouse_integration_tests::{TestStack, workspace_root};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;

const EVENTS: usize = 8;

/// A moto server of this test's own, stopped when dropped.
struct OwnMoto {
    port: String,
    pidfile: std::path::PathBuf,
}

impl OwnMoto {
    fn start() -> Self {
        let scripts = workspace_root().join("infra/scripts");
        let port = String::from_utf8(
            Command::new(scripts.join("free-port.sh"))
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
        .trim()
        .to_owned();
        let pidfile = std::env::temp_dir().join(format!("gh-outage-moto-{port}.pid"));
        let started = Command::new(scripts.join("moto.sh"))
            .args(["start", &port])
            .arg(&pidfile)
            .status()
            .unwrap();
        assert!(started.success(), "moto server starts");
        Self { port, pidfile }
    }

    fn signal(&self, signal: &str) {
        let pid = std::fs::read_to_string(&self.pidfile).unwrap();
        assert!(
            Command::new("kill")
                .args([signal, pid.trim()])
                .status()
                .unwrap()
                .success()
        );
    }
}

impl Drop for OwnMoto {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args([
                "-CONT",
                std::fs::read_to_string(&self.pidfile)
                    .unwrap_or_default()
                    .trim(),
            ])
            .status();
        let _ = Command::new(workspace_root().join("infra/scripts/moto.sh"))
            .arg("stop")
            .arg(&self.pidfile)
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_is_delivered_or_dead_lettered_through_an_outage() {
    let moto = OwnMoto::start();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{}", moto.port))
        .load()
        .await;
    // A receiver that fails, drops, times out, then recovers; and one that never does.
    let flaky = receiver(vec![
        Reply::Status(500),
        Reply::Drop,
        Reply::Hang(Duration::from_secs(3)),
        Reply::Status(503),
        Reply::Status(200),
    ])
    .await;
    let broken = receiver(vec![Reply::Status(500)]).await;
    let allow = format!("127.0.0.1:{},127.0.0.1:{}", flaky.port, broken.port);
    let stack = TestStack::on(
        sdk,
        &[
            ("AuthCacheTtlSeconds", "0"),
            ("WebhookAllowHosts", &allow),
            ("WebhookRetrySchedule", "1,1,1,1,1,1,1"),
            ("WebhookTimeoutSeconds", "1"),
            // This test is about delivery, not the breaker (unit-tested): keep it shut.
            ("WebhookCircuitMinVolume", "100000"),
        ],
    )
    .await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let mut hooks = Vec::new();
    for rx in [&flaky, &broken] {
        let created = stack
            .send(
                "POST",
                "/v2/webhooks",
                &admin,
                Some(json!({"url": format!("http://127.0.0.1:{}/hooks", rx.port), "event_types": ["api_key.created"]})),
            )
            .await;
        created.assert_status(201);
        hooks.push(WebhookId::parse(created.json()["webhook_id"].as_str().unwrap()).unwrap());
    }
    for i in 0..EVENTS {
        stack
            .create_key(
                &admin,
                json!({"name": format!("k{i}"), "scopes": ["keys:read"]}),
            )
            .await;
    }

    // Pump in the background; freeze the AWS endpoint for a while mid-run.
    let pump = QueuePump::new(&stack.template, &stack.local, &stack.sdk).unwrap();
    let pumping = tokio::spawn(async move {
        loop {
            if pump.pump_once(1).await.is_err() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    });
    tokio::time::sleep(Duration::from_secs(4)).await;
    moto.signal("-STOP");
    tokio::time::sleep(Duration::from_secs(5)).await;
    moto.signal("-CONT");

    let tenant_id = tenant.tenant.tenant_id.clone();
    let mut settled = false;
    for _ in 0..60 {
        let mut done = 0;
        for hook in &hooks {
            let rows = stack.deliveries(&tenant_id, hook).await;
            done += rows
                .iter()
                .filter(|r| r.status != DeliveryStatus::Pending)
                .count();
        }
        if done == 2 * EVENTS {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    pumping.abort();
    if !settled {
        for hook in &hooks {
            let rows = stack.deliveries(&tenant_id, hook).await;
            for r in rows.iter().filter(|r| r.status == DeliveryStatus::Pending) {
                let detail = stack
                    .app
                    .deliveries
                    .get(&tenant_id, &r.delivery_id)
                    .await
                    .unwrap();
                eprintln!("stuck: {r:?}\n  {detail:?}");
            }
        }
    }
    assert!(settled, "every delivery ended");

    // The flaky endpoint got every event at least once, ending in a 200.
    let rows = stack.deliveries(&tenant_id, &hooks[0]).await;
    assert_eq!(rows.len(), EVENTS);
    assert!(
        rows.iter().all(|r| r.status == DeliveryStatus::Delivered),
        "{rows:?}"
    );
    let received = flaky.received.lock().unwrap().clone();
    let mut by_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &received {
        by_id
            .entry(r.header("webhook-id").to_owned())
            .or_default()
            .push(r.body.clone());
    }
    assert_eq!(
        by_id.len(),
        EVENTS,
        "each event arrived, under one webhook-id each"
    );
    for bodies in by_id.values() {
        assert!(
            bodies.windows(2).all(|w| w[0] == w[1]),
            "duplicates are byte-identical"
        );
    }

    // The broken endpoint's deliveries all failed and are all in the dead-letter queue.
    let rows = stack.deliveries(&tenant_id, &hooks[1]).await;
    assert!(
        rows.iter().all(|r| r.status == DeliveryStatus::Failed),
        "{rows:?}"
    );
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk);
    let dlq = stack
        .local
        .resolve(&TemplateValue::Ref("DeliveryDeadLetterQueue".into()))
        .unwrap();
    let mut dead = BTreeSet::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(&dlq)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for m in messages {
            let body: Value = serde_json::from_str(m.body().unwrap()).unwrap();
            dead.insert(body["message"]["delivery_id"].as_str().unwrap().to_owned());
            sqs.delete_message()
                .queue_url(&dlq)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    let failed: BTreeSet<String> = rows.iter().map(|r| r.delivery_id.clone()).collect();
    assert_eq!(
        dead, failed,
        "exactly the failed deliveries are dead-lettered"
    );
    assert_eq!(
        by_id.len() + dead.len(),
        2 * EVENTS,
        "every event accounted for"
    );
}
