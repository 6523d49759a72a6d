//! Verified email domains and home-realm discovery. A connection proves a domain by
//! DNS (`gatehouse_domain::sso_domains`); the proven domain's claim names the
//! connection, and discovery answers an email with the connection that holds its
//! domain.

use super::login::{Sso, SsoError};
use crate::store::WriteBatch;
use crate::store::sso_domains_table::DomainClaim;
use gatehouse_domain::sso::SsoConnection;
use gatehouse_domain::sso_domains::{DomainStatus, challenge_name, challenge_value, proves};
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ProtocolConfig, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use std::net::SocketAddr;
use std::time::Duration;
use time::OffsetDateTime;

/// What a TXT lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtAnswer {
    /// The name's TXT records, each one's strings joined.
    Records(Vec<String>),
    /// The name does not exist, or has no TXT record.
    None,
    /// DNS did not answer (timeout, SERVFAIL, refused).
    Failed(String),
}

/// A DNS stub resolver for TXT records: the system's (`/etc/resolv.conf`, the VPC
/// resolver in Lambda) or `DNS_NAMESERVERS`. No cache: each verification asks anew, so
/// a record just added is seen, and one just removed is missed.
#[derive(Debug, Clone, Default)]
pub struct DnsTxt {
    nameservers: Vec<SocketAddr>,
}

impl DnsTxt {
    pub fn new(nameservers: Vec<SocketAddr>) -> Self {
        Self { nameservers }
    }

    fn resolver(&self) -> Result<hickory_resolver::TokioResolver, String> {
        let mut options = ResolverOpts::default();
        options.cache_size = 0;
        options.timeout = Duration::from_secs(3);
        options.attempts = 2;
        let builder = if self.nameservers.is_empty() {
            hickory_resolver::TokioResolver::builder_tokio().map_err(|e| e.to_string())?
        } else {
            let servers = self
                .nameservers
                .iter()
                .map(|at| {
                    let on = |protocol| {
                        let mut connection = ConnectionConfig::new(protocol);
                        connection.port = at.port();
                        connection
                    };
                    NameServerConfig::new(
                        at.ip(),
                        true,
                        vec![on(ProtocolConfig::Udp), on(ProtocolConfig::Tcp)],
                    )
                })
                .collect();
            hickory_resolver::TokioResolver::builder_with_config(
                ResolverConfig::from_parts(None, Vec::new(), servers),
                TokioRuntimeProvider::default(),
            )
        };
        builder
            .with_options(options)
            .build()
            .map_err(|e| e.to_string())
    }

    pub async fn txt(&self, name: &str) -> TxtAnswer {
        let resolver = match self.resolver() {
            Ok(resolver) => resolver,
            Err(e) => return TxtAnswer::Failed(e),
        };
        // Fully qualified: no search domain is appended.
        match resolver.txt_lookup(format!("{name}.")).await {
            Ok(lookup) => TxtAnswer::Records(
                lookup
                    .answers()
                    .iter()
                    .filter_map(|record| match &record.data {
                        RData::TXT(txt) => Some(
                            txt.txt_data
                                .iter()
                                .map(|chunk| String::from_utf8_lossy(chunk))
                                .collect::<String>(),
                        ),
                        _ => None,
                    })
                    .collect(),
            ),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => TxtAnswer::None,
            Err(e) => TxtAnswer::Failed(e.to_string()),
        }
    }
}

/// One domain's outcome in a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainCheck {
    pub domain: String,
    pub status: DomainStatus,
    pub detail: String,
}

/// A verification's outcome: each domain's, the connection as it will be stored, the
/// writes to commit with the caller's audit event, and the claims to let go after.
pub struct Verification {
    pub checks: Vec<DomainCheck>,
    pub connection: SsoConnection,
    pub batch: WriteBatch,
    pub released: Vec<String>,
}

impl Sso {
    /// Checks each of the connection's domains in DNS: a proven one is claimed (or
    /// taken over from a holder whose record is gone), an unproven one loses its
    /// verification. DNS failures change nothing.
    pub async fn verify_domains(
        &self,
        connection: &SsoConnection,
        now: OffsetDateTime,
    ) -> Result<Verification, SsoError> {
        let mut next = connection.clone();
        let mut batch = WriteBatch::new();
        let mut checks = Vec::new();
        let mut released = Vec::new();
        let mut verified = Vec::new();
        for domain in &connection.domains {
            let was_verified = connection.verified_domains.contains(domain);
            let records = match self.dns.txt(&challenge_name(domain)).await {
                TxtAnswer::Records(records) => records,
                TxtAnswer::None => Vec::new(),
                TxtAnswer::Failed(why) => {
                    if was_verified {
                        verified.push(domain.clone());
                    }
                    checks.push(DomainCheck {
                        domain: domain.clone(),
                        status: DomainStatus::DnsError,
                        detail: format!("DNS did not answer ({why}); try again"),
                    });
                    continue;
                }
            };
            if !proves(&records, &connection.domain_token) {
                if was_verified {
                    released.push(domain.clone());
                }
                checks.push(DomainCheck {
                    domain: domain.clone(),
                    status: DomainStatus::RecordMissing,
                    detail: format!(
                        "add a TXT record `{}` with the text `{}`",
                        challenge_name(domain),
                        challenge_value(&connection.domain_token)
                    ),
                });
                continue;
            }
            let held = self.domains.get(domain).await?;
            let ours = held.as_ref().is_some_and(|c| {
                c.tenant_id == connection.tenant_id && c.connection_id == connection.connection_id
            });
            if let Some(holder) = held.as_ref().filter(|_| !ours)
                && records.iter().any(|r| r.trim() == holder.proof)
            {
                checks.push(DomainCheck {
                    domain: domain.clone(),
                    status: DomainStatus::ClaimedElsewhere,
                    detail: "another connection's record for this domain is also there; remove the one that should not be".into(),
                });
                continue;
            }
            let claim = DomainClaim {
                domain: domain.clone(),
                tenant_id: connection.tenant_id.clone(),
                connection_id: connection.connection_id.clone(),
                proof: challenge_value(&connection.domain_token),
                verified_at: now,
                version: held.as_ref().map_or(1, |c| c.version + 1),
            };
            self.domains.put(&mut batch, &claim, held.as_ref())?;
            verified.push(domain.clone());
            checks.push(DomainCheck {
                domain: domain.clone(),
                status: DomainStatus::Verified,
                detail: if held.is_some() && !ours {
                    "verified; taken over from a connection whose record is gone".into()
                } else {
                    "verified".into()
                },
            });
        }
        next.verified_domains = verified;
        next.version += 1;
        next.updated_at = Some(now);
        self.connections.put(&mut batch, &next)?;
        Ok(Verification {
            checks,
            connection: next,
            batch,
            released,
        })
    }

    /// Lets go of the claims `connection` held on `domains` (after the commit that
    /// stopped listing them); one a newer proof took over is left alone.
    pub async fn release_domains(
        &self,
        connection: &SsoConnection,
        domains: &[String],
    ) -> Result<(), SsoError> {
        for domain in domains {
            self.domains
                .release(domain, &connection.tenant_id, &connection.connection_id)
                .await?;
        }
        Ok(())
    }

    /// The enabled connection whose verified domain `domain` is, if any. The claim and
    /// the connection must agree: a claim left from a domain no longer verified (or a
    /// connection deleted) finds nothing.
    pub async fn discover(&self, domain: &str) -> Result<Option<SsoConnection>, SsoError> {
        let Some(claim) = self.domains.get(domain).await? else {
            return Ok(None);
        };
        let connection = self
            .connections
            .get(&claim.tenant_id, &claim.connection_id)
            .await?;
        Ok(connection.filter(|c| {
            c.enabled
                && c.verified_domains.iter().any(|d| d == domain)
                && claim.proof == challenge_value(&c.domain_token)
        }))
    }
}
