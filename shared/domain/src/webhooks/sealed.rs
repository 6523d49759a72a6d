//! A webhook signing secret as stored: sealed with KMS envelope encryption (see the
//! sealer in the service crate). Only ciphertext: opening it needs KMS.

use serde::{Deserialize, Serialize};

/// What is stored: all base64.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SealedSecret {
    /// The data key, encrypted by KMS.
    pub data_key: String,
    pub nonce: String,
    pub ciphertext: String,
}
