//! AWS leases through the service as the lease functions run them (moto on loopback):
//! issue (STS AssumeRole, the lease record), renew (AssumeRole again, the record) and
//! revoke (the role's revocation policy read, written and read back; the record), with
//! the AWS calls each makes, from moto's counts. The routes add their audit event to
//! the same DynamoDB write, so these are the routes' calls too. (Vault leases cost one
//! Vault call each, after the session: see the secret reads.)

use gatehouse::ids::TenantId;
use gatehouse_bench::{BenchResult, BenchStack, aws_calls, calls_per, header, report};
use std::time::Instant;

const LEASES: usize = 40;

#[tokio::main]
async fn main() -> BenchResult {
    let stack = BenchStack::new(&[]).await?;
    let create = stack.app("CreateLeaseFunction")?;
    let renew = stack.app("RenewLeaseFunction")?;
    let revoke = stack.app("RevokeLeaseFunction")?;
    let tenant = TenantId::generate().map_err(|e| e.to_string())?;
    let now = time::OffsetDateTime::now_utc();

    header("AWS lease operation");
    let before = aws_calls().await?;
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..LEASES {
        let t = Instant::now();
        let issued = create
            .leases
            .issue(&tenant, false, "tenant-files", Some(900), "bench", now)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(batch) = issued.batch {
            create.dynamo.commit(batch).await?;
        }
        samples.push(t.elapsed());
        ids.push(issued.lease.lease_id);
    }
    let elapsed = started.elapsed();
    report("issue", samples, elapsed);
    println!(
        "    AWS calls per issue: {:?}",
        calls_per(&before, &aws_calls().await?, LEASES)
    );

    for (label, app, revoking) in [("renew", &renew, false), ("revoke", &revoke, true)] {
        let before = aws_calls().await?;
        let started = Instant::now();
        let mut samples = Vec::new();
        for id in &ids {
            let t = Instant::now();
            let change = if revoking {
                app.leases
                    .revoke(&tenant, id, time::OffsetDateTime::now_utc())
                    .await
            } else {
                app.leases.renew(&tenant, id, None, now).await
            }
            .map_err(|e| e.to_string())?;
            if let Some(batch) = change.batch {
                app.dynamo.commit(batch).await?;
            }
            samples.push(t.elapsed());
        }
        let elapsed = started.elapsed();
        report(label, samples, elapsed);
        println!(
            "    AWS calls per {label}: {:?}",
            calls_per(&before, &aws_calls().await?, LEASES)
        );
    }
    Ok(())
}
