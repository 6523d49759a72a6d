//! Tenant integrations (the integrations table): now the tenant's Vault, one per
//! tenant (`sk = INTEGRATION#vault`). Credentials are stored only sealed.

use super::item::{self, Item, Reader};
use super::{StoreError, WriteBatch};
use crate::ids::TenantId;
use gatehouse_domain::ids::IntegrationId;
use gatehouse_domain::integrations::Integration;

const VAULT_SK: &str = "INTEGRATION#vault";

fn record_item(i: &Integration) -> Result<Item, StoreError> {
    let mut item = item::from_pairs([
        ("tenant_id", item::s(i.tenant_id.as_str())),
        ("sk", item::s(VAULT_SK)),
        ("integration_id", item::s(i.integration_id.as_str())),
        ("kind", item::s("vault")),
        ("vault", item::json(&i.vault)?),
        ("health", item::json(&i.health)?),
        ("created_at", item::time(i.created_at)),
        ("created_by", item::s(&i.created_by)),
        ("version", item::n(i.version as i64)),
    ]);
    if let Some(at) = i.updated_at {
        item.insert("updated_at".into(), item::time(at));
    }
    Ok(item)
}

fn decode(item: &Item) -> Result<Integration, StoreError> {
    let r = Reader::new(item);
    Ok(Integration {
        tenant_id: r.parsed("tenant_id", TenantId::parse)?,
        integration_id: r.parsed("integration_id", IntegrationId::parse)?,
        vault: r.json("vault")?,
        health: r.opt_json("health")?.unwrap_or_default(),
        created_at: r.time("created_at")?,
        created_by: r.str("created_by")?.to_owned(),
        updated_at: r.opt_time("updated_at")?,
        version: r.number("version")?.unwrap_or(1),
    })
}

crate::dynamo::repository!(
    /// Tenant integrations (`sk = INTEGRATION#vault`).
    Integrations
);

impl Integrations {
    /// The tenant's Vault integration, if it has one.
    pub async fn vault(&self, tenant_id: &TenantId) -> Result<Option<Integration>, StoreError> {
        self.table
            .get_item(tenant_id, VAULT_SK.to_owned())
            .await?
            .map(|item| decode(&item))
            .transpose()
    }

    /// A page of every tenant's Vault integration (for the prober), after `start`.
    pub async fn scan_vaults(
        &self,
        start: Option<Item>,
    ) -> Result<(Vec<Integration>, Option<Item>), StoreError> {
        let out = self
            .client()
            .scan()
            .table_name(self.table())
            .filter_expression("sk = :sk")
            .expression_attribute_values(":sk", item::s(VAULT_SK))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let integrations = out
            .items
            .unwrap_or_default()
            .iter()
            .map(decode)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((integrations, out.last_evaluated_key))
    }

    /// A new integration: the tenant must not have one yet.
    pub fn put_new(&self, batch: &mut WriteBatch, i: &Integration) -> Result<(), StoreError> {
        batch.put_new(self.table(), record_item(i)?, "tenant_id")
    }

    /// `i.version` must already be one more than the stored version.
    pub fn put_changed(&self, batch: &mut WriteBatch, i: &Integration) -> Result<(), StoreError> {
        batch.put_if_version(self.table(), record_item(i)?, i.version - 1)
    }

    pub fn delete(&self, batch: &mut WriteBatch, i: &Integration) -> Result<(), StoreError> {
        let key = item::from_pairs([
            ("tenant_id", item::s(i.tenant_id.as_str())),
            ("sk", item::s(VAULT_SK)),
        ]);
        batch.delete_if_version(self.table(), key, i.version)
    }
}
