//! `POST /v2/integrations/sso/{integration_id}/verify-domains`: checks the DNS proof of
//! each of the connection's domains (a TXT record `_gatehouse-challenge.<domain>` with
//! the connection's value). A proven domain is claimed for the connection, so home-realm
//! discovery sends its users here; one whose record is gone loses its verification.
//! Run it again after changing DNS; nothing is checked in the background.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::sso::ConnectionView;
use gatehouse::sso_domains::DomainStatus;
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::DNS)
    .with(Needs::SSO)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "sso.connection.verify_domains";

pub const DOC: Operation = Operation {
    description: "Looks up each domain's TXT record `_gatehouse-challenge.<domain>` and claims the ones holding the connection's value (`domain_verification[].txt_value`). A domain another connection holds stays there while that connection's record is also present.",
    conflict: Some("Changed concurrently; retry"),
    ..Operation::new(
        Tag::Integrations,
        "Verify an SSO connection's domains",
        &[Reply::new(
            200,
            "What DNS showed, and the connection",
            of::<Verified>(),
        )],
    )
};

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SsoDomainVerification")]
struct Verified {
    domains: Vec<DomainResult>,
    connection: ConnectionView,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SsoDomainResult")]
struct DomainResult {
    domain: String,
    status: DomainStatus,
    /// What to do next.
    detail: String,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let current = super::delete::load(call).await?;
    let verification = call.app.sso.verify_domains(&current, call.now).await?;
    let summary: Vec<String> = verification
        .checks
        .iter()
        .map(|c| format!("{}: {:?}", c.domain, c.status))
        .collect();
    let audit = call
        .audit_event(ACTION)
        .target(
            gatehouse::audit::TargetKind::Integration,
            current.connection_id.as_str(),
        )
        .status(200)
        .detail(summary.join(", "));
    call.commit(
        verification.batch,
        &audit,
        "the connection or a domain changed concurrently; retry",
    )
    .await?;
    call.app
        .sso
        .release_domains(&current, &verification.released)
        .await?;
    Ok(json_response(
        200,
        &Verified {
            domains: verification
                .checks
                .into_iter()
                .map(|c| DomainResult {
                    domain: c.domain,
                    status: c.status,
                    detail: c.detail,
                })
                .collect(),
            connection: ConnectionView::of(
                &verification.connection,
                &gatehouse::sso::base_url(call.app, call.req),
            ),
        },
    ))
}
