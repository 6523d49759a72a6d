//! The dependencies a handler needs, built once per Lambda container (or once per local
//! gateway) and passed to every handler by reference.

use crate::audit::AuditStore;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::events::EventPublisher;
use crate::keys::KeyVerifier;
use crate::limits::counters::CounterStore;
use crate::store::cursors::CursorSigner;
use crate::store::{Dynamo, Endpoints, FailureCounts, Keys, Markers, Policies, Scopes, Tenants};
use crate::usage::UsageStore;
use std::sync::Arc;

#[derive(Clone)]
pub struct App {
    pub config: Config,
    /// The DynamoDB handle every repository shares; `commit` applies a batch of their
    /// writes together.
    pub dynamo: Dynamo,
    pub tenants: Tenants,
    pub keys: Keys,
    pub scopes: Scopes,
    pub policies: Policies,
    /// Tenants' key policies.
    pub key_policies: crate::store::KeyPolicies,
    /// Webhook endpoints.
    pub endpoints: Endpoints,
    /// Publish-once markers (notices).
    pub markers: Markers,
    /// Failed verifications per key and window (the authorizer).
    pub failure_counts: FailureCounts,
    pub audit: AuditStore,
    pub events: EventPublisher,
    pub idempotency: crate::store::IdempotencyRecords,
    pub cursors: CursorSigner,
    pub verifier: KeyVerifier,
    /// The authorizer's warm-container cache of verified and failed keys.
    pub key_cache: Arc<crate::auth::cache::KeyCache>,
    /// Session records the authorizer read, for the same TTL as `key_cache` (the
    /// revocation bound of a logout).
    pub session_cache: Arc<
        crate::store::ttl_cache::TtlCache<
            (crate::ids::TenantId, crate::ids::KeyId),
            crate::store::sso_table::SessionRecord,
        >,
    >,
    /// Session tokens whose signature verified, by digest, for `AUTH_MEMORY_TTL_SECONDS`
    /// (as verified keys skip argon2id).
    pub verified_sessions: Arc<
        crate::store::ttl_cache::TtlCache<
            crate::auth::cache::TokenDigest,
            crate::sso::session::SessionClaims,
        >,
    >,
    /// Tenants' access policies, for the authorizer (same TTL as `key_cache`).
    pub policy_cache: Arc<crate::auth::policy_cache::PolicyCache>,
    /// Rate-limit and quota counters.
    pub counters: CounterStore,
    pub usage: UsageStore,
    /// Seals webhook signing secrets (KMS envelope encryption).
    pub sealer: crate::webhooks::sealed::SecretSealer,
    pub deliveries: crate::store::deliveries::DeliveryStore,
    /// Tenant secrets, in Gatehouse's store or the tenant's Vault.
    pub secrets: crate::secrets::TenantSecrets,
    /// SSO connections, logins, principals and session tokens.
    pub sso: crate::sso::login::Sso,
    /// Dynamic secrets' leases (the tenant's Vault, or STS into the declared roles).
    pub leases: crate::secrets::leases::DynamicSecrets,
    pub delivery_queue: crate::webhooks::queue::DeliveryQueue,
    /// SIEM destinations, their statistics and their queue.
    pub siem: crate::siem::Siem,
    /// Leaked-key reports: the scanner's signing keys, fetched and kept warm.
    pub leak_intake: Arc<crate::keys::leak_intake::LeakIntake>,
    pub clock: SharedClock,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("argon2 parameters: {0}")]
    Verifier(#[from] crate::keys::verifier::VerifierError),
}

impl App {
    /// Reads and validates configuration and builds the AWS clients from the SDK's
    /// standard settings. Called once at cold start; a failure stops the function
    /// with a message that names the variable to fix. No network call is made here.
    pub async fn from_env(needs: crate::config::Needs) -> Result<Self, StartupError> {
        let config = Config::from_env(needs)?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::new(config, &sdk, Arc::new(SystemClock))
    }

    pub fn new(
        config: Config,
        sdk: &aws_config::SdkConfig,
        clock: SharedClock,
    ) -> Result<Self, StartupError> {
        let dynamodb = crate::traced_client!(aws_sdk_dynamodb, sdk);
        let dynamo = Dynamo::new(dynamodb.clone());
        let keys_table = dynamo.table(config.keys_table.clone());
        let ephemeral = dynamo.table(config.ephemeral_table.clone());
        let secrets_table = dynamo.table(config.secrets_table.clone());
        let integrations_table = dynamo.table(config.integrations_table.clone());
        // Only the clients this function's configuration asks for (a function that
        // needs no queue, key or secret builds no client for it).
        // STS and IAM only for the functions that issue or revoke AWS leases.
        let lease_issuer = (!config.lease_roles.is_empty()).then(|| {
            crate::secrets::leases::AwsIssuer::new(
                crate::traced_client!(aws_sdk_sts, sdk),
                crate::traced_client!(aws_sdk_iam, sdk),
                config.lease_roles.clone(),
            )
        });
        let sqs = (!config.events_queue_url.is_empty()
            || !config.delivery_queue_url.is_empty()
            || !config.siem_queue_url.is_empty())
        .then(|| crate::traced_client!(aws_sdk_sqs, sdk));
        let siem = crate::siem::Siem {
            destinations: crate::store::siem_table::SiemDestinations::new(
                integrations_table.clone(),
            ),
            stats: crate::store::siem_stats::SiemStats::new(
                dynamodb.clone(),
                config.ephemeral_table.clone(),
            ),
            queue: match &sqs {
                Some(sqs) if !config.siem_queue_url.is_empty() => {
                    crate::store::siem_queue::SiemQueue::new(
                        sqs.clone(),
                        config.siem_queue_url.clone(),
                        config.siem_dlq_url.clone(),
                    )
                }
                _ => crate::store::siem_queue::SiemQueue::unconfigured(),
            },
            routes: crate::siem::new_routes(),
        };
        let secrets = Self::tenant_secrets(
            &config,
            sdk,
            secrets_table.clone(),
            integrations_table.clone(),
        );
        let sso = crate::sso::login::Sso {
            connections: crate::store::sso_table::SsoConnections::new(integrations_table.clone()),
            ephemeral: crate::store::sso_table::SsoEphemeral::new(ephemeral.clone()),
            principals: crate::store::sso_table::Principals::new(keys_table.clone()),
            domains: crate::store::sso_domains_table::SsoDomains::new(integrations_table.clone()),
            dns: crate::sso::domains::DnsTxt::new(config.dns_nameservers.clone()),
            ldap_allow: config.integration_allow_hosts.clone(),
            oidc: crate::sso::oidc::Oidc::new(
                config.integration_allow_hosts.clone(),
                std::time::Duration::from_secs(
                    u64::try_from(config.integration_timeout.whole_seconds()).unwrap_or(10),
                ),
            ),
            signer: if config.session_key_ids.is_empty() {
                crate::sso::session::SessionSigner::unconfigured()
            } else {
                crate::sso::session::SessionSigner::new(
                    crate::traced_client!(aws_sdk_kms, sdk),
                    config.session_key_ids.clone(),
                    config.session_issuer.clone(),
                )
            },
            public_base_url: config.public_base_url.clone(),
        };
        let leak_intake = Arc::new(crate::keys::leak_intake::LeakIntake::new(
            config.secret_scanning_keys_url.clone(),
            config.integration_allow_hosts.clone(),
            std::time::Duration::from_secs(
                u64::try_from(config.integration_timeout.whole_seconds()).unwrap_or(10),
            ),
            crate::keys::leak_intake::ScannerSecret::new(
                (!config.secret_scanning_secret_arn.is_empty())
                    .then(|| crate::traced_client!(aws_sdk_secretsmanager, sdk)),
                config.secret_scanning_secret_arn.clone(),
            ),
        ));
        Ok(Self {
            sso,
            siem,
            leak_intake,
            leases: crate::secrets::leases::DynamicSecrets::new(
                secrets.clone(),
                crate::store::Leases::new(secrets_table),
                lease_issuer,
            ),
            secrets,
            tenants: Tenants::new(keys_table.clone()),
            keys: Keys::new(keys_table.clone()),
            scopes: Scopes::new(keys_table.clone()),
            policies: Policies::new(keys_table.clone()),
            key_policies: crate::store::KeyPolicies::new(keys_table.clone()),
            endpoints: Endpoints::new(keys_table),
            markers: Markers::new(ephemeral.clone()),
            failure_counts: FailureCounts::new(ephemeral.clone()),
            dynamo,
            audit: AuditStore::new(
                dynamodb.clone(),
                config.audit_table.clone(),
                config.audit_retention_days,
            ),
            events: match &sqs {
                Some(sqs) if !config.events_queue_url.is_empty() => {
                    EventPublisher::new(sqs.clone(), config.events_queue_url.clone())
                }
                _ => EventPublisher::unconfigured(),
            },
            idempotency: crate::store::IdempotencyRecords::new(ephemeral),
            counters: CounterStore::new(dynamodb.clone(), config.ephemeral_table.clone()),
            usage: UsageStore::new(dynamodb.clone(), config.usage_table.clone()),
            deliveries: crate::store::deliveries::DeliveryStore::new(
                dynamodb,
                config.deliveries_table.clone(),
            ),
            delivery_queue: match sqs {
                Some(sqs) if !config.delivery_queue_url.is_empty() => {
                    crate::webhooks::queue::DeliveryQueue::new(
                        sqs,
                        config.delivery_queue_url.clone(),
                        config.delivery_dlq_url.clone(),
                    )
                }
                _ => crate::webhooks::queue::DeliveryQueue::unconfigured(),
            },
            sealer: match &config.webhook_key_id {
                Some(key_id) => crate::webhooks::sealed::SecretSealer::new(
                    crate::traced_client!(aws_sdk_kms, sdk),
                    key_id.clone(),
                ),
                None => crate::webhooks::sealed::SecretSealer::unconfigured(),
            },
            cursors: if config.service_secret_arn.is_empty() {
                CursorSigner::unconfigured()
            } else {
                CursorSigner::new(
                    crate::traced_client!(aws_sdk_secretsmanager, sdk),
                    config.service_secret_arn.clone(),
                )
            },
            verifier: KeyVerifier::new(config.argon2)?,
            verified_sessions: Arc::new(crate::store::ttl_cache::TtlCache::new(
                std::time::Duration::from_secs(
                    u64::try_from(config.auth_memory_ttl.whole_seconds()).unwrap_or(0),
                ),
                config.auth_cache_capacity,
            )),
            session_cache: Arc::new(crate::store::ttl_cache::TtlCache::new(
                std::time::Duration::from_secs(
                    u64::try_from(config.auth_cache_ttl.whole_seconds()).unwrap_or(1),
                ),
                config.auth_cache_capacity,
            )),
            key_cache: Arc::new(crate::auth::cache::KeyCache::new(
                config.auth_cache_ttl,
                config.auth_memory_ttl,
                config.auth_cache_capacity,
            )),
            policy_cache: Arc::new(crate::auth::policy_cache::PolicyCache::new(
                config.auth_cache_ttl,
                config.auth_cache_capacity,
            )),
            config,
            clock,
        })
    }

    /// Tenant secrets: Gatehouse's own store (when this function needs it) and the
    /// tenant's Vault.
    fn tenant_secrets(
        config: &Config,
        sdk: &aws_config::SdkConfig,
        secrets_table: crate::store::Table,
        integrations_table: crate::store::Table,
    ) -> crate::secrets::TenantSecrets {
        let (versions, envelope) = if config.secrets_table.is_empty() {
            (
                crate::store::secret_versions::SecretVersions::unconfigured(),
                crate::store::envelope::Envelope::unconfigured("SECRETS_KEY_ID"),
            )
        } else {
            (
                crate::store::secret_versions::SecretVersions::new(
                    crate::traced_client!(aws_sdk_secretsmanager, sdk),
                    config.secrets_name_prefix.clone(),
                ),
                crate::store::envelope::Envelope::new(
                    crate::traced_client!(aws_sdk_kms, sdk),
                    config.secrets_key_id.clone(),
                ),
            )
        };
        crate::secrets::TenantSecrets::new(
            crate::secrets::AwsSecretStore::new(
                crate::store::SecretRecords::new(secrets_table),
                versions,
                envelope.clone(),
            ),
            crate::store::Integrations::new(integrations_table),
            envelope,
            config.integration_allow_hosts.clone(),
            std::time::Duration::from_secs(
                u64::try_from(config.integration_timeout.whole_seconds()).unwrap_or(10),
            ),
        )
        .with_aws_identity(
            (!config.integrations_table.is_empty())
                .then(|| crate::secrets::aws_iam::AwsIdentity::from_sdk(sdk))
                .flatten(),
        )
    }
}
