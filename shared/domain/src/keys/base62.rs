//! Base62 (`0-9A-Za-z`) helpers: random strings by rejection sampling and fixed-width
//! encoding of integers.

pub const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Bits of entropy carried by one uniformly random base62 character (log2 62).
pub const BITS_PER_CHAR: f64 = 5.954_196_310_386_876;

pub fn is_base62(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `len` uniformly random base62 characters from the OS CSPRNG.
///
/// Bytes of 248 and above are discarded so that `byte % 62` is unbiased
/// (248 = 4 * 62).
pub fn random_string(len: usize) -> Result<String, getrandom::Error> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf)?;
        for &b in buf.iter().filter(|&&b| b < 248) {
            if out.len() == len {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(b % 62)]));
        }
    }
    Ok(out)
}

/// `value` in exactly `width` base62 digits, most significant first.
/// `width` must be large enough: 6 digits hold any u32.
pub fn encode_fixed(mut value: u64, width: usize) -> String {
    let mut digits = vec![b'0'; width];
    for slot in digits.iter_mut().rev() {
        *slot = ALPHABET[(value % 62) as usize];
        value /= 62;
    }
    debug_assert_eq!(value, 0, "value does not fit in {width} base62 digits");
    String::from_utf8(digits).unwrap_or_default()
}

#[cfg(test)]
#[path = "tests/base62.rs"]
mod tests;
