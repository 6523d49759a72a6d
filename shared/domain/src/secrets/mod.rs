//! Tenant secrets with Vault KV v2 semantics, whatever the backend: integer versions,
//! check-and-set, `max_versions`, `delete_version_after`, custom metadata, soft delete
//! and undelete, destroy, and delete-all with a recovery window and restore.
//!
//! [`meta::SecretMeta`] is the state machine of one secret's versions. The AWS backend
//! keeps it in DynamoDB (Secrets Manager has no such primitives); the Vault backend
//! reads it from Vault, which applies the same rules.

pub mod data;
pub mod meta;
pub mod path;

pub use data::SecretData;
pub use meta::{SecretMeta, Settings, VersionState};
pub use path::SecretPath;

/// Why a secret operation was refused. Each maps to one problem type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("{0}")]
    InvalidPath(String),
    #[error("{0}")]
    InvalidData(String),
    #[error("{0}")]
    InvalidSettings(String),
    #[error("no such secret")]
    NotFound,
    #[error("version {0} does not exist")]
    NoSuchVersion(u64),
    #[error("version {0} is deleted; undelete it to read it")]
    VersionDeleted(u64),
    #[error("version {0} is destroyed")]
    VersionDestroyed(u64),
    #[error(
        "this secret requires `cas`: give the version the write expects to replace (0 to create)"
    )]
    CasRequired,
    #[error("`cas` is {given} but the current version is {current}")]
    CasMismatch { given: u64, current: u64 },
    #[error("the secret is deleted (restorable until {purge_at}); restore it first")]
    ScheduledForDeletion { purge_at: String },
    #[error("the secret is not deleted")]
    NotDeleted,
}
