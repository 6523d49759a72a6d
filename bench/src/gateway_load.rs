//! End to end through the local gateway over TCP: 50 concurrent keep-alive
//! connections each sending `GET /v2/api-keys/{key_id}` for a fixed time. Every
//! request runs the authorizer (warm cache, default TTL) and the handler (one
//! GetItem on moto). Prints p50/p99 latency and requests per second.

use bytes::Bytes;
use gatehouse::keys::issue::create_tenant;
use gatehouse::keys::model::{DisplayName, Principal};
use gatehouse_bench::{BenchResult, BenchStack, header, report};
use gatehouse_devtools::gateway::Gateway;
use http_body_util::{BodyExt, Empty};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

const CONNECTIONS: usize = 50;
const RUN_FOR: Duration = Duration::from_secs(15);

#[tokio::main]
async fn main() -> BenchResult {
    let stack = BenchStack::new(&[]).await?;
    let gateway = Arc::new(Gateway::new(&stack.template, &stack.local, &stack.sdk)?);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(Arc::clone(&gateway).serve(listener));
    let app = stack.app("CreateApiKeyFunction")?;
    let (_, key, record) = create_tenant(
        &app,
        DisplayName::parse("Load")?,
        None,
        Principal::parse("user:load")?,
    )
    .await?;
    let authorization = format!("Bearer {}", key.expose());
    let path = format!("/v2/api-keys/{}", record.key_id);

    let deadline = Instant::now() + RUN_FOR;
    let started = Instant::now();
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (authorization, path) = (authorization.clone(), path.clone());
            tokio::spawn(async move {
                let stream = TcpStream::connect(addr).await?;
                let io = hyper_util::rt::TokioIo::new(stream);
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(io).await?;
                tokio::spawn(connection);
                let mut samples = Vec::new();
                let mut failures = 0usize;
                while Instant::now() < deadline {
                    let request = http::Request::get(path.as_str())
                        .header("host", "localhost")
                        .header("authorization", authorization.as_str())
                        .body(Empty::new())?;
                    let t = Instant::now();
                    let response = sender.send_request(request).await?;
                    let status = response.status();
                    response.into_body().collect().await?;
                    samples.push(t.elapsed());
                    failures += usize::from(status != 200);
                }
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>((samples, failures))
            })
        })
        .collect();
    let mut samples = Vec::new();
    let mut failures = 0;
    for client in clients {
        let (s, f) = client.await??;
        samples.extend(s);
        failures += f;
    }
    let elapsed = started.elapsed();
    println!(
        "{CONNECTIONS} connections for {RUN_FOR:?}: {} requests, {failures} not 200",
        samples.len()
    );
    header("request through the local gateway");
    report(
        "GET /v2/api-keys/{key_id} (authorizer + GetItem)",
        samples,
        elapsed,
    );
    Ok(())
}
