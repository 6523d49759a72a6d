//! The AWS backend's record of each tenant secret (the secrets table): the version
//! state machine ([`SecretMeta`], as JSON) and, per kept version, the KMS-wrapped data
//! key and the Secrets Manager version that holds its ciphertext. Secrets Manager has
//! no integer versions, check-and-set or per-version delete, so this record is the
//! secret's truth and Secrets Manager only stores ciphertext.
//!
//! Destroying a version removes its data key here (crypto-shredding: the ciphertext in
//! Secrets Manager can no longer be opened), in the same conditional write that marks
//! it destroyed. A deleted secret's record carries `purge_at` as its TTL, the end of
//! the same recovery window as its Secrets Manager deletion.

use super::item::{self, Item, Reader};
use super::{StoreError, WriteBatch};
use crate::ids::TenantId;
use gatehouse_domain::secrets::{SecretMeta, SecretPath};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const SK_PREFIX: &str = "SECRET#";

/// Where one version's ciphertext is, and the key to open it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionKey {
    /// The data key, wrapped by KMS (base64).
    pub data_key: String,
    /// The Secrets Manager version (its ClientRequestToken) holding nonce and ciphertext.
    pub sm_version_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecretRecord {
    pub tenant_id: TenantId,
    pub path: SecretPath,
    pub meta: SecretMeta,
    pub keys: BTreeMap<u64, VersionKey>,
    /// Incremented by every write; writes are conditional on it.
    pub revision: u64,
}

impl SecretRecord {
    pub fn new(tenant_id: TenantId, path: SecretPath, meta: SecretMeta) -> Self {
        Self {
            tenant_id,
            path,
            meta,
            keys: BTreeMap::new(),
            revision: 0,
        }
    }
}

fn sk(path: &SecretPath) -> String {
    format!("{SK_PREFIX}{path}")
}

fn record_item(r: &SecretRecord) -> Result<Item, StoreError> {
    let mut item = item::from_pairs([
        ("tenant_id", item::s(r.tenant_id.as_str())),
        ("sk", item::s(sk(&r.path))),
        ("path", item::s(r.path.as_str())),
        ("meta", item::json(&r.meta)?),
        ("keys", item::json(&r.keys)?),
        ("version", item::n(r.revision as i64)),
    ]);
    if let Some(deletion) = &r.meta.deletion {
        // DynamoDB's TTL removes the record when the recovery window ends.
        item.insert("purge_at".into(), item::time(deletion.purge_at));
    }
    Ok(item)
}

fn decode(item: &Item) -> Result<SecretRecord, StoreError> {
    let r = Reader::new(item);
    Ok(SecretRecord {
        tenant_id: r.parsed("tenant_id", TenantId::parse)?,
        path: r.parsed("path", SecretPath::parse)?,
        meta: r.json("meta")?,
        keys: r.json("keys")?,
        revision: r.number("version")?.unwrap_or(0),
    })
}

/// One row of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretPage {
    pub records: Vec<SecretRecord>,
    /// The last path of this page, when there may be more.
    pub next: Option<String>,
}

crate::dynamo::repository!(
    /// Tenant secrets of the AWS backend (`sk = SECRET#<path>`).
    SecretRecords
);

impl SecretRecords {
    pub async fn get(
        &self,
        tenant_id: &TenantId,
        path: &SecretPath,
    ) -> Result<Option<SecretRecord>, StoreError> {
        self.table
            .get_item(tenant_id, sk(path))
            .await?
            .map(|item| decode(&item))
            .transpose()
    }

    /// Adds the record's write to `batch`: a new record must not exist yet, a changed
    /// one must still be at the revision it was read at. `revision` is incremented.
    pub fn put(&self, batch: &mut WriteBatch, record: &mut SecretRecord) -> Result<(), StoreError> {
        let expected = record.revision;
        record.revision += 1;
        batch.put_revision(self.table(), record_item(record)?, expected)
    }

    /// Removes the record (a purge), if it is still at its revision.
    pub fn delete(&self, batch: &mut WriteBatch, record: &SecretRecord) -> Result<(), StoreError> {
        let key = item::from_pairs([
            ("tenant_id", item::s(record.tenant_id.as_str())),
            ("sk", item::s(sk(&record.path))),
        ]);
        batch.delete_if_version(self.table(), key, record.revision)
    }

    /// A page of the tenant's secrets whose path starts with `prefix`, in path order,
    /// after the path `after`.
    pub async fn list(
        &self,
        tenant_id: &TenantId,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<SecretPage, StoreError> {
        let (items, more) = self
            .table
            .query_page(
                tenant_id,
                &format!("{SK_PREFIX}{prefix}"),
                after.map(|path| format!("{SK_PREFIX}{path}")),
                limit,
            )
            .await?;
        let records = items.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
        let next = more
            .then(|| records.last().map(|r| r.path.as_str().to_owned()))
            .flatten();
        Ok(SecretPage { records, next })
    }
}
