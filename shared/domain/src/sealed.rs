//! A value as stored sealed by envelope encryption (`gatehouse_store::envelope`): a
//! KMS-wrapped data key, a nonce and the AES-256-GCM ciphertext, all base64. Only
//! ciphertext: opening it needs KMS and the context it was sealed with.

use serde::{Deserialize, Serialize};

/// The format written by the envelope helper; values without a `v` are webhook
/// signing secrets sealed before it (still opened, never written).
pub const ENVELOPE_V2: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sealed {
    #[serde(default, rename = "v", skip_serializing_if = "is_legacy")]
    pub version: u8,
    /// The data key, encrypted by KMS.
    pub data_key: String,
    pub nonce: String,
    pub ciphertext: String,
}

fn is_legacy(version: &u8) -> bool {
    *version == 0
}

/// The webhook modules' name for it.
pub type SealedSecret = Sealed;

impl Sealed {
    /// Nonce and ciphertext as one byte string (kept apart from the data key when the
    /// key must be destroyable on its own).
    pub fn body(&self) -> Option<Vec<u8>> {
        use base64::Engine;
        let engine = base64::engine::general_purpose::STANDARD;
        let mut bytes = engine.decode(&self.nonce).ok()?;
        bytes.extend(engine.decode(&self.ciphertext).ok()?);
        Some(bytes)
    }

    /// A v2 value from its data key and [`Sealed::body`].
    pub fn from_body(data_key: String, body: &[u8]) -> Option<Self> {
        use base64::Engine;
        let engine = base64::engine::general_purpose::STANDARD;
        (body.len() > 12).then(|| Self {
            version: ENVELOPE_V2,
            data_key,
            nonce: engine.encode(&body[..12]),
            ciphertext: engine.encode(&body[12..]),
        })
    }
}
