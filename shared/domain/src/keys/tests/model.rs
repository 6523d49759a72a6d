use super::*;

#[test]
fn names_are_trimmed_and_bounded() {
    assert_eq!(
        DisplayName::parse("  CI deploy  ").unwrap().as_str(),
        "CI deploy"
    );
    assert_eq!(DisplayName::parse("ключ 🔑").unwrap().as_str(), "ключ 🔑");
    assert!(DisplayName::parse("   ").is_err());
    assert!(DisplayName::parse(&"a".repeat(101)).is_err());
    assert!(DisplayName::parse(&"é".repeat(100)).is_ok());
    assert!(DisplayName::parse("evil\u{202E}gpj.exe").is_err());
    assert!(DisplayName::parse("line\nbreak").is_err());
}

#[test]
fn principals_have_a_kind() {
    assert!(Principal::parse("user:alice@example.com").is_ok());
    assert!(Principal::parse("service:billing").is_ok());
    assert!(Principal::parse("alice").is_err());
    assert!(Principal::parse("User:alice").is_err());
    assert!(Principal::parse("user:").is_err());
    assert!(Principal::parse("user:a b").is_err());
}
