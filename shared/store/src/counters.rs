//! Fixed-window counters in the ephemeral table, consumed by conditional atomic updates.
//!
//! One item per (key, counting scope, window, window start, shard):
//! `pk = LIMIT#<tenant>#<key>#<scope>#<window>#<start>#<shard>`, attribute `n`.
//! A request consumes each applicable counter with
//! `ADD n :one` under `attribute_not_exists(n) OR n < :limit`, all in parallel (one
//! round trip). DynamoDB applies each conditional update atomically, so no counter
//! ever passes its limit. If any counter refuses, the ones that were consumed are
//! given back (`ADD n :minus_one`); until then a concurrent request may see them
//! taken and be refused too, which errs on the side of the limit, never past it.
//!
//! Sharding: with `counter_shards` = N, each counter is N items each holding a share
//! of the limit ([`crate::limits::shard_share`]); a request starts at a random shard and moves
//! to the next while one refuses. The shares sum to the limit, so the total allowed
//! is still exact; N spreads the writes of a hot key over N items.

use crate::ids::{KeyId, TenantId};
use crate::item;
use crate::limits::{CounterScope, CounterSpec, Refusal, Window, shard_share};
use crate::{StoreError, applied};
use aws_sdk_dynamodb::Client;
use futures_util::future::join_all;
use time::{Duration, OffsetDateTime};

/// Counters outlive their window by this much (TTL is lazy; reads ignore old windows).
const COUNTER_GRACE: Duration = Duration::HOUR;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    Refused(Refusal),
}

#[derive(Debug, Clone)]
pub struct CounterStore {
    client: Client,
    table: String,
}

/// Which counter item: everything but the shard.
#[derive(Debug, Clone, Copy)]
pub struct CounterRef<'a> {
    pub tenant_id: &'a TenantId,
    pub key_id: &'a KeyId,
    pub scope: &'a CounterScope,
    pub window: Window,
}

impl CounterRef<'_> {
    fn pk(&self, now: OffsetDateTime, shard: u32) -> String {
        format!(
            "LIMIT#{}#{}#{}#{}#{}#{shard}",
            self.tenant_id,
            self.key_id,
            self.scope.label(),
            self.window.as_str(),
            self.window.start(now).unix_timestamp()
        )
    }
}

impl CounterStore {
    /// Each of a key's counters (its own limits, else its tenant's `plan`) with what it
    /// has used in the window holding `now`, summed over shards.
    pub async fn key_counters(
        &self,
        key: &crate::keys::KeyRecord,
        plan: &crate::limits::LimitSet,
        now: OffsetDateTime,
    ) -> Result<Vec<(CounterSpec, u64)>, StoreError> {
        let shards = crate::limits::shard_count(key.limits.as_ref(), Some(plan));
        let mut counters = Vec::new();
        for spec in crate::limits::all_counters(key.limits.as_ref(), Some(plan)) {
            let counter = CounterRef {
                tenant_id: &key.tenant_id,
                key_id: &key.key_id,
                scope: &spec.scope,
                window: spec.window,
            };
            let used = self.used(counter, shards, now).await?;
            counters.push((spec, used));
        }
        Ok(counters)
    }

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Consumes one unit of every counter in `specs`, or none of them.
    pub async fn consume(
        &self,
        tenant_id: &TenantId,
        key_id: &KeyId,
        specs: &[CounterSpec],
        shards: u32,
        now: OffsetDateTime,
    ) -> Result<Admission, StoreError> {
        if specs.is_empty() {
            return Ok(Admission::Admitted);
        }
        let shards = shards.max(1);
        let first = random_below(shards);
        // The earliest any shard could admit: per shard, the latest end among the
        // windows that refused there; then the earliest over shards.
        let mut best: Option<Refusal> = None;
        for attempt in 0..shards {
            let shard = (first + attempt) % shards;
            let refs: Vec<(CounterRef<'_>, u64)> = specs
                .iter()
                .map(|spec| {
                    let counter = CounterRef {
                        tenant_id,
                        key_id,
                        scope: &spec.scope,
                        window: spec.window,
                    };
                    (counter, shard_share(spec.limit, shard, shards))
                })
                .collect();
            let outcomes: Vec<Result<bool, StoreError>> = if refs.iter().any(|(_, s)| *s == 0) {
                // A shard with no share of some limit admits nothing; don't write.
                refs.iter().map(|(_, share)| Ok(*share > 0)).collect()
            } else {
                join_all(refs.iter().map(|(counter, share)| {
                    self.increment(counter.pk(now, shard), counter.window, *share, now)
                }))
                .await
            };
            if outcomes.iter().all(|o| matches!(o, Ok(true))) {
                return Ok(Admission::Admitted);
            }
            self.give_back(&refs, &outcomes, now, shard).await;
            if let Some(Err(e)) = outcomes.iter().find(|o| o.is_err()) {
                return Err(StoreError::Unavailable(e.to_string()));
            }
            let refusal = specs
                .iter()
                .zip(&outcomes)
                .filter(|(_, o)| matches!(o, Ok(false)))
                .map(|(spec, _)| Refusal {
                    window: spec.window,
                    scope: spec.scope.clone(),
                    limit: spec.limit,
                    retry_at: spec.window.end(now),
                })
                .max_by_key(|r| r.retry_at);
            if let Some(refusal) = refusal
                && best.as_ref().is_none_or(|b| refusal.retry_at < b.retry_at)
            {
                best = Some(refusal);
            }
        }
        Ok(best.map_or(Admission::Admitted, Admission::Refused))
    }

    /// How much of a counter's current window is used (all shards).
    pub async fn used(
        &self,
        counter: CounterRef<'_>,
        shards: u32,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let reads = (0..shards.max(1)).map(|shard| {
            self.client
                .get_item()
                .table_name(&self.table)
                .key("pk", item::s(counter.pk(now, shard)))
                .consistent_read(true)
                .send()
        });
        let mut total = 0;
        for out in join_all(reads).await {
            let out = out.map_err(StoreError::from_sdk)?;
            if let Some(found) = out.item {
                total += item::Reader::new(&found).number("n")?.unwrap_or(0);
            }
        }
        Ok(total)
    }

    /// Starts a counter's current window afresh (all shards).
    pub async fn reset(
        &self,
        counter: CounterRef<'_>,
        shards: u32,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let deletes = (0..shards.max(1)).map(|shard| {
            self.client
                .delete_item()
                .table_name(&self.table)
                .key("pk", item::s(counter.pk(now, shard)))
                .send()
        });
        for out in join_all(deletes).await {
            out.map_err(StoreError::from_sdk)?;
        }
        Ok(())
    }

    /// Takes one unit of a named counter outside any key (a webhook endpoint's
    /// delivery rate, say); `Ok(false)` if the window's limit is used up.
    pub async fn take(
        &self,
        name: &str,
        window: Window,
        limit: u64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let pk = format!(
            "LIMIT#{name}#{}#{}",
            window.as_str(),
            window.start(now).unix_timestamp()
        );
        self.increment(pk, window, limit, now).await
    }

    /// `Ok(false)`: the counter is at its limit.
    async fn increment(
        &self,
        pk: String,
        window: Window,
        limit: u64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", item::s(pk))
            .update_expression("SET expires_at = if_not_exists(expires_at, :expires) ADD n :one")
            .condition_expression("attribute_not_exists(n) OR n < :limit")
            .expression_attribute_values(":expires", item::time(window.end(now) + COUNTER_GRACE))
            .expression_attribute_values(":one", item::n(1))
            .expression_attribute_values(":limit", item::n(limit as i64))
            .send()
            .await;
        applied(result)
    }

    /// Returns the units a refused request took from the counters that admitted it.
    /// Best effort: a lost give-back leaves a counter one high, never low.
    async fn give_back(
        &self,
        refs: &[(CounterRef<'_>, u64)],
        outcomes: &[Result<bool, StoreError>],
        now: OffsetDateTime,
        shard: u32,
    ) {
        let taken = refs
            .iter()
            .zip(outcomes)
            .filter(|(_, o)| matches!(o, Ok(true)))
            .map(|((counter, _), _)| {
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .key("pk", item::s(counter.pk(now, shard)))
                    .update_expression("ADD n :minus_one")
                    .condition_expression("attribute_exists(n)")
                    .expression_attribute_values(":minus_one", item::n(-1))
                    .send()
            });
        for result in join_all(taken).await {
            if let Err(e) = result {
                tracing::warn!(error = %StoreError::from_sdk(e), "counter give-back failed");
            }
        }
    }
}

fn random_below(n: u32) -> u32 {
    if n <= 1 {
        return 0;
    }
    let mut bytes = [0u8; 4];
    // Shard choice only spreads load; a failed read of randomness just starts at 0.
    let _ = getrandom::fill(&mut bytes);
    u32::from_le_bytes(bytes) % n
}
