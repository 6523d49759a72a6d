//! Every function has sample events in events/<handler>/, and each is invoked here
//! through the same decoding the Lambda runtime uses, with its expected outcome.
//! A new event file without an expectation fails the test.

use gatehouse::ids::{KeyId, TenantId};
use gatehouse::keys::model::{DisplayName, Principal};
use gatehouse::keys::{ApiKey, KeyPrefix, KeyRecord, KeyStatus, Scope, ScopeSet, Tenant};
use gatehouse_functions::Function;
use gatehouse_functions::authorizer::Outcome;
use gatehouse_integration_tests::{TestStack, template, workspace_root};
use std::collections::BTreeMap;

enum Expect {
    Allow,
    Deny,
    /// REST API authorizers: the `Unauthorized` error (API Gateway's 401).
    Unauthorized,
    Status(u16),
    /// Usage ingest: how many access-log lines were recorded.
    Recorded(usize),
    /// SQS consumers: how many messages are reported as failed (and come back).
    BatchFailures(usize),
    /// The expiry scan: how many notices it published.
    Notices(usize),
    /// The rotation function: refused, with this in the error.
    Refused(&'static str),
    /// The integration prober: how many integrations it checked.
    Checked(usize),
    /// The directory check: how many principals it looked up.
    LookedUp(usize),
}

fn expectations() -> BTreeMap<&'static str, Expect> {
    BTreeMap::from([
        ("authorizer/allow-bearer.json", Expect::Allow),
        ("authorizer/deny-unknown-key.json", Expect::Deny),
        ("authorizer/deny-malformed-key.json", Expect::Deny),
        ("authorizer/rest-token-allow.json", Expect::Allow),
        ("authorizer/rest-request-allow.json", Expect::Allow),
        ("authorizer/rest-token-missing.json", Expect::Unauthorized),
        ("authorizer/rest-request-deny-malformed.json", Expect::Deny),
        ("create-api-key/create-key.json", Expect::Status(201)),
        ("create-api-key/invalid-scope.json", Expect::Status(400)),
        ("create-api-key/scope-escalation.json", Expect::Status(403)),
        (
            "create-api-key/no-authorizer-context.json",
            Expect::Status(401),
        ),
        ("list-api-keys/list-keys.json", Expect::Status(200)),
        ("list-api-keys/limit-out-of-range.json", Expect::Status(400)),
        ("get-api-key/get-key.json", Expect::Status(200)),
        ("get-api-key/unknown-key.json", Expect::Status(404)),
        ("update-api-key/disable-key.json", Expect::Status(200)),
        ("update-api-key/unknown-field.json", Expect::Status(400)),
        ("rotate-api-key/rotate-with-grace.json", Expect::Status(201)),
        ("rotate-api-key/grace-too-long.json", Expect::Status(400)),
        ("revoke-api-key/revoke-key.json", Expect::Status(200)),
        ("revoke-api-key/missing-reason.json", Expect::Status(400)),
        (
            "compromise-api-key/report-compromise.json",
            Expect::Status(200),
        ),
        (
            "compromise-api-key/missing-description.json",
            Expect::Status(400),
        ),
        ("list-audit/list-audit.json", Expect::Status(200)),
        ("list-audit/bad-time.json", Expect::Status(400)),
        ("create-scope/create-scope.json", Expect::Status(201)),
        ("create-scope/reserved-resource.json", Expect::Status(400)),
        ("list-scopes/list-scopes.json", Expect::Status(200)),
        ("openapi/get-document.json", Expect::Status(200)),
        ("get-access-policy/get-policy.json", Expect::Status(200)),
        ("put-access-policy/put-policy.json", Expect::Status(200)),
        ("get-key-policy/get-policy.json", Expect::Status(200)),
        ("put-key-policy/put-policy.json", Expect::Status(200)),
        ("put-key-policy/unknown-rule.json", Expect::Status(400)),
        (
            "put-access-policy/gatehouse-route.json",
            Expect::Status(400),
        ),
        ("reset-key-usage/reset-day-quota.json", Expect::Status(200)),
        ("reset-key-usage/unknown-window.json", Expect::Status(400)),
        ("get-key-usage/hourly-usage.json", Expect::Status(200)),
        ("get-key-usage/too-many-buckets.json", Expect::Status(400)),
        ("usage-report/month-report.json", Expect::Status(200)),
        ("usage-report/bad-period.json", Expect::Status(400)),
        ("usage-ingest/access-log-batch.json", Expect::Recorded(3)),
        ("create-webhook/metadata-endpoint.json", Expect::Status(400)),
        ("webhook-fanout/domain-event.json", Expect::BatchFailures(0)),
        (
            "create-siem-destination/preset-mismatch.json",
            Expect::Status(400),
        ),
        ("list-siem-destinations/list.json", Expect::Status(200)),
        (
            "get-siem-destination/unknown-destination.json",
            Expect::Status(404),
        ),
        (
            "update-siem-destination/unknown-destination.json",
            Expect::Status(404),
        ),
        (
            "delete-siem-destination/unknown-destination.json",
            Expect::Status(404),
        ),
        (
            "test-siem-destination/unknown-destination.json",
            Expect::Status(404),
        ),
        (
            "siem-destination-stats/unknown-destination.json",
            Expect::Status(404),
        ),
        (
            "preview-siem-filter/findings-only.json",
            Expect::Status(200),
        ),
        (
            "siem-forwarder/destination-gone.json",
            Expect::BatchFailures(0),
        ),
        (
            "siem-forwarder/not-a-message.json",
            Expect::BatchFailures(1),
        ),
        (
            "event-publisher/committed-key-created.json",
            Expect::BatchFailures(0),
        ),
        (
            "event-publisher/unreadable-and-expired.json",
            Expect::BatchFailures(0),
        ),
        ("disable-webhook/missing-reason.json", Expect::Status(400)),
        ("update-webhook/empty-update.json", Expect::Status(400)),
        (
            "key-expiry-notifier/scheduled-scan.json",
            Expect::Notices(0),
        ),
        ("recover-webhook/since-too-old.json", Expect::Status(400)),
        ("webhook-report/day-report.json", Expect::Status(200)),
        ("enable-webhook/unknown-webhook.json", Expect::Status(404)),
        (
            "rotate-webhook-secret/grace-too-long.json",
            Expect::Status(400),
        ),
        ("test-webhook/unknown-webhook.json", Expect::Status(404)),
        (
            "list-webhook-deliveries/bad-status.json",
            Expect::Status(400),
        ),
        (
            "get-webhook-delivery/unknown-delivery.json",
            Expect::Status(404),
        ),
        (
            "retry-webhook-delivery/unknown-delivery.json",
            Expect::Status(404),
        ),
        ("webhook-fanout/not-an-event.json", Expect::BatchFailures(1)),
        (
            "webhook-dispatcher/unknown-delivery.json",
            Expect::BatchFailures(0),
        ),
        (
            "webhook-dispatcher/not-a-message.json",
            Expect::BatchFailures(1),
        ),
        (
            "create-webhook/unknown-event-type.json",
            Expect::Status(400),
        ),
        ("list-webhooks/list-webhooks.json", Expect::Status(200)),
        ("get-webhook/unknown-webhook.json", Expect::Status(404)),
        ("delete-webhook/unknown-webhook.json", Expect::Status(404)),
        ("usage-ingest/control-message.json", Expect::Recorded(0)),
        ("list-secrets/list-secrets.json", Expect::Status(200)),
        (
            "create-sso-connection/unreachable-issuer.json",
            Expect::Status(424),
        ),
        ("list-sso-connections/list.json", Expect::Status(200)),
        (
            "get-sso-connection/unknown-connection.json",
            Expect::Status(404),
        ),
        (
            "delete-sso-connection/unknown-connection.json",
            Expect::Status(404),
        ),
        ("sso-login/unknown-connection.json", Expect::Status(404)),
        ("sso-callback/unknown-state.json", Expect::Status(401)),
        ("sso-logout/api-key-caller.json", Expect::Status(400)),
        ("sso-refresh/unknown-session.json", Expect::Status(401)),
        ("sso-discover/unverified-domain.json", Expect::Status(404)),
        // Unsigned: refused before the body is read.
        (
            "secret-scanning-github/unsigned-report.json",
            Expect::Status(401),
        ),
        (
            "secret-scanning-report/unsigned-report.json",
            Expect::Status(401),
        ),
        (
            "sso-ldap-login/unknown-connection.json",
            Expect::Status(404),
        ),
        ("sso-saml-acs/unknown-connection.json", Expect::Status(404)),
        (
            "sso-saml-metadata/unknown-connection.json",
            Expect::Status(404),
        ),
        (
            "verify-sso-domains/unknown-connection.json",
            Expect::Status(404),
        ),
        ("session-keys/jwks.json", Expect::Status(200)),
        ("sso-providers/providers.json", Expect::Status(200)),
        (
            "test-sso-connection/unknown-connection.json",
            Expect::Status(404),
        ),
        (
            "update-sso-connection/unknown-connection.json",
            Expect::Status(404),
        ),
        ("list-principals/list.json", Expect::Status(200)),
        ("get-principal/unknown-principal.json", Expect::Status(404)),
        (
            "disable-principal/unknown-principal.json",
            Expect::Status(404),
        ),
        (
            "enable-principal/unknown-principal.json",
            Expect::Status(404),
        ),
        (
            "sync-principal-keys/unknown-principal.json",
            Expect::Status(404),
        ),
        ("create-lease/aws-tenant-files.json", Expect::Status(201)),
        ("create-lease/unknown-role.json", Expect::Status(400)),
        ("list-leases/list-leases.json", Expect::Status(200)),
        ("renew-lease/unknown-lease.json", Expect::Status(404)),
        ("revoke-lease/unknown-lease.json", Expect::Status(404)),
        ("write-secret/write-secret.json", Expect::Status(201)),
        ("write-secret/cas-mismatch.json", Expect::Status(409)),
        ("read-secret/dot-dot-path.json", Expect::Status(400)),
        ("read-secret/unknown-secret.json", Expect::Status(404)),
        (
            "get-secret-metadata/unknown-secret.json",
            Expect::Status(404),
        ),
        ("configure-secret/configure.json", Expect::Status(200)),
        (
            "configure-secret/too-many-versions.json",
            Expect::Status(400),
        ),
        ("delete-secret/unknown-secret.json", Expect::Status(404)),
        (
            "delete-secret-versions/unknown-secret.json",
            Expect::Status(404),
        ),
        (
            "undelete-secret-versions/unknown-secret.json",
            Expect::Status(404),
        ),
        (
            "destroy-secret-versions/no-versions.json",
            Expect::Status(400),
        ),
        ("restore-secret/unknown-secret.json", Expect::Status(404)),
        (
            "create-vault-integration/missing-auth.json",
            Expect::Status(400),
        ),
        (
            "create-vault-integration/address-with-path.json",
            Expect::Status(400),
        ),
        (
            "get-vault-integration/no-integration.json",
            Expect::Status(404),
        ),
        (
            "update-vault-integration/no-integration.json",
            Expect::Status(404),
        ),
        (
            "delete-vault-integration/no-integration.json",
            Expect::Status(404),
        ),
        (
            "test-integration/unknown-integration.json",
            Expect::Status(404),
        ),
        ("integration-report/report.json", Expect::Status(200)),
        ("integration-health/health.json", Expect::Status(200)),
        (
            "rotate-service-secret/other-secret.json",
            Expect::Refused("rotates"),
        ),
        (
            "rotate-service-secret/unknown-step.json",
            Expect::Refused("unknown step"),
        ),
        (
            "integration-prober/scheduled-check.json",
            Expect::Checked(0),
        ),
        ("directory-check/scheduled-check.json", Expect::LookedUp(0)),
    ])
}

/// The tenant and key that the sample events name, so they can be replayed.
async fn seed_event_fixtures(stack: &TestStack) {
    let events_key =
        std::fs::read_to_string(workspace_root().join("events/authorizer/allow-bearer.json"))
            .unwrap();
    let event: serde_json::Value = serde_json::from_str(&events_key).unwrap();
    let token = event["headers"]["authorization"]
        .as_str()
        .unwrap()
        .trim_start_matches("Bearer ");
    let key = ApiKey::parse(token).expect("the fixture key is well formed");
    let tenant = Tenant {
        tenant_id: TenantId::parse("evtTenant1").unwrap(),
        name: DisplayName::parse("Sample events").unwrap(),
        key_prefix: KeyPrefix::parse("gh").unwrap(),
        created_at: stack.app.clock.now(),
    };
    stack.app.tenants.create(&tenant).await.unwrap();
    let record = KeyRecord {
        tenant_id: tenant.tenant_id.clone(),
        key_id: KeyId::parse("evtAdmKey1").unwrap(),
        name: DisplayName::parse("Sample events admin").unwrap(),
        prefix: tenant.key_prefix.clone(),
        environment: key.environment(),
        hint: key.hint(),
        verifier: stack.app.verifier.hash(key.secret()).unwrap(),
        scopes: ScopeSet::new(vec![Scope::admin()]).unwrap(),
        status: KeyStatus::Active,
        principal: Principal::parse("user:events@example.com").unwrap(),
        owner: None,
        created_at: stack.app.clock.now(),
        created_by: None,
        expires_at: None,
        updated_at: None,
        rotated_from: None,
        rotated_to: None,
        revocation: None,
        limits: None,
        restrictions: None,
        last_used_at: None,
        anomalies: None,
        version: 1,
    };
    stack.app.keys.create(&record).await.unwrap();
    // Keys the lifecycle events act on, one per event so they do not interfere.
    for id in ["evtTargetA", "evtTargetB", "evtTargetC", "evtTargetD"] {
        let target = KeyRecord {
            key_id: KeyId::parse(id).unwrap(),
            name: DisplayName::parse(id).unwrap(),
            scopes: ScopeSet::new(vec![Scope::parse("keys:read").unwrap()]).unwrap(),
            ..record.clone()
        };
        stack.app.keys.create(&target).await.unwrap();
    }
}

#[tokio::test]
async fn every_sample_event_gives_its_expected_outcome() {
    let stack = TestStack::new().await;
    seed_event_fixtures(&stack).await;
    let expectations = expectations();
    let mut seen = Vec::new();

    for function in template().functions.values() {
        let dir = workspace_root().join("events").join(&function.handler);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("{} has no events/ folder", function.handler))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        assert!(
            !files.is_empty(),
            "{} has no sample events",
            function.handler
        );

        for path in files {
            let name = format!(
                "{}/{}",
                function.handler,
                path.file_name().unwrap().to_string_lossy()
            );
            let expect = expectations
                .get(name.as_str())
                .unwrap_or_else(|| panic!("{name} has no expectation in tests/tests/events.rs"));
            seen.push(name.clone());
            let text = std::fs::read_to_string(&path).unwrap();
            let app = gatehouse_devtools::pump::function_app(
                &stack.template,
                &stack.local,
                &stack.sdk,
                &function.logical_id,
            )
            .unwrap();

            let served = gatehouse_functions::function(&function.handler).unwrap();
            match (served, expect) {
                (Function::Authorizer, Expect::Allow | Expect::Deny | Expect::Unauthorized) => {
                    let event: serde_json::Value = serde_json::from_str(&text).unwrap();
                    let outcome = gatehouse_functions::authorizer::handle_event(&app, event).await;
                    let Outcome::Response(response) = outcome else {
                        assert!(
                            matches!(expect, Expect::Unauthorized),
                            "{name}: unexpected 401"
                        );
                        continue;
                    };
                    // HTTP APIs: isAuthorized; REST APIs: the policy's effect.
                    let allowed = response["isAuthorized"].as_bool().unwrap_or_else(|| {
                        response["policyDocument"]["Statement"][0]["Effect"] == "Allow"
                    });
                    assert_eq!(
                        allowed,
                        matches!(expect, Expect::Allow),
                        "{name}: {response}"
                    );
                    if allowed {
                        assert_eq!(response["context"]["tenantId"], "evtTenant1", "{name}");
                        assert_eq!(response["context"]["scopes"], "admin", "{name}");
                    }
                    if response.get("policyDocument").is_some() {
                        let arn =
                            serde_json::from_str::<serde_json::Value>(&text).unwrap()["methodArn"]
                                .clone();
                        assert_eq!(
                            response["policyDocument"]["Statement"][0]["Resource"], arn,
                            "{name}"
                        );
                        if allowed {
                            assert_eq!(response["usageIdentifierKey"], "evtAdmKey1", "{name}");
                        } else {
                            assert_eq!(response["context"]["reason"], "malformed", "{name}");
                        }
                    }
                }
                (Function::UsageIngest, Expect::Recorded(lines)) => {
                    let event = serde_json::from_str(&text).unwrap();
                    let summary = gatehouse_functions::usage::ingest::handle(&app, event)
                        .await
                        .unwrap();
                    assert_eq!(summary.recorded, *lines, "{name}: {summary:?}");
                }
                (Function::EventPublisher, Expect::BatchFailures(failed)) => {
                    let event = serde_json::from_str(&text).unwrap();
                    let response = gatehouse_functions::event_publisher::handle(&app, event).await;
                    assert_eq!(response.batch_item_failures.len(), *failed, "{name}");
                }
                (Function::SiemForwarder, Expect::BatchFailures(failed)) => {
                    let event = serde_json::from_str(&text).unwrap();
                    let (_, response) =
                        gatehouse_functions::siem::forwarder::handle(&app, event).await;
                    assert_eq!(response.batch_item_failures.len(), *failed, "{name}");
                }
                (Function::WebhookFanout, Expect::BatchFailures(failed)) => {
                    let event = serde_json::from_str(&text).unwrap();
                    let response = gatehouse_functions::webhooks::fanout::handle(&app, event).await;
                    assert_eq!(response.batch_item_failures.len(), *failed, "{name}");
                }
                (Function::WebhookDispatcher, Expect::BatchFailures(failed)) => {
                    let event = serde_json::from_str(&text).unwrap();
                    let client =
                        gatehouse::webhooks::client::OutboundClient::from_config(&app.config)
                            .unwrap();
                    let response =
                        gatehouse_functions::webhooks::dispatcher::handle(&app, &client, event)
                            .await;
                    assert_eq!(response.batch_item_failures.len(), *failed, "{name}");
                }
                (
                    Function::Scheduled { run, .. },
                    Expect::Checked(count) | Expect::LookedUp(count) | Expect::Notices(count),
                ) => {
                    let _: serde_json::Value = serde_json::from_str(&text).unwrap();
                    let answer = run(&app).await.unwrap();
                    let field = match expect {
                        Expect::Checked(_) => "checked",
                        Expect::LookedUp(_) => "principals",
                        _ => "notified",
                    };
                    assert_eq!(answer[field], *count, "{name}: {answer}");
                }
                (Function::ServiceSecretRotation, Expect::Refused(why)) => {
                    let event = serde_json::from_str(&text).unwrap();
                    let refused = gatehouse_functions::rotation::handle(&app, event)
                        .await
                        .unwrap_err();
                    assert!(refused.contains(why), "{name}: {refused}");
                }
                (Function::Http { .. }, Expect::Status(status)) => {
                    let request = lambda_http::request::from_str(&text).unwrap();
                    let response = gatehouse_functions::serve_http(&app, served, request).await;
                    assert_eq!(
                        response.status().as_u16(),
                        *status,
                        "{name}: {:?}",
                        response.body()
                    );
                }
                _ => panic!("{name}: expectation does not fit the function kind"),
            }
        }
    }
    assert_eq!(
        seen.len(),
        expectations.len(),
        "expectations without event files"
    );
}
