//! DynamoDB repositories.

pub mod item;
pub mod keys;

pub use keys::{KeyPage, KeyStore, ListKeys};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB could not be reached or refused the call. The message is the SDK's,
    /// which never contains item values.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A conditional write found the item already there.
    #[error("the item already exists")]
    AlreadyExists,
    /// An item that cannot be decoded: a bug or manual tampering, never user input.
    #[error("stored item is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn from_sdk<E, R>(err: aws_sdk_dynamodb::error::SdkError<E, R>) -> Self
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        use aws_sdk_dynamodb::error::DisplayErrorContext;
        Self::Unavailable(DisplayErrorContext(&err).to_string())
    }
}
