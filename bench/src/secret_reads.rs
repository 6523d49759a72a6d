//! Tenant secret reads on both backends, through the service's store as a read
//! function runs it: Gatehouse's own store (records in DynamoDB, ciphertext in Secrets
//! Manager, data keys in KMS: moto on loopback) and the tenant's Vault (OpenBao,
//! `bao server -dev`, on loopback).
//!
//! - AWS uncached: each of 90 versions read for the first time (the version is opened:
//!   Secrets Manager and KMS); cached: the same reads again (the record is still read
//!   every time, the value comes from memory). AWS calls per read from moto's counts.
//! - Vault: with the session reused (one client, its connections kept) and with a new
//!   session per read (a new client and connection, the token opened from its seal).

use gatehouse::ids::TenantId;
use gatehouse::integrations::{Health, Integration, VaultAuth, VaultConfig};
use gatehouse::secrets::store::token_context;
use gatehouse::secrets::{SecretData, SecretPath, Settings};
use gatehouse::store::WriteBatch;
use gatehouse_bench::{BenchResult, BenchStack, aws_calls, calls_per, header, report};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VERSIONS: u64 = 90;
const VAULT_READS: usize = 300;

#[tokio::main]
async fn main() -> BenchResult {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let token = format!(
        "bench-{}",
        gatehouse::keys::base62::random_string(16).map_err(|e| e.to_string())?
    );
    let mut bao = Command::new(".venv/bin/bao")
        .args([
            "server",
            "-dev",
            &format!("-dev-listen-address=127.0.0.1:{port}"),
            &format!("-dev-root-token-id={token}"),
            "-dev-no-store-token",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let address = format!("http://127.0.0.1:{port}");
    let outcome = run(&address, &token, port).await;
    let _ = bao.kill();
    outcome
}

async fn run(address: &str, token: &str, port: u16) -> BenchResult {
    for _ in 0..200 {
        if reqwest::get(format!("{address}/v1/sys/health"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let allow = format!("127.0.0.1:{port}");
    let stack = BenchStack::new(&[("IntegrationAllowHosts", allow.as_str())]).await?;
    let app = stack.app("ReadSecretFunction")?;
    let writer = stack.app("WriteSecretFunction")?;
    let tenant = TenantId::generate().map_err(|e| e.to_string())?;
    let path = SecretPath::parse("bench/db")?;
    let now = time::OffsetDateTime::now_utc();
    let value = |n: u64| {
        SecretData::new(
            serde_json::json!({"password": format!("value-{n}")})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
    };
    let (_, _, _, committed) = writer
        .secrets
        .configure(&tenant, &path, |s: &mut Settings| s.max_versions = 90, now)
        .await
        .map_err(|e| e.to_string())?;
    if let gatehouse::secrets::Committed::Batch(batch) = committed {
        writer.dynamo.commit(batch).await?;
    }
    for n in 1..=VERSIONS {
        let (_, committed) = writer
            .secrets
            .write(&tenant, &path, &value(n)?, None, now)
            .await
            .map_err(|e| e.to_string())?;
        if let gatehouse::secrets::Committed::Batch(batch) = committed {
            writer.dynamo.commit(batch).await?;
        }
    }

    header("secret read (90 versions)");
    for pass in [
        "AWS, first read of each version (uncached)",
        "AWS, again (cached)",
    ] {
        let before = aws_calls().await?;
        let started = Instant::now();
        let mut samples = Vec::new();
        for n in 1..=VERSIONS {
            let t = Instant::now();
            let (_, data, _) = app
                .secrets
                .read(&tenant, &path, Some(n), now)
                .await
                .map_err(|e| e.to_string())?;
            samples.push(t.elapsed());
            assert_eq!(data.field("password"), Some(format!("value-{n}")));
        }
        let elapsed = started.elapsed();
        let calls = calls_per(&before, &aws_calls().await?, VERSIONS as usize);
        report(pass, samples, elapsed);
        println!("    AWS calls per read: {calls:?}");
    }

    // The same tenant's secrets in its Vault.
    let integration_id = gatehouse::ids::IntegrationId::generate().map_err(|e| e.to_string())?;
    let sealed = app
        .secrets
        .envelope
        .seal(
            token.as_bytes(),
            &token_context(&tenant, integration_id.as_str()),
        )
        .await?;
    let integration = Integration {
        tenant_id: tenant.clone(),
        integration_id,
        vault: VaultConfig {
            address: address.to_owned(),
            namespace: None,
            mount: "secret".into(),
            auth: VaultAuth::Token {
                token: gatehouse::integrations::Credential::Sealed(sealed),
            },
            ca_pem: None,
        },
        health: Health::default(),
        created_at: now,
        created_by: "bench".into(),
        updated_at: None,
        version: 1,
    };
    let mut batch = WriteBatch::new();
    app.secrets.integrations.put_new(&mut batch, &integration)?;
    app.dynamo.commit(batch).await?;
    writer
        .secrets
        .write(&tenant, &path, &value(1)?, None, now)
        .await
        .map_err(|e| e.to_string())?;
    for (label, fresh_session) in [
        ("Vault, session reused", false),
        ("Vault, new session per read", true),
    ] {
        let before = aws_calls().await?;
        let started = Instant::now();
        let mut samples = Vec::new();
        for _ in 0..VAULT_READS {
            if fresh_session {
                app.secrets.forget_session(&tenant);
            }
            let t = Instant::now();
            app.secrets
                .read(&tenant, &path, None, now)
                .await
                .map_err(|e| e.to_string())?;
            samples.push(t.elapsed());
        }
        let elapsed = started.elapsed();
        let calls = calls_per(&before, &aws_calls().await?, VAULT_READS);
        report(label, samples, elapsed);
        println!("    AWS calls per read: {calls:?}");
    }
    Ok(())
}
