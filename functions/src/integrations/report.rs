//! `GET /v2/integrations/report` (`generate_integration_report`): over the last
//! `days`, what the tenant's integrations and secrets did: each integration with its
//! health, its leases by state, the integration, secret and lease operations by
//! outcome (from the audit trail), and the latest refusals with their reasons.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::audit::Outcome;
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::query::{Param, Query};
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::integrations::VaultView;
use gatehouse::leases::{LeaseBackend, LeaseState};
use gatehouse::store::audit::AuditQuery;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS.with(Needs::SECRETS).with(Needs::AUDIT);

pub const ACTION: &str = "integration.report";

const DAYS: Param = Param::number(
    "days",
    "The report's period: the last N days",
    1,
    90,
    Some(7),
);

/// The audit events a report reads at most; past it the report says it is truncated.
const MAX_EVENTS: usize = 5000;
/// The newest refusals listed.
const RECENT_REFUSALS: usize = 20;
/// The leases counted at most (pages of the tenant's lease records).
const MAX_LEASES: usize = 5000;
/// The audit actions of integrations, secrets and leases.
const PREFIXES: [&str; 3] = ["integration.", "secret.", "lease."];

pub const DOC: Operation = Operation {
    description: "Over the last `days` (default 7): every integration and its health, the tenant's leases by state and backend, every integration, secret and lease operation by outcome, and the latest refusals with their reasons. Never a value or a credential.",
    query: &[DAYS],
    ..Operation::new(
        Tag::Integrations,
        "Integration report",
        &[Reply::new(200, "The report", of::<IntegrationReport>())],
    )
};

#[derive(Debug, Default, Serialize, JsonSchema)]
struct Outcomes {
    succeeded: u64,
    refused: u64,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
struct LeaseCounts {
    active: u64,
    expired: u64,
    revoked: u64,
    /// Leases by who issued them (`aws`, `vault`).
    by_backend: BTreeMap<String, u64>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Refusal {
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "gatehouse::schema::Rfc3339")]
    occurred_at: OffsetDateTime,
    action: String,
    status: u16,
    /// The problem type and why (never a value or a credential).
    detail: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct IntegrationReport {
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "gatehouse::schema::Rfc3339")]
    from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "gatehouse::schema::Rfc3339")]
    to: OffsetDateTime,
    integrations: Vec<VaultView>,
    leases: LeaseCounts,
    /// Operations by audit action (`secret.read`, `lease.create`, ...).
    operations: BTreeMap<String, Outcomes>,
    /// The newest refusals first.
    recent_refusals: Vec<Refusal>,
    /// More than 5000 operations in the period: the counts cover the newest 5000.
    truncated: bool,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let query = Query::from_request(call.req, &[DAYS])?;
    let tenant = &call.caller.tenant_id;
    let days = query.number(&DAYS)?.unwrap_or(7);
    let from = call.now - Duration::days(days as i64);
    let integrations = call
        .app
        .secrets
        .integrations
        .vault(tenant)
        .await?
        .iter()
        .map(VaultView::of)
        .collect();

    let audit = call
        .app
        .audit
        .query(
            tenant,
            &AuditQuery {
                action_prefixes: PREFIXES.iter().map(|p| (*p).to_owned()).collect(),
                from: Some(from),
                // Up to the latest: `call.now` is whole seconds, and this second's
                // events belong in the report.
                to: None,
                limit: MAX_EVENTS,
                ..AuditQuery::default()
            },
        )
        .await?;
    let mut operations: BTreeMap<String, Outcomes> = BTreeMap::new();
    let mut recent_refusals = Vec::new();
    for event in &audit.events {
        let line = operations.entry(event.action.clone()).or_default();
        match event.outcome {
            Outcome::Success => line.succeeded += 1,
            Outcome::Refused | Outcome::Failed => {
                line.refused += 1;
                if recent_refusals.len() < RECENT_REFUSALS {
                    recent_refusals.push(Refusal {
                        occurred_at: event.occurred_at,
                        action: event.action.clone(),
                        status: event.status,
                        detail: event.detail.clone(),
                    });
                }
            }
        }
    }

    let mut leases = LeaseCounts::default();
    let mut after = None;
    let mut counted = 0;
    loop {
        let (page, next) = call.app.leases.list(tenant, after.as_ref(), 200).await?;
        for lease in &page {
            match lease.state(call.now) {
                LeaseState::Active => leases.active += 1,
                LeaseState::Expired => leases.expired += 1,
                LeaseState::Revoked => leases.revoked += 1,
            }
            let backend = match lease.backend {
                LeaseBackend::Aws => "aws",
                LeaseBackend::Vault => "vault",
            };
            *leases.by_backend.entry(backend.to_owned()).or_default() += 1;
        }
        counted += page.len();
        match next {
            Some(last) if counted < MAX_LEASES => after = Some(last),
            _ => break,
        }
    }

    Ok(json_response(
        200,
        &IntegrationReport {
            from,
            to: call.now,
            integrations,
            leases,
            operations,
            recent_refusals,
            truncated: audit.next.is_some(),
        },
    ))
}
