//! Leaked-key intake through the local gateway against moto: GitHub secret scanning
//! reports, signed by a test ECDSA P-256 key whose public half a loopback stand-in
//! publishes the way GitHub does.

use gatehouse::keys::leaks::token_hash;
use gatehouse::keys::{ApiKey, KeyEnvironment, KeyPrefix};
use gatehouse_integration_tests::secret_scanner::SecretScanner;
use gatehouse_integration_tests::{TestRequest, TestResponse, TestStack};
use serde_json::{Value, json};

const INTAKE: &str = "/v2/secret-scanning/github";

async fn stack_for(scanner: &SecretScanner) -> TestStack {
    TestStack::with_params(&[
        ("AuthCacheTtlSeconds", "0"),
        ("IntegrationAllowHosts", scanner.host_port().as_str()),
        ("SecretScanningKeysUrl", scanner.keys_url().as_str()),
    ])
    .await
}

fn report(tokens: &[&str]) -> String {
    let reports: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({
                "token": t,
                "type": "gatehouse_api_key",
                "url": "https://github.com/octo/demo/blob/5d1c/config.env",
                "source": "content",
            })
        })
        .collect();
    Value::Array(reports).to_string()
}

async fn send(
    stack: &TestStack,
    body: &str,
    identifier: Option<&str>,
    signature: Option<&str>,
) -> TestResponse {
    let mut request = TestRequest::post(INTAKE).raw_body("application/json", body.to_owned());
    if let Some(identifier) = identifier {
        request = request.header("github-public-key-identifier", identifier);
    }
    if let Some(signature) = signature {
        request = request.header("github-public-key-signature", signature);
    }
    stack.call(request).await
}

async fn signed(stack: &TestStack, scanner: &SecretScanner, body: &str) -> TestResponse {
    let signature = scanner.sign(body.as_bytes());
    send(stack, body, Some(&scanner.identifier), Some(&signature)).await
}

/// A key with the right format, checksum and a real key's ids, but not its secret.
fn forged(real: &str) -> String {
    let real = ApiKey::parse(real).unwrap();
    ApiKey::generate(
        &KeyPrefix::parse(real.prefix().as_str()).unwrap(),
        KeyEnvironment::Live,
        real.tenant_id(),
        real.key_id(),
    )
    .unwrap()
    .expose()
    .to_owned()
}

#[tokio::test]
async fn a_signed_report_revokes_the_live_keys_and_labels_every_token() {
    let scanner = SecretScanner::start().await;
    let stack = stack_for(&scanner).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    let (leaked, leaked_id) = stack
        .create_key(&admin, json!({"name": "ci", "scopes": ["keys:read"]}))
        .await;
    let (kept, kept_id) = stack
        .create_key(&admin, json!({"name": "app", "scopes": ["keys:read"]}))
        .await;
    let look_alike = format!("{}AAAAAA", &leaked[..leaked.len() - 6]);
    let forged_kept = forged(&kept);
    let tokens = [
        leaked.as_str(),
        look_alike.as_str(),
        forged_kept.as_str(),
        "not a key at all",
    ];
    let answer = signed(&stack, &scanner, &report(&tokens)).await;
    answer.assert_status(200);
    let labels: Vec<Value> = answer.json().as_array().unwrap().clone();
    let expected: Vec<Value> = tokens
        .iter()
        .zip([
            "true_positive",
            "false_positive",
            "false_positive",
            "false_positive",
        ])
        .map(|(t, label)| {
            json!({"token_hash": token_hash(t), "token_type": "gatehouse_api_key", "label": label})
        })
        .collect();
    assert_eq!(labels, expected);
    assert!(
        !answer.text().contains(&leaked),
        "the answer never carries a token back"
    );

    // The leaked key is revoked by secret scanning, at once; the other still works.
    let key = stack
        .send("GET", &format!("/v2/api-keys/{leaked_id}"), &admin, None)
        .await
        .json();
    assert_eq!(key["status"], "revoked");
    assert_eq!(key["revocation"]["by"], "system:secret_scanning");
    assert!(
        key["revocation"]["reason"]
            .as_str()
            .unwrap()
            .contains("https://github.com/octo/demo/blob/5d1c/config.env")
    );
    stack
        .send("GET", "/v2/api-keys", &leaked, None)
        .await
        .assert_status(403);
    stack
        .send("GET", &format!("/v2/api-keys/{kept_id}"), &kept, None)
        .await
        .assert_status(200);

    // Audited as the scanner, and published as a security event saying where.
    let audit = stack
        .audit(
            &admin,
            &format!("action=api_key.compromise&key_id={leaked_id}"),
        )
        .await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["actor"]["principal"], "system:secret_scanning");
    let events = stack.events().await;
    let compromised: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "api_key.compromised")
        .collect();
    assert_eq!(compromised.len(), 1, "{events:?}");
    let data = &compromised[0]["data"];
    assert_eq!(data["source"], "secret_scanning");
    assert_eq!(
        data["url"],
        "https://github.com/octo/demo/blob/5d1c/config.env"
    );
    assert_eq!(data["found_in"], "content");
    assert_eq!(data["key"]["key_id"], leaked_id);
    assert_eq!(data["incident_id"], audit[0]["event_id"]);

    // Reported again: still a true positive, and nothing more happens.
    let again = signed(&stack, &scanner, &report(&[&leaked])).await;
    again.assert_status(200);
    assert_eq!(again.json()[0]["label"], "true_positive");
    let audit = stack
        .audit(
            &admin,
            &format!("action=api_key.compromise&key_id={leaked_id}"),
        )
        .await;
    assert_eq!(audit.len(), 1);

    // Gatehouse cannot hand a replacement to a scanner; the owner gets one from the
    // compromise route, with the same settings, once.
    let replaced = stack
        .send(
            "POST",
            &format!("/v2/api-keys/{leaked_id}/compromise"),
            &admin,
            Some(json!({"description": "found by secret scanning", "replace": true})),
        )
        .await;
    replaced.assert_status(200);
    let replacement = &replaced.json()["replacement"];
    assert_eq!(replacement["rotated_from"], leaked_id);
    assert_eq!(replacement["scopes"], key["scopes"]);
    assert_eq!(replacement["name"], key["name"]);
    let fresh = replacement["key"].as_str().unwrap();
    stack
        .send("GET", "/v2/api-keys", fresh, None)
        .await
        .assert_status(200);
    let detail = stack
        .send(
            "POST",
            &format!("/v2/api-keys/{leaked_id}/compromise"),
            &admin,
            Some(json!({"description": "again", "replace": true})),
        )
        .await
        .assert_problem(409, "conflict")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("already replaced by"), "{detail}");
}

#[tokio::test]
async fn reports_that_are_not_signed_by_a_published_key_are_refused() {
    let scanner = SecretScanner::start().await;
    let stack = stack_for(&scanner).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    let (leaked, leaked_id) = stack
        .create_key(&admin, json!({"name": "ci", "scopes": ["keys:read"]}))
        .await;
    let body = report(&[&leaked]);
    let signature = scanner.sign(body.as_bytes());

    let refusals = [
        send(&stack, &body, None, None).await,
        send(&stack, &body, Some(&scanner.identifier), None).await,
        // The body changed after signing.
        send(
            &stack,
            &body.replace("content", "commit"),
            Some(&scanner.identifier),
            Some(&signature),
        )
        .await,
        // The other published key did not sign it.
        send(&stack, &body, Some("older-key"), Some(&signature)).await,
        send(&stack, &body, Some("made-up-key"), Some(&signature)).await,
        send(
            &stack,
            &body,
            Some(&scanner.identifier),
            Some("bm90IGRlcg=="),
        )
        .await,
    ];
    for refused in &refusals {
        refused.assert_problem(401, "unauthenticated");
    }
    // Made-up identifiers do not turn into fetches: the keys were fetched once, and a
    // second unknown identifier within the minute fetches nothing.
    let fetched = scanner.fetches();
    send(&stack, &body, Some("another-made-up-key"), Some(&signature))
        .await
        .assert_problem(401, "unauthenticated");
    assert_eq!(scanner.fetches(), fetched);
    // Nothing was revoked.
    let key = stack
        .send("GET", &format!("/v2/api-keys/{leaked_id}"), &admin, None)
        .await
        .json();
    assert_eq!(key["status"], "active");

    // A signed body that is not a report is a 400, after the signature.
    for bad in ["{}", "[]", "[{\"type\":\"x\"}]"] {
        signed(&stack, &scanner, bad)
            .await
            .assert_problem(400, "invalid-body");
    }
    let many = vec!["x"; 101];
    signed(&stack, &scanner, &report(&many))
        .await
        .assert_problem(400, "invalid-body");
}

#[tokio::test]
async fn when_the_keys_cannot_be_fetched_the_report_is_refused_for_a_retry() {
    let scanner = SecretScanner::start().await;
    scanner.set_down(true);
    let stack = stack_for(&scanner).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    let (leaked, leaked_id) = stack
        .create_key(&admin, json!({"name": "ci", "scopes": ["keys:read"]}))
        .await;
    let body = report(&[&leaked]);
    signed(&stack, &scanner, &body)
        .await
        .assert_problem(503, "service-unavailable");
    let key = stack
        .send("GET", &format!("/v2/api-keys/{leaked_id}"), &admin, None)
        .await
        .json();
    assert_eq!(key["status"], "active");
    // GitHub sends it again; the keys are back, and a failed fetch held nothing back.
    scanner.set_down(false);
    let answer = signed(&stack, &scanner, &body).await;
    answer.assert_status(200);
    assert_eq!(answer.json()[0]["label"], "true_positive");
}

const SHARED: &str = "/v2/secret-scanning/reports";

/// Signs with the official Standard Webhooks library (`standardwebhooks` from PyPI), as
/// another scanner would: `(id, timestamp, signature)`.
fn official_sign(secret: &str, body: &str, timestamp: i64) -> (String, String, String) {
    const SIGN: &str = r#"
import sys
from datetime import datetime, timezone
from standardwebhooks.webhooks import Webhook
secret, msg_id, ts, body_path = sys.argv[1:5]
body = open(body_path).read()
at = datetime.fromtimestamp(int(ts), tz=timezone.utc)
print(Webhook(secret).sign(msg_id, at, body))
"#;
    let id = format!("msg_{}", std::process::id());
    let path = std::env::temp_dir().join(format!("leak-report-{timestamp}-{}.json", body.len()));
    std::fs::write(&path, body).unwrap();
    let out = std::process::Command::new(
        gatehouse_integration_tests::workspace_root().join(".venv/bin/python"),
    )
    .args(["-c", SIGN, secret, &id, &timestamp.to_string()])
    .arg(&path)
    .output()
    .expect("run the official signer (make test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signature = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (id, timestamp.to_string(), signature)
}

async fn send_shared(
    stack: &TestStack,
    body: &str,
    signed: Option<(String, String, String)>,
) -> TestResponse {
    let mut request = TestRequest::post(SHARED).raw_body("application/json", body.to_owned());
    if let Some((id, timestamp, signature)) = signed {
        request = request
            .header("webhook-id", &id)
            .header("webhook-timestamp", &timestamp)
            .header("webhook-signature", &signature);
    }
    stack.call(request).await
}

/// The scanner secret as its operator is given it (`gatehouse-admin scanner-secret`).
async fn scanner_secret(stack: &TestStack) -> String {
    let value = aws_sdk_secretsmanager::Client::new(&stack.sdk)
        .get_secret_value()
        .secret_id(&stack.app.config.secret_scanning_secret_arn)
        .send()
        .await
        .unwrap()
        .secret_string
        .unwrap();
    gatehouse::keys::leak_intake::scanner_secret(&value)
        .unwrap()
        .expose()
}

#[tokio::test]
async fn other_scanners_sign_reports_with_the_scanner_secret() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    let (leaked, leaked_id) = stack
        .create_key(&admin, json!({"name": "ci", "scopes": ["keys:read"]}))
        .await;
    let secret = scanner_secret(&stack).await;
    assert!(secret.starts_with("whsec_"));
    let body = report(&[&leaked, "sk_not_ours"]);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    // Refused: unsigned, signed with another secret, signed too long ago.
    send_shared(&stack, &body, None)
        .await
        .assert_problem(401, "unauthenticated");
    let other = gatehouse::webhooks::signature::SigningSecret::generate()
        .unwrap()
        .expose();
    send_shared(&stack, &body, Some(official_sign(&other, &body, now)))
        .await
        .assert_problem(401, "unauthenticated");
    let stale = send_shared(
        &stack,
        &body,
        Some(official_sign(&secret, &body, now - 600)),
    )
    .await;
    stale.assert_problem(401, "unauthenticated");
    assert!(
        stale.json()["detail"]
            .as_str()
            .unwrap()
            .contains("timestamp")
    );
    let key = stack
        .send("GET", &format!("/v2/api-keys/{leaked_id}"), &admin, None)
        .await
        .json();
    assert_eq!(key["status"], "active");

    let answer = send_shared(&stack, &body, Some(official_sign(&secret, &body, now))).await;
    answer.assert_status(200);
    assert_eq!(answer.json()[0]["label"], "true_positive");
    assert_eq!(answer.json()[1]["label"], "false_positive");
    let key = stack
        .send("GET", &format!("/v2/api-keys/{leaked_id}"), &admin, None)
        .await
        .json();
    assert_eq!(key["status"], "revoked");
    assert_eq!(key["revocation"]["by"], "system:secret_scanning");
}
