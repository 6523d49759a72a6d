//! LDAP connections as a request gives them and as the API shows them (never the
//! service account's password), and their checks.

use crate::http::Problem;
use crate::http::call::Call;
use crate::ids::IntegrationId;
use crate::integrations::{CredentialInput, credential};
use gatehouse_service::ldap_domain::{
    ACTIVE_DIRECTORY, DN_PLACEHOLDER, GroupSource, LdapConfig, OPENLDAP, Transport,
    USERNAME_PLACEHOLDER, check_filter_template,
};
use gatehouse_service::sso::ldap::{bind_password_context, check_ca_certificate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which kind of directory: the defaults of the filter and attributes.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryKind {
    ActiveDirectory,
    Openldap,
}

/// Where groups come from, as a request gives it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "source", deny_unknown_fields)]
#[schemars(rename = "LdapGroupsRequest")]
pub enum GroupsRequest {
    /// An attribute of the user's entry holding group DNs (default `memberOf`).
    MemberOf {
        #[serde(default)]
        #[schemars(length(min = 1, max = 128))]
        attribute: Option<String>,
    },
    /// A search for groups holding the user: `filter` has `{dn}` (default
    /// `(member={dn})`), `name_attribute` names the group (default `cn`).
    Search {
        #[schemars(length(min = 1, max = 1024))]
        base: String,
        #[serde(default)]
        #[schemars(length(min = 1, max = 1024))]
        filter: Option<String>,
        #[serde(default)]
        #[schemars(length(min = 1, max = 128))]
        name_attribute: Option<String>,
    },
    None,
}

/// An LDAP connection's directory settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "LdapRequest")]
pub struct LdapRequest {
    #[schemars(length(min = 1, max = 253))]
    pub host: String,
    /// Default 636 for `ldaps`, 389 otherwise.
    #[serde(default)]
    pub port: Option<u16>,
    /// `ldaps` (default) or `start_tls`; `plain` only to development hosts.
    #[serde(default)]
    pub transport: Option<Transport>,
    /// PEM certificates the directory's chain must lead to (default: public roots).
    #[serde(default)]
    #[schemars(length(min = 1, max = 8192))]
    pub ca_certificate: Option<String>,
    /// The service account that searches for users.
    #[schemars(length(min = 1, max = 1024))]
    pub bind_dn: String,
    /// Its password; required to create, absent in an update to keep the stored one.
    #[serde(default)]
    pub bind_password: Option<CredentialInput>,
    /// Where users are searched (subtree).
    #[schemars(length(min = 1, max = 1024))]
    pub user_base: String,
    /// Sets the defaults below (default `openldap`).
    #[serde(default)]
    pub directory: Option<DirectoryKind>,
    /// With `{username}`; default per `directory`.
    #[serde(default)]
    #[schemars(length(min = 1, max = 1024))]
    pub user_filter: Option<String>,
    #[serde(default)]
    #[schemars(length(min = 1, max = 128))]
    pub id_attribute: Option<String>,
    #[serde(default)]
    #[schemars(length(min = 1, max = 128))]
    pub email_attribute: Option<String>,
    #[serde(default)]
    #[schemars(length(min = 1, max = 128))]
    pub name_attribute: Option<String>,
    /// Default: `memberOf`.
    #[serde(default)]
    pub groups: Option<GroupsRequest>,
    /// How long each directory operation may take (1-30, default 5).
    #[serde(default)]
    #[schemars(range(min = 1, max = 30))]
    pub timeout_seconds: Option<u8>,
}

/// An LDAP connection's directory settings as the API shows them.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "LdapSettings")]
pub struct LdapView {
    pub host: String,
    pub port: u16,
    pub transport: Transport,
    /// Whether a CA certificate is pinned (else public roots).
    pub ca_certificate: bool,
    pub bind_dn: String,
    /// `sealed`, or the secret it references.
    pub bind_password: String,
    pub user_base: String,
    pub user_filter: String,
    pub id_attribute: String,
    pub email_attribute: String,
    pub name_attribute: String,
    /// `member_of:<attribute>`, `search:<base>:<filter>:<name attribute>` or `none`.
    pub groups: String,
    pub timeout_seconds: u8,
}

impl LdapView {
    pub fn of(c: &LdapConfig) -> Self {
        Self {
            host: c.host.clone(),
            port: c.port,
            transport: c.transport,
            ca_certificate: c.ca_certificate.is_some(),
            bind_dn: c.bind_dn.clone(),
            bind_password: crate::sso::credential_location(&c.bind_password),
            user_base: c.user_base.clone(),
            user_filter: c.user_filter.clone(),
            id_attribute: c.id_attribute.clone(),
            email_attribute: c.email_attribute.clone(),
            name_attribute: c.name_attribute.clone(),
            groups: match &c.groups {
                GroupSource::MemberOf { attribute } => format!("member_of:{attribute}"),
                GroupSource::Search {
                    base,
                    filter,
                    name_attribute,
                } => format!("search:{base}:{filter}:{name_attribute}"),
                GroupSource::None => "none".into(),
            },
            timeout_seconds: c.timeout_seconds,
        }
    }
}

fn invalid(detail: impl Into<String>) -> Problem {
    Problem::invalid_body(detail.into())
}

/// The directory settings of a request, checked; the password sealed (or its
/// reference checked), or kept from `current` when the update gives none.
pub async fn ldap_config(
    call: &Call<'_>,
    id: &IntegrationId,
    request: LdapRequest,
    current: Option<&LdapConfig>,
) -> Result<LdapConfig, Problem> {
    let transport = request.transport.unwrap_or(Transport::Ldaps);
    let port = request.port.unwrap_or(match transport {
        Transport::Ldaps => 636,
        _ => 389,
    });
    let host = request.host.trim().to_ascii_lowercase();
    if host.is_empty() || host.contains(['/', ':', '@', ' ']) {
        return Err(invalid(format!("`{host}` is not a host name or address")));
    }
    if transport == Transport::Plain && !call.app.sso.ldap_allow.allows(&host, port) {
        return Err(invalid(
            "plain LDAP sends passwords in the clear: use `ldaps` or `start_tls` (plain is only for development hosts on the allow list)",
        ));
    }
    if let Some(pem) = &request.ca_certificate {
        check_ca_certificate(pem).map_err(invalid)?;
    }
    let flavour = match request.directory.unwrap_or(DirectoryKind::Openldap) {
        DirectoryKind::ActiveDirectory => &ACTIVE_DIRECTORY,
        DirectoryKind::Openldap => &OPENLDAP,
    };
    let user_filter = request
        .user_filter
        .unwrap_or_else(|| flavour.user_filter.to_owned());
    check_filter_template(&user_filter, USERNAME_PLACEHOLDER).map_err(invalid)?;
    let groups = match request
        .groups
        .unwrap_or(GroupsRequest::MemberOf { attribute: None })
    {
        GroupsRequest::MemberOf { attribute } => GroupSource::MemberOf {
            attribute: attribute.unwrap_or_else(|| "memberOf".into()),
        },
        GroupsRequest::Search {
            base,
            filter,
            name_attribute,
        } => {
            let filter = filter.unwrap_or_else(|| "(member={dn})".into());
            check_filter_template(&filter, DN_PLACEHOLDER).map_err(invalid)?;
            GroupSource::Search {
                base,
                filter,
                name_attribute: name_attribute.unwrap_or_else(|| "cn".into()),
            }
        }
        GroupsRequest::None => GroupSource::None,
    };
    let context = bind_password_context(&call.caller.tenant_id, id);
    let bind_password = match (request.bind_password, current) {
        (Some(input), _) => credential(call, input, &context).await?,
        (None, Some(current)) => current.bind_password.clone(),
        (None, None) => return Err(invalid("`ldap.bind_password` is required")),
    };
    let timeout_seconds = match request.timeout_seconds {
        None => 5,
        Some(t @ 1..=30) => t,
        Some(t) => return Err(invalid(format!("`timeout_seconds` is 1-30, not {t}"))),
    };
    Ok(LdapConfig {
        host,
        port,
        transport,
        ca_certificate: request.ca_certificate,
        bind_dn: request.bind_dn,
        bind_password,
        user_base: request.user_base,
        user_filter,
        id_attribute: request
            .id_attribute
            .unwrap_or_else(|| flavour.id_attribute.to_owned()),
        email_attribute: request
            .email_attribute
            .unwrap_or_else(|| flavour.email_attribute.to_owned()),
        name_attribute: request
            .name_attribute
            .unwrap_or_else(|| flavour.name_attribute.to_owned()),
        groups,
        timeout_seconds,
    })
}
