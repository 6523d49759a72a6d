//! SAML logins as the ACS function runs them: the response's validation alone (the
//! XML signature checked against the pinned certificate, one core, no I/O), then
//! whole IdP-initiated logins through the service on moto (the assertion id claimed,
//! the principal read and written, the session signed by KMS and committed with its
//! audit event), with the AWS calls each makes. Responses are signed beforehand by
//! `xmlsec1`, as the tests' IdP signs them; an SP-initiated login adds one DeleteItem
//! (its request taken), and the ACS function's read of the connection one GetItem.

use gatehouse::audit::{Actor, AuditEvent, Origin};
use gatehouse::ids::{IntegrationId, TenantId};
use gatehouse::saml_domain::SamlConfig;
use gatehouse::sso_domain::Protocol;
use gatehouse::sso_service::saml::verify::{AcsPolicy, verify_response};
use gatehouse::sso_service::saml::{acs_url, sp_entity_id};
use gatehouse_bench::{
    BenchResult, BenchStack, aws_calls, calls_per, header, report, store_connection,
};
use gatehouse_integration_tests::saml_idp::{Assertion, SamlIdp};
use std::time::Instant;

const VALIDATIONS: usize = 400;
const LOGINS: usize = 40;
const BASE: &str = "https://gatehouse.bench.example";

#[tokio::main]
async fn main() -> BenchResult {
    let stack = BenchStack::new(&[]).await?;
    let acs = stack.app("SsoSamlAcsFunction")?;
    let tenant = TenantId::generate().map_err(|e| e.to_string())?;
    let id = IntegrationId::generate().map_err(|e| e.to_string())?;
    let idp = SamlIdp::new(
        "https://idp.bench.example",
        "https://idp.bench.example/sso",
        30,
    );
    let now = time::OffsetDateTime::now_utc();
    let sp = sp_entity_id(BASE, &tenant, &id);
    let acs_at = acs_url(BASE, &tenant, &id);
    let connection = store_connection(
        &acs,
        &tenant,
        id,
        Protocol::Saml(SamlConfig {
            idp_entity_id: idp.entity_id.clone(),
            sso_url: idp.sso_url.clone(),
            certificates: vec![idp.certificate_pem.clone()],
            metadata_url: None,
            metadata_fetched_at: None,
            name_id_format: gatehouse::saml_domain::DEFAULT_NAME_ID_FORMAT.into(),
            email_attribute: None,
            name_attribute: None,
            groups_attribute: "groups".into(),
            allow_sha1: false,
            allow_idp_initiated: true,
            request_signing: None,
        }),
    )
    .await?;

    let responses: Vec<String> = (0..LOGINS)
        .map(|i| {
            let mut assertion =
                Assertion::new(&idp, &sp, &acs_at, &format!("p{i}@bench.example"), now);
            assertion.attributes = vec![("groups".into(), vec!["staff".into()])];
            idp.signed_response(&assertion, false)
        })
        .collect();
    println!(
        "response: {} bytes, assertion signed (RSA-SHA256, exclusive c14n)",
        responses[0].len()
    );

    header("SAML operation");
    let policy = AcsPolicy {
        idp_entity_id: &idp.entity_id,
        certificates: std::slice::from_ref(&idp.certificate_pem),
        sp_entity_id: &sp,
        acs_url: &acs_at,
        request_id: None,
        allow_unsolicited: true,
        allow_sha1: false,
        now,
    };
    let started = Instant::now();
    let mut samples = Vec::new();
    for _ in 0..VALIDATIONS {
        let t = Instant::now();
        verify_response(&responses[0], &policy).map_err(|e| e.to_string())?;
        samples.push(t.elapsed());
    }
    report("validation (verify_response)", samples, started.elapsed());

    let before = aws_calls().await?;
    let started = Instant::now();
    let mut samples = Vec::new();
    for response in &responses {
        use base64::Engine;
        let posted = base64::engine::general_purpose::STANDARD.encode(response);
        let t = Instant::now();
        let logged_in = acs
            .sso
            .saml_complete(
                &connection,
                BASE,
                &posted,
                None,
                time::OffsetDateTime::now_utc(),
            )
            .await
            .map_err(|e| e.to_string())?;
        let mut batch = logged_in.batch;
        let audit = AuditEvent::new(
            &tenant,
            "sso.login",
            Actor {
                principal: "sso:bench".into(),
                key_id: None,
            },
            Origin::default(),
            time::OffsetDateTime::now_utc(),
        )
        .status(200);
        acs.audit.add_to(&mut batch, &audit)?;
        acs.dynamo.commit(batch).await?;
        samples.push(t.elapsed());
    }
    report(
        "login: ACS to session (first login)",
        samples,
        started.elapsed(),
    );
    println!(
        "    AWS calls per login: {:?}",
        calls_per(&before, &aws_calls().await?, LOGINS)
    );
    Ok(())
}
