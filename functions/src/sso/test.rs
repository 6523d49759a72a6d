//! `POST /v2/integrations/sso/test`: checks a connection now, step by step, with a
//! diagnosis a person can act on: the provider's discovery document, its signing keys,
//! the client credentials (a token request with a code that cannot exist: a provider
//! that accepts the client refuses only the code), and the redirect URI to register.
//! For LDAP: TLS to the directory, the service account's bind, the user search base.
//! Given sample `claims`, it shows who the rules would let in and with which scopes.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::body::json_body;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, ProblemType, json_response};
use gatehouse::ids::IntegrationId;
use gatehouse::ldap_domain::LdapConfig;
use gatehouse::saml_domain::SamlConfig;
use gatehouse::sso_domain::Protocol;
use gatehouse::sso_domain::{Identity, OidcConfig, SsoConnection, check_domains, mapped_scopes};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SECRETS)
    .with(Needs::SSO)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "sso.connection.test";

pub const DOC: Operation = Operation {
    description: "Checks the connection against its provider now (a failed check is a 200 with `healthy: false` and the step that failed). With sample `claims`, it also shows what a login with them would get.",
    body: RequestBody::Required(of::<TestRequest>()),
    ..Operation::new(
        Tag::Integrations,
        "Test an SSO connection",
        &[Reply::new(200, "The checks", of::<TestResult>())],
    )
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SsoTestRequest")]
struct TestRequest {
    connection_id: IntegrationId,
    /// ID token claims to try the connection's rules on (`email`, `groups`, ...).
    #[serde(default)]
    claims: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Check {
    /// OpenID Connect: `discovery`, `keys`, `client`, `redirect_uri`; LDAP: `tls`,
    /// `service_bind`, `user_base`; SAML: `certificates`, `metadata`.
    check: &'static str,
    ok: bool,
    detail: String,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Mapping {
    allowed: bool,
    /// Why the login would be refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    refusal: Option<String>,
    scopes: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SsoTestResult")]
struct TestResult {
    healthy: bool,
    checks: Vec<Check>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mapping: Option<Mapping>,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let request: TestRequest = json_body(call.req)?;
    let connection = call
        .app
        .sso
        .connections
        .get(&call.caller.tenant_id, &request.connection_id)
        .await?
        .ok_or_else(|| Problem::new(ProblemType::NotFound, "no such connection"))?;
    let checks = match &connection.protocol {
        Protocol::Oidc(oidc) => oidc_checks(call, &connection, oidc).await?,
        Protocol::Ldap(ldap) => ldap_checks(call, &connection, ldap).await?,
        Protocol::Saml(saml) => saml_checks(call, saml).await,
    };
    let mapping = request.claims.map(|claims| mapping(&connection, claims));
    let healthy = checks.iter().all(|c| c.ok);
    let audit = call
        .audit_event(ACTION)
        .target(
            gatehouse::audit::TargetKind::Integration,
            connection.connection_id.as_str(),
        )
        .status(200)
        .detail(if healthy {
            "healthy".to_owned()
        } else {
            "unhealthy".to_owned()
        });
    call.app.audit.put(&audit).await?;
    Ok(json_response(
        200,
        &TestResult {
            healthy,
            checks,
            mapping,
        },
    ))
}

/// Discovery, keys, the client's credentials and the redirect URI to register.
async fn oidc_checks(
    call: &Call<'_>,
    connection: &SsoConnection,
    oidc: &OidcConfig,
) -> Result<Vec<Check>, Problem> {
    let sso = &call.app.sso;
    let redirect_uri = gatehouse::sso::redirect_uri(&gatehouse::sso::base_url(call.app, call.req));
    let mut checks = Vec::new();
    match sso.oidc.metadata(&oidc.issuer, true).await {
        Err(e) => checks.push(Check {
            check: "discovery",
            ok: false,
            detail: e.to_string(),
        }),
        Ok(metadata) => {
            checks.push(Check {
                check: "discovery",
                ok: true,
                detail: format!("{} answers as an OpenID Provider", oidc.issuer),
            });
            let keys = metadata.jwks().keys().len();
            checks.push(Check {
                check: "keys",
                ok: keys > 0,
                detail: format!("{keys} signing keys published"),
            });
            let secret = sso.client_secret(&call.app.secrets, connection).await?;
            let client = sso
                .oidc
                .check_client(&gatehouse::sso_service::oidc::ClientConfig {
                    issuer: &oidc.issuer,
                    client_id: &oidc.client_id,
                    client_secret: &secret,
                    redirect_uri: &redirect_uri,
                })
                .await;
            use gatehouse::sso_service::oidc::ClientCheck;
            checks.push(match client {
                Ok(ClientCheck::Accepted) => Check {
                    check: "client",
                    ok: true,
                    detail: "the provider accepted the client id and secret".into(),
                },
                Ok(ClientCheck::Refused(why)) => Check {
                    check: "client",
                    ok: false,
                    detail: format!("the provider refused the client id or secret ({why})"),
                },
                Ok(ClientCheck::Unclear(why)) => Check {
                    check: "client",
                    ok: false,
                    detail: format!("the token endpoint answered unexpectedly: {why}"),
                },
                Err(e) => Check {
                    check: "client",
                    ok: false,
                    detail: e.to_string(),
                },
            });
        }
    }
    checks.push(Check {
        check: "redirect_uri",
        ok: true,
        detail: format!(
            "register {redirect_uri} at the provider (only a login proves it is registered)"
        ),
    });
    Ok(checks)
}

/// TLS to the directory, the service account's bind, and the user search base.
async fn ldap_checks(
    call: &Call<'_>,
    connection: &SsoConnection,
    ldap: &LdapConfig,
) -> Result<Vec<Check>, Problem> {
    let password = call
        .app
        .sso
        .bind_password(&call.app.secrets, connection, ldap)
        .await?;
    let found =
        gatehouse::sso_service::ldap::check(ldap, &password, &call.app.sso.ldap_allow).await;
    let step = |check: &'static str, failure: Option<String>, ok: String| Check {
        check,
        ok: failure.is_none(),
        detail: failure.unwrap_or(ok),
    };
    Ok(vec![
        step(
            "tls",
            found.connection,
            format!(
                "{}:{} answered over {:?} with a certificate that verifies",
                ldap.host, ldap.port, ldap.transport
            ),
        ),
        step(
            "service_bind",
            found.service_bind,
            format!("`{}` bound", ldap.bind_dn),
        ),
        step(
            "user_base",
            found.user_base,
            format!("`{}` exists", ldap.user_base),
        ),
    ])
}

/// What a login with these sample claims (or directory attributes) would get.
fn mapping(
    connection: &SsoConnection,
    mut claims: serde_json::Map<String, serde_json::Value>,
) -> Mapping {
    let allowed = match connection.oidc() {
        Some(oidc) => {
            // Sample claims need not name an issuer and subject.
            claims
                .entry("iss")
                .or_insert_with(|| oidc.issuer.clone().into());
            claims.entry("sub").or_insert_with(|| "sample".into());
            Identity::from_claims(connection, claims)
                .map(|i| (i.claims, i.groups, oidc.groups_claim.clone()))
        }
        // A directory login's or SAML assertion's claims: its attributes, with the
        // groups attribute as a list.
        None => {
            let groups_key = connection
                .saml()
                .map_or("groups", |s| s.groups_attribute.as_str());
            let email = claims
                .get("email")
                .and_then(|v| v.as_str())
                .map(str::to_lowercase);
            let groups = match claims.get(groups_key) {
                Some(serde_json::Value::Array(items)) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            check_domains(connection, email.as_deref(), None)
                .map(|()| (claims, groups, groups_key.to_owned()))
        }
    };
    match allowed {
        Ok((claims, groups, groups_claim)) => Mapping {
            allowed: true,
            refusal: None,
            scopes: mapped_scopes(
                &connection.rules,
                &connection.default_scopes,
                &groups_claim,
                &claims,
                &groups,
            ),
        },
        Err(reason) => Mapping {
            allowed: false,
            refusal: Some(reason.as_str().to_owned()),
            scopes: Vec::new(),
        },
    }
}

/// The pinned certificates (one still valid, each one's end), and the metadata URL,
/// fetched now and compared with the pins.
async fn saml_checks(call: &Call<'_>, saml: &SamlConfig) -> Vec<Check> {
    use gatehouse::sso_service::saml::metadata::{certificate_info, der_of};
    let infos: Vec<_> = saml
        .certificates
        .iter()
        .filter_map(|pem| der_of(pem).ok().and_then(|der| certificate_info(&der).ok()))
        .collect();
    let valid = infos.iter().any(|i| i.not_after > call.now);
    let mut checks = vec![Check {
        check: "certificates",
        ok: valid,
        detail: if infos.is_empty() {
            "no IdP certificate is pinned: no login can succeed".into()
        } else {
            infos
                .iter()
                .map(|i| {
                    format!(
                        "{} ({}) ends in {} days",
                        i.sha256_fingerprint,
                        i.subject,
                        (i.not_after - call.now).whole_days()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        },
    }];
    if let Some(url) = &saml.metadata_url {
        let check = match call.app.sso.fetch_idp_metadata(url).await {
            Ok(idp) => {
                let same = idp.entity_id == saml.idp_entity_id && idp.sso_url == saml.sso_url;
                Check {
                    check: "metadata",
                    ok: true,
                    detail: if same {
                        format!("{url} answers; it names {}", idp.entity_id)
                    } else {
                        format!(
                            "{url} answers with other settings ({}); the scheduled refresh pins them",
                            idp.entity_id
                        )
                    },
                }
            }
            Err(e) => Check {
                check: "metadata",
                ok: false,
                detail: format!("{url}: {e}"),
            },
        };
        checks.push(check);
    }
    checks
}
