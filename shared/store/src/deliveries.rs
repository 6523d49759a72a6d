//! The deliveries table (`pk`, `sk`, TTL `expires_at`), kept [`RETENTION`]:
//!
//! | item      | `pk`                              | `sk`                          |
//! |-----------|-----------------------------------|-------------------------------|
//! | delivery  | `DELIVERY#<tenant>#<delivery id>` | `META`                        |
//! | attempt   | `DELIVERY#<tenant>#<delivery id>` | `ATTEMPT#<n, 4 digits>`       |
//! | by webhook| `WEBHOOK#<tenant>#<webhook id>`   | `<created, 12 digits>#<delivery id>` |
//!
//! An attempt is claimed before it is made (`attempts` moves from n-1 to n under a
//! condition), so a duplicate queue message does not send twice; a claim left by a
//! dispatcher that died is taken over after [`STALE_CLAIM`].

use super::item::{self, Item, Reader};
use super::{StoreError, applied};
use crate::ids::{TenantId, WebhookId};
use crate::webhooks::delivery::{AttemptLog, Delivery, DeliveryStatus};
use aws_sdk_dynamodb::Client;
pub use gatehouse_domain::webhooks::delivery::DeliverySummary;
use time::{Duration, OffsetDateTime};

pub const RETENTION: Duration = Duration::days(30);
/// Longer than the longest attempt (timeout plus bookkeeping).
pub const STALE_CLAIM: Duration = Duration::minutes(2);

#[derive(Debug, Clone)]
pub struct DeliveryStore {
    client: Client,
    table: String,
}

fn delivery_pk(tenant: &TenantId, id: &str) -> String {
    format!("DELIVERY#{tenant}#{id}")
}

fn index_pk(tenant: &TenantId, webhook: &WebhookId) -> String {
    format!("WEBHOOK#{tenant}#{webhook}")
}

fn index_sk(d: &Delivery) -> String {
    format!("{:012}#{}", d.created_at.unix_timestamp(), d.delivery_id)
}

impl DeliveryStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn table(&self) -> &str {
        &self.table
    }

    fn index_item(&self, d: &Delivery) -> Result<Item, StoreError> {
        let mut item = item::from_pairs([
            ("pk", item::s(index_pk(&d.tenant_id, &d.webhook_id))),
            ("sk", item::s(index_sk(d))),
            ("delivery_id", item::s(&d.delivery_id)),
            ("event_type", item::s(&d.event_type)),
            ("created_at", item::time(d.created_at)),
            ("status", item::s(d.status.as_str())),
            ("attempts", item::n(i64::from(d.attempts))),
            ("expires_at", item::time(d.created_at + RETENTION)),
        ]);
        if let Some(status) = d.last_status {
            item.insert("last_status".into(), item::n(i64::from(status)));
        }
        if let Some(ms) = d.last_latency_ms {
            item.insert(
                "last_latency_ms".into(),
                item::n(i64::try_from(ms).unwrap_or(i64::MAX)),
            );
        }
        Ok(item)
    }

    fn meta_item(&self, d: &Delivery) -> Result<Item, StoreError> {
        Ok(item::from_pairs([
            ("pk", item::s(delivery_pk(&d.tenant_id, &d.delivery_id))),
            ("sk", item::s("META")),
            ("delivery", item::json(d)?),
            ("attempts", item::n(i64::from(d.attempts))),
            ("status", item::s(d.status.as_str())),
            ("expires_at", item::time(d.created_at + RETENTION)),
        ]))
    }

    /// Stores a new delivery, then its index row; `AlreadyExists` if the delivery
    /// was created before (a repeated fan-out). A fan-out that stops between the two
    /// leaves the row to the first attempt's [`Self::record`], which writes it.
    pub async fn create(&self, d: &Delivery) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.meta_item(d)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        if !applied(result)? {
            return Err(StoreError::AlreadyExists);
        }
        self.put(self.index_item(d)?).await
    }

    async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// A delivery and its attempts, oldest first.
    pub async fn get(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<(Delivery, Vec<AttemptLog>)>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", item::s(delivery_pk(tenant, id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let mut delivery = None;
        let mut attempts = Vec::new();
        for found in out.items() {
            let r = Reader::new(found);
            match r.str("sk")? {
                "META" => {
                    delivery = Some(r.json::<Delivery>("delivery")?);
                }
                _ => attempts.push(r.json::<AttemptLog>("attempt")?),
            }
        }
        Ok(delivery.map(|d| (d, attempts)))
    }

    /// Claims attempt `attempt` of a pending delivery; `false` if another dispatcher
    /// has it (or the delivery is no longer pending).
    pub async fn claim(
        &self,
        tenant: &TenantId,
        id: &str,
        attempt: u32,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", item::s(delivery_pk(tenant, id)))
            .key("sk", item::s("META"))
            .update_expression("SET attempts = :n, claimed_at = :now")
            .condition_expression(
                "#status = :pending AND (attempts = :prev OR (attempts = :n AND claimed_at < :stale))",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", item::s("pending"))
            .expression_attribute_values(":n", item::n(i64::from(attempt)))
            .expression_attribute_values(":prev", item::n(i64::from(attempt) - 1))
            .expression_attribute_values(":now", item::time(now))
            .expression_attribute_values(":stale", item::time(now - STALE_CLAIM))
            .send()
            .await;
        applied(result)
    }

    /// Logs an attempt and stores the delivery as it now stands (status, attempt
    /// count, last status) and its index row.
    ///
    /// Plain writes, not a transaction (which costs twice the capacity on the busiest
    /// path): the log and the index row first, the delivery last. The delivery is
    /// what a repeated message is checked against, so if anything fails before it is
    /// written, the message returns and the attempt is made and recorded again.
    pub async fn record(&self, d: &Delivery, log: Option<&AttemptLog>) -> Result<(), StoreError> {
        let attempt = log
            .map(|log| -> Result<Item, StoreError> {
                Ok(item::from_pairs([
                    ("pk", item::s(delivery_pk(&d.tenant_id, &d.delivery_id))),
                    ("sk", item::s(format!("ATTEMPT#{:04}", log.attempt))),
                    ("attempt", item::json(log)?),
                    ("expires_at", item::time(d.created_at + RETENTION)),
                ]))
            })
            .transpose()?;
        let log_write = async {
            match attempt {
                Some(item) => self.put(item).await,
                None => Ok(()),
            }
        };
        tokio::try_join!(log_write, self.put(self.index_item(d)?))?;
        self.put(self.meta_item(d)?).await
    }

    /// A webhook's deliveries created in `[from, to)`, newest first, optionally of one
    /// status, at most `limit`.
    pub async fn list(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        from: OffsetDateTime,
        to: OffsetDateTime,
        status: Option<DeliveryStatus>,
        limit: usize,
    ) -> Result<Vec<DeliverySummary>, StoreError> {
        let mut rows = Vec::new();
        let mut start = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", item::s(index_pk(tenant, webhook)))
                .expression_attribute_values(
                    ":from",
                    item::s(format!("{:012}#", from.unix_timestamp())),
                )
                .expression_attribute_values(
                    ":to",
                    item::s(format!("{:012}#", to.unix_timestamp())),
                )
                .scan_index_forward(false)
                .set_exclusive_start_key(start);
            if let Some(status) = status {
                query = query
                    .filter_expression("#status = :status")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":status", item::s(status.as_str()));
            }
            let out = query.send().await.map_err(StoreError::from_sdk)?;
            for found in out.items() {
                let r = Reader::new(found);
                rows.push(DeliverySummary {
                    delivery_id: r.str("delivery_id")?.to_owned(),
                    event_type: r.str("event_type")?.to_owned(),
                    created_at: r.time("created_at")?,
                    status: r.parsed("status", |s| {
                        DeliveryStatus::parse(s).ok_or("unknown status")
                    })?,
                    attempts: u32::try_from(r.number("attempts")?.unwrap_or(0)).unwrap_or(u32::MAX),
                    last_status: r.number("last_status")?.and_then(|n| u16::try_from(n).ok()),
                    last_latency_ms: r.number("last_latency_ms")?,
                });
                if rows.len() >= limit {
                    return Ok(rows);
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(rows);
            }
        }
    }
}
