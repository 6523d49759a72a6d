//! Where the AWS backend keeps secret ciphertext: one Secrets Manager secret per
//! tenant secret, one Secrets Manager version per Gatehouse version.
//!
//! - The secret's name is `<prefix><tenant>/<digest of the path>`: bounded whatever
//!   the path, and it names no path to whoever lists the account's secrets.
//! - Each version's `ClientRequestToken` (its VersionId) is derived from the tenant,
//!   path, version number and that version's wrapped data key: a retried call
//!   replays (Secrets Manager returns the version it already has), and a version
//!   written again after a lost race gets a token of its own.
//! - Reads name the VersionId, never the default stage (moto answers a read without
//!   one with a stale version after a stage moves).
//! - The value is `SecretBinary`: nonce and AES-GCM ciphertext, nothing readable.

use crate::item::hex;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_secretsmanager::primitives::Blob;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum VersionStoreError {
    #[error("Secrets Manager: {0}")]
    Unavailable(String),
    #[error("Secrets Manager has no such secret or version")]
    Missing,
}

#[derive(Debug, Clone)]
pub struct SecretVersions {
    /// `None` for a function that reads no tenant secret: no client is built.
    client: Option<Client>,
    prefix: String,
}

fn unavailable<E: std::error::Error + 'static, R: std::fmt::Debug>(
    e: aws_sdk_secretsmanager::error::SdkError<E, R>,
) -> VersionStoreError {
    VersionStoreError::Unavailable(DisplayErrorContext(&e).to_string())
}

impl SecretVersions {
    pub fn new(client: Client, prefix: impl Into<String>) -> Self {
        Self {
            client: Some(client),
            prefix: prefix.into(),
        }
    }

    pub fn unconfigured() -> Self {
        Self {
            client: None,
            prefix: String::new(),
        }
    }

    fn client(&self) -> Result<&Client, VersionStoreError> {
        self.client.as_ref().ok_or_else(|| {
            VersionStoreError::Unavailable(
                "this function has no tenant secret store (SECRETS_NAME_PREFIX)".into(),
            )
        })
    }

    /// The Secrets Manager name of a tenant secret.
    pub fn name(&self, tenant_id: &str, path: &str) -> String {
        let digest = Sha256::digest(format!("{tenant_id}\0{path}").as_bytes());
        format!("{}{tenant_id}/{}", self.prefix, hex(&digest[..16]))
    }

    /// The VersionId of one version (64 hex characters; Secrets Manager takes 32-64).
    pub fn version_id(tenant_id: &str, path: &str, version: u64, data_key: &str) -> String {
        let digest =
            Sha256::digest(format!("{tenant_id}\0{path}\0{version}\0{data_key}").as_bytes());
        hex(&digest)
    }

    /// Stores one version's bytes under `version_id`, creating the secret on its
    /// first version.
    pub async fn put(
        &self,
        name: &str,
        version_id: &str,
        bytes: Vec<u8>,
    ) -> Result<(), VersionStoreError> {
        let client = self.client()?;
        let put = client
            .put_secret_value()
            .secret_id(name)
            .client_request_token(version_id)
            .secret_binary(Blob::new(bytes.clone()))
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                let create = client
                    .create_secret()
                    .name(name)
                    .client_request_token(version_id)
                    .secret_binary(Blob::new(bytes.clone()))
                    .description("A Gatehouse tenant secret version store (ciphertext only)")
                    .send()
                    .await;
                match create {
                    Ok(_) => Ok(()),
                    // Created concurrently, by another writer: add the version to it.
                    Err(e) if e.code() == Some("ResourceExistsException") => client
                        .put_secret_value()
                        .secret_id(name)
                        .client_request_token(version_id)
                        .secret_binary(Blob::new(bytes))
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(unavailable),
                    Err(e) => Err(unavailable(e)),
                }
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// One version's bytes.
    pub async fn get(&self, name: &str, version_id: &str) -> Result<Vec<u8>, VersionStoreError> {
        let out = self
            .client()?
            .get_secret_value()
            .secret_id(name)
            .version_id(version_id)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception())
                {
                    VersionStoreError::Missing
                } else {
                    unavailable(e)
                }
            })?;
        out.secret_binary
            .map(Blob::into_inner)
            .ok_or(VersionStoreError::Missing)
    }

    /// Schedules the secret's deletion after `recovery_days`.
    pub async fn delete(&self, name: &str, recovery_days: u32) -> Result<(), VersionStoreError> {
        let result = self
            .client()?
            .delete_secret()
            .secret_id(name)
            .recovery_window_in_days(i64::from(recovery_days))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Never written (a secret of settings only): nothing to delete.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Cancels a scheduled deletion.
    pub async fn restore(&self, name: &str) -> Result<(), VersionStoreError> {
        let result = self.client()?.restore_secret().secret_id(name).send().await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}
