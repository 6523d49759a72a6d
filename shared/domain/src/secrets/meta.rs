//! One secret's versions and settings, and the rules every operation follows (Vault
//! KV v2's): the AWS backend applies them to its own record; Vault applies the same
//! rules itself.
//!
//! - A write creates version `current + 1`. With `cas`, it succeeds only if `cas` is
//!   the current version (0: only if the secret has no version yet); a secret with
//!   `cas_required` refuses a write without it.
//! - Beyond `max_versions`, the oldest versions are removed for good at the next write.
//! - `delete_version_after` gives every new version a deletion time.
//! - Delete (soft) sets a version's deletion time; undelete clears it; destroy removes
//!   its data for good (it stays listed, `destroyed`).
//! - Delete-all deletes the whole secret, restorable within a recovery window;
//!   nothing can be written to it until it is restored.

use super::SecretError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

/// The largest version number a request may name: JSON's largest exact integer.
pub const MAX_VERSION_NUMBER: u64 = (1 << 53) - 1;

/// Versions kept when a secret sets no `max_versions` (Vault's default).
pub const DEFAULT_MAX_VERSIONS: u32 = 10;
/// The most versions a secret may keep: Secrets Manager keeps at most 100 versions of
/// a secret, and Gatehouse leaves room below that for retried writes.
pub const MAX_VERSIONS_LIMIT: u32 = 90;
/// Custom metadata: Vault's limits.
pub const MAX_CUSTOM_KEYS: usize = 64;
pub const MAX_CUSTOM_KEY_BYTES: usize = 128;
pub const MAX_CUSTOM_VALUE_BYTES: usize = 512;
/// Recovery window of delete-all, in days (Secrets Manager's range).
pub const RECOVERY_DAYS: std::ops::RangeInclusive<u32> = 7..=30;

/// A secret's settings (Vault's metadata fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub max_versions: u32,
    pub cas_required: bool,
    /// Seconds after which a new version is deleted; 0: never.
    pub delete_version_after_seconds: u64,
    pub custom_metadata: BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_versions: DEFAULT_MAX_VERSIONS,
            cas_required: false,
            delete_version_after_seconds: 0,
            custom_metadata: BTreeMap::new(),
        }
    }
}

impl Settings {
    pub fn validate(&self) -> Result<(), SecretError> {
        let fail = |why: String| Err(SecretError::InvalidSettings(why));
        if !(1..=MAX_VERSIONS_LIMIT).contains(&self.max_versions) {
            return fail(format!("`max_versions` must be 1-{MAX_VERSIONS_LIMIT}"));
        }
        if self.delete_version_after_seconds > 100 * 365 * 86_400 {
            return fail("`delete_version_after_seconds` is at most 100 years".into());
        }
        if self.custom_metadata.len() > MAX_CUSTOM_KEYS {
            return fail(format!(
                "`custom_metadata` has at most {MAX_CUSTOM_KEYS} keys"
            ));
        }
        for (key, value) in &self.custom_metadata {
            if key.is_empty()
                || key.len() > MAX_CUSTOM_KEY_BYTES
                || key.chars().any(char::is_control)
            {
                return fail(format!(
                    "`custom_metadata` keys are 1-{MAX_CUSTOM_KEY_BYTES} bytes without control characters"
                ));
            }
            if value.len() > MAX_CUSTOM_VALUE_BYTES {
                return fail(format!(
                    "`custom_metadata` values are at most {MAX_CUSTOM_VALUE_BYTES} bytes"
                ));
            }
        }
        Ok(())
    }
}

/// One version's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionState {
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it is (or was, or will be) deleted; `None`: not deleted.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub deleted_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub destroyed: bool,
}

impl VersionState {
    pub fn is_deleted(&self, now: OffsetDateTime) -> bool {
        self.deleted_at.is_some_and(|at| at <= now)
    }
}

/// The whole secret deleted, until `purge_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub purge_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMeta {
    pub settings: Settings,
    pub current_version: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Kept versions, oldest first.
    pub versions: BTreeMap<u64, VersionState>,
    #[serde(default)]
    pub deletion: Option<Deletion>,
}

/// What a write did: the new version, and the versions it removed for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub version: u64,
    pub removed: Vec<u64>,
}

impl SecretMeta {
    /// A secret with no version yet.
    pub fn new(settings: Settings, now: OffsetDateTime) -> Self {
        Self {
            settings,
            current_version: 0,
            created_at: now,
            updated_at: now,
            versions: BTreeMap::new(),
            deletion: None,
        }
    }

    pub fn oldest_version(&self) -> u64 {
        self.versions.keys().next().copied().unwrap_or(0)
    }

    fn check_not_deleted(&self) -> Result<(), SecretError> {
        match &self.deletion {
            Some(d) => Err(SecretError::ScheduledForDeletion {
                purge_at: crate::clock::rfc3339(d.purge_at),
            }),
            None => Ok(()),
        }
    }

    /// Adds a version (see the module's rules).
    pub fn write(&mut self, cas: Option<u64>, now: OffsetDateTime) -> Result<Written, SecretError> {
        self.check_not_deleted()?;
        match cas {
            None if self.settings.cas_required => return Err(SecretError::CasRequired),
            Some(given) if given != self.current_version => {
                return Err(SecretError::CasMismatch {
                    given,
                    current: self.current_version,
                });
            }
            _ => {}
        }
        let version = self.current_version + 1;
        let deleted_at = match self.settings.delete_version_after_seconds {
            0 => None,
            seconds => {
                Some(now + Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 2)))
            }
        };
        self.versions.insert(
            version,
            VersionState {
                created_at: now,
                deleted_at,
                destroyed: false,
            },
        );
        self.current_version = version;
        self.updated_at = now;
        Ok(Written {
            version,
            removed: self.prune(),
        })
    }

    /// Removes the oldest versions beyond `max_versions`; which ones.
    fn prune(&mut self) -> Vec<u64> {
        let mut removed = Vec::new();
        while self.versions.len() > self.settings.max_versions as usize {
            if let Some((version, _)) = self.versions.pop_first() {
                removed.push(version);
            }
        }
        removed
    }

    /// The version a read gets (`None` or 0: the current one), if it can be read.
    pub fn readable(&self, version: Option<u64>, now: OffsetDateTime) -> Result<u64, SecretError> {
        self.check_not_deleted()?;
        let version = match version {
            None | Some(0) => self.current_version,
            Some(v) => v,
        };
        if version == 0 {
            return Err(SecretError::NotFound);
        }
        let state = self
            .versions
            .get(&version)
            .ok_or(SecretError::NoSuchVersion(version))?;
        if state.destroyed {
            return Err(SecretError::VersionDestroyed(version));
        }
        if state.is_deleted(now) {
            return Err(SecretError::VersionDeleted(version));
        }
        Ok(version)
    }

    /// The versions an operation names (`[]`: the current one), kept ones only.
    fn named(&self, versions: &[u64]) -> Vec<u64> {
        let wanted: Vec<u64> = if versions.is_empty() {
            vec![self.current_version]
        } else {
            versions.to_vec()
        };
        wanted
            .into_iter()
            .filter(|v| self.versions.contains_key(v))
            .collect()
    }

    /// Soft-deletes versions (unknown ones are ignored, as Vault does); which changed.
    pub fn delete(
        &mut self,
        versions: &[u64],
        now: OffsetDateTime,
    ) -> Result<Vec<u64>, SecretError> {
        self.change(versions, now, |state| {
            let applies = !state.destroyed && !state.is_deleted(now);
            if applies {
                state.deleted_at = Some(now);
            }
            applies
        })
    }

    /// Undeletes versions (not destroyed ones); which changed.
    pub fn undelete(
        &mut self,
        versions: &[u64],
        now: OffsetDateTime,
    ) -> Result<Vec<u64>, SecretError> {
        self.change(versions, now, |state| {
            let applies = !state.destroyed && state.deleted_at.is_some();
            if applies {
                state.deleted_at = None;
            }
            applies
        })
    }

    /// Destroys versions: their data goes for good; which changed.
    pub fn destroy(
        &mut self,
        versions: &[u64],
        now: OffsetDateTime,
    ) -> Result<Vec<u64>, SecretError> {
        self.change(versions, now, |state| {
            let applies = !state.destroyed;
            state.destroyed = true;
            applies
        })
    }

    /// Applies `apply` to each named version it applies to (it says whether it did).
    fn change(
        &mut self,
        versions: &[u64],
        now: OffsetDateTime,
        mut apply: impl FnMut(&mut VersionState) -> bool,
    ) -> Result<Vec<u64>, SecretError> {
        self.check_not_deleted()?;
        let mut changed = Vec::new();
        for version in self.named(versions) {
            if let Some(state) = self.versions.get_mut(&version)
                && apply(state)
            {
                changed.push(version);
            }
        }
        if !changed.is_empty() {
            self.updated_at = now;
        }
        Ok(changed)
    }

    /// Replaces the settings; a lower `max_versions` applies at the next write.
    pub fn configure(
        &mut self,
        settings: Settings,
        now: OffsetDateTime,
    ) -> Result<(), SecretError> {
        self.check_not_deleted()?;
        settings.validate()?;
        self.settings = settings;
        self.updated_at = now;
        Ok(())
    }

    /// Deletes the whole secret, restorable for `recovery_days`.
    pub fn delete_all(
        &mut self,
        recovery_days: u32,
        now: OffsetDateTime,
    ) -> Result<Deletion, SecretError> {
        self.check_not_deleted()?;
        if !RECOVERY_DAYS.contains(&recovery_days) {
            return Err(SecretError::InvalidSettings(format!(
                "`recovery_window_days` must be {}-{}",
                RECOVERY_DAYS.start(),
                RECOVERY_DAYS.end()
            )));
        }
        let deletion = Deletion {
            at: now,
            purge_at: now + Duration::days(i64::from(recovery_days)),
        };
        self.deletion = Some(deletion.clone());
        self.updated_at = now;
        Ok(deletion)
    }

    /// Restores a deleted secret as it was.
    pub fn restore(&mut self, now: OffsetDateTime) -> Result<(), SecretError> {
        match &self.deletion {
            Some(d) if d.purge_at > now => {
                self.deletion = None;
                self.updated_at = now;
                Ok(())
            }
            Some(_) => Err(SecretError::NotFound),
            None => Err(SecretError::NotDeleted),
        }
    }
}

#[cfg(test)]
#[path = "../tests/secrets_meta.rs"]
mod tests;
