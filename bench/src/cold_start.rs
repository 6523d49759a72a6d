//! Cold start of the release authorizer: time from process start to the first event
//! answered through a local Lambda Runtime API (`gatehouse_devtools::runtime_api`; the
//! binary is the real bootstrap, run as the authorizer).
//!
//! Two first events: a malformed key (start-up and decision, no I/O) and a valid key
//! (start-up, the first GetItem on moto, argon2id). Then every function with a sample
//! event under `events/<handler>/`, each started cold with the template's environment
//! for it and answering its first sample (whatever the answer: the sample's tenant may
//! not exist here; what is measured is start-up plus one event).
//! Usage: `cold-start <directory of the release bootstraps>`; each function runs the
//! bootstrap that serves it (`gatehouse_functions::Bootstrap`).

use gatehouse::keys::issue::create_tenant;
use gatehouse::keys::model::{DisplayName, Principal};
use gatehouse_bench::{BenchResult, BenchStack, quantile};
use gatehouse_devtools::runtime_api::{Log, invoke_once};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const RUNS: usize = 20;

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
    let invocation = invoke_once(
        Path::new(bootstrap),
        "authorizer",
        env,
        event,
        Log::Discard,
        Duration::from_secs(10),
    )
    .await?;
    match invocation.outcome {
        Ok(response) => Ok((invocation.took, response)),
        Err(error) => Err(format!("the function failed: {error}").into()),
    }
}

#[tokio::main]
async fn main() -> BenchResult {
    let bin_dir = std::env::args()
        .nth(1)
        .ok_or("usage: cold-start <directory of the release bootstraps>")?;
    let bootstrap_of = |handler: &str| -> BenchResult<String> {
        let binary = gatehouse_functions::Bootstrap::of(handler)
            .ok_or_else(|| format!("no bootstrap serves `{handler}`"))?
            .binary();
        Ok(Path::new(&bin_dir).join(binary).display().to_string())
    };
    let bootstrap = bootstrap_of("authorizer")?;
    let stack = BenchStack::new(&[]).await?;
    let mut env: Vec<(String, String)> = stack.env("AuthorizerFunction")?.into_iter().collect();
    env.retain(|(k, _)| !k.starts_with("AWS_LAMBDA_"));
    env.push(("RUST_LOG".into(), "warn".into()));
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
    every_function(&bootstrap_of, &stack).await
}

/// Cold starts of every function with a sample event, `FUNCTION_RUNS` each.
async fn every_function(
    bootstrap_of: &dyn Fn(&str) -> BenchResult<String>,
    stack: &BenchStack,
) -> BenchResult {
    const FUNCTION_RUNS: usize = 3;
    println!(
        "\n{:<48} {:>10} {:>10}",
        "function: process start -> first sample answered", "p50", "max"
    );
    for function in stack.template.functions.values() {
        let dir = Path::new("events").join(&function.handler);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut samples_files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        samples_files.sort();
        let Some(sample) = samples_files.first() else {
            continue;
        };
        let event: Value = serde_json::from_str(&std::fs::read_to_string(sample)?)?;
        let mut env: Vec<(String, String)> = stack.env(&function.logical_id)?.into_iter().collect();
        env.retain(|(k, _)| !k.starts_with("AWS_LAMBDA_"));
        env.push(("RUST_LOG".into(), "error".into()));
        let bootstrap = bootstrap_of(&function.handler)?;
        let mut took = Vec::new();
        for _ in 0..FUNCTION_RUNS {
            let invocation = invoke_once(
                Path::new(&bootstrap),
                &function.handler,
                &env,
                event.clone(),
                Log::Discard,
                Duration::from_secs(20),
            )
            .await?;
            took.push(invocation.took);
        }
        took.sort();
        println!(
            "{:<48} {:>10.2?} {:>10.2?}",
            function.handler,
            quantile(&took, 0.5),
            took[took.len() - 1]
        );
    }
    Ok(())
}
