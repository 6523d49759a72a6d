//! Key validation as the authorizer does it, single-threaded (one core):
//!
//! 1. cached: a warm container that verified the key within the cache TTL
//!    (parse + checksum + SHA-256 + cache lookup + status and expiry; no I/O);
//! 2. uncached, split: the GetItem round trip to DynamoDB (moto server here, so the
//!    figure is loopback + moto, not AWS) and the own-CPU argon2id verification;
//! 3. uncached, whole: `authenticate` with the cache off.
//!
//! Needs a moto server: run through `make bench`, which starts one.

use gatehouse::App;
use gatehouse::auth::{self, Decision};
use gatehouse::clock::SystemClock;
use gatehouse::config::Config;
use gatehouse::keys::issue::create_tenant;
use gatehouse::keys::model::{DisplayName, Principal};
use gatehouse_bench::{BenchResult, BenchStack, header, report};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn measure<F, Fut>(iterations: usize, mut f: F) -> (Vec<Duration>, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..iterations / 10 + 1 {
        f().await;
    }
    let mut samples = Vec::with_capacity(iterations);
    let started = Instant::now();
    for _ in 0..iterations {
        let t = Instant::now();
        f().await;
        samples.push(t.elapsed());
    }
    (samples, started.elapsed())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> BenchResult {
    let stack = BenchStack::new(&[]).await?;
    let cached_app = stack.app("AuthorizerFunction")?;
    let uncached_app = App::new(
        Config {
            auth_cache_ttl: time::Duration::ZERO,
            auth_memory_ttl: time::Duration::ZERO,
            ..cached_app.config.clone()
        },
        &stack.sdk,
        Arc::new(SystemClock),
    )?;
    let (tenant, key, record) = create_tenant(
        &cached_app,
        DisplayName::parse("Bench")?,
        None,
        Principal::parse("user:bench")?,
    )
    .await?;
    let token = key.expose().to_owned();
    header("validation");

    // Warm the cache, then measure hits (the TTL is far longer than the run needs
    // only if the run is short, so refresh it between rounds).
    let hit = || async {
        let decision = auth::authenticate(&cached_app, Some(black_box(&token))).await;
        assert!(matches!(decision, Decision::Allow(_)));
    };
    let mut samples = Vec::new();
    let mut elapsed = Duration::ZERO;
    for _ in 0..20 {
        auth::authenticate(&uncached_app, Some(&token)).await; // keeps nothing
        cached_app.key_cache.put(
            gatehouse::auth::cache::digest(&token),
            record.clone(),
            cached_app.clock.precise_now(),
        );
        let (s, e) = measure(10_000, hit).await;
        samples.extend(s);
        elapsed += e;
    }
    report("cached (warm container, no I/O)", samples, elapsed);

    let (s, e) = measure(300, || async {
        let found = uncached_app
            .keys
            .get(&tenant.tenant_id, &record.key_id)
            .await;
        assert!(matches!(found, Ok(Some(_))));
    })
    .await;
    report("uncached: GetItem round trip (moto, loopback)", s, e);
    let (s, e) = measure(300, || async {
        black_box(uncached_app.verifier.verify(key.secret(), &record.verifier));
    })
    .await;
    report("uncached: argon2id verify (own CPU)", s, e);
    let (s, e) = measure(300, || async {
        let decision = auth::authenticate(&uncached_app, Some(&token)).await;
        assert!(matches!(decision, Decision::Allow(_)));
    })
    .await;
    report("uncached: whole validation", s, e);
    Ok(())
}
