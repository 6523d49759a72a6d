//! Per-destination delivery statistics, one item per destination and UTC day in the
//! ephemeral table: `pk = SIEMSTATS#<tenant>#<destination>#<yyyy-mm-dd>`, counters
//! `sent`, `retried`, `dropped` (by the filter), `dead_lettered` and `b0`..`b14` (how
//! many deliveries' commit-to-sink latency fell in each bucket of
//! `siem::delivery::LATENCY_BUCKETS_MS`), kept [`RETENTION`]. Writers only `ADD`, so
//! concurrent forwarders never conflict.

use super::StoreError;
use super::item::{self, Reader};
use crate::ids::TenantId;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use gatehouse_domain::ids::IntegrationId;
use gatehouse_domain::siem::delivery::LATENCY_BUCKETS_MS;
use time::{Date, Duration, OffsetDateTime};

pub const RETENTION: Duration = Duration::days(35);
pub const BUCKETS: usize = LATENCY_BUCKETS_MS.len() + 1;

/// Counts to add, or counts read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub sent: u64,
    pub retried: u64,
    pub dropped: u64,
    pub dead_lettered: u64,
    pub latency: [u64; BUCKETS],
}

impl Counts {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub fn add(&mut self, other: &Counts) {
        self.sent += other.sent;
        self.retried += other.retried;
        self.dropped += other.dropped;
        self.dead_lettered += other.dead_lettered;
        for (a, b) in self.latency.iter_mut().zip(other.latency) {
            *a += b;
        }
    }
}

#[derive(Debug, Clone)]
pub struct SiemStats {
    client: Client,
    table: String,
}

fn pk(tenant: &TenantId, destination: &IntegrationId, day: Date) -> String {
    format!("SIEMSTATS#{tenant}#{destination}#{day}")
}

impl SiemStats {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Adds `counts` to the destination's day of `at`.
    pub async fn add(
        &self,
        tenant: &TenantId,
        destination: &IntegrationId,
        at: OffsetDateTime,
        counts: &Counts,
    ) -> Result<(), StoreError> {
        if counts.is_empty() {
            return Ok(());
        }
        let mut adds = Vec::new();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", item::s(pk(tenant, destination, at.date())))
            .expression_attribute_values(":expires", item::time(at + RETENTION));
        let named = [
            ("sent", counts.sent),
            ("retried", counts.retried),
            ("dropped", counts.dropped),
            ("dead_lettered", counts.dead_lettered),
        ];
        for (name, value) in named {
            if value > 0 {
                adds.push(format!("{name} :{name}"));
                request = request.expression_attribute_values(format!(":{name}"), num(value));
            }
        }
        for (i, &value) in counts.latency.iter().enumerate() {
            if value > 0 {
                adds.push(format!("b{i} :b{i}"));
                request = request.expression_attribute_values(format!(":b{i}"), num(value));
            }
        }
        request
            .update_expression(format!("SET expires_at = :expires ADD {}", adds.join(", ")))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// The counts of each day in `days` (absent days count nothing), in order.
    pub async fn days(
        &self,
        tenant: &TenantId,
        destination: &IntegrationId,
        days: &[Date],
    ) -> Result<Vec<Counts>, StoreError> {
        let keys: Vec<_> = days
            .iter()
            .map(|day| item::from_pairs([("pk", item::s(pk(tenant, destination, *day)))]))
            .collect();
        let mut found = std::collections::HashMap::new();
        for chunk in keys.chunks(100) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
            while let Some(request) = pending.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(StoreError::from_sdk)?;
                for item in out
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    let r = Reader::new(&item);
                    let mut counts = Counts {
                        sent: r.number("sent")?.unwrap_or(0),
                        retried: r.number("retried")?.unwrap_or(0),
                        dropped: r.number("dropped")?.unwrap_or(0),
                        dead_lettered: r.number("dead_lettered")?.unwrap_or(0),
                        ..Counts::default()
                    };
                    for (i, slot) in counts.latency.iter_mut().enumerate() {
                        *slot = r.number(&format!("b{i}"))?.unwrap_or(0);
                    }
                    found.insert(r.str("pk")?.to_owned(), counts);
                }
                pending = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table));
            }
        }
        Ok(days
            .iter()
            .map(|day| {
                found
                    .remove(&pk(tenant, destination, *day))
                    .unwrap_or_default()
            })
            .collect())
    }
}

fn num(value: u64) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::N(value.to_string())
}
