//! SIEM destinations, in the integrations table: `sk = SIEM#<destination id>` in the
//! tenant's partition. Credentials are stored only as sealed values or references.

use super::item::{self, Item, Reader};
use super::{StoreError, WriteBatch};
use crate::ids::TenantId;
use gatehouse_domain::ids::IntegrationId;
use gatehouse_domain::integrations::Health;
use gatehouse_domain::siem::destination::Destination;

const PREFIX: &str = "SIEM#";

fn sort_key(id: &IntegrationId) -> String {
    format!("{PREFIX}{id}")
}

fn record_item(d: &Destination) -> Result<Item, StoreError> {
    let mut item = item::from_pairs([
        ("tenant_id", item::s(d.tenant_id.as_str())),
        ("sk", item::s(sort_key(&d.destination_id))),
        ("destination_id", item::s(d.destination_id.as_str())),
        ("kind", item::s("siem")),
        ("name", item::s(&d.name)),
        ("preset", item::json(&d.preset)?),
        ("transport", item::json(&d.transport)?),
        ("tls", item::json(&d.tls)?),
        ("filter", item::json(&d.filter)?),
        ("redaction", item::json(&d.redaction)?),
        (
            "all_tenants",
            aws_sdk_dynamodb::types::AttributeValue::Bool(d.all_tenants),
        ),
        (
            "enabled",
            aws_sdk_dynamodb::types::AttributeValue::Bool(d.enabled),
        ),
        ("health", item::json(&d.health)?),
        ("created_at", item::time(d.created_at)),
        ("created_by", item::s(&d.created_by)),
        ("version", item::n(d.version as i64)),
    ]);
    if let Some(credential) = &d.credential {
        item.insert("credential".into(), item::json(credential)?);
    }
    if let Some(at) = d.updated_at {
        item.insert("updated_at".into(), item::time(at));
    }
    Ok(item)
}

fn flag(item: &Item, name: &str) -> bool {
    matches!(
        item.get(name),
        Some(aws_sdk_dynamodb::types::AttributeValue::Bool(true))
    )
}

fn decode(item: &Item) -> Result<Destination, StoreError> {
    let r = Reader::new(item);
    Ok(Destination {
        tenant_id: r.parsed("tenant_id", TenantId::parse)?,
        destination_id: r.parsed("destination_id", IntegrationId::parse)?,
        name: r.str("name")?.to_owned(),
        preset: r.json("preset")?,
        transport: r.json("transport")?,
        credential: r.opt_json("credential")?,
        tls: r.opt_json("tls")?.unwrap_or_default(),
        filter: r.opt_json("filter")?.unwrap_or_default(),
        redaction: r.opt_json("redaction")?.unwrap_or_default(),
        all_tenants: flag(item, "all_tenants"),
        enabled: flag(item, "enabled"),
        health: r.opt_json("health")?.unwrap_or_default(),
        created_at: r.time("created_at")?,
        created_by: r.str("created_by")?.to_owned(),
        updated_at: r.opt_time("updated_at")?,
        version: r.number("version")?.unwrap_or(1),
    })
}

crate::dynamo::repository!(
    /// SIEM destinations (`sk = SIEM#<id>`).
    SiemDestinations
);

impl SiemDestinations {
    pub async fn get(
        &self,
        tenant_id: &TenantId,
        id: &IntegrationId,
    ) -> Result<Option<Destination>, StoreError> {
        self.table
            .get_item(tenant_id, sort_key(id))
            .await?
            .map(|item| decode(&item))
            .transpose()
    }

    /// The tenant's destinations, oldest first.
    pub async fn list(&self, tenant_id: &TenantId) -> Result<Vec<Destination>, StoreError> {
        let mut all = self
            .table
            .query_prefix(tenant_id, PREFIX)
            .await?
            .iter()
            .map(decode)
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by_key(|d| d.created_at);
        Ok(all)
    }

    pub fn put_new(&self, batch: &mut WriteBatch, d: &Destination) -> Result<(), StoreError> {
        batch.put_new(self.table(), record_item(d)?, "tenant_id")
    }

    /// `d.version` must already be one more than the stored version.
    pub fn put_changed(&self, batch: &mut WriteBatch, d: &Destination) -> Result<(), StoreError> {
        batch.put_if_version(self.table(), record_item(d)?, d.version - 1)
    }

    pub fn delete(&self, batch: &mut WriteBatch, d: &Destination) -> Result<(), StoreError> {
        let key = item::from_pairs([
            ("tenant_id", item::s(d.tenant_id.as_str())),
            ("sk", item::s(sort_key(&d.destination_id))),
        ]);
        batch.delete_if_version(self.table(), key, d.version)
    }

    /// Records a destination's health (the forwarder and the health check), whatever
    /// its version: health is Gatehouse's own observation, not the tenant's settings.
    /// A destination deleted meanwhile stays deleted.
    pub async fn record_health(
        &self,
        tenant_id: &TenantId,
        id: &IntegrationId,
        health: &Health,
    ) -> Result<(), StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key("tenant_id", item::s(tenant_id.as_str()))
            .key("sk", item::s(sort_key(id)))
            .update_expression("SET health = :h")
            .condition_expression("attribute_exists(tenant_id)")
            .expression_attribute_values(":h", item::json(health)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if crate::is_condition_failure(&e) => Ok(()),
            Err(e) => Err(StoreError::from_sdk(e)),
        }
    }
}
