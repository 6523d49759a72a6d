//! Gatehouse's webhook signatures, checked by the official Standard Webhooks verifier
//! (`standardwebhooks` from PyPI, pinned in infra/requirements.txt) over the exact
//! bytes signed, including a rotation's two signatures.

use gatehouse::webhooks::signature::{SigningSecret, signature_header};
use gatehouse_integration_tests::workspace_root;
use std::process::Command;

const VERIFY: &str = r#"
import json, sys
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
secret, msg_id, timestamp, signature, body_path = sys.argv[1:6]
body = open(body_path, "rb").read()
headers = {"webhook-id": msg_id, "webhook-timestamp": timestamp, "webhook-signature": signature}
try:
    payload = Webhook(secret).verify(body, headers)
except WebhookVerificationError as e:
    print(f"refused: {e}")
    sys.exit(3)
print(json.dumps(payload))
"#;

/// Runs the official verifier; `Ok(payload)` or `Err(why)`.
fn official_verify(
    secret: &SigningSecret,
    id: &str,
    ts: i64,
    signature: &str,
    body: &[u8],
) -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("gh-sig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body_path = dir.join(format!("{id}.json"));
    std::fs::write(&body_path, body).unwrap();
    let out = Command::new(workspace_root().join(".venv/bin/python"))
        .args([
            "-c",
            VERIFY,
            &secret.expose(),
            id,
            &ts.to_string(),
            signature,
        ])
        .arg(&body_path)
        .output()
        .expect("run the official verifier (make test installs it)");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{text} {}", String::from_utf8_lossy(&out.stderr)))
    }
}

#[test]
fn the_official_verifier_accepts_our_signatures_and_nothing_else() {
    let secret = SigningSecret::generate().unwrap();
    let id = "msg_2pJd9KX0g3xHqGdl7b2X";
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    // Non-ASCII and escaped characters: the signature covers the exact bytes.
    let body =
        r#"{"type":"api_key.revoked","data":{"name":"café \"prod\"","key_id":"ab12CD34ef"}}"#
            .as_bytes();
    let header = signature_header(&[&secret], id, ts, body);
    let payload = official_verify(&secret, id, ts, &header, body).expect("verifies");
    assert!(payload.contains("api_key.revoked"), "{payload}");

    let mut tampered = body.to_vec();
    tampered[10] ^= 1;
    assert!(official_verify(&secret, id, ts, &header, &tampered).is_err());
    assert!(official_verify(&secret, "msg_other", ts, &header, body).is_err());
    let stale = ts - 3600;
    let stale_header = signature_header(&[&secret], id, stale, body);
    assert!(
        official_verify(&secret, id, stale, &stale_header, body).is_err(),
        "outside the tolerance"
    );
}

#[test]
fn during_a_rotation_receivers_with_either_secret_verify() {
    let (old, new) = (
        SigningSecret::generate().unwrap(),
        SigningSecret::generate().unwrap(),
    );
    let id = "msg_rotation";
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let body = br#"{"type":"webhook.test"}"#;
    let header = signature_header(&[&new, &old], id, ts, body);
    assert!(official_verify(&old, id, ts, &header, body).is_ok());
    assert!(official_verify(&new, id, ts, &header, body).is_ok());
    let stranger = SigningSecret::generate().unwrap();
    assert!(official_verify(&stranger, id, ts, &header, body).is_err());
}
