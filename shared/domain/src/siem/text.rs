//! Escaping with limits measured on the escaped text: a value is cut at the last
//! whole escaped character that fits, never inside an escape sequence or a UTF-8
//! character.

/// `value` with each character passed through `escape` (`None`: dropped; otherwise
/// its escaped form), cut to at most `max` bytes of escaped text.
pub fn escaped(value: &str, max: usize, escape: impl Fn(char) -> Option<Escaped>) -> String {
    let mut out = String::with_capacity(value.len().min(max));
    let mut buf = [0u8; 4];
    for c in value.chars() {
        let piece: &str = match escape(c) {
            None => continue,
            Some(Escaped::Same) => c.encode_utf8(&mut buf),
            Some(Escaped::As(s)) => s,
        };
        if out.len() + piece.len() > max {
            break;
        }
        out.push_str(piece);
    }
    out
}

/// How one character is written.
pub enum Escaped {
    Same,
    As(&'static str),
}

/// A control character other than CR, LF and TAB: never useful in a SIEM field, and
/// NUL ends C strings in some receivers.
pub fn is_other_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\r' | '\n' | '\t')
}
