//! SSO sessions through the service as the SSO functions run them (moto on loopback):
//! a login's session opened for a verified identity (the principal read and written,
//! the session token signed by KMS, all committed in one transaction with the audit
//! event) and refreshes of it, each with the next refresh token, with the AWS calls
//! each makes, from moto's counts. The identity provider's or directory's own round
//! trips come on top of a login (see the SSO tests); a refresh makes none.

use gatehouse::audit::{Actor, AuditEvent, Origin};
use gatehouse::ids::{IntegrationId, TenantId};
use gatehouse::sso_domain::{Identity, OidcConfig, Preset, Protocol};
use gatehouse_bench::{
    BenchResult, BenchStack, aws_calls, calls_per, header, report, store_connection,
};
use std::time::Instant;

const SESSIONS: usize = 40;

fn audit(tenant: &TenantId, action: &str) -> AuditEvent {
    AuditEvent::new(
        tenant,
        action,
        Actor {
            principal: "sso:bench".into(),
            key_id: None,
        },
        Origin::default(),
        time::OffsetDateTime::now_utc(),
    )
    .status(200)
}

#[tokio::main]
async fn main() -> BenchResult {
    let stack = BenchStack::new(&[]).await?;
    let login = stack.app("SsoCallbackFunction")?;
    let refresher = stack.app("SsoRefreshFunction")?;
    let tenant = TenantId::generate().map_err(|e| e.to_string())?;
    let now = time::OffsetDateTime::now_utc();
    let connection = store_connection(
        &login,
        &tenant,
        IntegrationId::generate().map_err(|e| e.to_string())?,
        Protocol::Oidc(OidcConfig {
            preset: Preset::Custom,
            issuer: "https://idp.bench.example".into(),
            client_id: "gatehouse".into(),
            client_secret: gatehouse::integrations::Credential::Reference {
                secret_ref: gatehouse::integrations::SecretRef {
                    path: gatehouse::secrets::SecretPath::parse("sso/bench")
                        .map_err(|e| e.to_string())?,
                    key: "client_secret".into(),
                    version: None,
                },
            },
            scopes: vec!["email".into()],
            groups_claim: "groups".into(),
            hosted_domain: None,
            entra_tenant_id: None,
        }),
    )
    .await?;

    header("SSO session operation");
    let before = aws_calls().await?;
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut tokens = Vec::new();
    for i in 0..SESSIONS {
        let identity = Identity {
            issuer: "https://idp.bench.example".into(),
            subject: format!("person-{i}"),
            email: Some(format!("p{i}@bench.example")),
            name: None,
            groups: Vec::new(),
            claims: serde_json::Map::new(),
        };
        let t = Instant::now();
        let opened = login
            .sso
            .open_session(&connection, identity, "groups", now)
            .await
            .map_err(|e| e.to_string())?;
        let mut batch = opened.batch;
        login
            .audit
            .add_to(&mut batch, &audit(&tenant, "sso.login"))?;
        login.dynamo.commit(batch).await?;
        samples.push(t.elapsed());
        tokens.push(opened.refresh_token);
    }
    report(
        "login: session opened (first login)",
        samples,
        started.elapsed(),
    );
    println!(
        "    AWS calls per login: {:?}",
        calls_per(&before, &aws_calls().await?, SESSIONS)
    );

    let before = aws_calls().await?;
    let started = Instant::now();
    let mut samples = Vec::new();
    for token in &mut tokens {
        let t = Instant::now();
        let refreshed = refresher
            .sso
            .refresh(token, time::OffsetDateTime::now_utc())
            .await
            .map_err(|e| e.to_string())?;
        let mut batch = refreshed.batch;
        refresher
            .audit
            .add_to(&mut batch, &audit(&tenant, "sso.refresh"))?;
        refresher.dynamo.commit(batch).await?;
        samples.push(t.elapsed());
        *token = refreshed.refresh_token;
    }
    report("refresh", samples, started.elapsed());
    println!(
        "    AWS calls per refresh: {:?}",
        calls_per(&before, &aws_calls().await?, SESSIONS)
    );
    Ok(())
}
