//! Tenant secrets: one store with Vault KV v2 semantics. This is the AWS backend
//! (Secrets Manager for ciphertext, DynamoDB for the version records, KMS envelope
//! encryption per version); the rules live in `gatehouse_domain::secrets`.

pub mod aws;
pub mod aws_iam;
pub mod leases;
pub mod store;
pub mod vault;

pub use aws::{AwsSecretStore, SecretStoreError};
pub use gatehouse_domain::secrets::*;
pub use store::{Committed, TenantSecrets, Written};
