//! Gatehouse's storage and AWS adapters: the DynamoDB tables (keys, scopes, policies
//! and endpoints in the keys table; deliveries and circuit counts; audit; usage;
//! counters), transactions, the events publisher and delivery queue (SQS), and the
//! envelope encryption (KMS), and the AWS backend of tenant secrets (its records and
//! Secrets Manager versions). Depends on the domain only; nothing here knows of
//! Lambda, HTTP or the operations that use it.
#![forbid(unsafe_code)]

// The domain's modules under the names the repositories were written against.
pub(crate) use gatehouse_domain::{ids, keys, limits, usage, webhooks};

pub mod audit;
pub mod batch;
pub mod circuit_counts;
pub mod counters;
pub mod cursors;
pub mod deliveries;
pub mod dynamo;
pub mod envelope;
pub mod ephemeral;
pub mod events;
pub mod idempotency;
pub mod integrations_table;
pub mod item;
pub mod keys_table;
pub mod leases_table;
pub mod queue;
pub mod rotation;
pub mod sealer;
pub mod secret_versions;
pub mod secrets_table;
pub mod siem_queue;
pub mod siem_stats;
pub mod siem_table;
pub mod sso_domains_table;
pub mod sso_table;
pub mod ttl_cache;
pub mod usage_table;
pub mod webhooks_table;

pub use batch::WriteBatch;
pub use dynamo::{Dynamo, Table};
pub use ephemeral::{FailureCounts, Markers};
pub use idempotency::IdempotencyRecords;
pub use integrations_table::Integrations;
pub use keys_table::{
    KeyPage, KeyPolicies, Keys, ListKeys, Policies, Scopes, StoredKeyPolicy, StoredPolicy, Tenants,
};
pub use leases_table::Leases;
pub use secrets_table::SecretRecords;
pub use webhooks_table::Endpoints;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB could not be reached or refused the call. The message is the SDK's,
    /// which never contains item values.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A conditional write found the item already there.
    #[error("the item already exists")]
    AlreadyExists,
    /// A conditional write lost: the item changed (or appeared) since it was read.
    #[error("the item changed concurrently")]
    Conflict,
    /// An item that cannot be decoded: a bug or manual tampering, never user input.
    #[error("stored item is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn from_sdk<E, R>(err: aws_sdk_dynamodb::error::SdkError<E, R>) -> Self
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        use aws_sdk_dynamodb::error::DisplayErrorContext;
        Self::Unavailable(DisplayErrorContext(&err).to_string())
    }
}

/// The outcome of a conditional write: `Ok(true)` if it was applied, `Ok(false)` if its
/// condition did not hold, an error otherwise.
pub fn applied<T, E, R>(
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<bool, StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failure(&e) => Ok(false),
        Err(e) => Err(StoreError::from_sdk(e)),
    }
}

/// Whether a DynamoDB call failed only because its condition did not hold.
pub fn is_condition_failure<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}
