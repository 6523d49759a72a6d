//! Cold start of the release authorizer: time from process start to the first event
//! answered through a local Lambda Runtime API (this program serves the API's
//! `next` and `response` endpoints; the binary is the real bootstrap).
//!
//! Two first events: a malformed key (start-up and decision, no I/O) and a valid key
//! (start-up, the first GetItem on moto, argon2id). Usage: `cold-start <bootstrap>`.

use bytes::Bytes;
use gatehouse::keys::issue::create_tenant;
use gatehouse::keys::model::{DisplayName, Principal};
use gatehouse_bench::{BenchResult, BenchStack, quantile};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const RUNS: usize = 20;

/// The Runtime API: hands out one event, then holds further `next` calls open;
/// reports each response (or error) on `done`.
struct RuntimeApi {
    event: Mutex<Option<Value>>,
    done: mpsc::UnboundedSender<Result<Value, String>>,
}

async fn serve(api: Arc<RuntimeApi>, req: http::Request<Incoming>) -> http::Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    if path.ends_with("/invocation/next") {
        let event = api.event.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(event) = event else {
            // Only one invocation per process: the caller kills it.
            std::future::pending::<()>().await;
            unreachable!();
        };
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() + 5_000)
            .unwrap_or_default();
        return http::Response::builder()
            .header("lambda-runtime-aws-request-id", "bench-request-1")
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:authorizer",
            )
            .header(
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000",
            )
            .body(Full::new(Bytes::from(event.to_string())))
            .unwrap_or_default();
    }
    let failed = path.ends_with("/error");
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let _ = api.done.send(if failed {
        Err(value.to_string())
    } else {
        Ok(value)
    });
    http::Response::builder()
        .status(202)
        .body(Full::new(Bytes::new()))
        .unwrap_or_default()
}

fn authorizer_event(token: &str) -> Value {
    json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/v2/api-keys",
        "identitySource": [format!("Bearer {token}")],
        "routeKey": "GET /v2/api-keys",
        "rawPath": "/v2/api-keys",
        "rawQueryString": "",
        "headers": { "authorization": format!("Bearer {token}") },
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123", "domainName": "x", "domainPrefix": "x",
            "http": { "method": "GET", "path": "/v2/api-keys", "protocol": "HTTP/1.1",
                      "sourceIp": "203.0.113.7", "userAgent": "bench" },
            "requestId": "bench", "routeKey": "GET /v2/api-keys", "stage": "$default",
            "time": "25/Nov/2026:12:00:00 +0000", "timeEpoch": 1795608000000u64
        }
    })
}

async fn one_cold_start(
    bootstrap: &str,
    env: &[(String, String)],
    event: Value,
) -> BenchResult<(Duration, Value)> {
    let (done, mut finished) = mpsc::unbounded_channel();
    let api = Arc::new(RuntimeApi {
        event: Mutex::new(Some(event)),
        done,
    });
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let api = Arc::clone(&api);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let api = Arc::clone(&api);
                    async move { Ok::<_, Infallible>(serve(api, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let started = Instant::now();
    let mut child = tokio::process::Command::new(bootstrap)
        .envs(env.iter().cloned())
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("_HANDLER", "authorizer")
        .env("AWS_LAMBDA_FUNCTION_NAME", "authorizer")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/authorizer")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let outcome = tokio::time::timeout(Duration::from_secs(10), finished.recv()).await;
    let took = started.elapsed();
    let _ = child.kill().await;
    server.abort();
    match outcome {
        Ok(Some(Ok(response))) => Ok((took, response)),
        Ok(Some(Err(error))) => Err(format!("the function failed: {error}").into()),
        _ => Err("no response within 10 s".into()),
    }
}

#[tokio::main]
async fn main() -> BenchResult {
    let bootstrap = std::env::args()
        .nth(1)
        .ok_or("usage: cold-start <bootstrap>")?;
    let stack = BenchStack::new(&[]).await?;
    let mut env: Vec<(String, String)> = stack.env("AuthorizerFunction")?.into_iter().collect();
    env.retain(|(k, _)| !k.starts_with("AWS_LAMBDA_"));
    let app = stack.app("AuthorizerFunction")?;
    let (_, key, _) = create_tenant(
        &app,
        DisplayName::parse("Cold start")?,
        None,
        Principal::parse("user:bench")?,
    )
    .await?;
    println!(
        "{:<48} {:>10} {:>10} {:>10}",
        "process start -> first event answered", "p50", "p99", "max"
    );
    for (label, token, expect_allow) in [
        (
            "malformed key (no I/O)",
            "gh_live_not-a-key".to_owned(),
            false,
        ),
        (
            "valid key (GetItem on moto + argon2id)",
            key.expose().to_owned(),
            true,
        ),
    ] {
        let mut samples = Vec::new();
        for _ in 0..RUNS {
            let (took, response) =
                one_cold_start(&bootstrap, &env, authorizer_event(&token)).await?;
            if response["isAuthorized"].as_bool() != Some(expect_allow) {
                return Err(format!("{label}: unexpected answer {response}").into());
            }
            samples.push(took);
        }
        samples.sort();
        println!(
            "{label:<48} {:>10.2?} {:>10.2?} {:>10.2?}",
            quantile(&samples, 0.5),
            quantile(&samples, 0.99),
            samples[samples.len() - 1]
        );
    }
    Ok(())
}
