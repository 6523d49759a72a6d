//! The rotation of Gatehouse's own service secrets in Secrets Manager (the cursor
//! signing key now; the SSO session-signing material next): the four steps Secrets
//! Manager invokes a rotation function with, each safe to repeat.
//!
//! The guards follow AWS's rotation template: a step for a version that is already
//! `AWSCURRENT` is done and returns; a version not `AWSPENDING` is refused. One
//! difference: `createSecret` also accepts a token Secrets Manager has not staged yet,
//! because moto has no `RotateSecret` that stages one (and Gatehouse does not rely on
//! moto's); it then stages the new version itself, as `AWSPENDING`.
//!
//! Readers sign with `AWSCURRENT` and also accept `AWSPREVIOUS` and `AWSPENDING`
//! ([`crate::cursors::CursorSigner`]), so nothing signed before a rotation is refused
//! after it, nor anything signed by a container that saw its end first.

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub const CURRENT: &str = "AWSCURRENT";
pub const PENDING: &str = "AWSPENDING";
pub const PREVIOUS: &str = "AWSPREVIOUS";
/// The shortest service secret accepted.
pub const MIN_SECRET_BYTES: usize = 32;

/// One of Secrets Manager's rotation steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Create,
    Set,
    Test,
    Finish,
}

impl Step {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "createSecret" => Some(Self::Create),
            "setSecret" => Some(Self::Set),
            "testSecret" => Some(Self::Test),
            "finishSecret" => Some(Self::Finish),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("version {0} is not staged for rotation")]
    UnknownVersion(String),
    #[error("version {0} is neither AWSCURRENT nor AWSPENDING")]
    NotPending(String),
    #[error("the pending secret is not a valid service secret: {0}")]
    Invalid(String),
    #[error("Secrets Manager: {0}")]
    Aws(String),
}

fn aws<E: std::error::Error + 'static, R: std::fmt::Debug>(
    e: aws_sdk_secretsmanager::error::SdkError<E, R>,
) -> RotationError {
    RotationError::Aws(DisplayErrorContext(&e).to_string())
}

/// Runs one step for the version `token` of `secret_id`.
pub async fn rotate(
    client: &Client,
    secret_id: &str,
    token: &str,
    step: Step,
) -> Result<(), RotationError> {
    let described = client
        .describe_secret()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(aws)?;
    let versions = described.version_ids_to_stages.unwrap_or_default();
    match versions.get(token) {
        Some(stages) if stages.iter().any(|s| s == CURRENT) => return Ok(()),
        Some(stages) if !stages.iter().any(|s| s == PENDING) => {
            return Err(RotationError::NotPending(token.to_owned()));
        }
        None if step != Step::Create => {
            return Err(RotationError::UnknownVersion(token.to_owned()));
        }
        _ => {}
    }
    match step {
        Step::Create => create(client, secret_id, token).await,
        // The key is Gatehouse's alone: no other system holds a copy to update.
        Step::Set => Ok(()),
        Step::Test => test(client, secret_id, token).await,
        Step::Finish => {
            let current = versions
                .iter()
                .find(|(_, stages)| stages.iter().any(|s| s == CURRENT))
                .map(|(id, _)| id.clone());
            finish(client, secret_id, token, current.as_deref()).await
        }
    }
}

/// The value of one version under one stage (`None` if there is none).
async fn value(
    client: &Client,
    secret_id: &str,
    version: Option<&str>,
    stage: &str,
) -> Result<Option<String>, RotationError> {
    let read = client
        .get_secret_value()
        .secret_id(secret_id)
        .set_version_id(version.map(str::to_owned))
        .version_stage(stage)
        .send()
        .await;
    match read {
        Ok(out) => Ok(out.secret_string),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(aws(e)),
    }
}

async fn create(client: &Client, secret_id: &str, token: &str) -> Result<(), RotationError> {
    // The current version must exist: rotating starts from it.
    value(client, secret_id, None, CURRENT)
        .await?
        .ok_or_else(|| RotationError::Invalid("the secret has no AWSCURRENT version".into()))?;
    if value(client, secret_id, Some(token), PENDING)
        .await?
        .is_some()
    {
        return Ok(()); // a repeated step: the pending value is there
    }
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes).map_err(|e| RotationError::Invalid(e.to_string()))?;
    let put = client
        .put_secret_value()
        .secret_id(secret_id)
        .client_request_token(token)
        .secret_string(URL_SAFE_NO_PAD.encode(bytes))
        .version_stages(PENDING)
        .send()
        .await;
    match put {
        Ok(_) => Ok(()),
        // Put concurrently by a retried invocation: the value is there.
        Err(e) if e.code() == Some("ResourceExistsException") => Ok(()),
        Err(e) => Err(aws(e)),
    }
}

async fn test(client: &Client, secret_id: &str, token: &str) -> Result<(), RotationError> {
    let pending = value(client, secret_id, Some(token), PENDING)
        .await?
        .ok_or_else(|| RotationError::Invalid("no AWSPENDING value".into()))?;
    if pending.len() < MIN_SECRET_BYTES {
        return Err(RotationError::Invalid(format!(
            "shorter than {MIN_SECRET_BYTES} bytes"
        )));
    }
    // It signs and verifies as the readers will use it.
    crate::cursors::check_key(pending.as_bytes()).map_err(RotationError::Invalid)
}

async fn finish(
    client: &Client,
    secret_id: &str,
    token: &str,
    current: Option<&str>,
) -> Result<(), RotationError> {
    if current == Some(token) {
        return Ok(());
    }
    client
        .update_secret_version_stage()
        .secret_id(secret_id)
        .version_stage(CURRENT)
        .move_to_version_id(token)
        .set_remove_from_version_id(current.map(str::to_owned))
        .send()
        .await
        .map_err(aws)?;
    Ok(())
}
