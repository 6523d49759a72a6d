//! One batch of access-log lines: counters, `last_used_at`, anomaly findings.

use super::anomaly::{self, AnomalyKind, Finding};
use super::log::parse_line;
use super::stats::{self, ALL_ROUTES, Granularity, KeyRef};
use crate::App;
use crate::audit::{Actor, AuditEvent, Origin};
use crate::events::{Category, DomainEvent};
use crate::ids::{KeyId, TenantId};
use crate::store::StoreError;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IngestSummary {
    pub recorded: usize,
    /// Lines without a key (refused requests) or unreadable.
    pub skipped: usize,
    pub findings: usize,
    /// Quota threshold notices published (see [`super::quota`]).
    pub quota_notices: usize,
}

/// Records a batch. A storage failure is an error, so the invocation is retried
/// (counts are then at least once: a retried batch may be counted twice).
pub async fn ingest<'a>(
    app: &App,
    lines: impl IntoIterator<Item = &'a str>,
) -> Result<IngestSummary, StoreError> {
    let mut summary = IngestSummary::default();
    let mut records = Vec::new();
    for line in lines {
        match parse_line(line) {
            Some(record) => records.push(record),
            None => summary.skipped += 1,
        }
    }
    summary.recorded = records.len();
    let batch = stats::fold(&records);
    let minute_totals = app.usage.add(&batch.buckets, &batch.report).await?;

    for (key, at) in &batch.last_used {
        if let Some((tenant, key_id)) = ids(key) {
            app.keys.touch_last_used(&tenant, &key_id, *at).await?;
        }
    }

    // Each key's profile as it was before this batch, read once for both checks.
    let mut profiles = std::collections::BTreeMap::new();
    for key in batch.minutes.keys() {
        profiles.insert(key.clone(), app.usage.profile(key).await?);
    }
    let first_seen = |key: &KeyRef| profiles.get(key).and_then(|p| p.first_seen);

    let mut findings: Vec<(KeyRef, Finding)> = Vec::new();
    for ((key, minute), totals) in &minute_totals {
        let minute_at = at(*minute);
        if let Some(finding) = anomaly::error_storm(minute_at, totals) {
            findings.push((key.clone(), finding));
        }
        if totals.requests >= anomaly::BURST_MIN_REQUESTS
            && let Some(baseline) =
                baseline_per_minute(app, key, first_seen(key), minute_at).await?
            && let Some(finding) = anomaly::burst(minute_at, totals, baseline)
        {
            findings.push((key.clone(), finding));
        }
    }
    for (key, sources) in &batch.sources {
        let profile = profiles.get(key).cloned().unwrap_or_default();
        let first_in_batch = sources
            .ips
            .values()
            .chain(sources.user_agents.values())
            .min()
            .copied()
            .unwrap_or_else(|| app.clock.now());
        if let Some(first_seen) = profile.first_seen {
            let mut new =
                |kind,
                 known: &[String],
                 seen: &std::collections::BTreeMap<String, OffsetDateTime>| {
                    for (value, when) in seen {
                        if !known.contains(value)
                            && known.len() < anomaly::MAX_KNOWN_SOURCES
                            && let Some(f) = anomaly::new_source(kind, value, *when, first_seen)
                        {
                            findings.push((key.clone(), f));
                        }
                    }
                };
            new(AnomalyKind::NewSourceIp, &profile.ips, &sources.ips);
            new(
                AnomalyKind::NewUserAgent,
                &profile.user_agents,
                &sources.user_agents,
            );
        }
        app.usage
            .learn(key, &profile, sources, first_in_batch)
            .await?;
    }
    for (key, finding) in findings {
        if app.usage.report_finding(&key, &finding).await? {
            summary.findings += 1;
            announce(app, &key, &finding).await;
        }
    }
    let keys: Vec<(TenantId, KeyId)> = batch.minutes.keys().filter_map(ids).collect();
    summary.quota_notices = super::quota::check_keys(app, &keys, app.clock.now()).await;
    Ok(summary)
}

fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn ids(key: &KeyRef) -> Option<(TenantId, KeyId)> {
    Some((
        TenantId::parse(&key.tenant_id).ok()?,
        KeyId::parse(&key.key_id).ok()?,
    ))
}

/// Average requests per minute over the 24 hours before the current hour; `None`
/// while the key has less than the learning period of history.
async fn baseline_per_minute(
    app: &App,
    key: &KeyRef,
    first_seen: Option<OffsetDateTime>,
    minute: OffsetDateTime,
) -> Result<Option<f64>, StoreError> {
    let Some(first_seen) = first_seen else {
        return Ok(None);
    };
    if minute - first_seen < anomaly::LEARNING_PERIOD {
        return Ok(None);
    }
    let hour = Granularity::Hour.bucket(minute);
    let from = hour - Duration::DAY.whole_seconds();
    let rows = app
        .usage
        .key_buckets(key, Granularity::Hour, from, hour)
        .await?;
    let total: u64 = rows
        .iter()
        .filter(|r| r.route == ALL_ROUTES)
        .map(|r| r.stats.requests)
        .sum();
    Ok(Some(total as f64 / (24.0 * 60.0)))
}

/// A new finding: an audit event in the key's tenant, a security event, and a note on
/// the key itself.
async fn announce(app: &App, key: &KeyRef, finding: &Finding) {
    let Some((tenant, key_id)) = ids(key) else {
        return;
    };
    tracing::warn!(tenant_id = %tenant, key_id = %key_id, kind = finding.kind.as_str(), "usage anomaly");
    let actor = Actor {
        principal: "system:usage-ingest".to_owned(),
        key_id: None,
    };
    let audit = AuditEvent::new(
        &tenant,
        "api_key.anomaly",
        actor,
        Origin::default(),
        app.clock.now(),
    )
    .target(crate::audit::TargetKind::ApiKey, key_id.as_str())
    .detail(format!("{}: {}", finding.kind.as_str(), finding.detail))
    .publishing(DomainEvent::new(
        "api_key.anomaly",
        Category::Security,
        &tenant,
        app.clock.now(),
        serde_json::json!({ "key_id": key_id, "anomaly": finding }),
    ));
    if let Err(e) = app.audit.put(&audit).await {
        tracing::error!(error = %e, "anomaly not audited");
    }
    if let Err(e) = app.keys.note_anomaly(&tenant, &key_id, finding).await {
        tracing::error!(error = %e, "anomaly not noted on the key");
    }
}
