//! Which connection holds each verified email domain (home-realm discovery), in the
//! integrations table: `tenant_id = SSODOMAIN#<domain>`, `sk = claim`. The partition
//! key cannot be a tenant id (those are ten base62 characters), so a claim never sits
//! in a tenant's partition. It holds the holder's DNS value, so a newer proof can tell
//! whether the holder's record is still there without reading the holder's tenant.

use super::item::{self, Reader};
use super::{StoreError, WriteBatch};
use crate::ids::TenantId;
use gatehouse_domain::ids::IntegrationId;
use time::OffsetDateTime;

/// A domain's holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainClaim {
    pub domain: String,
    pub tenant_id: TenantId,
    pub connection_id: IntegrationId,
    /// The TXT value that proved it (`gatehouse-domain-verification=<token>`).
    pub proof: String,
    pub verified_at: OffsetDateTime,
    pub version: u64,
}

crate::dynamo::repository!(
    /// Domain claims (`tenant_id = SSODOMAIN#<domain>`, `sk = claim`).
    SsoDomains
);

fn key(domain: &str) -> item::Item {
    item::from_pairs([
        ("tenant_id", item::s(format!("SSODOMAIN#{domain}"))),
        ("sk", item::s("claim")),
    ])
}

impl SsoDomains {
    pub async fn get(&self, domain: &str) -> Result<Option<DomainClaim>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(self.table())
            .set_key(Some(key(domain)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let Some(found) = out.item else {
            return Ok(None);
        };
        let r = Reader::new(&found);
        Ok(Some(DomainClaim {
            domain: domain.to_owned(),
            tenant_id: r.parsed("holder_tenant", TenantId::parse)?,
            connection_id: r.parsed("holder_connection", IntegrationId::parse)?,
            proof: r.str("proof")?.to_owned(),
            verified_at: r.time("verified_at")?,
            version: r.number("version")?.unwrap_or(0),
        }))
    }

    /// Writes `claim` (its `version` one more than `replacing`'s, or 1 for a new one):
    /// the commit fails if the stored claim is no longer `replacing`.
    pub fn put(
        &self,
        batch: &mut WriteBatch,
        claim: &DomainClaim,
        replacing: Option<&DomainClaim>,
    ) -> Result<(), StoreError> {
        let mut record = key(&claim.domain);
        record.extend([
            (
                "holder_tenant".to_owned(),
                item::s(claim.tenant_id.as_str()),
            ),
            (
                "holder_connection".to_owned(),
                item::s(claim.connection_id.as_str()),
            ),
            ("proof".to_owned(), item::s(&claim.proof)),
            ("verified_at".to_owned(), item::time(claim.verified_at)),
            ("version".to_owned(), item::n(claim.version as i64)),
        ]);
        match replacing {
            None => batch.put_new(self.table(), record, "tenant_id"),
            Some(old) => batch.put_if_version(self.table(), record, old.version),
        }
    }

    /// Lets go of `domain` if `connection` of `tenant` still holds it (a domain
    /// removed, a connection deleted, a proof gone); a claim another connection took
    /// over is left alone. `false` when there was nothing of this connection's.
    pub async fn release(
        &self,
        domain: &str,
        tenant: &TenantId,
        connection: &IntegrationId,
    ) -> Result<bool, StoreError> {
        let result = self
            .client()
            .delete_item()
            .table_name(self.table())
            .set_key(Some(key(domain)))
            .condition_expression("holder_tenant = :t AND holder_connection = :c")
            .expression_attribute_values(":t", item::s(tenant.as_str()))
            .expression_attribute_values(":c", item::s(connection.as_str()))
            .send()
            .await;
        crate::applied(result)
    }
}
