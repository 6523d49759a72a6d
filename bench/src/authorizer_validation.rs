//! Key validation as the authorizer does it, single-threaded (one core):
//!
//! 1. cached: a warm container that verified the key within the cache TTL
//!    (parse + checksum + SHA-256 + cache lookup + status and expiry; no I/O);
//! 2. uncached, split: the GetItem round trip to DynamoDB (moto server here, so the
//!    figure is loopback + moto, not AWS) and the own-CPU argon2id verification;
//! 3. uncached, whole: `authenticate` with the cache off;
//! 4. SSO session tokens: the ES256 signature check alone (own CPU, the public key
//!    cached); the whole check warm (the signature verified before, the session's
//!    record cached); and cold (signature checked, one GetItem for the record).
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
    cached_decisions(&stack, &cached_app, &token, &record).await?;

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

    // A session token, signed by KMS (moto) as a login signs it, its record stored.
    let now = time::OffsetDateTime::now_utc();
    let session_id = gatehouse::ids::KeyId::generate().map_err(|e| e.to_string())?;
    let session = gatehouse::store::sso_table::SessionRecord {
        tenant_id: tenant.tenant_id.clone(),
        session_id: session_id.to_string(),
        principal_id: "BenchPrinc".into(),
        connection_id: gatehouse::ids::IntegrationId::generate().map_err(|e| e.to_string())?,
        scopes: vec!["keys:read".into()],
        expires_at: now + time::Duration::minutes(15),
        refreshable_until: Some(now + time::Duration::hours(8)),
        refresh_digest: String::new(),
        previous_refresh_digest: None,
        refreshes: 0,
        revoked_at: None,
        revision: 0,
    };
    cached_app.sso.ephemeral.put_session(&session).await?;
    let claims = gatehouse::sso_service::session::SessionClaims {
        iss: cached_app.sso.signer.issuer().to_owned(),
        aud: gatehouse::sso_service::session::AUDIENCE.to_owned(),
        sub: session.principal_id.clone(),
        tid: tenant.tenant_id.to_string(),
        sid: session.session_id.clone(),
        conn: session.connection_id.to_string(),
        scope: "keys:read".into(),
        iat: now.unix_timestamp(),
        exp: session.expires_at.unix_timestamp(),
    };
    let session_token = cached_app.sso.signer.sign(&claims).await?;
    let long_cache = App::new(
        Config {
            auth_cache_ttl: time::Duration::seconds(300),
            ..cached_app.config.clone()
        },
        &stack.sdk,
        Arc::new(SystemClock),
    )?;
    let (s, e) = measure(3000, || async {
        let checked = long_cache
            .sso
            .signer
            .verify(black_box(&session_token), time::OffsetDateTime::now_utc())
            .await;
        assert!(checked.is_ok());
    })
    .await;
    report("session: ES256 verify (own CPU)", s, e);
    let (s, e) = measure(3000, || async {
        let decision = auth::authenticate(&long_cache, Some(black_box(&session_token))).await;
        assert!(matches!(decision, Decision::Allow(_)));
    })
    .await;
    report(
        "session: whole, warm (verified before, record cached)",
        s,
        e,
    );
    let (s, e) = measure(300, || async {
        let decision = auth::authenticate(&uncached_app, Some(&session_token)).await;
        assert!(matches!(decision, Decision::Allow(_)));
    })
    .await;
    report("session: whole, cold (ES256 + GetItem)", s, e);
    aws_calls_per_decision(&uncached_app, &token, record).await
}

/// AWS calls per uncached decision (every cache off: a cold container, or a key
/// seen for the first time), for a key without limits and for one with a rate limit
/// and a quota in every window. Counted by the moto server, so machine-independent.
async fn aws_calls_per_decision(
    app: &App,
    token: &str,
    record: gatehouse::keys::KeyRecord,
) -> BenchResult {
    use gatehouse::limits::{LimitSet, Limits};
    use gatehouse_bench::{aws_calls, calls_per};
    const DECISIONS: usize = 50;
    header("AWS calls per uncached decision (GET /v2/api-keys)");
    let request = auth::RequestFacts {
        source_ip: Some("203.0.113.7"),
        route: "GET /v2/api-keys",
        origin: None,
        referer: None,
        at: time::OffsetDateTime::now_utc(),
    };
    let mut limited = record.clone();
    limited.limits = Some(LimitSet {
        all_routes: Limits {
            per_second: Some(1_000_000),
            per_minute: Some(1_000_000),
            per_day: Some(1_000_000),
            per_month: Some(1_000_000),
        },
        ..LimitSet::default()
    });
    limited.version += 1;
    for (label, key) in [
        ("no limits", None),
        ("limits in every window", Some(limited)),
    ] {
        if let Some(key) = key {
            let mut batch = gatehouse::store::WriteBatch::new();
            app.keys.put_changed(&mut batch, &key)?;
            app.dynamo.commit(batch).await?;
        }
        let before = aws_calls().await?;
        for _ in 0..DECISIONS {
            let authenticated = auth::authenticate(app, Some(token)).await;
            let decision =
                auth::authorize(app, authenticated, &request, gatehouse_functions::ROUTES).await;
            assert!(matches!(decision, Decision::Allow(_)), "{decision:?}");
        }
        let calls = calls_per(&before, &aws_calls().await?, DECISIONS);
        let total: f64 = calls.values().sum();
        println!("{label:<40} {total:>6.2} calls");
        for (operation, n) in &calls {
            println!("  {operation:<38} {n:>6.2}");
        }
    }
    Ok(())
}

/// The whole cached decision the authorizer makes (key from the warm cache, then the
/// key's restrictions, the route's scope and the access policy, also cached), with no
/// restrictions and with the largest set a key may carry, the request matching only
/// the last entry of each list.
async fn cached_decisions(
    stack: &BenchStack,
    app: &App,
    token: &str,
    record: &gatehouse::keys::KeyRecord,
) -> BenchResult {
    use gatehouse::keys::restrictions::{AllowedHours, Day, KeyRestrictions, MAX_ENTRIES};
    let warm = App::new(
        Config {
            auth_cache_ttl: time::Duration::seconds(3600),
            ..app.config.clone()
        },
        &stack.sdk,
        Arc::new(SystemClock),
    )?;
    let last = MAX_ENTRIES - 1;
    let mut source_ips: Vec<String> = (0..last).map(|i| format!("10.{i}.0.0/16")).collect();
    source_ips.push("2001:db8::/32".into());
    let mut routes: Vec<String> = (0..last).map(|i| format!("GET /other{i}/*")).collect();
    routes.push("ANY /v2/**".into());
    let origins = (0..MAX_ENTRIES)
        .map(|i| format!("https://*.shop{i}.example.com"))
        .collect();
    let every_day = vec![
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];
    let largest = KeyRestrictions::new(
        source_ips,
        routes,
        origins,
        Some(AllowedHours {
            days: every_day,
            from: "00:00".into(),
            to: "24:00".into(),
            utc_offset: Some("+01:00".into()),
        }),
    );
    largest.validate()?;
    let origin = format!("https://eu.shop{last}.example.com");
    let request = auth::RequestFacts {
        source_ip: Some("2001:db8:ffff::1"),
        route: "GET /v2/api-keys",
        origin: Some(&origin),
        referer: None,
        at: time::OffsetDateTime::now_utc(),
    };
    for (label, restrictions) in [
        ("cached decision, no restrictions", None),
        (
            "cached decision, 50 addresses + 50 routes + 50 origins + hours",
            Some(largest),
        ),
    ] {
        let mut restricted = record.clone();
        restricted.restrictions = restrictions.map(Arc::new);
        warm.key_cache.put(
            gatehouse::auth::cache::digest(token),
            restricted,
            warm.clock.precise_now(),
        );
        let (s, e) = measure(50_000, || async {
            let authenticated = auth::authenticate(&warm, Some(black_box(token))).await;
            let decision =
                auth::authorize(&warm, authenticated, &request, gatehouse_functions::ROUTES).await;
            assert!(matches!(decision, Decision::Allow(_)), "{decision:?}");
        })
        .await;
        report(label, s, e);
    }
    Ok(())
}
