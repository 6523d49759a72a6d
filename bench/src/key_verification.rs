//! Own-CPU cost of checking a presented key, on one core (this process is
//! single-threaded): format + checksum parsing, and argon2id verification at the
//! default and at neighbouring parameters, to show why the default was chosen.
//!
//! Run: `cargo run --release -p gatehouse-bench --bin key-verification`

use gatehouse::ids::{KeyId, TenantId};
use gatehouse::keys::{ApiKey, Argon2Params, KeyEnvironment, KeyPrefix, KeyVerifier};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn measure(iterations: usize, mut f: impl FnMut()) -> (Duration, Duration, f64) {
    for _ in 0..iterations / 10 + 1 {
        f();
    }
    let mut samples = Vec::with_capacity(iterations);
    let started = Instant::now();
    for _ in 0..iterations {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    let per_sec = iterations as f64 / started.elapsed().as_secs_f64();
    samples.sort();
    (
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        per_sec,
    )
}

fn main() {
    let key = ApiKey::generate(
        &KeyPrefix::parse("gh").expect("prefix"),
        KeyEnvironment::Live,
        &TenantId::generate().expect("rng"),
        &KeyId::generate().expect("rng"),
    )
    .expect("rng");
    let token = key.expose().to_owned();

    println!(
        "{:<44} {:>10} {:>10} {:>12}",
        "operation", "p50", "p99", "ops/s"
    );
    let (p50, p99, rate) = measure(200_000, || {
        black_box(ApiKey::parse(black_box(&token)).is_ok());
    });
    println!(
        "{:<44} {:>10.2?} {:>10.2?} {:>12.0}",
        "parse + CRC32 checksum", p50, p99, rate
    );

    for memory_kib in [1024, 2048, 4096, 8192, 19 * 1024] {
        let params = Argon2Params {
            memory_kib,
            iterations: 1,
            parallelism: 1,
        };
        let verifier = KeyVerifier::new(params).expect("params");
        let phc = verifier.hash(key.secret()).expect("hash");
        let (p50, p99, rate) = measure(300, || {
            black_box(verifier.verify(black_box(key.secret()), &phc));
        });
        let marker = if params == Argon2Params::DEFAULT {
            " (default)"
        } else {
            ""
        };
        let label = format!("argon2id verify m={memory_kib}KiB t=1 p=1{marker}");
        println!("{label:<44} {p50:>10.2?} {p99:>10.2?} {rate:>12.0}");
    }
    // OWASP's password minimum, for scale: what key secrets do not need.
    let owasp = Argon2Params {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
    let verifier = KeyVerifier::new(owasp).expect("params");
    let phc = verifier.hash(key.secret()).expect("hash");
    let (p50, p99, rate) = measure(100, || {
        black_box(verifier.verify(black_box(key.secret()), &phc));
    });
    println!(
        "{:<44} {p50:>10.2?} {p99:>10.2?} {rate:>12.0}",
        "argon2id verify m=19MiB t=2 (password level)"
    );
}
