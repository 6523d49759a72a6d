//! SAML connections' scheduled upkeep (run by the integration prober): a connection
//! that follows its IdP's metadata URL has it fetched again and its pins replaced
//! when they changed (`sso.certificates_changed`), and every pinned certificate near
//! its end is announced once (`sso.certificate_expiring`), so the tenant pins the
//! successor before logins start failing.

use super::metadata::{certificate_info, check_certificate, der_of};
use crate::App;
use crate::audit::{AuditEvent, TargetKind};
use crate::events::{Category, DomainEvent};
use crate::store::WriteBatch;
use gatehouse_domain::sso::SsoConnection;
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// How long before an active certificate's end the notice is published.
pub const EXPIRY_NOTICE_DAYS: i64 = 30;
/// How often a connection's metadata URL is fetched again.
pub const METADATA_REFRESH: Duration = Duration::hours(6);

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SamlUpkeep {
    pub connections: usize,
    /// Connections whose pins changed with their IdP's metadata.
    pub refreshed: usize,
    /// `sso.certificate_expiring` notices published.
    pub expiring: usize,
}

/// Runs the upkeep over every tenant's SAML connections.
pub async fn saml_upkeep(app: &App, now: OffsetDateTime) -> Result<SamlUpkeep, String> {
    let mut summary = SamlUpkeep::default();
    let mut start = None;
    loop {
        let (page, next) = app
            .sso
            .connections
            .scan_saml(start)
            .await
            .map_err(|e| e.to_string())?;
        for connection in page {
            summary.connections += 1;
            let connection = match refresh_metadata(app, connection, now).await {
                Refresh::Changed(connection) => {
                    summary.refreshed += 1;
                    connection
                }
                Refresh::Unchanged(connection) => connection,
            };
            summary.expiring += announce_expiring(app, &connection, now).await;
        }
        match next {
            Some(key) => start = Some(key),
            None => return Ok(summary),
        }
    }
}

enum Refresh {
    Changed(SsoConnection),
    Unchanged(SsoConnection),
}

/// Fetches the connection's metadata again when it is due; a failure keeps the pins
/// it has (and is retried at the next run).
async fn refresh_metadata(app: &App, connection: SsoConnection, now: OffsetDateTime) -> Refresh {
    let Some(saml) = connection.saml() else {
        return Refresh::Unchanged(connection);
    };
    let Some(url) = &saml.metadata_url else {
        return Refresh::Unchanged(connection);
    };
    if saml
        .metadata_fetched_at
        .is_some_and(|at| now - at < METADATA_REFRESH)
    {
        return Refresh::Unchanged(connection);
    }
    let fetched = app.sso.fetch_idp_metadata(url).await.and_then(|idp| {
        let pins = idp
            .certificates
            .iter()
            .take(super::metadata::MAX_CERTIFICATES)
            .map(|c| check_certificate(c).map(|(pem, _)| pem))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((idp, pins))
    });
    let (idp, pins) = match fetched {
        Ok(fetched) => fetched,
        Err(error) => {
            tracing::warn!(
                tenant_id = %connection.tenant_id,
                connection_id = %connection.connection_id,
                error,
                "SAML metadata not refreshed; the pinned certificates stay"
            );
            return Refresh::Unchanged(connection);
        }
    };
    let changed = idp.entity_id != saml.idp_entity_id
        || idp.sso_url != saml.sso_url
        || pins != saml.certificates;
    let before = fingerprints(&saml.certificates);
    let mut next = connection.clone();
    if let gatehouse_domain::sso::Protocol::Saml(s) = &mut next.protocol {
        s.idp_entity_id = idp.entity_id;
        s.sso_url = idp.sso_url;
        s.certificates = pins;
        s.metadata_fetched_at = Some(now);
    }
    next.version += 1;
    next.updated_at = Some(now);
    let mut batch = WriteBatch::new();
    let mut saved = app.sso.connections.put(&mut batch, &next).is_ok();
    if changed {
        let after = next
            .saml()
            .map(|s| fingerprints(&s.certificates))
            .unwrap_or_default();
        let event = DomainEvent::new(
            "sso.certificates_changed",
            Category::Security,
            &next.tenant_id,
            now,
            json!({
                "connection_id": next.connection_id,
                "metadata_url": url,
                "previous_fingerprints": before,
                "fingerprints": after,
            }),
        );
        let audit = audit_of(&next, "sso.certificates_changed", now).publishing(event);
        saved = saved && app.audit.add_to(&mut batch, &audit).is_ok();
    }
    if !saved || app.dynamo.commit(batch).await.is_err() {
        // Changed meanwhile (updated, deleted): its next refresh is in the next run.
        return Refresh::Unchanged(connection);
    }
    if changed {
        Refresh::Changed(next)
    } else {
        Refresh::Unchanged(next)
    }
}

/// The upkeep's audit event about `connection`.
fn audit_of(connection: &SsoConnection, action: &str, now: OffsetDateTime) -> AuditEvent {
    AuditEvent::system(
        &connection.tenant_id,
        action,
        crate::integrations_probe::PROBER,
        now,
    )
    .target(TargetKind::Integration, connection.connection_id.as_str())
}

fn fingerprints(pems: &[String]) -> Vec<String> {
    pems.iter()
        .filter_map(|pem| der_of(pem).ok())
        .filter_map(|der| certificate_info(&der).ok())
        .map(|info| info.sha256_fingerprint)
        .collect()
}

/// Publishes `sso.certificate_expiring` once for each pinned certificate that ends
/// within [`EXPIRY_NOTICE_DAYS`]: how many were published now.
async fn announce_expiring(app: &App, connection: &SsoConnection, now: OffsetDateTime) -> usize {
    let Some(saml) = connection.saml() else {
        return 0;
    };
    let mut published = 0;
    for pem in &saml.certificates {
        let Some(info) = der_of(pem).ok().and_then(|der| certificate_info(&der).ok()) else {
            continue;
        };
        if info.not_after - now > Duration::days(EXPIRY_NOTICE_DAYS) {
            continue;
        }
        let marker = format!(
            "SSOCERTEXPIRY#{}#{}#{}",
            connection.tenant_id, connection.connection_id, info.sha256_fingerprint
        );
        let keep_until = info.not_after.max(now) + Duration::days(EXPIRY_NOTICE_DAYS);
        let event = DomainEvent::new(
            "sso.certificate_expiring",
            Category::Security,
            &connection.tenant_id,
            now,
            json!({
                "connection_id": connection.connection_id,
                "sha256_fingerprint": info.sha256_fingerprint,
                "subject": info.subject,
                "not_after": info.not_after.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                "days_left": (info.not_after - now).whole_days(),
            }),
        );
        let audit = audit_of(connection, "sso.certificate_expiring", now)
            .detail(format!(
                "certificate {} ends {}",
                info.sha256_fingerprint, info.not_after
            ))
            .publishing(event);
        match crate::notices::publish_once(app, &marker, keep_until, &audit).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "certificate notice not sent; the next run sends it");
                continue;
            }
        }
        published += 1;
    }
    published
}
