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

#[test]
fn the_published_pattern_finds_keys_and_the_checksum_tells_them_apart() {
    let pattern = regex::Regex::new(KEY_PATTERN).unwrap();
    let key = sample();
    let text = format!("export API_KEY=\"{}\" # prod", key.expose());
    let found = pattern.find(&text).unwrap().as_str();
    assert_eq!(found, key.expose());
    let facts = validate_key_format(found).unwrap();
    assert_eq!(&facts.tenant_id, key.tenant_id());
    assert_eq!(&facts.key_id, key.key_id());
    assert_eq!(facts.environment, KeyEnvironment::Live);
    // A look-alike the pattern matches fails the checksum offline.
    let random = format!("gh_live_{}", base62::random_string(BODY_LEN).unwrap());
    assert!(pattern.is_match(&random));
    assert_eq!(validate_key_format(&random), Err(KeyFormatError::Checksum));
    // Run on into more base62 characters, it is not a key.
    assert!(!pattern.is_match(&format!("{}A", key.expose())));
}

/// The README's test vector: a key a scanner can check its implementation against.
#[test]
fn the_published_test_vector_holds() {
    let signed = "gh_live_T3nant0001K3yId00001ExampleSecretNotForUse0000000";
    assert_eq!(signed.len(), 8 + BODY_LEN - CHECKSUM_LEN);
    let vector = format!("{signed}{}", checksum(signed));
    assert_eq!(vector, TEST_VECTOR, "{vector}");
    assert!(validate_key_format(TEST_VECTOR).is_ok());
}

/// Checked independently: `zlib.crc32` of the first 57 characters, written in 6
/// base62 digits (`0-9A-Za-z`, most significant first), is `3LZ4dl`.
const TEST_VECTOR: &str = "gh_live_T3nant0001K3yId00001ExampleSecretNotForUse00000003LZ4dl";

#[test]
fn entropy_reports_design_and_observation() {
    let entropy = calculate_key_entropy(sample().expose()).unwrap();
    assert!((entropy.designed_bits - 172.67).abs() < 0.01);
    assert!(entropy.observed_bits > 100.0 && entropy.observed_bits <= entropy.designed_bits);
    let signed = format!(
        "gh_live_{}{}{}",
        "A".repeat(10),
        "B".repeat(10),
        "a".repeat(29)
    );
    let patterned = format!("{signed}{}", checksum(&signed));
    assert_eq!(
        calculate_key_entropy(&patterned).unwrap().observed_bits,
        0.0
    );
}
