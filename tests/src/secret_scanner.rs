//! A stand-in for GitHub's secret scanning as a partner sees it: its signing keys
//! published as JSON (`{"public_keys": [{key_identifier, key, is_current}]}`, SPKI
//! PEM) on loopback, and reports signed the way GitHub signs them (ECDSA P-256 with
//! SHA-256 over the raw body, DER, base64). It counts how often its keys are fetched,
//! and can be taken down.

use crate::stub_server::{reply, serve};
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub const KEYS_PATH: &str = "/meta/public_keys/secret_scanning";

pub struct SecretScanner {
    pub port: u16,
    /// The identifier of the key that signs.
    pub identifier: String,
    key: SigningKey,
    fetches: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
}

impl SecretScanner {
    /// Publishes two keys (the current one signs; an older one is still listed).
    pub async fn start() -> Self {
        let key = SigningKey::from_slice(&[0x5a; 32]).unwrap();
        let older = SigningKey::from_slice(&[0x3c; 32]).unwrap();
        let pem = |k: &SigningKey| k.verifying_key().to_public_key_pem(LineEnding::LF).unwrap();
        let document = json!({"public_keys": [
            {"key_identifier": "older-key", "key": pem(&older), "is_current": false},
            {"key_identifier": "current-key", "key": pem(&key), "is_current": true},
        ]});
        let fetches = Arc::new(AtomicUsize::new(0));
        let down = Arc::new(AtomicBool::new(false));
        let (counted, is_down) = (fetches.clone(), down.clone());
        let port = serve(move |method, uri, _headers, _body| {
            let (document, counted, is_down) = (document.clone(), counted.clone(), is_down.clone());
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                if is_down.load(Ordering::SeqCst) {
                    return reply(503, &json!({"message": "Service Unavailable"}));
                }
                match (method, uri.as_str()) {
                    (http::Method::GET, KEYS_PATH) => reply(200, &document),
                    _ => reply(404, &json!({"message": "Not Found"})),
                }
            }
        })
        .await;
        Self {
            port,
            identifier: "current-key".into(),
            key,
            fetches,
            down,
        }
    }

    /// `host:port`, for `IntegrationAllowHosts`.
    pub fn host_port(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The `SecretScanningKeysUrl`.
    pub fn keys_url(&self) -> String {
        format!("http://127.0.0.1:{}{KEYS_PATH}", self.port)
    }

    /// The `Github-Public-Key-Signature` of `body`.
    pub fn sign(&self, body: &[u8]) -> String {
        let signature: Signature = self.key.sign(body);
        base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes())
    }

    /// How many times the keys were fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}
