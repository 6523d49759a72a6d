//! Webhook endpoints in the keys table, under their tenant: sk `WEBHOOK#<id>`.
//! Nested values (sealed secrets, breaker, disable note) are JSON strings.

use super::item::{self, Item, Reader};
use super::{StoreError, WriteBatch};
use crate::ids::{TenantId, WebhookId};
use crate::webhooks::endpoint::{Endpoint, EndpointStatus};
use aws_sdk_dynamodb::types::AttributeValue;

const WEBHOOK_SK_PREFIX: &str = "WEBHOOK#";
/// Endpoints per tenant.
pub const MAX_ENDPOINTS: usize = 50;

fn sk(id: &WebhookId) -> String {
    format!("{WEBHOOK_SK_PREFIX}{id}")
}

fn endpoint_item(e: &Endpoint) -> Result<Item, StoreError> {
    let mut item = item::from_pairs([
        ("tenant_id", item::s(e.tenant_id.as_str())),
        ("sk", item::s(sk(&e.webhook_id))),
        ("webhook_id", item::s(e.webhook_id.as_str())),
        ("url", item::s(&e.url)),
        (
            "event_types",
            AttributeValue::L(e.event_types.iter().map(item::s).collect()),
        ),
        ("description", item::s(&e.description)),
        (
            "status",
            item::s(match e.status {
                EndpointStatus::Active => "active",
                EndpointStatus::Disabled => "disabled",
            }),
        ),
        ("secret", item::json(&e.secret)?),
        ("breaker", item::json(&e.breaker)?),
        ("created_at", item::time(e.created_at)),
        ("created_by", item::s(&e.created_by)),
        ("version", item::n(e.version as i64)),
    ]);
    if let Some(d) = &e.disabled {
        item.insert("disabled".into(), item::json(d)?);
    }
    if let Some(r) = &e.retiring_secret {
        item.insert("retiring_secret".into(), item::json(r)?);
    }
    if let Some(limit) = e.rate_limit_per_second {
        item.insert("rate_limit_per_second".into(), item::n(i64::from(limit)));
    }
    if let Some(at) = e.updated_at {
        item.insert("updated_at".into(), item::time(at));
    }
    Ok(item)
}

fn decode(item: &Item) -> Result<Endpoint, StoreError> {
    let r = Reader::new(item);
    Ok(Endpoint {
        tenant_id: r.parsed("tenant_id", TenantId::parse)?,
        webhook_id: r.parsed("webhook_id", WebhookId::parse)?,
        url: r.str("url")?.to_owned(),
        event_types: r
            .string_list("event_types")?
            .into_iter()
            .map(str::to_owned)
            .collect(),
        description: r.str("description")?.to_owned(),
        status: match r.str("status")? {
            "active" => EndpointStatus::Active,
            "disabled" => EndpointStatus::Disabled,
            other => return Err(StoreError::Corrupt(format!("endpoint status `{other}`"))),
        },
        disabled: r.opt_json("disabled")?,
        rate_limit_per_second: r
            .number("rate_limit_per_second")?
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        secret: r
            .opt_json("secret")?
            .ok_or_else(|| StoreError::Corrupt("endpoint without a secret".into()))?,
        retiring_secret: r.opt_json("retiring_secret")?,
        breaker: r.opt_json("breaker")?.unwrap_or_default(),
        created_at: r.time("created_at")?,
        created_by: r.str("created_by")?.to_owned(),
        updated_at: r.opt_time("updated_at")?,
        version: r.number("version")?.unwrap_or(1),
    })
}

crate::dynamo::repository!(
    /// Webhook endpoints, in the keys table under their tenant (`sk = WEBHOOK#<id>`).
    Endpoints
);

impl Endpoints {
    pub fn put_new(&self, batch: &mut WriteBatch, e: &Endpoint) -> Result<(), StoreError> {
        batch.put_new(self.table(), endpoint_item(e)?, "tenant_id")
    }

    /// `e.version` must already be one more than the stored version.
    pub fn put_changed(&self, batch: &mut WriteBatch, e: &Endpoint) -> Result<(), StoreError> {
        batch.put_if_version(self.table(), endpoint_item(e)?, e.version.saturating_sub(1))
    }

    pub fn delete(&self, batch: &mut WriteBatch, e: &Endpoint) -> Result<(), StoreError> {
        let key = item::from_pairs([
            ("tenant_id", item::s(e.tenant_id.as_str())),
            ("sk", item::s(sk(&e.webhook_id))),
        ]);
        batch.delete_if_version(self.table(), key, e.version)
    }

    pub async fn get(
        &self,
        tenant_id: &TenantId,
        id: &WebhookId,
    ) -> Result<Option<Endpoint>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(self.table())
            .key("tenant_id", item::s(tenant_id.as_str()))
            .key("sk", item::s(sk(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.item.as_ref().map(decode).transpose()
    }

    /// All of a tenant's endpoints (at most [`MAX_ENDPOINTS`]), oldest id first.
    pub async fn list(&self, tenant_id: &TenantId) -> Result<Vec<Endpoint>, StoreError> {
        let items = self
            .table
            .query_prefix(tenant_id, WEBHOOK_SK_PREFIX)
            .await?;
        items.iter().map(decode).collect()
    }
}
