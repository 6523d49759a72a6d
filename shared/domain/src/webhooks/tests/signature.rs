use super::*;

// The example from the Standard Webhooks specification's reference libraries.
const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SPEC_TIMESTAMP: i64 = 1614265330;
const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn at(ts: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ts).unwrap()
}

#[test]
fn signs_exactly_as_the_specification_example() {
    let secret = SigningSecret::parse(SPEC_SECRET).unwrap();
    assert_eq!(
        secret.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY),
        SPEC_SIGNATURE
    );
    assert_eq!(secret.expose(), SPEC_SECRET);
}

#[test]
fn verifies_any_listed_signature_within_the_tolerance() {
    let old = SigningSecret::parse(SPEC_SECRET).unwrap();
    let new = SigningSecret::generate().unwrap();
    let header = signature_header(&[&new, &old], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);
    assert_eq!(header.split(' ').count(), 2);
    let ts = SPEC_TIMESTAMP.to_string();
    let check = |secrets: &[&SigningSecret], now: i64, body: &[u8]| {
        verify(
            secrets,
            SPEC_ID,
            &ts,
            &header,
            body,
            at(now),
            DEFAULT_TOLERANCE,
        )
    };
    assert_eq!(check(&[&old], SPEC_TIMESTAMP, SPEC_BODY), Ok(()));
    assert_eq!(check(&[&new], SPEC_TIMESTAMP + 299, SPEC_BODY), Ok(()));
    assert_eq!(
        check(&[&new], SPEC_TIMESTAMP + 301, SPEC_BODY),
        Err(VerifyError::TooOld)
    );
    assert_eq!(
        check(&[&new], SPEC_TIMESTAMP - 301, SPEC_BODY),
        Err(VerifyError::TooNew)
    );
    assert_eq!(
        check(&[&new], SPEC_TIMESTAMP, b"{}"),
        Err(VerifyError::NoMatch)
    );
    let stranger = SigningSecret::generate().unwrap();
    assert_eq!(
        check(&[&stranger], SPEC_TIMESTAMP, SPEC_BODY),
        Err(VerifyError::NoMatch)
    );
}

#[test]
fn odd_headers_are_refused_not_panicked_on() {
    let secret = SigningSecret::parse(SPEC_SECRET).unwrap();
    let now = at(SPEC_TIMESTAMP);
    for (ts, header) in [
        ("soon", SPEC_SIGNATURE),
        ("", SPEC_SIGNATURE),
        ("1614265330", ""),
        ("1614265330", "v2,abc"),
        ("1614265330", "v1,not base64!"),
        ("1614265330", "v1"),
    ] {
        assert!(
            verify(
                &[&secret],
                SPEC_ID,
                ts,
                header,
                SPEC_BODY,
                now,
                DEFAULT_TOLERANCE
            )
            .is_err()
        );
    }
}

#[test]
fn secrets_are_checked_and_never_shown_by_debug() {
    assert_eq!(SigningSecret::parse("MfKQ9r8G"), Err(SecretError::Prefix));
    assert_eq!(
        SigningSecret::parse("whsec_***"),
        Err(SecretError::Encoding)
    );
    assert_eq!(SigningSecret::parse("whsec_AAAA"), Err(SecretError::Length));
    let secret = SigningSecret::generate().unwrap();
    assert_eq!(format!("{secret:?}"), "SigningSecret(..)");
    assert_eq!(SigningSecret::parse(&secret.expose()).unwrap(), secret);
}
