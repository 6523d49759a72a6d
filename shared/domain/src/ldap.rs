//! LDAP connections: a tenant's directory (Active Directory, OpenLDAP, any LDAPv3
//! server), where a login is a search with a service account for exactly one entry,
//! then a bind as that entry with the user's password. What is pure lives here: the
//! configuration and its checks. Filter values are escaped (RFC 4515) by the `ldap3`
//! crate where filters are made.
//!
//! No DN is ever built from what a user typed: the bind uses the DN the directory's
//! own search returned, so RFC 4514 DN escaping has nothing to guard.

use crate::integrations::Credential;
use serde::{Deserialize, Serialize};

/// Where the username goes in a user filter.
pub const USERNAME_PLACEHOLDER: &str = "{username}";
/// Where the user's DN goes in a group search filter.
pub const DN_PLACEHOLDER: &str = "{dn}";
/// The most a username and a password may be, in bytes.
pub const MAX_USERNAME: usize = 256;
pub const MAX_PASSWORD: usize = 1024;
/// Entries a search may return: two are enough to tell "exactly one" from "several".
pub const USER_SIZE_LIMIT: i32 = 2;
/// Groups a group search may return.
pub const GROUP_SIZE_LIMIT: i32 = 500;

/// How a connection reaches its directory securely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// `ldaps://`, TLS from the first byte.
    Ldaps,
    /// `ldap://` upgraded with the StartTLS extended operation before anything else.
    StartTls,
    /// `ldap://` in the clear: only to hosts on the deployment's development allow
    /// list (`INTEGRATION_ALLOW_HOSTS`).
    Plain,
}

/// Where a user's groups come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "source")]
pub enum GroupSource {
    /// An attribute of the user's entry naming each group's DN (`memberOf`: Active
    /// Directory, OpenLDAP's memberof overlay); the group is its first RDN's value.
    MemberOf { attribute: String },
    /// A search under `base` for groups whose `filter` (with `{dn}`) holds the user;
    /// the group is its `name_attribute`.
    Search {
        base: String,
        filter: String,
        name_attribute: String,
    },
    /// No groups.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LdapConfig {
    pub host: String,
    pub port: u16,
    pub transport: Transport,
    /// PEM certificates the directory's chain must lead to (none: the system's roots).
    pub ca_certificate: Option<String>,
    /// The service account that searches.
    pub bind_dn: String,
    pub bind_password: Credential,
    pub user_base: String,
    /// With `{username}`, e.g. `(&(objectClass=person)(uid={username}))`.
    pub user_filter: String,
    /// The attribute that identifies a person for good (`entryUUID`, `objectGUID`);
    /// the DN changes when an entry moves.
    pub id_attribute: String,
    pub email_attribute: String,
    pub name_attribute: String,
    pub groups: GroupSource,
    /// How long each directory operation may take.
    pub timeout_seconds: u8,
}

/// What the two directory kinds call things, for the presets' templates.
pub struct Flavour {
    pub name: &'static str,
    pub user_filter: &'static str,
    pub id_attribute: &'static str,
    pub email_attribute: &'static str,
    pub name_attribute: &'static str,
}

pub const ACTIVE_DIRECTORY: Flavour = Flavour {
    name: "Active Directory",
    user_filter: "(&(objectCategory=person)(objectClass=user)(sAMAccountName={username}))",
    id_attribute: "objectGUID",
    email_attribute: "mail",
    name_attribute: "displayName",
};

pub const OPENLDAP: Flavour = Flavour {
    name: "OpenLDAP",
    user_filter: "(&(objectClass=inetOrgPerson)(uid={username}))",
    id_attribute: "entryUUID",
    email_attribute: "mail",
    name_attribute: "cn",
};

/// Why a username or password is refused before any directory is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialsRefusal {
    EmptyUsername,
    EmptyPassword,
    TooLong,
    ControlCharacter,
}

/// Checks what a user typed. An empty password is refused here: an LDAP simple bind
/// with a DN and no password is an unauthenticated bind that succeeds (RFC 4513
/// section 5.1.2).
pub fn check_credentials(username: &str, password: &str) -> Result<(), CredentialsRefusal> {
    if username.trim().is_empty() {
        return Err(CredentialsRefusal::EmptyUsername);
    }
    if password.is_empty() {
        return Err(CredentialsRefusal::EmptyPassword);
    }
    if username.len() > MAX_USERNAME || password.len() > MAX_PASSWORD {
        return Err(CredentialsRefusal::TooLong);
    }
    if username.chars().any(char::is_control) {
        return Err(CredentialsRefusal::ControlCharacter);
    }
    Ok(())
}

/// A filter template: balanced parentheses, wrapped in one pair, holding
/// `placeholder` at least once.
pub fn check_filter_template(template: &str, placeholder: &str) -> Result<(), String> {
    if !template.contains(placeholder) {
        return Err(format!("`{template}` has no `{placeholder}`"));
    }
    if !(template.starts_with('(') && template.ends_with(')')) {
        return Err(format!("`{template}` is not a filter in parentheses"));
    }
    let mut depth = 0i32;
    for c in template.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("`{template}` has unbalanced parentheses"));
                }
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("`{template}` has unbalanced parentheses"));
    }
    Ok(())
}

/// The group a DN names: the value of its first RDN (`cn=admins,ou=groups,...` ->
/// `admins`), unescaping `\,`-style pairs.
pub fn group_name_of_dn(dn: &str) -> Option<String> {
    let mut first = String::new();
    let mut chars = dn.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let pair: String = chars.clone().take(2).collect();
                match u8::from_str_radix(&pair, 16) {
                    Ok(byte) if pair.len() == 2 && byte.is_ascii() => {
                        first.push(char::from(byte));
                        chars.nth(1);
                    }
                    _ => first.extend(chars.next()),
                }
            }
            ',' | '+' => break,
            c => first.push(c),
        }
    }
    let (_, value) = first.split_once('=')?;
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

#[cfg(test)]
#[path = "tests/ldap.rs"]
mod tests;
