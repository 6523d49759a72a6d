//! A tenant's key policy: what every key it issues must satisfy. Per environment
//! (`live`, `test`): the longest lifetime, whether an expiry is required, and which
//! scopes keys may hold; per tenant: how many active keys one principal, and the
//! tenant, may hold.
//!
//! Rules bind when a key is issued or changed (create, update, rotate, compromise
//! replacement). A policy change never touches existing keys: [`KeyPolicy::violations`]
//! lists the keys that no longer comply and when each is brought into line.

use super::format::KeyEnvironment;
use super::model::{KeyRecord, KeyStatus};
use super::permission_sync::PermissionLoss;
use super::scope::{Scope, ScopeSet};
use crate::ids::KeyId;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// The longest lifetime a policy may set, in days (ten years).
pub const MAX_LIFETIME_DAYS: u32 = 3_650;
/// The most keys a count rule may allow.
pub const MAX_KEYS_LIMIT: u32 = 100_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyPolicy {
    /// Rules for `live` keys.
    #[serde(default, skip_serializing_if = "EnvironmentRules::is_empty")]
    pub live: EnvironmentRules,
    /// Rules for `test` keys.
    #[serde(default, skip_serializing_if = "EnvironmentRules::is_empty")]
    pub test: EnvironmentRules,
    /// Most active keys one principal may hold (absent: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_KEYS_LIMIT))]
    pub max_active_keys_per_principal: Option<u32>,
    /// Most active keys the tenant may hold (absent: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_KEYS_LIMIT))]
    pub max_active_keys_per_tenant: Option<u32>,
    /// What happens to an SSO principal's keys (and the service keys it owns) when it
    /// loses scopes: `narrow_scopes` (the default) or `disable`. A disabled
    /// principal's keys are always disabled.
    #[serde(default, skip_serializing_if = "PermissionLoss::is_default")]
    pub on_permission_loss: PermissionLoss,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentRules {
    /// Longest lifetime from issue, in days (absent: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_LIFETIME_DAYS))]
    pub max_lifetime_days: Option<u32>,
    /// Every key must have an expiry.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_expiry: bool,
    /// The scopes keys may hold; a scope is allowed when one of these covers it
    /// (`keys:*` covers `keys:read`, `admin` covers all). Absent: any scope the
    /// creator may grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<ScopeSet>")]
    pub allowed_scopes: Option<Vec<String>>,
    /// Keys unused for this many days are disabled by the scheduled scan, after an
    /// `api_key.idle_warning` notice (absent: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_LIFETIME_DAYS))]
    pub max_idle_days: Option<u32>,
    /// Keys older than this many days are due for rotation: the scheduled scan
    /// publishes `api_key.rotation_due` (absent: never). The key stays usable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_LIFETIME_DAYS))]
    pub rotate_after_days: Option<u32>,
}

impl EnvironmentRules {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Which rule a key breaks: the `rule` of a refusal's problem and of a violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    MaxLifetime,
    RequireExpiry,
    AllowedScopes,
    MaxActiveKeysPerPrincipal,
    MaxActiveKeysPerTenant,
    MaxIdle,
    RotateAfter,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MaxLifetime => "max_lifetime",
            Self::RequireExpiry => "require_expiry",
            Self::AllowedScopes => "allowed_scopes",
            Self::MaxActiveKeysPerPrincipal => "max_active_keys_per_principal",
            Self::MaxActiveKeysPerTenant => "max_active_keys_per_tenant",
            Self::MaxIdle => "max_idle",
            Self::RotateAfter => "rotate_after",
        }
    }
}

/// A broken rule, and what breaks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub rule: Rule,
    pub detail: String,
}

/// An existing key that does not comply with the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Violation {
    pub key_id: KeyId,
    pub rule: Rule,
    pub detail: String,
    /// When the key is brought into line.
    pub brought_into_line: String,
}

impl KeyPolicy {
    /// Checks the policy's own consistency: scope names parse, numbers in range.
    pub fn validate(&self) -> Result<(), String> {
        for (env, rules) in [("live", &self.live), ("test", &self.test)] {
            for (field, days) in [
                ("max_lifetime_days", rules.max_lifetime_days),
                ("max_idle_days", rules.max_idle_days),
                ("rotate_after_days", rules.rotate_after_days),
            ] {
                if let Some(days) = days
                    && !(1..=MAX_LIFETIME_DAYS).contains(&days)
                {
                    return Err(format!("`{env}.{field}` must be 1 to {MAX_LIFETIME_DAYS}"));
                }
            }
            if let Some(scopes) = &rules.allowed_scopes {
                rules_scopes(scopes).map_err(|e| format!("`{env}.allowed_scopes`: {e}"))?;
            }
        }
        for (name, value) in [
            (
                "max_active_keys_per_principal",
                self.max_active_keys_per_principal,
            ),
            (
                "max_active_keys_per_tenant",
                self.max_active_keys_per_tenant,
            ),
        ] {
            if let Some(n) = value
                && !(1..=MAX_KEYS_LIMIT).contains(&n)
            {
                return Err(format!("`{name}` must be 1 to {MAX_KEYS_LIMIT}"));
            }
        }
        Ok(())
    }

    pub fn rules(&self, environment: KeyEnvironment) -> &EnvironmentRules {
        match environment {
            KeyEnvironment::Live => &self.live,
            KeyEnvironment::Test => &self.test,
        }
    }

    /// Whether the count rules need the tenant's active keys counted.
    pub fn counts_keys(&self) -> bool {
        self.max_active_keys_per_principal.is_some() || self.max_active_keys_per_tenant.is_some()
    }

    /// Checks the scopes a key would hold.
    pub fn check_scopes(
        &self,
        environment: KeyEnvironment,
        scopes: &ScopeSet,
    ) -> Result<(), Breach> {
        let Some(allowed) = &self.rules(environment).allowed_scopes else {
            return Ok(());
        };
        let allowed = rules_scopes(allowed).unwrap_or_default();
        let refused: Vec<&str> = scopes
            .iter()
            .filter(|s| !allowed.iter().any(|a| a.covers(s)))
            .map(Scope::as_str)
            .collect();
        if refused.is_empty() {
            return Ok(());
        }
        Err(Breach {
            rule: Rule::AllowedScopes,
            detail: format!(
                "{environment} keys may not hold {}",
                refused
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }

    /// Checks an expiry for a key issued, or changed, at `now`.
    pub fn check_expiry(
        &self,
        environment: KeyEnvironment,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<(), Breach> {
        let rules = self.rules(environment);
        match (expires_at, rules.max_lifetime_days) {
            (None, Some(days)) => Err(Breach {
                rule: Rule::MaxLifetime,
                detail: format!("{environment} keys live at most {days} days: give `expires_at`"),
            }),
            (None, None) if rules.require_expiry => Err(Breach {
                rule: Rule::RequireExpiry,
                detail: format!("{environment} keys must have an `expires_at`"),
            }),
            (Some(at), Some(days)) if at > now + Duration::days(i64::from(days)) => Err(Breach {
                rule: Rule::MaxLifetime,
                detail: format!(
                    "{environment} keys live at most {days} days: `expires_at` must be no later than {}",
                    latest(now, days)
                ),
            }),
            _ => Ok(()),
        }
    }

    /// The expiry a replacement issued at `now` gets in place of `inherited`: within
    /// the longest lifetime, and set when one is required. Rotation brings a key into
    /// line this way instead of refusing.
    pub fn replacement_expiry(
        &self,
        environment: KeyEnvironment,
        inherited: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Option<OffsetDateTime> {
        match self.rules(environment).max_lifetime_days {
            Some(days) => {
                let longest = now + Duration::days(i64::from(days));
                Some(inherited.map_or(longest, |at| at.min(longest)))
            }
            None => inherited,
        }
    }

    /// Checks the active-key counts a new active key would raise: `principal_active`
    /// and `tenant_active` count the keys active now, without it.
    pub fn check_counts(
        &self,
        principal: &str,
        principal_active: usize,
        tenant_active: usize,
    ) -> Result<(), Breach> {
        if let Some(most) = self.max_active_keys_per_principal
            && principal_active >= most as usize
        {
            return Err(Breach {
                rule: Rule::MaxActiveKeysPerPrincipal,
                detail: format!(
                    "{principal} already holds {principal_active} active keys; the policy allows {most}"
                ),
            });
        }
        if let Some(most) = self.max_active_keys_per_tenant
            && tenant_active >= most as usize
        {
            return Err(Breach {
                rule: Rule::MaxActiveKeysPerTenant,
                detail: format!(
                    "the tenant already holds {tenant_active} active keys; the policy allows {most}"
                ),
            });
        }
        Ok(())
    }

    /// The active keys among `keys` that break a rule, each with when it is brought
    /// into line. Count rules are reported once per principal (or tenant) over the
    /// limit, on its newest key.
    pub fn violations(&self, keys: &[KeyRecord], now: OffsetDateTime) -> Vec<Violation> {
        let active: Vec<&KeyRecord> = keys
            .iter()
            .filter(|k| k.status == KeyStatus::Active && !k.is_expired(now))
            .collect();
        let mut found = Vec::new();
        for key in &active {
            let at_rotation = "at its next rotation (the replacement's expiry is clamped), or when its expiry is updated";
            if let Err(b) = self.check_expiry(key.environment, key.expires_at, key.created_at) {
                found.push(violation(key, b, at_rotation));
            }
            if let Err(b) = self.check_scopes(key.environment, &key.scopes) {
                found.push(violation(
                    key,
                    b,
                    "when its scopes are updated; until then it keeps them, and it cannot be rotated or replaced",
                ));
            }
            let rules = self.rules(key.environment);
            if let Some(days) = rules.max_idle_days
                && now - key.idle_since() > Duration::days(i64::from(days))
            {
                found.push(violation(
                    key,
                    Breach {
                        rule: Rule::MaxIdle,
                        detail: format!(
                            "unused since {}; {} keys may be idle {days} days",
                            rfc3339(key.idle_since()),
                            key.environment
                        ),
                    },
                    "disabled by the scheduled scan after an `api_key.idle_warning` notice, at least 7 days after the policy changed, unless it is used first",
                ));
            }
            if let Some(days) = rules.rotate_after_days
                && now - key.created_at > Duration::days(i64::from(days))
            {
                found.push(violation(
                    key,
                    Breach {
                        rule: Rule::RotateAfter,
                        detail: format!(
                            "issued {}; {} keys are due for rotation after {days} days",
                            rfc3339(key.created_at),
                            key.environment
                        ),
                    },
                    "when it is rotated; the scheduled scan publishes `api_key.rotation_due` and the key stays usable",
                ));
            }
        }
        let mut by_principal: std::collections::BTreeMap<&str, Vec<&KeyRecord>> =
            std::collections::BTreeMap::new();
        for key in &active {
            by_principal
                .entry(key.principal.as_str())
                .or_default()
                .push(key);
        }
        if let Some(most) = self.max_active_keys_per_principal {
            for (principal, held) in &by_principal {
                if held.len() > most as usize
                    && let Some(newest) = held.iter().max_by_key(|k| k.created_at)
                {
                    found.push(violation(
                        newest,
                        Breach {
                            rule: Rule::MaxActiveKeysPerPrincipal,
                            detail: format!(
                                "{principal} holds {} active keys; the policy allows {most}",
                                held.len()
                            ),
                        },
                        "when the principal's keys are revoked, disabled or expire; until then it can create no more",
                    ));
                }
            }
        }
        if let Some(most) = self.max_active_keys_per_tenant
            && active.len() > most as usize
            && let Some(newest) = active.iter().max_by_key(|k| k.created_at)
        {
            found.push(violation(
                newest,
                Breach {
                    rule: Rule::MaxActiveKeysPerTenant,
                    detail: format!(
                        "the tenant holds {} active keys; the policy allows {most}",
                        active.len()
                    ),
                },
                "when keys are revoked, disabled or expire; until then no more can be created",
            ));
        }
        found
    }
}

/// How long before an idle key is disabled its owner is warned (or half the idle
/// period, when that is shorter).
pub const IDLE_NOTICE: Duration = Duration::days(7);

/// What the scheduled scan owes an active key under the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upkeep {
    /// Unused since `idle_since`; disabled at `disable_at` unless used first.
    IdleWarning {
        idle_since: OffsetDateTime,
        disable_at: OffsetDateTime,
    },
    /// Unused since `idle_since` past the idle period and its notice: disable now.
    DisableIdle {
        idle_since: OffsetDateTime,
        max_idle_days: u32,
    },
    /// Issued more than `rotate_after_days` ago.
    RotationDue {
        due_since: OffsetDateTime,
        rotate_after_days: u32,
    },
}

impl KeyPolicy {
    /// The upkeep due for `key` at `now`, under this policy as last changed at
    /// `policy_changed`. Only active, unexpired keys not already replaced by rotation
    /// owe anything. An idle key is never disabled sooner than [`IDLE_NOTICE`] after
    /// the policy changed, so tightening the policy warns before it disables.
    pub fn upkeep(
        &self,
        key: &KeyRecord,
        now: OffsetDateTime,
        policy_changed: Option<OffsetDateTime>,
    ) -> Vec<Upkeep> {
        if key.status != KeyStatus::Active || key.is_expired(now) || key.rotated_to.is_some() {
            return Vec::new();
        }
        let rules = self.rules(key.environment);
        let mut due = Vec::new();
        if let Some(days) = rules.max_idle_days {
            let period = Duration::days(i64::from(days));
            let lead = IDLE_NOTICE.min(period / 2);
            let idle_since = key.idle_since();
            let earliest = policy_changed.map_or(idle_since, |at| at + IDLE_NOTICE);
            let disable_at = (idle_since + period).max(earliest);
            if now >= disable_at {
                due.push(Upkeep::DisableIdle {
                    idle_since,
                    max_idle_days: days,
                });
            } else if now >= disable_at - lead {
                due.push(Upkeep::IdleWarning {
                    idle_since,
                    disable_at,
                });
            }
        }
        if let Some(days) = rules.rotate_after_days {
            let due_since = key.created_at + Duration::days(i64::from(days));
            if now >= due_since {
                due.push(Upkeep::RotationDue {
                    due_since,
                    rotate_after_days: days,
                });
            }
        }
        due
    }

    /// Whether any rule needs the scheduled scan.
    pub fn needs_upkeep(&self) -> bool {
        [&self.live, &self.test]
            .iter()
            .any(|r| r.max_idle_days.is_some() || r.rotate_after_days.is_some())
    }
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn violation(key: &KeyRecord, breach: Breach, when: &str) -> Violation {
    Violation {
        key_id: key.key_id.clone(),
        rule: breach.rule,
        detail: breach.detail,
        brought_into_line: when.to_owned(),
    }
}

fn rules_scopes(names: &[String]) -> Result<Vec<Scope>, String> {
    names
        .iter()
        .map(|n| Scope::parse(n).map_err(|e| e.to_string()))
        .collect()
}

fn latest(now: OffsetDateTime, days: u32) -> String {
    (now + Duration::days(i64::from(days)))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "tests/key_policy.rs"]
mod tests;
