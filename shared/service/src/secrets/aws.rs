//! The AWS backend of tenant secrets.
//!
//! Every version's value is sealed by the envelope helper with the context
//! `{purpose: secret-version, tenant, secret: <path>, version}`: a version's data key
//! opens that version of that secret of that tenant and nothing else. The wrapped data
//! key stays in the secret's record (DynamoDB); the nonce and ciphertext go to
//! Secrets Manager ([`SecretVersions`]). Destroying a version deletes its data key
//! from the record, in the same conditional write that marks it destroyed, so its
//! ciphertext can never be opened again (Secrets Manager cannot delete one version).
//!
//! A write stores the ciphertext first and then the record: a write that loses the
//! race for the record leaves a Secrets Manager version no record names and no data
//! key opens, and the caller sees a conflict.

use crate::store::envelope::{Envelope, SealContext, SealError, Sealed};
use crate::store::secret_versions::{SecretVersions, VersionStoreError};
use crate::store::secrets_table::{SecretPage, SecretRecord, VersionKey};
use crate::store::ttl_cache::TtlCache;
use crate::store::{SecretRecords, StoreError, WriteBatch};
use gatehouse_domain::ids::TenantId;
use gatehouse_domain::secrets::{SecretData, SecretError, SecretMeta, SecretPath, Settings};
use time::OffsetDateTime;

/// The envelope purpose of secret versions.
pub const PURPOSE: &str = "secret-version";

#[derive(Debug, thiserror::Error)]
pub enum SecretStoreError {
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Versions(#[from] VersionStoreError),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Vault(#[from] super::vault::VaultError),
    /// An operation the tenant's backend does not offer.
    #[error("{0}")]
    Unsupported(&'static str),
    /// The record names data that is not there or does not open: corruption.
    #[error("version {0} cannot be opened")]
    Unreadable(u64),
}

impl SecretStoreError {
    /// Whether the store itself failed (unreachable, refusing, corrupt), rather than
    /// the request being one the rules refuse.
    pub fn is_store_failure(&self) -> bool {
        !matches!(self, Self::Secret(_) | Self::Unsupported(_))
    }
}

/// How long an opened version is kept in memory. A version's value never changes; what
/// can change (deleted, destroyed, pruned) is read from the record on every read, before
/// the cache is consulted, so a cached value is never handed out after its version
/// went away.
pub const OPENED_TTL: std::time::Duration = std::time::Duration::from_secs(60);
const OPENED_MAX: usize = 1024;

/// (tenant, path, version, wrapped data key) -> the value.
type OpenedKey = (String, String, u64, String);

#[derive(Debug, Clone)]
pub struct AwsSecretStore {
    records: SecretRecords,
    versions: SecretVersions,
    envelope: Envelope,
    opened: TtlCache<OpenedKey, SecretData>,
}

/// A write prepared: its ciphertext is stored; committing `batch` (with the audit
/// event) makes it the secret's new version.
#[derive(Debug)]
pub struct PreparedWrite {
    pub record: SecretRecord,
    pub version: u64,
    pub created: bool,
    pub batch: WriteBatch,
}

fn context(tenant: &TenantId, path: &SecretPath, version: u64) -> SealContext {
    SealContext::new(PURPOSE)
        .with("tenant", tenant.as_str())
        .with("secret", path.as_str())
        .with("version", version.to_string())
}

impl AwsSecretStore {
    pub fn new(records: SecretRecords, versions: SecretVersions, envelope: Envelope) -> Self {
        Self {
            records,
            versions,
            envelope,
            opened: TtlCache::new(OPENED_TTL, OPENED_MAX),
        }
    }

    /// The record of a secret that exists (is not past its purge time).
    pub async fn load(
        &self,
        tenant: &TenantId,
        path: &SecretPath,
        now: OffsetDateTime,
    ) -> Result<SecretRecord, SecretStoreError> {
        match self.records.get(tenant, path).await? {
            Some(record) if !is_purged(&record, now) => Ok(record),
            _ => Err(SecretError::NotFound.into()),
        }
    }

    /// The secret's record, or a new one (with default settings) if there is none:
    /// whether it is new.
    pub async fn load_or_new(
        &self,
        tenant: &TenantId,
        path: &SecretPath,
        now: OffsetDateTime,
    ) -> Result<(SecretRecord, bool), SecretStoreError> {
        let fresh = || {
            SecretRecord::new(
                tenant.clone(),
                path.clone(),
                SecretMeta::new(Settings::default(), now),
            )
        };
        match self.records.get(tenant, path).await? {
            Some(record) if !is_purged(&record, now) => Ok((record, false)),
            Some(purged) => {
                // Past its recovery window but not yet swept: the path starts afresh.
                // Secrets Manager may still hold the deleted secret; take it back.
                let name = self.versions.name(tenant.as_str(), path.as_str());
                self.versions.restore(&name).await?;
                let mut record = fresh();
                record.revision = purged.revision;
                Ok((record, true))
            }
            None => Ok((fresh(), true)),
        }
    }

    /// Seals `data` as the next version and stores its ciphertext; the caller commits
    /// the returned batch. A new secret takes `settings` (default ones if `None`).
    pub async fn prepare_write(
        &self,
        tenant: &TenantId,
        path: &SecretPath,
        data: &SecretData,
        cas: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<PreparedWrite, SecretStoreError> {
        let name = self.versions.name(tenant.as_str(), path.as_str());
        let (mut record, created) = self.load_or_new(tenant, path, now).await?;
        let written = record.meta.write(cas, now)?;
        let sealed = self
            .envelope
            .seal(&data.to_bytes(), &context(tenant, path, written.version))
            .await?;
        let sm_version_id = SecretVersions::version_id(
            tenant.as_str(),
            path.as_str(),
            written.version,
            &sealed.data_key,
        );
        let bytes = sealed.body().ok_or(SealError::Corrupt)?;
        self.versions.put(&name, &sm_version_id, bytes).await?;
        record.keys.insert(
            written.version,
            VersionKey {
                data_key: sealed.data_key,
                sm_version_id,
            },
        );
        for removed in &written.removed {
            record.keys.remove(removed);
        }
        let mut batch = WriteBatch::new();
        self.records.put(&mut batch, &mut record)?;
        Ok(PreparedWrite {
            record,
            version: written.version,
            created,
            batch,
        })
    }

    /// A version's value (`None` or 0: the current one). The record decides whether
    /// the version may be read; a value opened in the last [`OPENED_TTL`] is reused.
    pub async fn read(
        &self,
        record: &SecretRecord,
        version: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<(u64, SecretData), SecretStoreError> {
        let version = record.meta.readable(version, now)?;
        let key = record
            .keys
            .get(&version)
            .ok_or(SecretStoreError::Unreadable(version))?;
        let cache_key = (
            record.tenant_id.to_string(),
            record.path.to_string(),
            version,
            key.data_key.clone(),
        );
        if let Some(data) = self.opened.get(&cache_key) {
            return Ok((version, data));
        }
        let name = self
            .versions
            .name(record.tenant_id.as_str(), record.path.as_str());
        let bytes = match self.versions.get(&name, &key.sm_version_id).await {
            Ok(bytes) => bytes,
            Err(VersionStoreError::Missing) => return Err(SecretStoreError::Unreadable(version)),
            Err(e) => return Err(e.into()),
        };
        let sealed = Sealed::from_body(key.data_key.clone(), &bytes)
            .ok_or(SecretStoreError::Unreadable(version))?;
        let opened = self
            .envelope
            .open(&sealed, &context(&record.tenant_id, &record.path, version))
            .await?;
        let data =
            SecretData::from_bytes(opened.bytes()).ok_or(SecretStoreError::Unreadable(version))?;
        self.opened.put(cache_key, data.clone());
        Ok((version, data))
    }

    /// The batch that stores a record changed by the state machine (delete, undelete,
    /// destroy, settings): destroyed versions lose their data keys in the same write.
    pub fn prepare_change(
        &self,
        record: &mut SecretRecord,
    ) -> Result<WriteBatch, SecretStoreError> {
        let destroyed: Vec<u64> = record
            .meta
            .versions
            .iter()
            .filter(|(_, state)| state.destroyed)
            .map(|(v, _)| *v)
            .collect();
        for version in destroyed {
            record.keys.remove(&version);
        }
        let mut batch = WriteBatch::new();
        self.records.put(&mut batch, record)?;
        Ok(batch)
    }

    /// After a delete-all is committed: schedules the Secrets Manager secret's
    /// deletion for the same window.
    pub async fn schedule_deletion(
        &self,
        record: &SecretRecord,
        recovery_days: u32,
    ) -> Result<(), SecretStoreError> {
        let name = self
            .versions
            .name(record.tenant_id.as_str(), record.path.as_str());
        Ok(self.versions.delete(&name, recovery_days).await?)
    }

    /// Before a restore is committed: cancels the Secrets Manager deletion.
    pub async fn cancel_deletion(&self, record: &SecretRecord) -> Result<(), SecretStoreError> {
        let name = self
            .versions
            .name(record.tenant_id.as_str(), record.path.as_str());
        Ok(self.versions.restore(&name).await?)
    }

    /// A page of the tenant's secrets under `prefix` (purged ones left out).
    pub async fn list(
        &self,
        tenant: &TenantId,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
        now: OffsetDateTime,
    ) -> Result<SecretPage, SecretStoreError> {
        let mut page = self.records.list(tenant, prefix, after, limit).await?;
        page.records.retain(|r| !is_purged(r, now));
        Ok(page)
    }
}

/// A deleted secret past its recovery window is gone, whether or not the table's TTL
/// has swept its record yet.
fn is_purged(record: &SecretRecord, now: OffsetDateTime) -> bool {
    record
        .meta
        .deletion
        .as_ref()
        .is_some_and(|d| d.purge_at <= now)
}
