use super::*;

fn sample() -> ApiKey {
    ApiKey::generate(
        &KeyPrefix::parse("gh").unwrap(),
        KeyEnvironment::Live,
        &TenantId::generate().unwrap(),
        &KeyId::generate().unwrap(),
    )
    .unwrap()
}

#[test]
fn generated_keys_round_trip() {
    let key = sample();
    let parsed = ApiKey::parse(key.expose()).unwrap();
    assert_eq!(parsed, key);
    assert!(key.expose().starts_with("gh_live_"));
    assert_eq!(key.expose().len(), 3 + 5 + BODY_LEN);
    assert_eq!(key.secret().len(), SECRET_LEN);
}

#[test]
fn secret_carries_at_least_160_bits() {
    assert!(SECRET_LEN as f64 * base62::BITS_PER_CHAR >= 160.0);
}

#[test]
fn every_single_character_typo_is_caught() {
    let key = sample();
    let token = key.expose();
    let body_start = token.len() - BODY_LEN;
    for i in body_start..token.len() {
        let mut bytes = token.as_bytes().to_vec();
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(bytes).unwrap();
        assert_eq!(
            ApiKey::parse(&typo),
            Err(KeyFormatError::Checksum),
            "position {i}"
        );
    }
}

#[test]
fn rejects_malformed_keys_with_a_reason() {
    let key = sample();
    let token = key.expose();
    assert_eq!(ApiKey::parse(""), Err(KeyFormatError::Shape));
    assert_eq!(ApiKey::parse("gh_live"), Err(KeyFormatError::Shape));
    assert_eq!(
        ApiKey::parse(&token.replacen("gh", "GH", 1)),
        Err(KeyFormatError::Prefix)
    );
    assert_eq!(
        ApiKey::parse(&token.replacen("live", "prod", 1)),
        Err(KeyFormatError::Environment)
    );
    assert_eq!(
        ApiKey::parse(&token[..token.len() - 1]),
        Err(KeyFormatError::Body)
    );
    assert_eq!(
        ApiKey::parse(&"x".repeat(500)),
        Err(KeyFormatError::TooLong)
    );
    let random = format!("gh_live_{}", base62::random_string(BODY_LEN).unwrap());
    assert_eq!(ApiKey::parse(&random), Err(KeyFormatError::Checksum));
    let unicode = format!("gh_live_{}é", &token[8..token.len() - 2]);
    assert!(ApiKey::parse(&unicode).is_err());
}

#[test]
fn hint_and_debug_never_show_the_secret() {
    let key = sample();
    let secret = std::str::from_utf8(key.secret()).unwrap().to_owned();
    assert!(!key.hint().contains(&secret[..8]));
    assert!(!format!("{key:?}").contains(&secret[..8]));
    assert!(key.hint().starts_with("gh_live_..."));
}

#[test]
fn prefixes_are_validated() {
    for ok in ["gh", "acme", "a1b2c3d4e5"] {
        assert!(KeyPrefix::parse(ok).is_ok(), "{ok}");
    }
    for bad in ["g", "abcdefghijk", "Acme", "ac_me", "ac-me", ""] {
        assert!(KeyPrefix::parse(bad).is_err(), "{bad}");
    }
}
