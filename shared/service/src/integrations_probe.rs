//! The scheduled health check of every tenant's integrations (`monitor_integration_health`,
//! `handle_integration_failures`): each Vault is checked as `POST
//! /v2/integrations/{id}/test` would, its health recorded, and a change published as
//! `integration.unhealthy` or `integration.recovered` (webhooks can subscribe). Then
//! the SAML connections' upkeep: metadata fetched again, certificates near their end
//! announced (`sso::saml::upkeep`).

use crate::App;
use crate::audit::{AuditEvent, TargetKind};
use crate::events::{Category, DomainEvent};
use crate::store::WriteBatch;
use serde_json::json;
use time::OffsetDateTime;

/// Who the audit trail names for the prober's own changes.
pub const PROBER: &str = "integration-prober";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ProbeSummary {
    pub checked: usize,
    pub unhealthy: usize,
    /// Health changes published as events.
    pub changed: usize,
    /// SAML connections' metadata refresh and certificate notices.
    pub saml: crate::sso::saml::upkeep::SamlUpkeep,
}

pub async fn probe_all(app: &App, now: OffsetDateTime) -> Result<ProbeSummary, String> {
    let mut summary = ProbeSummary::default();
    let mut start = None;
    loop {
        let (page, next) = app
            .secrets
            .integrations
            .scan_vaults(start)
            .await
            .map_err(|e| e.to_string())?;
        for mut integration in page {
            let was_checked = integration.health.checked_at.is_some();
            let was_healthy = integration.health.healthy;
            let (health, diagnosis) = app
                .secrets
                .check(
                    &integration.tenant_id,
                    integration.integration_id.as_str(),
                    &integration.vault,
                    now,
                )
                .await;
            let health = health.after(&integration.health);
            summary.checked += 1;
            summary.unhealthy += usize::from(!health.healthy);
            let healthy = health.healthy;
            integration.health = health;
            integration.version += 1;
            let mut batch = WriteBatch::new();
            app.secrets
                .integrations
                .put_changed(&mut batch, &integration)
                .map_err(|e| e.to_string())?;
            let changed = was_checked && was_healthy != healthy;
            if changed {
                let event_type = if healthy {
                    "integration.recovered"
                } else {
                    "integration.unhealthy"
                };
                let event = DomainEvent::new(
                    event_type,
                    Category::Security,
                    &integration.tenant_id,
                    now,
                    json!({
                        "integration_id": integration.integration_id,
                        "kind": "vault",
                        "address": integration.vault.address,
                        "detail": diagnosis,
                    }),
                );
                let mut audit = AuditEvent::system(&integration.tenant_id, event_type, PROBER, now)
                    .target(TargetKind::Integration, integration.integration_id.as_str())
                    .publishing(event);
                if !healthy {
                    audit = audit.failed(diagnosis.clone().unwrap_or_else(|| "unhealthy".into()));
                }
                app.audit
                    .add_to(&mut batch, &audit)
                    .map_err(|e| e.to_string())?;
            }
            // Changed meanwhile (updated, deleted): its next check is in the next run.
            if app.dynamo.commit(batch).await.is_err() {
                continue;
            }
            summary.changed += usize::from(changed);
        }
        match next {
            Some(key) => start = Some(key),
            None => break,
        }
    }
    // A level, so the alarm sees it clear when the integrations recover.
    crate::telemetry::metrics::level(
        crate::telemetry::metrics::INTEGRATIONS_UNHEALTHY,
        &[("Kind", "vault")],
        summary.unhealthy as f64,
    );
    summary.saml = crate::sso::saml::upkeep::saml_upkeep(app, now).await?;
    Ok(summary)
}
