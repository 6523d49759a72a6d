//! The audit table: partition per tenant, sorted by time.
//!
//! | `tenant_id` (hash) | `sk` (range)                      | attributes                                  |
//! |--------------------|-----------------------------------|---------------------------------------------|
//! | tenant id          | `<unix ms, 13 digits>#<event id>` | action, actor, actor_key, target, event (JSON), published (JSON), expires_at (TTL) |
//!
//! `published` is the domain event the change publishes, if any. The table's stream
//! (new images) is the outbox that the event publisher reads: see [`from_stream_image`].

use crate::ids::TenantId;
use crate::item::{self, Item, Reader};
use crate::{StoreError, WriteBatch};
use aws_sdk_dynamodb::Client;
use gatehouse_domain::audit::AuditEvent;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone)]
pub struct AuditStore {
    client: Client,
    table: String,
    retention: Duration,
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub key_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Only actions starting with one of these (`lease.`, `secret.`).
    pub action_prefixes: Vec<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub limit: usize,
    /// The sort key of the last event of the previous page.
    pub after: Option<String>,
}

/// A committed audit item as the table's stream delivers it, read from its new image
/// (`text` gives an attribute's `S` value): the audit event with its tenant and the
/// domain event it publishes.
pub fn from_stream_image<'a>(
    text: impl Fn(&str) -> Option<&'a str>,
) -> Result<AuditEvent, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("audit stream record: {what}"));
    let tenant = text("tenant_id").ok_or_else(|| corrupt("no tenant_id"))?;
    let tenant = TenantId::parse(tenant).map_err(|_| corrupt("bad tenant_id"))?;
    let json = text("event").ok_or_else(|| corrupt("no event"))?;
    let mut audit: AuditEvent = serde_json::from_str(json).map_err(|e| corrupt(&e.to_string()))?;
    audit.tenant_id = Some(tenant);
    if let Some(published) = text("published") {
        audit.published =
            Some(serde_json::from_str(published).map_err(|e| corrupt(&e.to_string()))?);
    }
    Ok(audit)
}

/// Items a filtered query reads per DynamoDB call: a filter that matches rarely then
/// costs a few calls, not one per page of `limit` items read.
const FILTERED_READ: usize = 500;
/// Items one request reads at most, matched or not: a filter that matches nothing in a
/// long history answers within this bound, with a cursor to read on from.
const MOST_READ_PER_REQUEST: i32 = 5_000;

#[derive(Debug)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub next: Option<String>,
}

fn millis(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos() / 1_000_000
}

fn sort_key(event: &AuditEvent) -> String {
    format!(
        "{:013}#{}",
        millis(event.occurred_at).max(0),
        event.event_id
    )
}

impl AuditStore {
    pub fn new(client: Client, table: impl Into<String>, retention_days: u32) -> Self {
        Self {
            client,
            table: table.into(),
            retention: Duration::days(i64::from(retention_days)),
        }
    }

    fn item(&self, event: &AuditEvent) -> Result<Item, StoreError> {
        let tenant = event
            .tenant_id
            .as_ref()
            .ok_or_else(|| StoreError::Corrupt("audit event without tenant".into()))?;
        let json = serde_json::to_string(event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut item = item::from_pairs([
            ("tenant_id", item::s(tenant.as_str())),
            ("sk", item::s(sort_key(event))),
            ("action", item::s(&event.action)),
            ("actor", item::s(&event.actor.principal)),
            ("event", item::s(json)),
            ("expires_at", item::time(event.occurred_at + self.retention)),
        ]);
        if let Some(key) = &event.actor.key_id {
            item.insert("actor_key".into(), item::s(key.as_str()));
        }
        if let Some(target) = &event.target {
            item.insert("target".into(), item::s(&target.id));
        }
        if let Some(published) = &event.published {
            let json =
                serde_json::to_string(published).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            item.insert("published".into(), item::s(json));
        }
        Ok(item)
    }

    /// Adds the event to a batch, so it is stored with the change it describes.
    pub fn add_to(&self, batch: &mut WriteBatch, event: &AuditEvent) -> Result<(), StoreError> {
        batch.put_new(&self.table, self.item(event)?, "tenant_id")
    }

    /// Stores an event on its own (refusals, which change nothing else).
    pub async fn put(&self, event: &AuditEvent) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.item(event)?))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// A tenant's events, newest first, filtered.
    pub async fn query(&self, tenant: &TenantId, q: &AuditQuery) -> Result<AuditPage, StoreError> {
        let from = format!("{:013}", q.from.map(millis).unwrap_or(0).max(0));
        // `~` sorts after `#` and every digit, so the bound includes all of `to`'s millisecond.
        let to = format!(
            "{:013}~",
            q.to.map(millis).unwrap_or(9_999_999_999_999).max(0)
        );
        let mut filters = Vec::new();
        if q.key_id.is_some() {
            filters.push("(#target = :key OR actor_key = :key)");
        }
        if q.actor.is_some() {
            filters.push("(actor = :actor OR actor_key = :actor)");
        }
        if q.action.is_some() {
            filters.push("#action = :action");
        }
        let prefixes = (0..q.action_prefixes.len())
            .map(|i| format!("begins_with(#action, :ap{i})"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let prefixes = format!("({prefixes})");
        if !q.action_prefixes.is_empty() {
            filters.push(&prefixes);
        }
        let mut events = Vec::with_capacity(q.limit);
        let mut read = 0;
        // The sort key of the last event returned, when a page held more matches than
        // were wanted: the next page starts after it, not after the page.
        let mut returned_up_to = None;
        let mut start = q.after.as_ref().map(|sk| {
            Item::from([
                ("tenant_id".to_owned(), item::s(tenant.as_str())),
                ("sk".to_owned(), item::s(sk)),
            ])
        });
        loop {
            let wanted = q.limit - events.len();
            let reading = if filters.is_empty() {
                wanted
            } else {
                wanted.max(FILTERED_READ)
            };
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("tenant_id = :t AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":t", item::s(tenant.as_str()))
                .expression_attribute_values(":from", item::s(&from))
                .expression_attribute_values(":to", item::s(&to))
                .scan_index_forward(false)
                .limit(i32::try_from(reading).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            if !filters.is_empty() {
                query = query.filter_expression(filters.join(" AND "));
            }
            if let Some(key) = &q.key_id {
                query = query
                    .expression_attribute_names("#target", "target")
                    .expression_attribute_values(":key", item::s(key));
            }
            if let Some(actor) = &q.actor {
                query = query.expression_attribute_values(":actor", item::s(actor));
            }
            if let Some(action) = &q.action {
                query = query
                    .expression_attribute_names("#action", "action")
                    .expression_attribute_values(":action", item::s(action));
            }
            for (i, prefix) in q.action_prefixes.iter().enumerate() {
                query = query
                    .expression_attribute_names("#action", "action")
                    .expression_attribute_values(format!(":ap{i}"), item::s(prefix));
            }
            let out = query.send().await.map_err(StoreError::from_sdk)?;
            for item in out.items() {
                if events.len() == q.limit {
                    returned_up_to = events.last().map(sort_key);
                    break;
                }
                let json = Reader::new(item).str("event")?;
                let mut event: AuditEvent =
                    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                event.tenant_id = Some(tenant.clone());
                events.push(event);
            }
            read += out.scanned_count;
            start = out.last_evaluated_key;
            if events.len() >= q.limit || start.is_none() || read >= MOST_READ_PER_REQUEST {
                break;
            }
        }
        let next = match (returned_up_to, start) {
            (Some(sk), _) => Some(sk),
            (None, Some(last)) => Some(Reader::new(&last).str("sk")?.to_owned()),
            (None, None) => None,
        };
        Ok(AuditPage { events, next })
    }
}
