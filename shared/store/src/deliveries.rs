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
use super::{StoreError, applied, is_condition_failure};
use crate::ids::{TenantId, WebhookId};
use crate::webhooks::delivery::{AttemptLog, Delivery, DeliveryStatus};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    PutRequest, ReturnValue, ReturnValuesOnConditionCheckFailure, WriteRequest,
};
pub use gatehouse_domain::webhooks::delivery::DeliverySummary;
use time::{Duration, OffsetDateTime};

pub const RETENTION: Duration = Duration::days(30);
/// Longer than the longest attempt (timeout plus bookkeeping).
pub const STALE_CLAIM: Duration = Duration::minutes(2);
/// Retries of writes DynamoDB leaves unprocessed (throttling), with doubling waits
/// from 20 ms.
const RECORD_ROUNDS: u32 = 5;

/// What claiming an attempt found.
#[derive(Debug)]
pub enum Claim {
    /// The attempt is this dispatcher's to make: the delivery as stored.
    Claimed(Box<Delivery>),
    /// No such delivery (expired from the log).
    Unknown,
    /// The delivery is finished (delivered, failed or skipped).
    Finished,
    /// This attempt was made and recorded: the message is a duplicate.
    Recorded,
    /// Claimed by another dispatcher and not recorded yet.
    InFlight,
}

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

    /// Claims attempt `attempt` of a pending delivery and reads it, in one
    /// conditional update: the queue message names the delivery, and the claim is
    /// the first thing the dispatcher needs it for.
    pub async fn claim(
        &self,
        tenant: &TenantId,
        id: &str,
        attempt: u32,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
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
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(
                ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .send()
            .await;
        match result {
            Ok(out) => {
                let found = out.attributes.unwrap_or_default();
                Ok(Claim::Claimed(Box::new(
                    Reader::new(&found).json::<Delivery>("delivery")?,
                )))
            }
            Err(e) if is_condition_failure(&e) => {
                let old = match e.into_service_error() {
                    UpdateItemError::ConditionalCheckFailedException(failed) => failed.item,
                    _ => None,
                };
                let Some(old) = old else {
                    return Ok(Claim::Unknown);
                };
                let delivery = Reader::new(&old).json::<Delivery>("delivery")?;
                Ok(if delivery.status != DeliveryStatus::Pending {
                    Claim::Finished
                } else if delivery.attempts >= attempt {
                    Claim::Recorded
                } else {
                    Claim::InFlight
                })
            }
            Err(e) => Err(StoreError::from_sdk(e)),
        }
    }

    /// Logs an attempt and stores the delivery as it now stands (status, attempt
    /// count, last status) and its index row, in one `BatchWriteItem`.
    ///
    /// Plain writes, not a transaction (which costs twice the capacity on the busiest
    /// path). The delivery is what a repeated message is checked against: if
    /// DynamoDB hands items back unprocessed, the log and the index row are retried
    /// first and the delivery only after them, so a failure here returns the message
    /// and the attempt is made and recorded again. Only if the delivery was stored
    /// in the first call and the log could not be after [`RECORD_ROUNDS`] is the log
    /// of that one attempt missing.
    pub async fn record(&self, d: &Delivery, log: Option<&AttemptLog>) -> Result<(), StoreError> {
        let meta = self.meta_item(d)?;
        let mut items = vec![self.index_item(d)?];
        if let Some(log) = log {
            items.push(item::from_pairs([
                ("pk", item::s(delivery_pk(&d.tenant_id, &d.delivery_id))),
                ("sk", item::s(format!("ATTEMPT#{:04}", log.attempt))),
                ("attempt", item::json(log)?),
                ("expires_at", item::time(d.created_at + RETENTION)),
            ]));
        }
        items.push(meta.clone());
        let mut unprocessed = self.put_all(&items).await?;
        for round in 0..RECORD_ROUNDS {
            if unprocessed.is_empty() {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(20 << round)).await;
            // The delivery waits until everything else is stored.
            let (delivery, rest): (Vec<Item>, Vec<Item>) =
                unprocessed.into_iter().partition(|item| *item == meta);
            unprocessed = if rest.is_empty() {
                self.put_all(&delivery).await?
            } else {
                let mut left = self.put_all(&rest).await?;
                left.extend(delivery);
                left
            };
        }
        if unprocessed.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!(
                "delivery {} not recorded: DynamoDB left writes unprocessed",
                d.delivery_id
            )))
        }
    }

    /// One `BatchWriteItem` of puts; returns the items DynamoDB left unprocessed.
    async fn put_all(&self, items: &[Item]) -> Result<Vec<Item>, StoreError> {
        let requests = items
            .iter()
            .map(|item| {
                PutRequest::builder()
                    .set_item(Some(item.clone()))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(|e| StoreError::Corrupt(format!("invalid put: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .batch_write_item()
            .request_items(&self.table, requests)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out
            .unprocessed_items
            .and_then(|mut tables| tables.remove(&self.table))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|request| request.put_request.map(|put| put.item))
            .collect())
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
