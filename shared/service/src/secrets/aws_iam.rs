//! Vault's AWS IAM login (the aws auth method, `auth_type=iam`): Gatehouse signs an
//! `sts:GetCallerIdentity` request with its own credentials (the function's role) and
//! gives Vault the signed request, not the credentials; Vault sends it to STS and
//! learns who signed it. The secret access key never leaves the function.
//!
//! The request carries `X-Vault-AWS-IAM-Server-ID`, inside the signature, set to a
//! value that names the tenant (`gatehouse:<tenant id>`): a tenant's Vault that
//! received a login could otherwise replay it, for the signature's 15 minutes, to
//! another tenant's Vault trusting the same role.

use super::vault::VaultError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
pub const SERVER_ID_HEADER: &str = "X-Vault-AWS-IAM-Server-ID";

/// The function's own AWS identity, to sign logins with.
#[derive(Clone)]
pub struct AwsIdentity {
    credentials: SharedCredentialsProvider,
    /// The SDK's endpoint override (`AWS_ENDPOINT_URL`: moto locally), which STS is
    /// reached at instead of AWS's.
    endpoint_override: Option<String>,
}

impl std::fmt::Debug for AwsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsIdentity")
            .field("endpoint_override", &self.endpoint_override)
            .finish_non_exhaustive()
    }
}

impl AwsIdentity {
    /// The SDK configuration's credentials, if it has any.
    pub fn from_sdk(sdk: &aws_config::SdkConfig) -> Option<Self> {
        Some(Self {
            credentials: sdk.credentials_provider()?,
            endpoint_override: sdk.endpoint_url().map(str::to_owned),
        })
    }

    /// Where the Vault's aws method sends the request, and the region it is signed
    /// for: the regional endpoint of `sts_region`, or the global one (`us-east-1`).
    fn sts_url(&self, sts_region: Option<&str>) -> (String, String) {
        let region = sts_region.unwrap_or("us-east-1").to_owned();
        let url = match (&self.endpoint_override, sts_region) {
            (Some(endpoint), _) => format!("{}/", endpoint.trim_end_matches('/')),
            (None, Some(region)) => format!("https://sts.{region}.amazonaws.com/"),
            (None, None) => "https://sts.amazonaws.com/".to_owned(),
        };
        (url, region)
    }

    /// The body of `POST /v1/auth/<mount>/login` for the Vault role `role`.
    pub async fn login_body(
        &self,
        role: &str,
        sts_region: Option<&str>,
        server_id: &str,
    ) -> Result<Value, VaultError> {
        let credentials = self.credentials.provide_credentials().await.map_err(|e| {
            VaultError::CredentialMissing(format!("of this function's AWS role: {e}"))
        })?;
        let (url, region) = self.sts_url(sts_region);
        let host = url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default()
            .to_owned();
        let mut headers: BTreeMap<String, String> = BTreeMap::from([
            ("Host".to_owned(), host),
            (
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
            ),
            (SERVER_ID_HEADER.to_owned(), server_id.to_owned()),
        ]);
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&region)
            .name("sts")
            .time(std::time::SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| VaultError::CredentialMissing(format!("cannot be signed with: {e}")))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            &url,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(BODY.as_bytes()),
        )
        .map_err(|e| VaultError::CredentialMissing(format!("cannot be signed with: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| VaultError::CredentialMissing(format!("cannot be signed with: {e}")))?
            .into_parts();
        for (name, value) in instructions.headers() {
            headers.insert(name.to_owned(), value.to_owned());
        }
        // Vault takes each header as a list of values.
        let headers: BTreeMap<&str, [&str; 1]> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), [v.as_str()]))
            .collect();
        Ok(json!({
            "role": role,
            "iam_http_request_method": "POST",
            "iam_request_url": STANDARD.encode(url),
            "iam_request_body": STANDARD.encode(BODY),
            "iam_request_headers": STANDARD.encode(serde_json::to_vec(&headers).unwrap_or_default()),
        }))
    }
}
