//! SIEM forwarding figures:
//! 1. events encoded per second per format on one core (redaction included);
//! 2. events per second one forwarder instance delivers to rsyslog over TLS
//!    (batches of 100, as the event source mapping sends them), with the AWS calls
//!    each event costs;
//! 3. end-to-end latency from a change's commit to rsyslog's receipt, through the
//!    local outbox pump and queue pump (key creations through the local gateway).

use gatehouse::audit::{Actor, AuditEvent, Origin, TargetKind};
use gatehouse::ids::{IntegrationId, KeyId, TenantId};
use gatehouse::keys::issue::create_tenant;
use gatehouse::keys::model::{DisplayName, Principal};
use gatehouse::siem::delivery::SiemMessage;
use gatehouse::siem::destination::{
    Destination, Filter, Preset, SyslogFormat, SyslogProtocol, TlsOptions, Transport,
};
use gatehouse::siem::{Redaction, SecurityEvent, cef, ecs, hec, leef, ocsf, redact, syslog};
use gatehouse_bench::{BenchResult, BenchStack, aws_calls, calls_per, quantile};
use gatehouse_integration_tests::rsyslog::Rsyslog;
use std::time::{Duration, Instant};

const ENCODED: usize = 100_000;
const FORWARDED: usize = 2_000;
const BATCH: usize = 100;
const COMMITS: usize = 40;

fn event(n: usize) -> SecurityEvent {
    let audit = AuditEvent::new(
        &TenantId::parse("acme000001").unwrap(),
        "api_key.create",
        Actor {
            principal: "ops@example.com".into(),
            key_id: Some(KeyId::parse("4fT7wq2LmN").unwrap()),
        },
        Origin {
            source_ip: Some("203.0.113.7".into()),
            user_agent: Some("curl/8.5.0".into()),
            request_id: Some(format!("req{n}")),
            route: Some("POST /v2/api-keys".into()),
        },
        time::OffsetDateTime::now_utc(),
    )
    .target(TargetKind::ApiKey, "9hV2nB6dS3")
    .status(201);
    SecurityEvent::from_audit(&audit)
}

/// A syslog destination on loopback, as a create would store it.
fn syslog_destination(
    tenant: &TenantId,
    id: &IntegrationId,
    port: u16,
    protocol: SyslogProtocol,
    format: SyslogFormat,
    ca_pem: Option<String>,
) -> Destination {
    Destination {
        tenant_id: tenant.clone(),
        destination_id: id.clone(),
        name: "bench".into(),
        preset: Preset::Custom,
        transport: Transport::Syslog {
            host: "127.0.0.1".into(),
            port,
            protocol,
            format,
            facility: 13,
            hostname: "gatehouse".into(),
            max_message_bytes: 8192,
        },
        credential: None,
        tls: TlsOptions {
            ca_pem,
            ..TlsOptions::default()
        },
        filter: Filter::default(),
        redaction: Redaction::default(),
        all_tenants: false,
        enabled: true,
        health: Default::default(),
        created_at: time::OffsetDateTime::now_utc(),
        created_by: "bench".into(),
        updated_at: None,
        version: 1,
    }
}

fn encode_rates() {
    let events: Vec<SecurityEvent> = (0..1000).map(event).collect();
    let policy = Redaction::default();
    let header = syslog::Header::default();
    let envelope = hec::Envelope::default();
    type Encoder<'a> = Box<dyn Fn(&gatehouse::siem::Redacted) -> usize + 'a>;
    let formats: Vec<(&str, Encoder)> = vec![
        ("redaction only", Box::new(|_| 0)),
        ("CEF", Box::new(|e| cef::encode(e).len())),
        (
            "LEEF 1.0",
            Box::new(|e| leef::encode(e, leef::Version::V1).len()),
        ),
        (
            "LEEF 2.0",
            Box::new(|e| leef::encode(e, leef::Version::V2).len()),
        ),
        (
            "RFC 5424 (plain)",
            Box::new(|e| syslog::encode_plain(e, &header, 8192).len()),
        ),
        (
            "RFC 5424 carrying CEF",
            Box::new(|e| syslog::encode(e, &header, &cef::encode(e), 8192).len()),
        ),
        ("OCSF JSON", Box::new(|e| ocsf::encode(e).to_string().len())),
        (
            "ECS bulk lines",
            Box::new(|e| ecs::bulk_lines(e, "gatehouse-security").len()),
        ),
        (
            "Splunk HEC event",
            Box::new(|e| hec::event(e, &envelope).to_string().len()),
        ),
    ];
    println!("{:<28} {:>14} {:>12}", "format", "events/s", "bytes/event");
    for (name, encode) in formats {
        let started = Instant::now();
        let mut bytes = 0;
        for i in 0..ENCODED {
            let redacted = redact(events[i % events.len()].clone(), &policy);
            bytes += encode(&redacted);
        }
        let elapsed = started.elapsed();
        println!(
            "{name:<28} {:>14.0} {:>12}",
            ENCODED as f64 / elapsed.as_secs_f64(),
            bytes / ENCODED
        );
    }
}

async fn forward_rate(rsyslog: &Rsyslog) -> BenchResult {
    let allow = format!("127.0.0.1:{}", rsyslog.tls_port);
    let stack = BenchStack::new(&[("IntegrationAllowHosts", allow.as_str())]).await?;
    let app = stack.app("SiemForwarderFunction")?;
    let tenant = TenantId::parse("acme000001")?;
    let id = IntegrationId::generate().map_err(|e| e.to_string())?;
    let destination = syslog_destination(
        &tenant,
        &id,
        rsyslog.tls_port,
        SyslogProtocol::Tls,
        SyslogFormat::Cef,
        Some(rsyslog.ca_pem.clone()),
    );
    let mut batch = gatehouse::store::WriteBatch::new();
    app.siem.destinations.put_new(&mut batch, &destination)?;
    app.dynamo.commit(batch).await?;
    let now = time::OffsetDateTime::now_utc();
    let messages: Vec<SiemMessage> = (0..FORWARDED)
        .map(|n| SiemMessage {
            destination_tenant: tenant.clone(),
            destination_id: id.clone(),
            event: event(n),
            attempt: 0,
            first_queued_at: now,
            due_at: now,
        })
        .collect();
    let before = aws_calls().await?;
    let started = Instant::now();
    let mut batch_times = Vec::new();
    for chunk in messages.chunks(BATCH) {
        let t0 = Instant::now();
        let (done, _) = gatehouse::siem::forward::forward(&app, chunk.to_vec()).await;
        if done.delivered != chunk.len() {
            return Err(format!("a batch was not delivered: {done:?}").into());
        }
        batch_times.push(t0.elapsed());
    }
    let elapsed = started.elapsed();
    let calls = calls_per(&before, &aws_calls().await?, FORWARDED);
    rsyslog.wait_for(FORWARDED);
    batch_times.sort();
    println!(
        "{FORWARDED} events, one forwarder, CEF over TLS to rsyslog, batches of {BATCH}: {:.0} events/s; batch p50 {:.2?}, p99 {:.2?}",
        FORWARDED as f64 / elapsed.as_secs_f64(),
        quantile(&batch_times, 0.5),
        quantile(&batch_times, 0.99)
    );
    let total: f64 = calls.values().sum();
    println!("AWS calls per forwarded event (batch of {BATCH}): {total:.3}");
    for (op, n) in &calls {
        println!("  {op:<40} {n:>8.3}");
    }
    Ok(())
}

async fn end_to_end(rsyslog: &Rsyslog) -> BenchResult {
    let allow = format!("127.0.0.1:{}", rsyslog.tcp_port);
    let stack = BenchStack::new(&[
        ("IntegrationAllowHosts", allow.as_str()),
        ("AuthCacheTtlSeconds", "0"),
    ])
    .await?;
    let app = stack.app("CreateSiemDestinationFunction")?;
    let writer = stack.app("CreateApiKeyFunction")?;
    let (tenant, _, _) = create_tenant(
        &writer,
        DisplayName::parse("Bench")?,
        None,
        Principal::parse("user:bench")?,
    )
    .await?;
    let id = IntegrationId::generate().map_err(|e| e.to_string())?;
    let destination = syslog_destination(
        &tenant.tenant_id,
        &id,
        rsyslog.tcp_port,
        SyslogProtocol::Tcp,
        SyslogFormat::Rfc5424,
        None,
    );
    let mut batch = gatehouse::store::WriteBatch::new();
    app.siem.destinations.put_new(&mut batch, &destination)?;
    app.dynamo.commit(batch).await?;
    let pump = gatehouse_devtools::pump::QueuePump::new(&stack.template, &stack.local, &stack.sdk)?;
    let already = rsyslog.received().len();
    for n in 0..COMMITS {
        // A committed change with its audit event, as a route commits it.
        let audit = AuditEvent::new(
            &tenant.tenant_id,
            "scope.create",
            Actor {
                principal: "user:bench".into(),
                key_id: None,
            },
            Origin::default(),
            writer.clock.precise_now(),
        )
        .detail(format!("bench {n}"));
        writer.audit.put(&audit).await?;
        pump.pump_once(0).await?;
    }
    let started = Instant::now();
    while rsyslog.received().len() < already + COMMITS {
        pump.pump_once(0).await?;
        if started.elapsed() > Duration::from_secs(120) {
            return Err("events did not all arrive within 2 minutes".into());
        }
    }
    let format = time::format_description::well_known::Rfc3339;
    let mut latencies: Vec<Duration> = rsyslog.received()[already..]
        .iter()
        .filter_map(|m| {
            let committed =
                time::OffsetDateTime::parse(m["timereported"].as_str()?, &format).ok()?;
            let received =
                time::OffsetDateTime::parse(m["timegenerated"].as_str()?, &format).ok()?;
            Duration::try_from(received - committed).ok()
        })
        .collect();
    latencies.sort();
    println!(
        "{COMMITS} commits -> rsyslog (RFC 5424 over TCP) through the local outbox and queue pumps: p50 {:.2?}, p99 {:.2?}",
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> BenchResult {
    println!("-- encoding, one core");
    encode_rates();
    let rsyslog = Rsyslog::start();
    println!("-- forwarding (storage is moto on loopback)");
    forward_rate(&rsyslog).await?;
    println!("-- end to end");
    end_to_end(&rsyslog).await?;
    Ok(())
}
