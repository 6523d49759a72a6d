//! Configuration from the environment, read and validated once at start.
//!
//! | variable               | required | default | meaning                                   |
//! |------------------------|----------|---------|-------------------------------------------|
//! | `KEYS_TABLE`           | yes      |         | DynamoDB table of tenants, keys and custom scopes |
//! | `AUDIT_TABLE`          | yes      |         | DynamoDB table of the audit trail         |
//! | `EPHEMERAL_TABLE`      | yes      |         | DynamoDB table of short-lived items (idempotency keys, limit counters) |
//! | `USAGE_TABLE`          | yes      |         | DynamoDB table of usage statistics and anomaly findings |
//! | `DELIVERIES_TABLE`     | yes      |         | DynamoDB table of webhook deliveries and their attempts |
//! | `DELIVERY_QUEUE_URL`   | yes      |         | SQS queue of webhook delivery attempts    |
//! | `DELIVERY_DLQ_URL`     | yes      |         | SQS queue of deliveries that failed for good, with the reason |
//! | `EVENTS_QUEUE_URL`     | yes      |         | SQS queue of domain and security events   |
//! | `SERVICE_SECRET_ARN`   | yes      |         | Secrets Manager secret that signs pagination cursors |
//! | `AUDIT_RETENTION_DAYS` | no       | `365`   | how long audit events are kept (DynamoDB TTL) |
//! | `AUTH_CACHE_TTL_SECONDS` | no     | `1`     | how long the authorizer uses a verified key's record without reading it again: the revocation bound (0: read every time) |
//! | `AUTH_MEMORY_TTL_SECONDS` | no    | `300`   | how long verified keys skip argon2id, and failed keys are refused without I/O |
//! | `AUTH_CACHE_CAPACITY`  | no       | `10000` | entries per cache, per container          |
//! | `FAILED_VERIFICATION_THRESHOLD` | no | `10` | failed verifications of one key per window that raise a security event |
//! | `FAILED_VERIFICATION_WINDOW_SECONDS` | no | `900` | the counting window |
//! | `KEY_ENVIRONMENT`      | no       | `live`  | `live` or `test`: keys this deployment accepts and issues |
//! | `DEFAULT_KEY_PREFIX`   | no       | `gh`    | key prefix for tenants without their own  |
//! | `ARGON2_MEMORY_KIB`    | no       | `2048`  | argon2id memory cost of new verifiers     |
//! | `ARGON2_ITERATIONS`    | no       | `1`     | argon2id time cost                        |
//! | `ARGON2_PARALLELISM`   | no       | `1`     | argon2id lanes                            |
//! | `WEBHOOK_KEY_ID`       | for webhooks |     | KMS key that seals webhook signing secrets |
//! | `SECRETS_TABLE`        | for secrets |      | DynamoDB table of tenant secrets' version records (AWS backend) |
//! | `SECRETS_NAME_PREFIX`  | for secrets |      | Secrets Manager name prefix of tenant secrets' ciphertext (`<stack>/tenant-secrets/`) |
//! | `SECRETS_KEY_ID`       | for secrets |      | KMS key that seals tenant secret versions and integration credentials |
//! | `INTEGRATIONS_TABLE`   | for integrations | | DynamoDB table of tenant integrations (the tenant's Vault) |
//! | `LEASE_ROLES`          | for leases | `[]` | JSON array of the AWS roles leases may assume: `{name, role_arn, session_policy}`, the policy naming the tenant as `{tenant}` |
//! | `PUBLIC_BASE_URL`      | no       | the request's host | the API's own URL (`https://api.example.com`), the base of SSO redirect URIs; empty: `https://` and the host the request came to |
//! | `DNS_NAMESERVERS`      | no       | the system's | `ip:port,...` that answer the DNS TXT lookups of domain verification (tests and development); empty: `/etc/resolv.conf` |
//! | `SESSION_ISSUER`       | for sessions |     | the `iss` of session tokens (`gatehouse:<stack>`) |
//! | `SESSION_KEY_IDS`      | for sessions |     | KMS keys (ECC_NIST_P256) that sign session tokens, comma-separated: the first signs, all verify |
//! | `INTEGRATION_ALLOW_HOSTS` | no    | none    | `host:port,...` integrations may reach although internal (development and tests only) |
//! | `INTEGRATION_TIMEOUT_SECONDS` | no | `10`   | how long a call to a tenant's service (Vault) may take |
//! | `WEBHOOK_ALLOW_HOSTS`  | no       | none    | `host:port,...` webhooks may reach although internal (development and tests only) |
//! | `WEBHOOK_TIMEOUT_SECONDS` | no    | `15`    | how long a delivery waits for the endpoint's answer |
//! | `WEBHOOK_RETRY_SCHEDULE` | no     | see README | seconds before each retry, comma-separated (`5,60,300,...`) |
//! | `WEBHOOK_CIRCUIT_MIN_VOLUME` | no | `10`    | attempts in a window before an endpoint's circuit can open |
//! | `SIEM_QUEUE_URL`       | for SIEM |         | SQS queue of security events on their way to SIEM destinations |
//! | `SIEM_DLQ_URL`         | for SIEM |         | SQS queue of events a destination will not take, with the reason |
//! | `SIEM_RETRY_BASE_SECONDS` | no    | `5`     | the first retry's delay of a SIEM delivery; each further one doubles, up to 15 minutes |
//! | `PLATFORM_TENANT_ID`   | no       | none    | the platform operator's tenant: only its SIEM destinations may receive every tenant's events |
//!
//! AWS endpoints and credentials come from the SDK's standard settings
//! (`AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`, ...).

use crate::keys::{Argon2Params, KeyEnvironment, KeyPrefix};
use crate::webhooks::circuit::Policy;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub keys_table: String,
    pub audit_table: String,
    pub ephemeral_table: String,
    pub usage_table: String,
    pub deliveries_table: String,
    pub delivery_queue_url: String,
    pub delivery_dlq_url: String,
    pub events_queue_url: String,
    pub siem_queue_url: String,
    pub siem_dlq_url: String,
    pub siem_retry_base: time::Duration,
    /// The platform operator's tenant (`PLATFORM_TENANT_ID`), if the deployment has one.
    pub platform_tenant_id: Option<crate::ids::TenantId>,
    pub service_secret_arn: String,
    pub audit_retention_days: u32,
    pub auth_cache_ttl: time::Duration,
    pub auth_memory_ttl: time::Duration,
    pub auth_cache_capacity: usize,
    pub failure_policy: crate::auth::failures::FailurePolicy,
    pub key_environment: KeyEnvironment,
    pub default_key_prefix: KeyPrefix,
    pub argon2: Argon2Params,
    pub webhook_key_id: Option<String>,
    pub secrets_table: String,
    pub secrets_name_prefix: String,
    pub secrets_key_id: String,
    pub integrations_table: String,
    pub integration_allow_hosts: crate::webhooks::ssrf::AllowList,
    pub integration_timeout: time::Duration,
    /// The API's own URL, without a trailing slash (`None`: the request's host).
    pub public_base_url: Option<String>,
    /// Where the secret scanner publishes the keys that sign its reports.
    pub secret_scanning_keys_url: String,
    /// The shared secret other scanners sign reports with.
    pub secret_scanning_secret_arn: String,
    /// Where DNS lookups go (none: the system's resolver).
    pub dns_nameservers: Vec<std::net::SocketAddr>,
    /// The `iss` of session tokens.
    pub session_issuer: String,
    /// The KMS keys of session tokens: the first signs.
    pub session_key_ids: Vec<String>,
    /// The AWS roles dynamic secrets may assume (empty: none declared).
    pub lease_roles: Vec<gatehouse_domain::leases::AwsLeaseRole>,
    pub webhook_allow_hosts: crate::webhooks::ssrf::AllowList,
    pub webhook_timeout: time::Duration,
    pub webhook_retry_schedule: Vec<time::Duration>,
    pub webhook_circuit_min_volume: u32,
}

/// What a function uses: it reads, and requires, only the variables of these groups,
/// and template.yaml gives it exactly [`Needs::variables`] (tests/tests/template_env.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Needs(u32);

impl Needs {
    /// The keys table: tenants, keys, scopes, policies, endpoints.
    pub const KEYS: Self = Self(1);
    pub const AUDIT: Self = Self(1 << 1);
    /// The ephemeral table: idempotency keys, limit counters, markers, failure counts.
    pub const EPHEMERAL: Self = Self(1 << 2);
    pub const USAGE: Self = Self(1 << 3);
    /// The deliveries table: deliveries, attempts, circuit counts.
    pub const DELIVERIES: Self = Self(1 << 4);
    pub const EVENTS: Self = Self(1 << 5);
    /// The delivery queue and its dead-letter queue.
    pub const DELIVERY_QUEUE: Self = Self(1 << 6);
    /// The KMS key that seals webhook secrets.
    pub const SEALING: Self = Self(1 << 7);
    /// The service secret that signs pagination cursors.
    pub const CURSORS: Self = Self(1 << 8);
    /// Outbound HTTP to webhook destinations: allow list and timeout.
    pub const OUTBOUND: Self = Self(1 << 9);
    /// The retry schedule and the circuit breaker's volume.
    pub const DISPATCH: Self = Self(1 << 10);
    /// The authorizer's caches and failure counting.
    pub const AUTHORIZER: Self = Self(1 << 11);
    /// Tenant secrets on the AWS backend: their table, Secrets Manager prefix and KMS key.
    pub const SECRETS: Self = Self(1 << 12);
    /// Tenant integrations (the tenant's Vault): their table and outbound settings.
    pub const INTEGRATIONS: Self = Self(1 << 13 | 1 << 21);
    /// Outbound HTTP to integrations and partners (IdPs, Vaults, scanners' key
    /// documents): allow list and timeout.
    pub const INTEGRATION_OUTBOUND: Self = Self(1 << 21);
    /// Dynamic secrets: the AWS roles leases may assume (STS and IAM clients).
    pub const LEASES: Self = Self(1 << 14);
    /// Session tokens: their signing keys and issuer (SSO logins, the authorizer).
    pub const SESSIONS: Self = Self(1 << 15);
    /// SSO logins: the API's own URL, for redirect URIs.
    pub const SSO: Self = Self(1 << 16);
    /// DNS lookups: domain verification.
    pub const DNS: Self = Self(1 << 17);
    /// SIEM forwarding: its queue and dead-letter queue.
    pub const SIEM: Self = Self(1 << 18);
    /// The platform operator's tenant.
    pub const OPERATOR: Self = Self(1 << 19);
    /// Leaked-key reports: where the secret scanner publishes its signing keys.
    pub const SECRET_SCANNING: Self = Self(1 << 20);
    /// Other scanners' leaked-key reports: the shared secret they sign with.
    pub const SCANNER_SECRET: Self = Self(1 << 22);
    pub const ALL: Self = Self((1 << 23) - 1);
    pub const NONE: Self = Self(0);

    /// The integrations table alone (part of [`Needs::INTEGRATIONS`]).
    const INTEGRATIONS_TABLE: Self = Self(1 << 13);

    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub const fn without(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The variables the template gives a function with these needs (optional ones
    /// with defaults that the template does not set are left out).
    pub fn variables(self) -> Vec<&'static str> {
        const GROUPS: &[(Needs, &[&str])] = &[
            (Needs::KEYS, &["KEYS_TABLE", "KEY_ENVIRONMENT"]),
            (Needs::AUDIT, &["AUDIT_TABLE", "AUDIT_RETENTION_DAYS"]),
            (Needs::EPHEMERAL, &["EPHEMERAL_TABLE"]),
            (Needs::USAGE, &["USAGE_TABLE"]),
            (Needs::DELIVERIES, &["DELIVERIES_TABLE"]),
            (Needs::EVENTS, &["EVENTS_QUEUE_URL"]),
            (
                Needs::DELIVERY_QUEUE,
                &["DELIVERY_QUEUE_URL", "DELIVERY_DLQ_URL"],
            ),
            (Needs::SEALING, &["WEBHOOK_KEY_ID"]),
            (Needs::CURSORS, &["SERVICE_SECRET_ARN"]),
            (
                Needs::OUTBOUND,
                &["WEBHOOK_ALLOW_HOSTS", "WEBHOOK_TIMEOUT_SECONDS"],
            ),
            (
                Needs::DISPATCH,
                &["WEBHOOK_RETRY_SCHEDULE", "WEBHOOK_CIRCUIT_MIN_VOLUME"],
            ),
            (Needs::AUTHORIZER, &["AUTH_CACHE_TTL_SECONDS"]),
            (
                Needs::SECRETS,
                &["SECRETS_TABLE", "SECRETS_NAME_PREFIX", "SECRETS_KEY_ID"],
            ),
            (Needs::INTEGRATIONS_TABLE, &["INTEGRATIONS_TABLE"]),
            (
                Needs::INTEGRATION_OUTBOUND,
                &["INTEGRATION_ALLOW_HOSTS", "INTEGRATION_TIMEOUT_SECONDS"],
            ),
            (Needs::LEASES, &["LEASE_ROLES"]),
            (Needs::SESSIONS, &["SESSION_ISSUER", "SESSION_KEY_IDS"]),
            (Needs::SSO, &["PUBLIC_BASE_URL"]),
            (Needs::DNS, &["DNS_NAMESERVERS"]),
            (
                Needs::SIEM,
                &["SIEM_QUEUE_URL", "SIEM_DLQ_URL", "SIEM_RETRY_BASE_SECONDS"],
            ),
            (Needs::OPERATOR, &["PLATFORM_TENANT_ID"]),
            (Needs::SECRET_SCANNING, &["SECRET_SCANNING_KEYS_URL"]),
            (Needs::SCANNER_SECRET, &["SECRET_SCANNING_SECRET_ARN"]),
        ];
        GROUPS
            .iter()
            .filter(|(group, _)| self.contains(*group))
            .flat_map(|(_, vars)| vars.iter().copied())
            .collect()
    }
}

/// A missing or invalid variable, named so the operator knows what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration variable {variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl Config {
    /// The configuration a function with `needs` reads from the process environment.
    pub fn from_env(needs: Needs) -> Result<Self, ConfigError> {
        Self::for_needs(needs, |name| std::env::var(name).ok())
    }

    /// Every group's variables: for tools and harnesses that do everything.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::for_needs(Needs::ALL, lookup)
    }

    /// Reads, and requires, only the variables of `needs`, through `lookup` (so tests
    /// need not touch the process environment). A group not needed is not read: its
    /// tables and queues are empty names no call may use, its settings the defaults.
    pub fn for_needs(
        needs: Needs,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let read = |name: &str| {
            GROUP_OF
                .iter()
                .find(|(var, _)| *var == name)
                .is_none_or(|(_, group)| needs.contains(*group))
                .then(|| lookup(name))
                .flatten()
        };
        let vars = Vars(&read);
        let need = |group: Needs| needs.contains(group);
        // A required variable of a needed group; an empty name for a group not needed.
        let if_needed = |group: Needs, read: &dyn Fn() -> Result<String, ConfigError>| {
            if need(group) {
                read()
            } else {
                Ok(String::new())
            }
        };
        let argon2 = Argon2Params {
            memory_kib: vars.parsed("ARGON2_MEMORY_KIB", Argon2Params::DEFAULT.memory_kib)?,
            iterations: vars.parsed("ARGON2_ITERATIONS", Argon2Params::DEFAULT.iterations)?,
            parallelism: vars.parsed("ARGON2_PARALLELISM", Argon2Params::DEFAULT.parallelism)?,
        }
        .validate()
        .map_err(|problem| ConfigError {
            variable: "ARGON2_MEMORY_KIB/ARGON2_ITERATIONS/ARGON2_PARALLELISM",
            problem,
        })?;
        Ok(Self {
            keys_table: if_needed(Needs::KEYS, &|| vars.table_name("KEYS_TABLE"))?,
            audit_table: if_needed(Needs::AUDIT, &|| vars.table_name("AUDIT_TABLE"))?,
            ephemeral_table: if_needed(Needs::EPHEMERAL, &|| vars.table_name("EPHEMERAL_TABLE"))?,
            usage_table: if_needed(Needs::USAGE, &|| vars.table_name("USAGE_TABLE"))?,
            deliveries_table: if_needed(Needs::DELIVERIES, &|| {
                vars.table_name("DELIVERIES_TABLE")
            })?,
            delivery_queue_url: if_needed(Needs::DELIVERY_QUEUE, &|| {
                vars.url("DELIVERY_QUEUE_URL")
            })?,
            delivery_dlq_url: if_needed(Needs::DELIVERY_QUEUE, &|| vars.url("DELIVERY_DLQ_URL"))?,
            events_queue_url: if_needed(Needs::EVENTS, &|| vars.url("EVENTS_QUEUE_URL"))?,
            siem_queue_url: if_needed(Needs::SIEM, &|| vars.url("SIEM_QUEUE_URL"))?,
            siem_dlq_url: if_needed(Needs::SIEM, &|| vars.url("SIEM_DLQ_URL"))?,
            siem_retry_base: seconds(vars.parsed_in("SIEM_RETRY_BASE_SECONDS", 5, 1..=300)?),
            platform_tenant_id: match vars.get("PLATFORM_TENANT_ID") {
                Some(text) if need(Needs::OPERATOR) && !text.trim().is_empty() => Some(
                    crate::ids::TenantId::parse(text.trim())
                        .map_err(|e| vars.invalid("PLATFORM_TENANT_ID", e))?,
                ),
                _ => None,
            },
            service_secret_arn: if_needed(Needs::CURSORS, &|| vars.arn("SERVICE_SECRET_ARN"))?,
            secret_scanning_secret_arn: if_needed(Needs::SCANNER_SECRET, &|| {
                vars.arn("SECRET_SCANNING_SECRET_ARN")
            })?,
            audit_retention_days: vars.parsed_in("AUDIT_RETENTION_DAYS", 365, 1..=3650)?,
            auth_cache_ttl: seconds(vars.parsed_in("AUTH_CACHE_TTL_SECONDS", 1, 0..=300)?),
            auth_memory_ttl: seconds(vars.parsed_in("AUTH_MEMORY_TTL_SECONDS", 300, 0..=3600)?),
            auth_cache_capacity: vars.parsed_in("AUTH_CACHE_CAPACITY", 10_000, 1..=1_000_000)?
                as usize,
            failure_policy: crate::auth::failures::FailurePolicy {
                threshold: u64::from(vars.parsed_in(
                    "FAILED_VERIFICATION_THRESHOLD",
                    10,
                    1..=100_000,
                )?),
                window: seconds(vars.parsed_in(
                    "FAILED_VERIFICATION_WINDOW_SECONDS",
                    900,
                    60..=86_400,
                )?),
            },
            key_environment: vars.parsed("KEY_ENVIRONMENT", KeyEnvironment::Live)?,
            default_key_prefix: KeyPrefix::parse(
                vars.get("DEFAULT_KEY_PREFIX").as_deref().unwrap_or("gh"),
            )
            .map_err(|e| vars.invalid("DEFAULT_KEY_PREFIX", e))?,
            argon2,
            webhook_key_id: if need(Needs::SEALING) {
                Some(vars.required("WEBHOOK_KEY_ID")?)
            } else {
                None
            },
            secrets_table: if_needed(Needs::SECRETS, &|| vars.table_name("SECRETS_TABLE"))?,
            secrets_name_prefix: if_needed(Needs::SECRETS, &|| {
                vars.secret_name_prefix("SECRETS_NAME_PREFIX")
            })?,
            secrets_key_id: if_needed(Needs::SECRETS, &|| vars.required("SECRETS_KEY_ID"))?,
            integrations_table: if_needed(Needs::INTEGRATIONS, &|| {
                vars.table_name("INTEGRATIONS_TABLE")
            })?,
            integration_allow_hosts: crate::webhooks::ssrf::AllowList::parse(
                &vars.get("INTEGRATION_ALLOW_HOSTS").unwrap_or_default(),
            ),
            integration_timeout: seconds(vars.parsed_in(
                "INTEGRATION_TIMEOUT_SECONDS",
                10,
                1..=60,
            )?),
            secret_scanning_keys_url: match vars.get("SECRET_SCANNING_KEYS_URL") {
                Some(_) => vars.url("SECRET_SCANNING_KEYS_URL")?,
                None => DEFAULT_SECRET_SCANNING_KEYS_URL.to_owned(),
            },
            public_base_url: match vars.get("PUBLIC_BASE_URL") {
                Some(_) => Some(
                    vars.url("PUBLIC_BASE_URL")?
                        .trim_end_matches('/')
                        .to_owned(),
                ),
                None => None,
            },
            dns_nameservers: match vars.get("DNS_NAMESERVERS") {
                Some(text) if need(Needs::DNS) => text
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse().map_err(|_| {
                            vars.invalid("DNS_NAMESERVERS", format!("`{s}` is not ip:port"))
                        })
                    })
                    .collect::<Result<_, _>>()?,
                _ => Vec::new(),
            },
            session_issuer: if_needed(Needs::SESSIONS, &|| vars.required("SESSION_ISSUER"))?,
            session_key_ids: if_needed(Needs::SESSIONS, &|| vars.required("SESSION_KEY_IDS"))?
                .split(',')
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect(),
            lease_roles: match vars.get("LEASE_ROLES") {
                Some(text) if need(Needs::LEASES) => {
                    gatehouse_domain::leases::AwsLeaseRole::parse_list(&text)
                        .map_err(|e| vars.invalid("LEASE_ROLES", e))?
                }
                _ => Vec::new(),
            },
            webhook_allow_hosts: crate::webhooks::ssrf::AllowList::parse(
                &vars.get("WEBHOOK_ALLOW_HOSTS").unwrap_or_default(),
            ),
            webhook_timeout: seconds(vars.parsed_in("WEBHOOK_TIMEOUT_SECONDS", 15, 1..=60)?),
            webhook_circuit_min_volume: vars.parsed_in(
                "WEBHOOK_CIRCUIT_MIN_VOLUME",
                Policy::DEFAULT.min_volume,
                1..=100_000,
            )?,
            webhook_retry_schedule: match vars.get("WEBHOOK_RETRY_SCHEDULE") {
                None => crate::webhooks::retry::DEFAULT_SCHEDULE.to_vec(),
                Some(text) => text
                    .split(',')
                    .map(|s| {
                        s.trim()
                            .parse::<u32>()
                            .ok()
                            .filter(|n| (1..=604_800).contains(n))
                    })
                    .collect::<Option<Vec<u32>>>()
                    .filter(|v| !v.is_empty() && v.len() <= 30)
                    .map(|v| v.into_iter().map(seconds).collect())
                    .ok_or_else(|| {
                        vars.invalid(
                            "WEBHOOK_RETRY_SCHEDULE",
                            "give 1 to 30 comma-separated delays in seconds (1 to 604800)",
                        )
                    })?,
            },
        })
    }
}

/// The group each variable belongs to; a variable of a group the function does not
/// need is never read. Variables listed nowhere (the argon2 costs) are read by all.
const GROUP_OF: &[(&str, Needs)] = &[
    ("KEYS_TABLE", Needs::KEYS),
    ("KEY_ENVIRONMENT", Needs::KEYS),
    ("AUDIT_TABLE", Needs::AUDIT),
    ("AUDIT_RETENTION_DAYS", Needs::AUDIT),
    ("EPHEMERAL_TABLE", Needs::EPHEMERAL),
    ("USAGE_TABLE", Needs::USAGE),
    ("DELIVERIES_TABLE", Needs::DELIVERIES),
    ("EVENTS_QUEUE_URL", Needs::EVENTS),
    ("SIEM_QUEUE_URL", Needs::SIEM),
    ("SIEM_DLQ_URL", Needs::SIEM),
    ("SIEM_RETRY_BASE_SECONDS", Needs::SIEM),
    ("PLATFORM_TENANT_ID", Needs::OPERATOR),
    ("DELIVERY_QUEUE_URL", Needs::DELIVERY_QUEUE),
    ("DELIVERY_DLQ_URL", Needs::DELIVERY_QUEUE),
    ("WEBHOOK_KEY_ID", Needs::SEALING),
    ("SERVICE_SECRET_ARN", Needs::CURSORS),
    ("SECRETS_TABLE", Needs::SECRETS),
    ("SECRETS_NAME_PREFIX", Needs::SECRETS),
    ("SECRETS_KEY_ID", Needs::SECRETS),
    ("INTEGRATIONS_TABLE", Needs::INTEGRATIONS),
    ("INTEGRATION_ALLOW_HOSTS", Needs::INTEGRATION_OUTBOUND),
    ("INTEGRATION_TIMEOUT_SECONDS", Needs::INTEGRATION_OUTBOUND),
    ("SECRET_SCANNING_KEYS_URL", Needs::SECRET_SCANNING),
    ("SECRET_SCANNING_SECRET_ARN", Needs::SCANNER_SECRET),
    ("LEASE_ROLES", Needs::LEASES),
    ("PUBLIC_BASE_URL", Needs::SSO),
    ("DNS_NAMESERVERS", Needs::DNS),
    ("SESSION_ISSUER", Needs::SESSIONS),
    ("SESSION_KEY_IDS", Needs::SESSIONS),
    ("WEBHOOK_ALLOW_HOSTS", Needs::OUTBOUND),
    ("WEBHOOK_TIMEOUT_SECONDS", Needs::OUTBOUND),
    ("WEBHOOK_RETRY_SCHEDULE", Needs::DISPATCH),
    ("WEBHOOK_CIRCUIT_MIN_VOLUME", Needs::DISPATCH),
    ("AUTH_CACHE_TTL_SECONDS", Needs::AUTHORIZER),
    ("AUTH_MEMORY_TTL_SECONDS", Needs::AUTHORIZER),
    ("AUTH_CACHE_CAPACITY", Needs::AUTHORIZER),
    ("FAILED_VERIFICATION_THRESHOLD", Needs::AUTHORIZER),
    ("FAILED_VERIFICATION_WINDOW_SECONDS", Needs::AUTHORIZER),
];

/// GitHub's secret scanning signing keys.
pub const DEFAULT_SECRET_SCANNING_KEYS_URL: &str =
    "https://api.github.com/meta/public_keys/secret_scanning";

fn seconds(value: u32) -> time::Duration {
    time::Duration::seconds(i64::from(value))
}

struct Vars<'a, F: Fn(&str) -> Option<String>>(&'a F);

impl<F: Fn(&str) -> Option<String>> Vars<'_, F> {
    /// The trimmed value; an empty value counts as unset.
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn invalid(&self, variable: &'static str, problem: impl ToString) -> ConfigError {
        ConfigError {
            variable,
            problem: problem.to_string(),
        }
    }

    fn parsed<T: FromStr>(&self, variable: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(variable) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|e: T::Err| self.invalid(variable, format!("`{v}` is not valid: {e}"))),
        }
    }

    fn required(&self, variable: &'static str) -> Result<String, ConfigError> {
        self.get(variable)
            .ok_or_else(|| self.invalid(variable, "is required but not set"))
    }

    fn parsed_in(
        &self,
        variable: &'static str,
        default: u32,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<u32, ConfigError> {
        let value = self.parsed(variable, default)?;
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(self.invalid(
                variable,
                format!("{value} is outside {}..={}", range.start(), range.end()),
            ))
        }
    }

    fn url(&self, variable: &'static str) -> Result<String, ConfigError> {
        let value = self.required(variable)?;
        if value.starts_with("https://") || value.starts_with("http://") {
            Ok(value)
        } else {
            Err(self.invalid(variable, format!("`{value}` is not an http(s) URL")))
        }
    }

    fn arn(&self, variable: &'static str) -> Result<String, ConfigError> {
        let value = self.required(variable)?;
        if value.starts_with("arn:") && value.split(':').count() >= 6 {
            Ok(value)
        } else {
            Err(self.invalid(variable, format!("`{value}` is not an ARN")))
        }
    }

    /// A Secrets Manager name prefix: 1-200 of `[A-Za-z0-9/_+=.@-]`, ending in `/`.
    fn secret_name_prefix(&self, variable: &'static str) -> Result<String, ConfigError> {
        let value = self.required(variable)?;
        let valid = (1..=200).contains(&value.len())
            && value.ends_with('/')
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b));
        if valid {
            Ok(value)
        } else {
            Err(self.invalid(
                variable,
                format!("`{value}` is not a Secrets Manager name prefix ending in `/`"),
            ))
        }
    }

    /// DynamoDB table names: 3-255 of `[A-Za-z0-9_.-]`.
    fn table_name(&self, variable: &'static str) -> Result<String, ConfigError> {
        let value = self.required(variable)?;
        let valid = (3..=255).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if valid {
            Ok(value)
        } else {
            Err(self.invalid(
                variable,
                format!("`{value}` is not a valid DynamoDB table name"),
            ))
        }
    }
}

#[cfg(test)]
#[path = "tests/config.rs"]
mod tests;
