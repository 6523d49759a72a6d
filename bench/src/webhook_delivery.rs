//! Webhook delivery throughput of one dispatcher instance: N events fanned out to one
//! endpoint (a local receiver answering 204), then the delivery queue drained by one
//! queue pump (batches of 10 attempts in parallel, as one Lambda instance would).
//! Prints deliveries per second and the time from enqueue to receipt.

use gatehouse::events::{Category, DomainEvent};
use gatehouse::ids::WebhookId;
use gatehouse::keys::issue::create_tenant;
use gatehouse::keys::model::{DisplayName, Principal};
use gatehouse::webhooks::circuit::Breaker;
use gatehouse::webhooks::dispatch::fan_out;
use gatehouse::webhooks::endpoint::{Endpoint, EndpointStatus};
use gatehouse::webhooks::sealed::Owner;
use gatehouse::webhooks::signature::SigningSecret;
use gatehouse_bench::{BenchResult, BenchStack, aws_calls, calls_per, quantile};
use gatehouse_devtools::pump::QueuePump;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const EVENTS: usize = 300;

/// Answers 204 to every request and notes when each webhook-id arrived.
async fn receiver() -> BenchResult<(u16, Arc<Mutex<HashMap<String, Instant>>>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let arrivals = Arc::new(Mutex::new(HashMap::new()));
    let log = Arc::clone(&arrivals);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16384];
                let mut data = Vec::new();
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buf[..n]);
                    let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            l.strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if data.len() < end + 4 + length {
                        continue;
                    }
                    if let Some(id) = head.lines().find_map(|l| l.strip_prefix("webhook-id:")) {
                        log.lock()
                            .unwrap()
                            .entry(id.trim().to_owned())
                            .or_insert_with(Instant::now);
                    }
                    let _ = socket.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
                    data.drain(..end + 4 + length);
                }
            });
        }
    });
    Ok((port, arrivals))
}

#[tokio::main]
async fn main() -> BenchResult {
    let (port, arrivals) = receiver().await?;
    let allow = format!("127.0.0.1:{port}");
    let stack = BenchStack::new(&[
        ("WebhookAllowHosts", &allow),
        ("WebhookCircuitMinVolume", "100000"),
    ])
    .await?;
    let app = stack.app("WebhookFanoutFunction")?;
    let (tenant, _, _) = create_tenant(
        &app,
        DisplayName::parse("Webhook bench")?,
        None,
        Principal::parse("user:bench")?,
    )
    .await?;
    let webhook_id = WebhookId::generate().map_err(|e| e.to_string())?;
    let secret = SigningSecret::generate().map_err(|e| e.to_string())?;
    // The fan-out holds no sealing key; the dispatcher, which opens secrets, does.
    let sealed = stack
        .app("WebhookDispatcherFunction")?
        .sealer
        .seal(
            &secret,
            Owner {
                tenant_id: tenant.tenant_id.as_str(),
                webhook_id: webhook_id.as_str(),
            },
        )
        .await?;
    let endpoint = Endpoint {
        tenant_id: tenant.tenant_id.clone(),
        webhook_id,
        url: format!("http://127.0.0.1:{port}/hooks"),
        event_types: vec!["*".into()],
        description: String::new(),
        status: EndpointStatus::Active,
        disabled: None,
        rate_limit_per_second: None,
        secret: sealed,
        retiring_secret: None,
        breaker: Breaker::default(),
        created_at: app.clock.now(),
        created_by: "user:bench".into(),
        updated_at: None,
        version: 1,
    };
    let mut batch = gatehouse::store::WriteBatch::new();
    app.endpoints.put_new(&mut batch, &endpoint)?;
    app.dynamo.commit(batch).await?;

    let mut enqueued = HashMap::new();
    for i in 0..EVENTS {
        let event = DomainEvent::new(
            "api_key.created",
            Category::Lifecycle,
            &tenant.tenant_id,
            app.clock.now(),
            serde_json::json!({ "n": i }),
        );
        fan_out(&app, &event, app.clock.now()).await?;
        enqueued.insert(event.id.to_lowercase(), Instant::now());
    }
    let pump = QueuePump::new(&stack.template, &stack.local, &stack.sdk)?.webhooks_only();
    let calls_before = aws_calls().await?;
    let started = Instant::now();
    while arrivals.lock().unwrap().len() < EVENTS {
        pump.pump_once(0).await?;
        if started.elapsed() > Duration::from_secs(300) {
            return Err("deliveries did not all arrive within 5 minutes".into());
        }
    }
    let elapsed = started.elapsed();
    let calls = calls_per(&calls_before, &aws_calls().await?, EVENTS);
    let arrivals = arrivals.lock().unwrap().clone();
    let mut latencies: Vec<Duration> = arrivals
        .iter()
        .filter_map(|(id, at)| enqueued.get(id).map(|t0| at.duration_since(*t0)))
        .collect();
    latencies.sort();
    println!("{EVENTS} deliveries to one endpoint, one dispatcher (batches of 10 in parallel)");
    println!(
        "deliveries per second (queue drain)        {:>10.0}",
        EVENTS as f64 / elapsed.as_secs_f64()
    );
    println!(
        "enqueue -> receipt                 p50 {:>10.2?} p99 {:>10.2?}",
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99)
    );
    // Machine-independent: what one delivery costs in AWS calls (queue receives and
    // deletes are the pump's, batched by 10, as Lambda's event source would).
    let total: f64 = calls.values().sum();
    println!("AWS calls per delivery                     {total:>10.2}");
    for (op, n) in &calls {
        println!("  {op:<40} {n:>10.2}");
    }
    Ok(())
}
