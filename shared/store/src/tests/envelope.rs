use super::SealContext;

#[test]
fn contexts_that_join_alike_bind_differently() {
    // moto folds `{"a": "bc"}` and `{"ab": "c"}` into the same string; the AAD does not.
    let one = SealContext::new("p")
        .with("tenant", "a")
        .with("secret", "bc");
    let other = SealContext::new("p")
        .with("tenant", "ab")
        .with("secret", "c");
    assert_ne!(one.aad(), other.aad());
    let keys = SealContext::new("p").with("a", "bc");
    let shifted = SealContext::new("p").with("ab", "c");
    assert_ne!(keys.aad(), shifted.aad());
}

#[test]
fn the_order_names_are_given_in_does_not_matter() {
    let one = SealContext::new("p")
        .with("tenant", "t")
        .with("secret", "s");
    let other = SealContext::new("p")
        .with("secret", "s")
        .with("tenant", "t");
    assert_eq!(one.aad(), other.aad());
}

#[test]
fn purpose_is_part_of_the_binding() {
    let token = SealContext::new("vault-token").with("tenant", "t");
    let secret_id = SealContext::new("approle-secret-id").with("tenant", "t");
    assert_ne!(token.aad(), secret_id.aad());
}

#[test]
fn legacy_webhook_secrets_keep_their_associated_data() {
    let legacy = SealContext::legacy_webhook("T0000000001", "W0000000001");
    assert_eq!(
        legacy.aad(),
        b"gatehouse-webhook-secret\0T0000000001\0W0000000001".to_vec()
    );
}
