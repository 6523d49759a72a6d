//! `GET /v2/integrations/sso/providers`: the presets a connection can name, each with
//! the issuer to use, the fields it needs, what to register at the provider, and what
//! Gatehouse enforces for it. The redirect URI to register is this deployment's.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::sso_domain::Preset;
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SSO.with(Needs::AUDIT);

pub const ACTION: &str = "sso.providers";

pub const DOC: Operation = Operation::new(
    Tag::Integrations,
    "SSO provider presets",
    &[Reply::new(200, "The presets", of::<Providers>())],
);

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[schemars(rename = "SsoProviderPreset")]
struct ProviderPreset {
    preset: Preset,
    name: &'static str,
    /// The issuer to give, with `<...>` for the parts that are yours.
    issuer: &'static str,
    /// The fields a connection of this preset must give.
    required: &'static [&'static str],
    /// The fields it may give.
    optional: &'static [&'static str],
    /// Scopes to ask for (`scopes`).
    scopes: &'static [&'static str],
    /// What to register at the provider.
    register: &'static str,
    /// What Gatehouse checks for this preset.
    enforced: &'static str,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SsoProviders")]
struct Providers {
    /// The redirect URI to register at every provider.
    redirect_uri: String,
    items: Vec<ProviderPreset>,
}

const COMMON: &[&str] = &["name", "preset", "issuer", "client_id", "client_secret"];
const OPTIONAL: &[&str] = &[
    "scopes",
    "domains",
    "groups_claim",
    "rules",
    "default_scopes",
    "return_urls",
    "enabled",
];

const PRESETS: &[ProviderPreset] = &[
    ProviderPreset {
        preset: Preset::Google,
        name: "Google Workspace",
        issuer: "https://accounts.google.com",
        required: &[
            "name",
            "preset",
            "issuer",
            "client_id",
            "client_secret",
            "hosted_domain or domains",
        ],
        optional: OPTIONAL,
        scopes: &["email", "profile"],
        register: "An OAuth client ID (Web application) in the Google Cloud console, with the redirect URI.",
        enforced: "The `hd` claim equals `hosted_domain` (the `hd` parameter sent is only a hint); a connection with neither `hosted_domain` nor `domains` is refused, since any Google account could log in.",
    },
    ProviderPreset {
        preset: Preset::AzureAd,
        name: "Microsoft Entra ID",
        issuer: "https://login.microsoftonline.com/<directory id>/v2.0",
        required: &[
            "name",
            "preset",
            "issuer",
            "client_id",
            "client_secret",
            "entra_tenant_id",
        ],
        optional: OPTIONAL,
        scopes: &["email", "profile"],
        register: "An app registration (Web platform) with the redirect URI and a client secret; add `groups` to the token configuration for group rules.",
        enforced: "The `tid` claim equals `entra_tenant_id`; the identity is `tid` + `oid`, stable across apps where `sub` is not; the multi-tenant issuers (`common`, `organizations`, `consumers`, `{tenantid}`) are refused.",
    },
    ProviderPreset {
        preset: Preset::Okta,
        name: "Okta",
        issuer: "https://<org>.okta.com/oauth2/<authorization server id> (custom server) or https://<org>.okta.com (org server)",
        required: COMMON,
        optional: OPTIONAL,
        scopes: &["email", "profile", "groups"],
        register: "An OIDC Web Application with the sign-in redirect URI; a `groups` claim on the authorization server for group rules.",
        enforced: "The issuer exactly as given: the org and custom authorization servers have different issuers, and the org server sends no groups claim.",
    },
    ProviderPreset {
        preset: Preset::Auth0,
        name: "Auth0",
        issuer: "https://<tenant>.<region>.auth0.com/",
        required: COMMON,
        optional: OPTIONAL,
        scopes: &["email", "profile"],
        register: "A Regular Web Application with the callback URL.",
        enforced: "The issuer with its trailing slash, compared exactly.",
    },
    ProviderPreset {
        preset: Preset::Custom,
        name: "Any OpenID Provider",
        issuer: "the issuer its discovery document publishes",
        required: COMMON,
        optional: OPTIONAL,
        scopes: &["email", "profile"],
        register: "A confidential client for the authorization code flow with the redirect URI.",
        enforced: "`domains`, when given.",
    },
    ProviderPreset {
        preset: Preset::Ldap,
        name: "LDAP directory (Active Directory, OpenLDAP)",
        issuer: "none: `ldap.host`, over LDAPS (636) or StartTLS (389)",
        required: &[
            "name",
            "preset",
            "ldap.host",
            "ldap.bind_dn",
            "ldap.bind_password",
            "ldap.user_base",
        ],
        optional: &[
            "ldap.port",
            "ldap.transport",
            "ldap.ca_certificate",
            "ldap.directory",
            "ldap.user_filter",
            "ldap.id_attribute",
            "ldap.email_attribute",
            "ldap.name_attribute",
            "ldap.groups",
            "ldap.timeout_seconds",
            "domains",
            "rules",
            "default_scopes",
            "enabled",
        ],
        scopes: &[],
        register: "A read-only service account that may search `user_base` (and the groups); users log in at POST /v2/sso/{tenant}/{connection}/ldap-login.",
        enforced: "TLS with a verified certificate, exactly one entry per username, the password bound against it, `domains` against the `mail` attribute.",
    },
    ProviderPreset {
        preset: Preset::Saml,
        name: "SAML 2.0 IdP (Entra ID, Okta, ADFS, Google Workspace, any other)",
        issuer: "the IdP's entity id, from its metadata (`saml.metadata_xml` or `saml.metadata_url`) or given by hand (`saml.entity_id`)",
        required: &[
            "name",
            "preset",
            "saml.metadata_xml | saml.metadata_url | saml.entity_id + saml.sso_url + saml.certificates",
        ],
        optional: &[
            "saml.name_id_format",
            "saml.email_attribute",
            "saml.name_attribute",
            "saml.groups_attribute",
            "saml.allow_sha1",
            "saml.allow_idp_initiated",
            "saml.sign_requests",
            "domains",
            "rules",
            "default_scopes",
            "return_urls",
            "session_hours",
            "enabled",
        ],
        scopes: &[],
        register: "A SAML application with the connection's `saml.sp_entity_id` (Identifier / Audience URI) and `saml.acs_url` (Reply URL / Single sign-on URL, HTTP-POST), or import `saml.sp_metadata_url`; signed assertions, not encrypted.",
        enforced: "A signature by a pinned certificate on exactly one assertion, its Issuer, Audience, Recipient, Destination, time window (120 s skew), InResponseTo (IdP-initiated only when allowed), single use, SHA-256 or better unless `allow_sha1`, `domains` against the email attribute.",
    },
];

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    gatehouse::http::query::Query::from_request(call.req, &[])?;
    let base = gatehouse::sso::base_url(call.app, call.req);
    Ok(json_response(
        200,
        &Providers {
            redirect_uri: gatehouse::sso::redirect_uri(&base),
            items: PRESETS.to_vec(),
        },
    ))
}
