//! LDAP logins through the `ldap3` crate, over rustls with an explicit configuration
//! per connection (its CA, or the system's roots; certificates always verified).
//!
//! A login: connect (the address checked like any integration's: internal ones only
//! on the allow list), TLS (LDAPS or StartTLS first), bind as the service account,
//! search for the username (escaped, at most two entries asked for: exactly one must
//! match), bind as that entry's DN with the password, read its groups, unbind. Every
//! operation has the connection's timeout, and the whole login a bound of its own, so
//! a directory that stops answering ends in a clean error.

use super::login::{Sso, SsoError, refused};
use crate::secrets::TenantSecrets;
use crate::store::envelope::SealContext;
use gatehouse_domain::ids::{IntegrationId, TenantId};
use gatehouse_domain::ldap::{
    CredentialsRefusal, DN_PLACEHOLDER, GROUP_SIZE_LIMIT, GroupSource, LdapConfig, Transport,
    USER_SIZE_LIMIT, USERNAME_PLACEHOLDER, check_credentials, group_name_of_dn,
};
use gatehouse_domain::sso::{Identity, LoginRefusal, SsoConnection, check_domains};
use gatehouse_domain::webhooks::ssrf::AllowList;
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry, SearchOptions, StdStream};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// The envelope purpose of LDAP service-account passwords.
pub const BIND_PASSWORD_PURPOSE: &str = "sso-ldap-bind-password";
/// LDAP result codes this module tells apart (RFC 4511 appendix A).
const INVALID_CREDENTIALS: u32 = 49;
const SIZE_LIMIT_EXCEEDED: u32 = 4;

pub fn bind_password_context(tenant: &TenantId, connection: &IntegrationId) -> SealContext {
    SealContext::new(BIND_PASSWORD_PURPOSE)
        .with("tenant", tenant.as_str())
        .with("integration", connection.as_str())
}

/// Whether `pem` holds at least one certificate rustls can use as a trust anchor.
pub fn check_ca_certificate(pem: &str) -> Result<(), String> {
    crate::tls::check_ca("ca_certificate", pem)
}

/// The TLS configuration of a connection: its CA or the system's roots, aws-lc-rs.
fn tls_config(config: &LdapConfig) -> Result<Arc<rustls::ClientConfig>, String> {
    crate::tls::client_config("ca_certificate", config.ca_certificate.as_deref(), None)
}

/// Why a directory operation failed, as a person can act on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    /// The login is refused (wrong password, no such user, several users).
    #[error("{}: {detail}", reason.as_str())]
    Refused {
        reason: LoginRefusal,
        detail: String,
    },
    /// The directory could not be used: unreachable, TLS, the service account, a
    /// timeout.
    #[error("{0}")]
    Unavailable(String),
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> DirectoryError {
    DirectoryError::Unavailable(format!("{what}: {e}"))
}

/// An open, TLS-protected connection, bound as nobody yet.
struct Session {
    ldap: Ldap,
    timeout: Duration,
}

/// Connects to the directory: the address checked, TCP with the timeout, TLS
/// (LDAPS, or StartTLS before anything else).
async fn connect(config: &LdapConfig, allow: &AllowList) -> Result<Session, DirectoryError> {
    let timeout = Duration::from_secs(u64::from(config.timeout_seconds.max(1)));
    let addresses = crate::outbound::checked_addresses(&config.host, config.port, allow, timeout)
        .await
        .map_err(|(step, e)| match step {
            "address" => unavailable("the directory's address", e),
            step => unavailable(step, e),
        })?;
    if config.transport == Transport::Plain && !allow.allows(&config.host, config.port) {
        return Err(unavailable(
            "transport",
            "plain LDAP is only for development hosts on the allow list",
        ));
    }
    // Connect to the address just checked: the crate gets the open stream, so a
    // second lookup cannot lead it elsewhere.
    let stream = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(&addresses[..]))
        .await
        .map_err(|_| unavailable("connect", "timed out"))?
        .map_err(|e| unavailable("connect", e))?;
    let stream = stream.into_std().map_err(|e| unavailable("connect", e))?;
    let scheme = match config.transport {
        Transport::Ldaps => "ldaps",
        Transport::StartTls | Transport::Plain => "ldap",
    };
    let settings = LdapConnSettings::new()
        .set_conn_timeout(timeout)
        .set_starttls(config.transport == Transport::StartTls)
        .set_config(tls_config(config).map_err(|e| unavailable("TLS", e))?)
        .set_std_stream(StdStream::Tcp(stream));
    let url = format!("{scheme}://{}:{}", config.host, config.port);
    let (conn, ldap) = tokio::time::timeout(timeout, LdapConnAsync::with_settings(settings, &url))
        .await
        .map_err(|_| unavailable("TLS", "timed out"))?
        .map_err(|e| unavailable("TLS", e))?;
    ldap3::drive!(conn);
    Ok(Session { ldap, timeout })
}

impl Session {
    async fn bind(&mut self, dn: &str, password: &str) -> Result<u32, DirectoryError> {
        let result = self
            .ldap
            .with_timeout(self.timeout)
            .simple_bind(dn, password)
            .await
            .map_err(|e| unavailable("bind", e))?;
        Ok(result.rc)
    }

    async fn service_bind(
        &mut self,
        config: &LdapConfig,
        password: &str,
    ) -> Result<(), DirectoryError> {
        match self.bind(&config.bind_dn, password).await? {
            0 => Ok(()),
            rc => Err(DirectoryError::Unavailable(format!(
                "the service account's bind was refused (result {rc}): check `bind_dn` and its password"
            ))),
        }
    }

    /// Entries under `base` matching `filter`, at most `limit`; whether there were more.
    async fn search(
        &mut self,
        base: &str,
        scope: Scope,
        filter: &str,
        attributes: Vec<String>,
        limit: i32,
    ) -> Result<(Vec<SearchEntry>, bool), DirectoryError> {
        let seconds = i32::try_from(self.timeout.as_secs()).unwrap_or(30);
        let result = self
            .ldap
            .with_timeout(self.timeout)
            .with_search_options(SearchOptions::new().sizelimit(limit).timelimit(seconds))
            .search(base, scope, filter, attributes)
            .await
            .map_err(|e| unavailable("search", e))?;
        let more = result.1.rc == SIZE_LIMIT_EXCEEDED;
        if result.1.rc != 0 && !more {
            return Err(DirectoryError::Unavailable(format!(
                "the search under `{base}` failed (result {}: {})",
                result.1.rc, result.1.text
            )));
        }
        let mut entries = Vec::with_capacity(result.0.len());
        for raw in result.0 {
            // The crate panics on an entry it cannot parse; a directory's bad answer
            // is its error, not a crash of ours.
            let entry = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                SearchEntry::construct(raw)
            }))
            .map_err(|_| {
                unavailable("search", "the directory sent an entry that does not parse")
            })?;
            entries.push(entry);
        }
        Ok((entries, more))
    }

    async fn close(mut self) {
        let _ = self.ldap.unbind().await;
    }
}

/// A directory entry that passed a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    pub dn: String,
    /// The `id_attribute` (binary ones in hex), or the DN when the entry has none.
    pub id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

impl DirectoryUser {
    fn of(config: &LdapConfig, entry: SearchEntry, groups: Vec<String>) -> Self {
        Self {
            id: id_of(&entry, &config.id_attribute),
            email: first(&entry, &config.email_attribute).map(|e| e.to_lowercase()),
            name: first(&entry, &config.name_attribute),
            dn: entry.dn,
            groups,
        }
    }
}

/// What a user search asks for: the lasting id, email, name, and the group
/// attribute when groups come from one.
fn user_attributes(config: &LdapConfig) -> Vec<String> {
    let mut attributes = vec![
        config.id_attribute.clone(),
        config.email_attribute.clone(),
        config.name_attribute.clone(),
    ];
    if let GroupSource::MemberOf { attribute } = &config.groups {
        attributes.push(attribute.clone());
    }
    attributes
}

/// `template` with each `placeholder` replaced by `value`, escaped (RFC 4515: `*`,
/// `(`, `)`, `\` and NUL as `\2a`-style pairs), so a value is only ever matched,
/// never read as filter syntax.
pub fn fill_filter(template: &str, placeholder: &str, value: &str) -> String {
    template.replace(placeholder, &ldap3::ldap_escape(value))
}

fn first(entry: &SearchEntry, attribute: &str) -> Option<String> {
    let key = entry
        .attrs
        .keys()
        .find(|k| k.eq_ignore_ascii_case(attribute))?;
    entry.attrs[key].first().cloned()
}

fn id_of(entry: &SearchEntry, attribute: &str) -> String {
    if let Some(text) = first(entry, attribute) {
        return text;
    }
    entry
        .bin_attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(attribute))
        .and_then(|(_, values)| values.first())
        .map(|bytes| crate::store::item::hex(bytes))
        .unwrap_or_else(|| entry.dn.clone())
}

fn login_refused(reason: LoginRefusal, detail: impl Into<String>) -> DirectoryError {
    DirectoryError::Refused {
        reason,
        detail: detail.into(),
    }
}

/// Logs `username` in against the directory: the entry, or why not. A bound on the
/// whole exchange backs up each operation's timeout.
pub async fn authenticate(
    config: &LdapConfig,
    bind_password: &str,
    username: &str,
    password: &str,
    allow: &AllowList,
) -> Result<DirectoryUser, DirectoryError> {
    if let Err(why) = check_credentials(username, password) {
        let detail = match why {
            CredentialsRefusal::EmptyPassword => {
                "an empty password (an LDAP bind without one is anonymous and succeeds)"
            }
            CredentialsRefusal::EmptyUsername => "an empty username",
            CredentialsRefusal::TooLong => "a username or password over the length limit",
            CredentialsRefusal::ControlCharacter => "a control character in the username",
        };
        return Err(login_refused(LoginRefusal::InvalidCredentials, detail));
    }
    let bound = Duration::from_secs(u64::from(config.timeout_seconds.max(1)) * 8);
    tokio::time::timeout(
        bound,
        log_in(config, bind_password, username, password, allow),
    )
    .await
    .map_err(|_| unavailable("the directory", "did not answer in time"))?
}

async fn log_in(
    config: &LdapConfig,
    bind_password: &str,
    username: &str,
    password: &str,
    allow: &AllowList,
) -> Result<DirectoryUser, DirectoryError> {
    let mut session = connect(config, allow).await?;
    session.service_bind(config, bind_password).await?;
    let filter = fill_filter(&config.user_filter, USERNAME_PLACEHOLDER, username);
    let attributes = user_attributes(config);
    let (mut entries, more) = session
        .search(
            &config.user_base,
            Scope::Subtree,
            &filter,
            attributes,
            USER_SIZE_LIMIT,
        )
        .await?;
    if more || entries.len() > 1 {
        session.close().await;
        return Err(login_refused(
            LoginRefusal::AmbiguousUser,
            format!("more than one entry matches `{filter}`"),
        ));
    }
    let Some(entry) = entries.pop() else {
        session.close().await;
        return Err(login_refused(
            LoginRefusal::InvalidCredentials,
            "no entry matches the username",
        ));
    };
    match session.bind(&entry.dn, password).await? {
        0 => {}
        INVALID_CREDENTIALS => {
            session.close().await;
            return Err(login_refused(
                LoginRefusal::InvalidCredentials,
                format!("the directory refused the password of `{}`", entry.dn),
            ));
        }
        rc => {
            session.close().await;
            return Err(login_refused(
                LoginRefusal::InvalidCredentials,
                format!("the bind as `{}` was refused (result {rc})", entry.dn),
            ));
        }
    }
    if matches!(config.groups, GroupSource::Search { .. }) {
        // Groups are read as the service account: a user may not see them.
        session.service_bind(config, bind_password).await?;
    }
    let groups = read_groups(&mut session, config, &entry).await?;
    let user = DirectoryUser::of(config, entry, groups);
    session.close().await;
    Ok(user)
}

/// The entry's group names, from its `memberOf`-style attribute or by a search (made
/// with the session's current bind).
async fn read_groups(
    session: &mut Session,
    config: &LdapConfig,
    entry: &SearchEntry,
) -> Result<Vec<String>, DirectoryError> {
    Ok(match &config.groups {
        GroupSource::MemberOf { attribute } => entry
            .attrs
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(attribute))
            .flat_map(|(_, dns)| dns.iter().filter_map(|dn| group_name_of_dn(dn)))
            .collect(),
        GroupSource::Search {
            base,
            filter,
            name_attribute,
        } => {
            let filter = fill_filter(filter, DN_PLACEHOLDER, &entry.dn);
            let (found, _) = session
                .search(
                    base,
                    Scope::Subtree,
                    &filter,
                    vec![name_attribute.clone()],
                    GROUP_SIZE_LIMIT,
                )
                .await?;
            found
                .iter()
                .filter_map(|group| first(group, name_attribute))
                .collect()
        }
        GroupSource::None => Vec::new(),
    })
}

/// What the directory says now of a person who logged in through it before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Still there, and a user the connection's filter matches: its groups now.
    Present(DirectoryUser),
    /// No longer found (deleted, moved out of `user_base`, or excluded by the user
    /// filter).
    Gone,
    /// Active Directory marks the account disabled (`userAccountControl` bit 2).
    Disabled,
}

/// Attributes whose values Gatehouse keeps as hex (binary in the directory).
const BINARY_IDS: [&str; 2] = ["objectGUID", "objectSid"];
/// `userAccountControl`'s ACCOUNTDISABLE flag (Active Directory).
const ACCOUNT_DISABLED: u32 = 0x2;

/// Finds the person whose lasting id is `subject` (what a login stored), as the
/// service account, under the connection's user base and filter: the scheduled
/// directory check's question.
pub async fn look_up(
    config: &LdapConfig,
    bind_password: &str,
    subject: &str,
    allow: &AllowList,
) -> Result<Standing, DirectoryError> {
    let bound = Duration::from_secs(u64::from(config.timeout_seconds.max(1)) * 8);
    tokio::time::timeout(bound, find(config, bind_password, subject, allow))
        .await
        .map_err(|_| unavailable("the directory", "did not answer in time"))?
}

/// The filter that finds `subject` among the users the connection logs in: its id
/// attribute equal to it (bytes for a binary id kept as hex), and the user filter with
/// any username.
pub fn subject_filter(config: &LdapConfig, subject: &str) -> String {
    let binary = BINARY_IDS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&config.id_attribute));
    let value = match hex_bytes(subject) {
        Some(bytes) if binary => bytes.iter().map(|b| format!("\\{b:02x}")).collect(),
        _ => ldap3::ldap_escape(subject).into_owned(),
    };
    let any_user = config.user_filter.replace(USERNAME_PLACEHOLDER, "*");
    format!("(&({}={value}){any_user})", config.id_attribute)
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

async fn find(
    config: &LdapConfig,
    bind_password: &str,
    subject: &str,
    allow: &AllowList,
) -> Result<Standing, DirectoryError> {
    let mut session = connect(config, allow).await?;
    session.service_bind(config, bind_password).await?;
    let mut attributes = user_attributes(config);
    attributes.push("userAccountControl".to_owned());
    // An entry without the id attribute logged in under its DN: read that entry
    // (a DN that no longer exists is the search's error, so such a person is never
    // taken for gone).
    let (base, scope, filter) = if subject.contains('=') {
        let any_user = config.user_filter.replace(USERNAME_PLACEHOLDER, "*");
        (subject, Scope::Base, any_user)
    } else {
        (
            config.user_base.as_str(),
            Scope::Subtree,
            subject_filter(config, subject),
        )
    };
    let (mut entries, more) = session
        .search(base, scope, &filter, attributes, USER_SIZE_LIMIT)
        .await?;
    if more || entries.len() > 1 {
        session.close().await;
        return Err(DirectoryError::Unavailable(format!(
            "more than one entry matches `{filter}`"
        )));
    }
    let Some(entry) = entries.pop() else {
        session.close().await;
        return Ok(Standing::Gone);
    };
    let disabled = first(&entry, "userAccountControl")
        .and_then(|flags| flags.parse::<u32>().ok())
        .is_some_and(|flags| flags & ACCOUNT_DISABLED != 0);
    if disabled {
        session.close().await;
        return Ok(Standing::Disabled);
    }
    let groups = read_groups(&mut session, config, &entry).await?;
    let user = DirectoryUser::of(config, entry, groups);
    session.close().await;
    Ok(Standing::Present(user))
}

/// What a connection test found, step by step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryCheck {
    /// TCP and TLS (`None` once they passed).
    pub connection: Option<String>,
    pub service_bind: Option<String>,
    pub user_base: Option<String>,
}

/// Checks a connection without a user: TLS, the service bind, the search base.
pub async fn check(config: &LdapConfig, bind_password: &str, allow: &AllowList) -> DirectoryCheck {
    let mut found = DirectoryCheck {
        connection: Some("not tried".into()),
        service_bind: Some("not tried".into()),
        user_base: Some("not tried".into()),
    };
    let mut session = match connect(config, allow).await {
        Ok(session) => session,
        Err(e) => {
            found.connection = Some(e.to_string());
            return found;
        }
    };
    found.connection = None;
    if let Err(e) = session.service_bind(config, bind_password).await {
        found.service_bind = Some(e.to_string());
        session.close().await;
        return found;
    }
    found.service_bind = None;
    found.user_base = match session
        .search(
            &config.user_base,
            Scope::Base,
            "(objectClass=*)",
            vec!["1.1".to_owned()],
            1,
        )
        .await
    {
        Ok((entries, _)) if !entries.is_empty() => None,
        Ok(_) => Some(format!("`{}` was not found", config.user_base)),
        Err(e) => Some(e.to_string()),
    };
    session.close().await;
    found
}

impl Sso {
    /// The connection's service-account password, opened or read where referenced.
    pub async fn bind_password(
        &self,
        secrets: &TenantSecrets,
        connection: &SsoConnection,
        config: &LdapConfig,
    ) -> Result<zeroize::Zeroizing<String>, SsoError> {
        Ok(secrets
            .credential(
                &connection.tenant_id,
                &config.bind_password,
                &bind_password_context(&connection.tenant_id, &connection.connection_id),
            )
            .await?)
    }

    /// A directory login through `connection`: the session, or why not.
    pub async fn ldap_login(
        &self,
        secrets: &TenantSecrets,
        connection: &SsoConnection,
        username: &str,
        password: &str,
        now: OffsetDateTime,
    ) -> Result<super::login::LoggedIn, SsoError> {
        let config = connection
            .ldap()
            .ok_or(SsoError::OtherProtocol("OpenID Connect (its login URL)"))?;
        if !connection.enabled {
            return Err(refused(
                LoginRefusal::ConnectionDisabled,
                "the connection is disabled",
            ));
        }
        let bind_password = self.bind_password(secrets, connection, config).await?;
        let user = authenticate(config, &bind_password, username, password, &self.ldap_allow)
            .await
            .map_err(|e| match e {
                DirectoryError::Refused { reason, detail } => refused(reason, detail),
                DirectoryError::Unavailable(detail) => SsoError::Directory(detail),
            })?;
        check_domains(connection, user.email.as_deref(), None)
            .map_err(|reason| refused(reason, "the identity is not allowed by the connection"))?;
        let mut claims = Map::new();
        claims.insert("dn".into(), Value::String(user.dn.clone()));
        claims.insert("username".into(), Value::String(username.to_owned()));
        if let Some(email) = &user.email {
            claims.insert("email".into(), Value::String(email.clone()));
        }
        if let Some(name) = &user.name {
            claims.insert("name".into(), Value::String(name.clone()));
        }
        claims.insert(
            "groups".into(),
            Value::Array(user.groups.iter().cloned().map(Value::String).collect()),
        );
        let identity = Identity {
            // The directory (by its host) and the entry's lasting id.
            issuer: format!("ldap:{}", config.host),
            subject: user.id,
            email: user.email,
            name: user.name,
            groups: user.groups,
            claims,
        };
        self.open_session(connection, identity, "groups", now).await
    }
}

#[cfg(test)]
#[path = "tests/ldap.rs"]
mod tests;
