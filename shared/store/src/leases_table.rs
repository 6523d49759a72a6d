//! Dynamic secrets' leases (the secrets table, `sk = LEASE#<lease id>`): what was
//! issued, to which role, until when, and whether it was renewed or revoked. Never the
//! credentials. `purge_at` (the table's TTL) is the lease's expiry: DynamoDB removes a
//! lease some time after its credentials stopped working, and a listing shows it as
//! expired until then.

use super::item::{self, Item, Reader};
use super::{StoreError, WriteBatch};
use crate::ids::TenantId;
use aws_sdk_dynamodb::types::AttributeValue;
use gatehouse_domain::ids::LeaseId;
use gatehouse_domain::leases::{Lease, LeaseBackend};

const SK_PREFIX: &str = "LEASE#";

fn sk(lease_id: &LeaseId) -> String {
    format!("{SK_PREFIX}{lease_id}")
}

fn backend_name(backend: LeaseBackend) -> &'static str {
    match backend {
        LeaseBackend::Aws => "aws",
        LeaseBackend::Vault => "vault",
    }
}

fn record_item(lease: &Lease) -> Item {
    let mut item = item::from_pairs([
        ("tenant_id", item::s(lease.tenant_id.as_str())),
        ("sk", item::s(sk(&lease.lease_id))),
        ("lease_id", item::s(lease.lease_id.as_str())),
        ("backend", item::s(backend_name(lease.backend))),
        ("role", item::s(&lease.role)),
        ("ttl_seconds", item::n(i64::from(lease.ttl_seconds))),
        ("issued_at", item::time(lease.issued_at)),
        ("expires_at", item::time(lease.expires_at)),
        ("renewable", AttributeValue::Bool(lease.renewable)),
        ("created_by", item::s(&lease.created_by)),
        ("version", item::n(lease.revision as i64)),
        ("purge_at", item::time(lease.expires_at)),
    ]);
    let optional = [
        ("max_expires_at", lease.max_expires_at.map(item::time)),
        ("renewed_at", lease.renewed_at.map(item::time)),
        ("revoked_at", lease.revoked_at.map(item::time)),
        (
            "vault_lease_id",
            lease.vault_lease_id.as_deref().map(item::s),
        ),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            item.insert(name.into(), value);
        }
    }
    item
}

fn decode(item: &Item) -> Result<Lease, StoreError> {
    let r = Reader::new(item);
    Ok(Lease {
        tenant_id: r.parsed("tenant_id", TenantId::parse)?,
        lease_id: r.parsed("lease_id", LeaseId::parse)?,
        backend: r.parsed("backend", |b| match b {
            "aws" => Ok(LeaseBackend::Aws),
            "vault" => Ok(LeaseBackend::Vault),
            other => Err(format!("unknown backend `{other}`")),
        })?,
        role: r.str("role")?.to_owned(),
        ttl_seconds: u32::try_from(r.number("ttl_seconds")?.unwrap_or(0)).unwrap_or(u32::MAX),
        issued_at: r.time("issued_at")?,
        expires_at: r.time("expires_at")?,
        max_expires_at: r.opt_time("max_expires_at")?,
        renewable: matches!(item.get("renewable"), Some(AttributeValue::Bool(true))),
        renewed_at: r.opt_time("renewed_at")?,
        revoked_at: r.opt_time("revoked_at")?,
        vault_lease_id: r.opt_str("vault_lease_id")?.map(str::to_owned),
        created_by: r.str("created_by")?.to_owned(),
        revision: r.number("version")?.unwrap_or(0),
    })
}

crate::dynamo::repository!(
    /// Dynamic secrets' leases (`sk = LEASE#<lease id>` in the secrets table).
    Leases
);

impl Leases {
    pub async fn get(
        &self,
        tenant_id: &TenantId,
        lease_id: &LeaseId,
    ) -> Result<Option<Lease>, StoreError> {
        self.table
            .get_item(tenant_id, sk(lease_id))
            .await?
            .map(|item| decode(&item))
            .transpose()
    }

    /// Adds the lease's write to `batch`: a new lease must not exist yet, a changed one
    /// must still be at the revision it was read at. `revision` is incremented.
    pub fn put(&self, batch: &mut WriteBatch, lease: &mut Lease) -> Result<(), StoreError> {
        let expected = lease.revision;
        lease.revision += 1;
        batch.put_revision(self.table(), record_item(lease), expected)
    }

    /// A page of the tenant's leases in lease-id order, after `after`; the last id of
    /// the page when there may be more.
    pub async fn list(
        &self,
        tenant_id: &TenantId,
        after: Option<&LeaseId>,
        limit: usize,
    ) -> Result<(Vec<Lease>, Option<LeaseId>), StoreError> {
        let (items, more) = self
            .table
            .query_page(tenant_id, SK_PREFIX, after.map(sk), limit)
            .await?;
        let leases = items.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
        let next = more
            .then(|| leases.last().map(|l| l.lease_id.clone()))
            .flatten();
        Ok((leases, next))
    }
}
