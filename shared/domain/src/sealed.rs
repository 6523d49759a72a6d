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
