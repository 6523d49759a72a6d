//! One invocation of the real bootstrap through a local Lambda Runtime API: what
//! `sam local invoke` does, without Docker. This module serves the API's `next`,
//! `response` and `error` endpoints on an ephemeral loopback port (so it collides with
//! nothing), starts the bootstrap with the function's environment, hands it one event
//! and reports what the function answered.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use serde_json::Value;
use std::convert::Infallible;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// What one invocation came to.
#[derive(Debug)]
pub struct Invocation {
    /// From process start to the function's answer.
    pub took: Duration,
    /// The function's response, or the error it reported (`errorMessage`...).
    pub outcome: Result<Value, Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("the bootstrap did not start: {0}")]
    Spawn(std::io::Error),
    #[error("the function stopped before answering ({0}); its log says why")]
    Exited(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("local Runtime API: {0}")]
    Io(#[from] std::io::Error),
}

/// Where the bootstrap's log goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log {
    /// To this process's stderr (the CLI shows it; its stdout is the answer).
    Inherit,
    /// Nowhere (benchmarks).
    Discard,
}

struct RuntimeApi {
    event: Mutex<Option<Value>>,
    function: String,
    done: mpsc::UnboundedSender<Result<Value, Value>>,
}

/// Runs `bootstrap` as the function `handler` (its `_HANDLER`) with `env`, for one
/// `event`, and stops it once it has answered (or reports that it exited first).
pub async fn invoke_once(
    bootstrap: &Path,
    handler: &str,
    env: &[(String, String)],
    event: Value,
    log: Log,
    timeout: Duration,
) -> Result<Invocation, InvokeError> {
    let (done, mut finished) = mpsc::unbounded_channel();
    let api = Arc::new(RuntimeApi {
        event: Mutex::new(Some(event)),
        function: handler.to_owned(),
        done,
    });
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(serve_api(listener, api));
    let started = Instant::now();
    // The function's log (stdout and stderr) goes to this process's stderr, so that
    // this process's stdout carries only the answer.
    let output = || match log {
        Log::Inherit => Stdio::from(std::io::stderr()),
        Log::Discard => Stdio::null(),
    };
    // Only what Lambda would give the function: its own environment, the AWS SDK
    // settings (endpoint, region, credentials) and the log settings; nothing else of
    // this process's, so a variable the template forgot fails here as it would there.
    let inherited = std::env::vars().filter(|(name, _)| {
        name.starts_with("AWS_") || matches!(name.as_str(), "RUST_LOG" | "PATH" | "HOME")
    });
    let mut child = tokio::process::Command::new(bootstrap)
        .env_clear()
        .envs(inherited)
        .envs(env.iter().cloned())
        .env("_HANDLER", handler)
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", handler)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{handler}"),
        )
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        .stdin(Stdio::null())
        .stdout(output())
        .stderr(output())
        .kill_on_drop(true)
        .spawn()
        .map_err(InvokeError::Spawn)?;
    let answered = tokio::select! {
        answer = tokio::time::timeout(timeout, finished.recv()) => match answer {
            Ok(Some(outcome)) => Ok(Invocation { took: started.elapsed(), outcome }),
            Ok(None) => Err(InvokeError::Exited("runtime API closed".into())),
            Err(_) => Err(InvokeError::Timeout(timeout)),
        },
        status = child.wait() => Err(InvokeError::Exited(match status {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        })),
    };
    let _ = child.kill().await;
    server.abort();
    answered
}

async fn serve_api(listener: TcpListener, api: Arc<RuntimeApi>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let api = Arc::clone(&api);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let api = Arc::clone(&api);
                async move { Ok::<_, Infallible>(answer(&api, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(api: &RuntimeApi, req: http::Request<Incoming>) -> http::Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    if path.ends_with("/invocation/next") {
        let event = api.event.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(event) = event else {
            // One invocation per process: the caller stops it once it has answered.
            return std::future::pending().await;
        };
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() + 30_000)
            .unwrap_or_default();
        return http::Response::builder()
            .header("lambda-runtime-aws-request-id", "local-request-1")
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                format!(
                    "arn:aws:lambda:us-east-1:123456789012:function:{}",
                    api.function
                ),
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
    let _ = api.done.send(if failed { Err(value) } else { Ok(value) });
    http::Response::builder()
        .status(202)
        .body(Full::new(Bytes::new()))
        .unwrap_or_default()
}
