use super::*;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer;
use p256::pkcs8::{EncodePublicKey, LineEnding};

fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn document(keys: &[(&str, &SigningKey)]) -> Vec<u8> {
    let keys: Vec<_> = keys
        .iter()
        .map(|(id, key)| {
            serde_json::json!({
                "key_identifier": id,
                "key": key.verifying_key().to_public_key_pem(LineEnding::LF).unwrap(),
                "is_current": true,
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "public_keys": keys })).unwrap()
}

fn signed(key: &SigningKey, body: &[u8]) -> String {
    let signature: Signature = key.sign(body);
    base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes())
}

fn known(keys: &[(&str, &SigningKey)]) -> ScannerKeys {
    let scanner = ScannerKeys::default();
    scanner.learn(parse_keys(&document(keys)).unwrap());
    scanner
}

#[test]
fn a_report_signed_by_a_published_key_verifies() {
    let (current, old) = (signing_key(7), signing_key(9));
    let scanner = known(&[("current", &current), ("old", &old)]);
    let body = br#"[{"token":"x","type":"t","url":"u","source":"content"}]"#;
    assert_eq!(
        scanner.check("current", &signed(&current, body), body),
        Ok(())
    );
    assert_eq!(scanner.check("old", &signed(&old, body), body), Ok(()));
}

#[test]
fn anything_else_is_refused() {
    let key = signing_key(7);
    let scanner = known(&[("current", &key)]);
    let body = br#"[{"token":"x","type":"t"}]"#;
    let signature = signed(&key, body);
    // One byte of the body changed.
    let changed = br#"[{"token":"y","type":"t"}]"#;
    assert_eq!(
        scanner.check("current", &signature, changed),
        Err(SignatureError::Invalid)
    );
    // Signed by a key that is not the one named.
    let other = signed(&signing_key(8), body);
    assert_eq!(
        scanner.check("current", &other, body),
        Err(SignatureError::Invalid)
    );
    assert_eq!(
        scanner.check("unknown", &signature, body),
        Err(SignatureError::UnknownKey)
    );
    assert_eq!(
        scanner.check("current", "not base64!", body),
        Err(SignatureError::Malformed)
    );
    assert_eq!(
        scanner.check("current", "AAAA", body),
        Err(SignatureError::Malformed)
    );
}

#[test]
fn key_documents_keep_only_p256_keys() {
    let key = signing_key(7);
    let mut doc: serde_json::Value = serde_json::from_slice(&document(&[("a", &key)])).unwrap();
    doc["public_keys"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"key_identifier": "junk", "key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"}));
    let keys = parse_keys(&serde_json::to_vec(&doc).unwrap()).unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys.contains_key("a"));
    assert!(parse_keys(b"[]").is_err());
}
