//! OpenID Connect, through the `openidconnect` crate over the SSRF-safe outbound client
//! (no redirects, a timeout, capped reads; the crate has no HTTP client of its own
//! here). Discovery documents and their JWKS are cached per warm container for ten
//! minutes, and fetched again once when an ID token names a key the cache lacks.
//!
//! ID tokens are verified for signature (asymmetric algorithms only: `none` and HMAC
//! with the client secret are refused), issuer (as an exact string), audience and
//! `azp`, expiry and issue time with [`LEEWAY`], nonce, and `at_hash` when present.

use crate::outbound::{OutboundClient, Unanswered};
use crate::store::ttl_cache::TtlCache;
use gatehouse_domain::sso::LoginRefusal;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// How far past `exp` (and before `iat`) an ID token is still accepted: clock skew
/// between the IdP and Lambda. The crate has no leeway; its clock is moved back by this.
pub const LEEWAY: time::Duration = time::Duration::seconds(60);
/// How long a discovery document (with its JWKS) is reused.
const DISCOVERY_TTL: Duration = Duration::from_secs(600);
/// The most issuers whose documents a container keeps.
const MAX_ISSUERS: usize = 256;
/// The most a discovery document, JWKS or token answer may be.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// The signature algorithms an ID token may use: asymmetric ones only.
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// What went wrong talking to the provider, as a person can act on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    #[error("the issuer `{0}` is not a valid URL")]
    BadIssuer(String),
    #[error("discovery failed: {0}")]
    Discovery(String),
    #[error("the provider's metadata lacks {0}")]
    Incomplete(&'static str),
    #[error("the redirect URI `{0}` is not a valid URL")]
    BadRedirect(String),
    /// A login refused, with the reason code and what was wrong.
    #[error("{}: {detail}", reason.as_str())]
    Refused {
        reason: LoginRefusal,
        detail: String,
    },
}

fn refused(reason: LoginRefusal, detail: impl ToString) -> OidcError {
    OidcError::Refused {
        reason,
        detail: detail.to_string(),
    }
}

/// The pieces of one login's start: where to send the browser, and what to keep.
pub struct LoginStart {
    pub url: String,
    /// The PKCE verifier (kept with the state, single use).
    pub pkce_verifier: String,
}

/// What a connection needs to talk to its provider.
pub struct ClientConfig<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub redirect_uri: &'a str,
}

#[derive(Clone)]
pub struct Oidc {
    allow: crate::webhooks::ssrf::AllowList,
    timeout: Duration,
    /// Built at first use: a function that only verifies sessions (the authorizer)
    /// never builds an HTTP client.
    http: Arc<std::sync::OnceLock<Result<OutboundClient, String>>>,
    discovered: Arc<TtlCache<String, Arc<CoreProviderMetadata>>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc").finish_non_exhaustive()
    }
}

/// A client built from discovery: the authorization and token endpoints set, userinfo
/// and JWKS as the provider published them.
type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// A boxed `Send` future: the crate's futures are opaque, and boxing them here lets
/// the compiler prove the handlers' futures `Send` (rustc cannot see through the
/// crate's `impl Future + 'c` for every lifetime otherwise).
type Boxed<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// The crate's HTTP hook: a named type rather than a closure, so the futures that hold
/// it are `Send` for every lifetime (handlers run on a multi-threaded runtime).
struct Hook(OutboundClient);

impl<'c> openidconnect::AsyncHttpClient<'c> for Hook {
    type Error = Unanswered;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<openidconnect::HttpResponse, Unanswered>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(fetch(&self.0, request))
    }
}

impl Oidc {
    pub fn new(allow: crate::webhooks::ssrf::AllowList, timeout: Duration) -> Self {
        Self {
            allow,
            timeout,
            http: Arc::default(),
            discovered: Arc::new(TtlCache::new(DISCOVERY_TTL, MAX_ISSUERS)),
        }
    }

    pub(crate) fn http(&self) -> Result<&OutboundClient, Unanswered> {
        self.http
            .get_or_init(|| {
                OutboundClient::for_integration(self.allow.clone(), self.timeout, None)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| Unanswered {
                class: crate::outbound::ErrorClass::Refused,
                detail: e.clone(),
                latency: Duration::ZERO,
            })
    }

    fn hook(&self) -> Result<Hook, OidcError> {
        self.http()
            .map(|http| Hook(http.clone()))
            .map_err(|e| OidcError::Discovery(e.to_string()))
    }
}

/// One request of the crate's through the outbound client.
async fn fetch(
    http: &OutboundClient,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, Unanswered> {
    let method = request.method().clone();
    let url = request.uri().to_string();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = request.into_body();
    let answer = http
        .send(
            method,
            &url,
            &header_refs,
            (!body.is_empty()).then_some(body),
            MAX_ANSWER_BYTES,
        )
        .await?;
    let mut response = http::Response::builder().status(answer.status);
    if let Some(content_type) = &answer.content_type {
        response = response.header(http::header::CONTENT_TYPE, content_type.as_str());
    }
    response.body(answer.body).map_err(|e| Unanswered {
        class: crate::outbound::ErrorClass::Body,
        detail: e.to_string(),
        latency: Duration::ZERO,
    })
}

impl Oidc {
    /// The issuer's discovery document and JWKS, from the cache unless `refresh`.
    pub fn metadata<'a>(
        &'a self,
        issuer: &'a str,
        refresh: bool,
    ) -> Boxed<'a, Result<Arc<CoreProviderMetadata>, OidcError>> {
        Box::pin(self.metadata_now(issuer, refresh))
    }

    async fn metadata_now(
        &self,
        issuer: &str,
        refresh: bool,
    ) -> Result<Arc<CoreProviderMetadata>, OidcError> {
        if !refresh && let Some(metadata) = self.discovered.get(&issuer.to_owned()) {
            return Ok(metadata);
        }
        let issuer_url =
            IssuerUrl::new(issuer.to_owned()).map_err(|_| OidcError::BadIssuer(issuer.into()))?;
        let http = self.hook()?;
        let metadata = CoreProviderMetadata::discover_async(issuer_url, &http)
            .await
            .map_err(|e| OidcError::Discovery(error_chain(&e)))?;
        let metadata = Arc::new(metadata);
        self.discovered
            .put(issuer.to_owned(), Arc::clone(&metadata));
        Ok(metadata)
    }

    fn client(
        metadata: &CoreProviderMetadata,
        config: &ClientConfig<'_>,
    ) -> Result<Client, OidcError> {
        let redirect = RedirectUrl::new(config.redirect_uri.to_owned())
            .map_err(|_| OidcError::BadRedirect(config.redirect_uri.into()))?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(config.client_id.to_owned()),
            Some(ClientSecret::new(config.client_secret.to_owned())),
        )
        .set_redirect_uri(redirect))
    }

    /// The authorization URL of a login: code flow, PKCE S256, our `state` and `nonce`,
    /// the connection's scopes, and hints (`login_hint`, Google's `hd`).
    pub fn start<'a>(
        &'a self,
        config: &'a ClientConfig<'a>,
        scopes: &'a [String],
        state: &'a str,
        nonce: &'a str,
        hints: &'a [(&'a str, &'a str)],
    ) -> Boxed<'a, Result<LoginStart, OidcError>> {
        Box::pin(self.start_now(config, scopes, state, nonce, hints))
    }

    async fn start_now(
        &self,
        config: &ClientConfig<'_>,
        scopes: &[String],
        state: &str,
        nonce: &str,
        hints: &[(&str, &str)],
    ) -> Result<LoginStart, OidcError> {
        let metadata = self.metadata(config.issuer, false).await?;
        let client = Self::client(&metadata, config)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (state, nonce) = (state.to_owned(), nonce.to_owned());
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .set_pkce_challenge(challenge);
        for scope in scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        for (name, value) in hints {
            request = request.add_extra_param(*name, *value);
        }
        let (url, _, _) = request.url();
        Ok(LoginStart {
            url: url.to_string(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and verifies the ID token: its
    /// claims, as the provider signed them. Claims of `profile` the ID token leaves
    /// out come from userinfo (`get_user_profile`), when the provider has it.
    pub fn finish<'a>(
        &'a self,
        config: &'a ClientConfig<'a>,
        code: &'a str,
        pkce_verifier: &'a str,
        nonce: &'a str,
        profile: &'a [&'a str],
        now: OffsetDateTime,
    ) -> Boxed<'a, Result<Map<String, Value>, OidcError>> {
        Box::pin(self.finish_now(config, code, pkce_verifier, nonce, profile, now))
    }

    async fn finish_now(
        &self,
        config: &ClientConfig<'_>,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
        profile: &[&str],
        now: OffsetDateTime,
    ) -> Result<Map<String, Value>, OidcError> {
        let metadata = self.metadata(config.issuer, false).await?;
        let client = Self::client(&metadata, config)?;
        let http = self.hook()?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|_| OidcError::Incomplete("a token endpoint"))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&http)
            .await
            .map_err(|e| refused(LoginRefusal::CodeRejected, error_chain(&e)))?;
        let id_token = tokens.id_token().ok_or_else(|| {
            refused(
                LoginRefusal::TokenInvalid,
                "the token answer has no ID token",
            )
        })?;
        let verify = |client: &CoreClient<_, _, _, _, _, _>| {
            let clock = now - LEEWAY;
            let verifier = client
                .id_token_verifier()
                .set_allowed_algs(ALLOWED_ALGS)
                .set_time_fn(move || {
                    chrono::DateTime::from_timestamp(clock.unix_timestamp(), 0).unwrap_or_default()
                });
            let claims = id_token
                .claims(&verifier, &Nonce::new(nonce.to_owned()))
                .cloned()?;
            if let Some(expected) = claims.access_token_hash() {
                let alg = id_token
                    .signing_alg()
                    .map_err(ClaimsVerificationError::SignatureVerification)?;
                let key = id_token
                    .signing_key(&verifier)
                    .map_err(ClaimsVerificationError::SignatureVerification)?;
                let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key)
                    .map_err(|e| ClaimsVerificationError::Other(format!("at_hash: {e}")))?;
                if actual != *expected {
                    return Err(ClaimsVerificationError::Other(
                        "at_hash does not match the access token".into(),
                    ));
                }
            }
            Ok(())
        };
        let client = match verify(&client) {
            Ok(()) => client,
            // A key the cached JWKS lacks: the provider may have rotated; look once more.
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                let fresh = self.metadata(config.issuer, true).await?;
                let client = Self::client(&fresh, config)?;
                verify(&client).map_err(verification_refusal)?;
                client
            }
            Err(e) => return Err(verification_refusal(e)),
        };
        // Verified: the payload as signed, every claim of it.
        let compact = id_token.to_string();
        let payload = compact
            .split('.')
            .nth(1)
            .ok_or_else(|| refused(LoginRefusal::TokenInvalid, "not a JWT"))?;
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|e| refused(LoginRefusal::TokenInvalid, e))?;
        let mut claims: Map<String, Value> =
            serde_json::from_slice(&bytes).map_err(|e| refused(LoginRefusal::TokenInvalid, e))?;
        let missing: Vec<&str> = profile
            .iter()
            .copied()
            .filter(|name| !claims.contains_key(*name))
            .collect();
        if !missing.is_empty() && client.user_info_url().is_some() {
            let subject = claims
                .get("sub")
                .and_then(Value::as_str)
                .ok_or_else(|| refused(LoginRefusal::TokenInvalid, "no `sub`"))?
                .to_owned();
            let profile = self
                .user_info(&client, tokens.access_token().clone(), subject)
                .await?;
            fill_profile(&mut claims, &profile, &missing);
        }
        Ok(claims)
    }

    /// The userinfo answer for `access_token` (`get_user_profile`): JSON, or a JWT the
    /// provider's keys verify. Its `sub` must be the ID token's (OpenID Connect Core
    /// 5.3.2), else the login is refused: the answer is someone else's. Any other
    /// failure gives nothing (logged).
    async fn user_info(
        &self,
        client: &Client,
        access_token: openidconnect::AccessToken,
        subject: String,
    ) -> Result<Map<String, Value>, OidcError> {
        let http = self.hook()?;
        let request = client
            .user_info(
                access_token,
                Some(openidconnect::SubjectIdentifier::new(subject)),
            )
            .map_err(|_| OidcError::Incomplete("a userinfo endpoint"))?;
        let answer = request
            .request_async::<AllClaims, _, openidconnect::core::CoreGenderClaim>(&http)
            .await;
        match answer {
            Ok(claims) => match serde_json::to_value(&claims) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(refused(
                    LoginRefusal::ProviderError,
                    "userinfo: not an object",
                )),
            },
            Err(openidconnect::UserInfoError::ClaimsVerification(e)) => Err(refused(
                LoginRefusal::TokenInvalid,
                format!("userinfo: {}", error_chain(&e)),
            )),
            // Userinfo is a complement: without it the login goes on with the ID token's
            // claims, and the connection's checks refuse what they then lack.
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "userinfo unavailable");
                Ok(Map::new())
            }
        }
    }
}

/// Every claim of a userinfo answer, besides the standard ones the crate reads.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct AllClaims {
    #[serde(flatten)]
    claims: Map<String, Value>,
}

impl openidconnect::AdditionalClaims for AllClaims {}

/// Copies into the ID token's `claims` the `missing` profile claims userinfo has.
/// Only those: identity claims (`iss`, `sub`, `tid`, `hd`, ...) come from the signed ID
/// token alone. An email comes with its `email_verified`, never one without the other.
pub fn fill_profile(
    claims: &mut Map<String, Value>,
    userinfo: &Map<String, Value>,
    missing: &[&str],
) {
    for name in missing {
        if let Some(value) = userinfo.get(*name) {
            claims.insert((*name).to_owned(), value.clone());
            if *name == "email" {
                match userinfo.get("email_verified") {
                    Some(verified) => claims.insert("email_verified".into(), verified.clone()),
                    None => claims.remove("email_verified"),
                };
            }
        }
    }
}

/// What the token endpoint said of the client's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCheck {
    /// The credentials were accepted (the made-up code was not).
    Accepted,
    /// The provider refused the client: `invalid_client`, `unauthorized_client`.
    Refused(String),
    /// Some other answer.
    Unclear(String),
}

impl Oidc {
    /// Checks a connection's client credentials without a user: a token request with
    /// a code that cannot exist. A provider that accepts the client refuses the code
    /// (`invalid_grant`); one that refuses the client says `invalid_client`.
    pub fn check_client<'a>(
        &'a self,
        config: &'a ClientConfig<'a>,
    ) -> Boxed<'a, Result<ClientCheck, OidcError>> {
        Box::pin(async move {
            let metadata = self.metadata(config.issuer, false).await?;
            let token_url = metadata
                .token_endpoint()
                .ok_or(OidcError::Incomplete("a token endpoint"))?
                .to_string();
            use base64::Engine;
            let enc =
                |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                enc(config.client_id),
                enc(config.client_secret)
            ));
            let body = format!(
                "grant_type=authorization_code&code=gatehouse-connection-test&redirect_uri={}",
                enc(config.redirect_uri)
            );
            let authorization = format!("Basic {basic}");
            let answer = self
                .http()
                .map_err(|e| OidcError::Discovery(e.to_string()))?
                .send(
                    http::Method::POST,
                    &token_url,
                    &[
                        ("authorization", authorization.as_str()),
                        ("content-type", "application/x-www-form-urlencoded"),
                        ("accept", "application/json"),
                    ],
                    Some(body.into_bytes()),
                    MAX_ANSWER_BYTES,
                )
                .await
                .map_err(|e| OidcError::Discovery(format!("the token endpoint: {e}")))?;
            let said: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
            let error = said["error"].as_str().unwrap_or_default().to_owned();
            let description = said["error_description"].as_str().unwrap_or_default();
            Ok(match error.as_str() {
                "invalid_grant" => ClientCheck::Accepted,
                "invalid_client" | "unauthorized_client" => {
                    ClientCheck::Refused(format!("{error}: {description}"))
                }
                _ => ClientCheck::Unclear(format!("{} {error} {description}", answer.status)),
            })
        })
    }
}

fn verification_refusal(e: ClaimsVerificationError) -> OidcError {
    let reason = match &e {
        ClaimsVerificationError::Expired(_) => LoginRefusal::Expired,
        ClaimsVerificationError::InvalidAudience(_) => LoginRefusal::AudienceMismatch,
        ClaimsVerificationError::InvalidIssuer(_) => LoginRefusal::IssuerMismatch,
        ClaimsVerificationError::InvalidNonce(_) => LoginRefusal::NonceMismatch,
        _ => LoginRefusal::TokenInvalid,
    };
    refused(reason, error_chain(&e))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    crate::outbound::describe_error(e, 400)
}

#[cfg(test)]
#[path = "tests/oidc.rs"]
mod tests;
