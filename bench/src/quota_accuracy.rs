//! Quota accuracy: 20 concurrent clients, 10 requests each, against a key with a daily
//! quota of 100, through the authorizer's decision (authentication, route scope,
//! limit counters in DynamoDB). Exactly 100 must be allowed, in every round, with one
//! counter item and with the counter sharded over 4 items. Also prints the latency of
//! a limit-checked decision (a warm container; storage is moto on loopback).

use gatehouse::App;
use gatehouse::auth::{self, Decision};
use gatehouse::keys::issue::{NewKey, create_tenant, issue_key};
use gatehouse::keys::model::{DisplayName, Principal};
use gatehouse::keys::{Scope, ScopeSet};
use gatehouse::limits::{LimitSet, Limits};
use gatehouse_bench::{BenchResult, BenchStack, header, report};
use std::time::{Duration, Instant};

const CLIENTS: usize = 20;
const REQUESTS_EACH: usize = 10;
const QUOTA: u64 = 100;

async fn round(app: &App, shards: Option<u32>) -> BenchResult<(usize, Vec<Duration>, Duration)> {
    let (tenant, _, _) = create_tenant(
        app,
        DisplayName::parse("Quota bench")?,
        None,
        Principal::parse("user:bench")?,
    )
    .await?;
    let limits = LimitSet {
        all_routes: Limits {
            per_day: Some(QUOTA),
            ..Limits::default()
        },
        counter_shards: shards,
        ..LimitSet::default()
    };
    let spec = NewKey {
        limits: Some(limits),
        ..NewKey::new(
            DisplayName::parse("limited")?,
            ScopeSet::new(vec![Scope::parse("keys:read")?])?,
            Principal::parse("service:load")?,
        )
    };
    let (key, _) = issue_key(app, &tenant, spec).await?;
    let token = key.expose().to_owned();
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (app, token) = (app.clone(), token.clone());
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                for _ in 0..REQUESTS_EACH {
                    let t = Instant::now();
                    let request = auth::RequestFacts {
                        source_ip: Some("192.0.2.10"),
                        route: "GET /orders",
                        origin: None,
                        referer: None,
                        at: app.clock.now(),
                    };
                    let decision = auth::authorize(
                        &app,
                        auth::authenticate(&app, Some(&token)).await,
                        &request,
                        gatehouse_functions::ROUTES,
                    )
                    .await;
                    outcomes.push((matches!(decision, Decision::Allow(_)), t.elapsed()));
                }
                outcomes
            })
        })
        .collect();
    let mut allowed = 0;
    let mut samples = Vec::new();
    for client in clients {
        for (ok, took) in client.await? {
            allowed += usize::from(ok);
            samples.push(took);
        }
    }
    Ok((allowed, samples, started.elapsed()))
}

#[tokio::main]
async fn main() -> BenchResult {
    let stack = BenchStack::new(&[]).await?;
    let app = stack.app("AuthorizerFunction")?;
    println!("{CLIENTS} clients x {REQUESTS_EACH} requests against a daily quota of {QUOTA}");
    let mut all = Vec::new();
    let mut elapsed = Duration::ZERO;
    for shards in [None, Some(4)] {
        for n in 1..=3 {
            let (allowed, samples, took) = round(&app, shards).await?;
            let verdict = if allowed as u64 == QUOTA {
                "exact"
            } else {
                "WRONG"
            };
            println!(
                "round {n}, {} counter item(s): {allowed} allowed, {} refused ({verdict})",
                shards.unwrap_or(1),
                samples.len() - allowed
            );
            all.extend(samples);
            elapsed += took;
        }
    }
    header("decision with limits (20 concurrent clients)");
    report("authenticate + scope + limit counters", all, elapsed);
    Ok(())
}
