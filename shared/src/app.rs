//! The dependencies a handler needs, built once per Lambda container (or once per local
//! gateway) and passed to every handler by reference.

use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::keys::KeyVerifier;
use crate::store::KeyStore;
use std::sync::Arc;

#[derive(Clone)]
pub struct App {
    pub config: Config,
    pub keys: KeyStore,
    pub verifier: KeyVerifier,
    pub clock: SharedClock,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("argon2 parameters: {0}")]
    Verifier(#[from] crate::keys::verifier::VerifierError),
}

impl App {
    /// Reads and validates configuration and builds the AWS clients from the SDK's
    /// standard settings. Called once at cold start; a failure stops the function
    /// with a message that names the variable to fix.
    pub async fn from_env() -> Result<Self, StartupError> {
        let config = Config::from_env()?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::new(config, &sdk, Arc::new(SystemClock))
    }

    pub fn new(
        config: Config,
        sdk: &aws_config::SdkConfig,
        clock: SharedClock,
    ) -> Result<Self, StartupError> {
        let keys = KeyStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            config.keys_table.clone(),
        );
        let verifier = KeyVerifier::new(config.argon2)?;
        Ok(Self {
            config,
            keys,
            verifier,
            clock,
        })
    }
}
