//! The scopes Gatehouse itself defines, with their documentation and what each one
//! implies. Tenants add their own (`CustomScope`) under resources Gatehouse does not
//! reserve.

use super::scope::{Scope, ScopeSet};

/// A built-in scope: its name, what it allows, and the narrower scopes it includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinScope {
    pub name: &'static str,
    pub description: &'static str,
    pub implies: &'static [&'static str],
}

pub const BUILTIN_SCOPES: &[BuiltinScope] = &[
    BuiltinScope {
        name: "admin",
        description: "Everything in the tenant, including scopes added later.",
        implies: &[],
    },
    BuiltinScope {
        name: "keys:read",
        description: "Read API key metadata (never the keys themselves).",
        implies: &[],
    },
    BuiltinScope {
        name: "keys:write",
        description: "Create API keys and update their name, scopes, status and expiry. Includes keys:read.",
        implies: &["keys:read"],
    },
    BuiltinScope {
        name: "keys:rotate",
        description: "Rotate API keys, with a grace period for the old key. Includes keys:read.",
        implies: &["keys:read"],
    },
    BuiltinScope {
        name: "keys:revoke",
        description: "Revoke API keys and report them compromised. Includes keys:read.",
        implies: &["keys:read"],
    },
    BuiltinScope {
        name: "scopes:read",
        description: "List the scopes available to the tenant and their documentation.",
        implies: &[],
    },
    BuiltinScope {
        name: "scopes:write",
        description: "Define the tenant's custom scopes. Includes scopes:read.",
        implies: &["scopes:read"],
    },
    BuiltinScope {
        name: "audit:read",
        description: "Read the tenant's audit trail.",
        implies: &[],
    },
    BuiltinScope {
        name: "usage:read",
        description: "Read usage statistics of the tenant's keys and the tenant's usage report.",
        implies: &[],
    },
    BuiltinScope {
        name: "usage:write",
        description: "Reset the rate-limit and quota counters of keys. Includes usage:read.",
        implies: &["usage:read"],
    },
    BuiltinScope {
        name: "webhooks:read",
        description: "Read the tenant's webhook endpoints and their delivery logs (never secrets).",
        implies: &[],
    },
    BuiltinScope {
        name: "webhooks:write",
        description: "Register, change, disable, test and delete webhook endpoints, rotate their secrets, retry deliveries. Includes webhooks:read.",
        implies: &["webhooks:read"],
    },
    BuiltinScope {
        name: "secrets:read",
        description: "Read the tenant's secrets: values, metadata and listings. Every read is audited.",
        implies: &[],
    },
    BuiltinScope {
        name: "secrets:write",
        description: "Write, configure, delete, destroy and restore the tenant's secrets, without reading them (a writer that may read holds secrets:read too).",
        implies: &[],
    },
    BuiltinScope {
        name: "integrations:read",
        description: "Read the tenant's integrations (never their credentials) and test their connectivity.",
        implies: &[],
    },
    BuiltinScope {
        name: "integrations:write",
        description: "Configure, change and delete the tenant's integrations (its Vault, its SSO connections). Includes integrations:read.",
        implies: &["integrations:read"],
    },
    BuiltinScope {
        name: "principals:read",
        description: "Read the people known through SSO: identity, groups, mapped scopes, logins.",
        implies: &[],
    },
    BuiltinScope {
        name: "principals:write",
        description: "Disable and enable people known through SSO (disabling ends their sessions). Includes principals:read.",
        implies: &["principals:read"],
    },
    BuiltinScope {
        name: "policy:read",
        description: "Read the tenant's access policy: route scopes and plan limits.",
        implies: &[],
    },
    BuiltinScope {
        name: "policy:write",
        description: "Change the tenant's access policy. Includes policy:read.",
        implies: &["policy:read"],
    },
];

/// Resources whose scopes only Gatehouse defines.
pub fn is_reserved_resource(resource: &str) -> bool {
    resource == "*"
        || BUILTIN_SCOPES
            .iter()
            .any(|s| s.name.split_once(':').is_some_and(|(r, _)| r == resource))
}

pub fn builtin(name: &str) -> Option<&'static BuiltinScope> {
    BUILTIN_SCOPES.iter().find(|s| s.name == name)
}

/// `held` with every built-in implication added: `keys:write` brings `keys:read`.
/// Wildcards stay wildcards; [`ScopeSet::allows`] matches them.
pub fn effective(held: &ScopeSet) -> ScopeSet {
    let mut scopes: Vec<Scope> = held.iter().cloned().collect();
    let mut i = 0;
    while i < scopes.len() {
        if let Some(b) = builtin(scopes[i].as_str()) {
            for implied in b.implies {
                if let Ok(s) = Scope::parse(implied)
                    && !scopes.contains(&s)
                {
                    scopes.push(s);
                }
            }
        }
        i += 1;
    }
    ScopeSet::unbounded(scopes)
}
