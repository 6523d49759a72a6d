//! The usage table (`pk`, `sk`, TTL `expires_at`):
//!
//! | item              | `pk`                   | `sk`                                |
//! |-------------------|------------------------|-------------------------------------|
//! | key bucket        | `KEY#<tenant>#<key>`   | `<m|h|d>#<start, 12 digits>#<route or *>` |
//! | key profile       | `KEY#<tenant>#<key>`   | `PROFILE` (first seen, known sources) |
//! | anomaly           | `KEY#<tenant>#<key>`   | `ANOMALY#<unix>#<kind>`             |
//! | anomaly marker    | `KEY#<tenant>#<key>`   | `SEEN#<kind>#<dedupe>` (report once) |
//! | tenant report day | `TENANT#<tenant>`      | `d#<day start>#<key>`               |
//!
//! Counters are written with `ADD`, so concurrent ingest batches never lose counts.
//! Every read takes the tenant id, and every item lives under it.

use crate::item::{self, Item, Reader};
use crate::usage::anomaly::{AnomalyKind, Finding, MAX_KNOWN_SOURCES};
use crate::usage::stats::{
    ALL_ROUTES, BucketKey, Granularity, KeyRef, LATENCY_BUCKETS, Sources, Stats,
};
use crate::{StoreError, applied};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use futures_util::future::join_all;
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

const ANOMALY_RETENTION: Duration = Duration::days(90);
/// Parallel writes per batch step: enough to hide round trips, few enough to be kind
/// to a small Lambda.
const PARALLEL_WRITES: usize = 16;

#[derive(Debug, Clone)]
pub struct UsageStore {
    client: Client,
    table: String,
}

fn key_pk(tenant: &str, key: &str) -> String {
    format!("KEY#{tenant}#{key}")
}

fn bucket_sk(granularity: Granularity, start: i64, route: &str) -> String {
    format!("{}#{start:012}#{route}", granularity.code())
}

const STAT_ATTRS: [&str; 6] = ["requests", "c2xx", "c3xx", "c4xx", "c5xx", "auth_errors"];

fn stat_values(stats: &Stats) -> Vec<(String, u64)> {
    let mut values = vec![
        ("requests".to_owned(), stats.requests),
        ("auth_errors".to_owned(), stats.auth_errors),
        ("latency_sum".to_owned(), stats.latency_sum_ms),
    ];
    for (name, n) in STAT_ATTRS[1..5].iter().zip(stats.by_class) {
        values.push(((*name).to_owned(), n));
    }
    for (i, n) in stats.latency_histogram.iter().enumerate() {
        values.push((format!("h{i}"), *n));
    }
    values
}

fn decode_stats(item: &Item) -> Result<Stats, StoreError> {
    let r = Reader::new(item);
    let n = |name: &str| r.number(name).map(|v| v.unwrap_or(0));
    let mut stats = Stats {
        requests: n("requests")?,
        auth_errors: n("auth_errors")?,
        latency_sum_ms: n("latency_sum")?,
        ..Stats::default()
    };
    for (slot, name) in stats.by_class.iter_mut().zip(&STAT_ATTRS[1..5]) {
        *slot = n(name)?;
    }
    for (i, slot) in stats.latency_histogram.iter_mut().enumerate() {
        *slot = n(&format!("h{i}"))?;
    }
    debug_assert_eq!(stats.latency_histogram.len(), LATENCY_BUCKETS);
    Ok(stats)
}

/// The bucket start in a bucket's or report row's sort key (`<g>#<start>#...`).
fn bucket_start(item: &Item) -> Result<i64, StoreError> {
    let sk = Reader::new(item).str("sk")?;
    sk.split('#')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| StoreError::Corrupt(format!("usage sort key `{sk}`")))
}

/// One bucket read back: its start, its route (`*`: all) and counters.
#[derive(Debug, Clone)]
pub struct BucketRow {
    pub start: i64,
    pub route: String,
    pub stats: Stats,
}

/// A key's profile: when it was first seen and where it has been used from.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub first_seen: Option<OffsetDateTime>,
    pub ips: Vec<String>,
    pub user_agents: Vec<String>,
}

impl UsageStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Adds a batch's counters; returns the new totals of the all-routes minute
    /// buckets it touched (for anomaly checks).
    pub async fn add(
        &self,
        buckets: &BTreeMap<BucketKey, Stats>,
        report: &BTreeMap<(String, i64, String), Stats>,
    ) -> Result<BTreeMap<(KeyRef, i64), Stats>, StoreError> {
        let mut writes = Vec::new();
        for (bucket, stats) in buckets {
            let totals_wanted =
                bucket.granularity == Granularity::Minute && bucket.route == ALL_ROUTES;
            writes.push((
                key_pk(&bucket.key.tenant_id, &bucket.key.key_id),
                bucket_sk(bucket.granularity, bucket.start, &bucket.route),
                bucket.route.clone(),
                bucket.start + bucket.granularity.retention().whole_seconds(),
                stats,
                totals_wanted.then(|| (bucket.key.clone(), bucket.start)),
            ));
        }
        for ((tenant, day, key), stats) in report {
            writes.push((
                format!("TENANT#{tenant}"),
                format!("d#{day:012}#{key}"),
                key.clone(),
                day + Granularity::Day.retention().whole_seconds(),
                stats,
                None,
            ));
        }
        let mut totals = BTreeMap::new();
        for chunk in writes.chunks(PARALLEL_WRITES) {
            let results = join_all(chunk.iter().map(|(pk, sk, label, expires, stats, _)| {
                self.add_stats(pk, sk, label, *expires, stats)
            }))
            .await;
            for ((.., wanted), result) in chunk.iter().zip(results) {
                let after = result?;
                if let Some(at) = wanted {
                    totals.insert(at.clone(), after);
                }
            }
        }
        Ok(totals)
    }

    async fn add_stats(
        &self,
        pk: &str,
        sk: &str,
        label: &str,
        expires_at: i64,
        stats: &Stats,
    ) -> Result<Stats, StoreError> {
        let values = stat_values(stats);
        let adds: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, (name, _))| format!("{name} :v{i}"))
            .collect();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", item::s(pk))
            .key("sk", item::s(sk))
            .update_expression(format!(
                "SET expires_at = if_not_exists(expires_at, :exp), label = :label ADD {}",
                adds.join(", ")
            ))
            .expression_attribute_values(":exp", item::n(expires_at))
            .expression_attribute_values(":label", item::s(label))
            .return_values(ReturnValue::AllNew);
        for (i, (_, n)) in values.iter().enumerate() {
            update = update.expression_attribute_values(format!(":v{i}"), item::n(*n as i64));
        }
        let out = update.send().await.map_err(StoreError::from_sdk)?;
        decode_stats(&out.attributes.unwrap_or_default())
    }

    /// A key's buckets of one granularity with starts in `[from, to)`, oldest first.
    pub async fn key_buckets(
        &self,
        key: &KeyRef,
        granularity: Granularity,
        from: i64,
        to: i64,
    ) -> Result<Vec<BucketRow>, StoreError> {
        let items = self
            .query_range(
                key_pk(&key.tenant_id, &key.key_id),
                format!("{}#{from:012}#", granularity.code()),
                format!("{}#{:012}#", granularity.code(), to),
            )
            .await?;
        items
            .iter()
            .map(|item| {
                Ok(BucketRow {
                    start: bucket_start(item)?,
                    route: Reader::new(item).str("label")?.to_owned(),
                    stats: decode_stats(item)?,
                })
            })
            .collect()
    }

    /// The tenant's per-day, per-key rows for days starting in `[from, to)`.
    pub async fn report(
        &self,
        tenant: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, String, Stats)>, StoreError> {
        let items = self
            .query_range(
                format!("TENANT#{tenant}"),
                format!("d#{from:012}#"),
                format!("d#{to:012}#"),
            )
            .await?;
        items
            .iter()
            .map(|item| {
                let label = Reader::new(item).str("label")?.to_owned();
                Ok((bucket_start(item)?, label, decode_stats(item)?))
            })
            .collect()
    }

    /// Items of `pk` with `low <= sk < high`.
    async fn query_range(
        &self,
        pk: String,
        low: String,
        high: String,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
                .expression_attribute_values(":pk", item::s(&pk))
                .expression_attribute_values(":low", item::s(&low))
                .expression_attribute_values(":high", item::s(&high))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            items.extend(
                out.items
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|i| Reader::new(i).str("sk").is_ok_and(|sk| sk < high.as_str())),
            );
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    pub async fn profile(&self, key: &KeyRef) -> Result<Profile, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", item::s(key_pk(&key.tenant_id, &key.key_id)))
            .key("sk", item::s("PROFILE"))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let Some(found) = out.item else {
            return Ok(Profile::default());
        };
        let set = |name: &str| match found.get(name) {
            Some(AttributeValue::Ss(values)) => values.clone(),
            _ => Vec::new(),
        };
        Ok(Profile {
            first_seen: Reader::new(&found).opt_time("first_seen")?,
            ips: set("ips"),
            user_agents: set("user_agents"),
        })
    }

    /// Records the batch's sources in the profile (while it has room) and its first
    /// sighting.
    pub async fn learn(
        &self,
        key: &KeyRef,
        profile: &Profile,
        sources: &Sources,
        first_in_batch: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let fresh = |known: &[String], seen: &BTreeMap<String, OffsetDateTime>| -> Vec<String> {
            let room = MAX_KNOWN_SOURCES.saturating_sub(known.len());
            seen.keys()
                .filter(|v| !known.contains(v))
                .take(room)
                .cloned()
                .collect()
        };
        let ips = fresh(&profile.ips, &sources.ips);
        let user_agents = fresh(&profile.user_agents, &sources.user_agents);
        let mut expression = "SET first_seen = if_not_exists(first_seen, :first)".to_owned();
        let mut adds = Vec::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", item::s(key_pk(&key.tenant_id, &key.key_id)))
            .key("sk", item::s("PROFILE"))
            .expression_attribute_values(":first", item::time(first_in_batch));
        if !ips.is_empty() {
            adds.push("ips :ips");
            update = update.expression_attribute_values(":ips", AttributeValue::Ss(ips));
        }
        if !user_agents.is_empty() {
            adds.push("user_agents :uas");
            update = update.expression_attribute_values(":uas", AttributeValue::Ss(user_agents));
        }
        if !adds.is_empty() {
            expression.push_str(" ADD ");
            expression.push_str(&adds.join(", "));
        }
        update
            .update_expression(expression)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Stores a finding unless the same one was already reported; `true` if new.
    pub async fn report_finding(
        &self,
        key: &KeyRef,
        finding: &Finding,
    ) -> Result<bool, StoreError> {
        let pk = key_pk(&key.tenant_id, &key.key_id);
        let expires = item::time(finding.at + ANOMALY_RETENTION);
        let marker = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", item::s(&pk))
            .item(
                "sk",
                item::s(format!("SEEN#{}#{}", finding.kind.as_str(), finding.dedupe)),
            )
            .item("expires_at", expires.clone())
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        if !applied(marker)? {
            return Ok(false);
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", item::s(&pk))
            .item("sk", item::s(finding_sort_key(finding.kind, finding.at)))
            .item("finding", item::json(finding)?)
            .item("expires_at", expires)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(true)
    }

    /// A key's findings since `since`, newest first (at most `limit`).
    pub async fn findings(
        &self,
        key: &KeyRef,
        since: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Finding>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
            .expression_attribute_values(":pk", item::s(key_pk(&key.tenant_id, &key.key_id)))
            .expression_attribute_values(
                ":low",
                item::s(format!("ANOMALY#{:012}", since.unix_timestamp().max(0))),
            )
            .expression_attribute_values(":high", item::s("ANOMALY#~"))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.items()
            .iter()
            .map(|i| Reader::new(i).json::<Finding>("finding"))
            .collect()
    }
}

fn finding_sort_key(kind: AnomalyKind, at: OffsetDateTime) -> String {
    format!("ANOMALY#{:012}#{}", at.unix_timestamp(), kind.as_str())
}
