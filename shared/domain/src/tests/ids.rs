use super::*;

#[test]
fn generated_ids_parse_back() {
    let id = KeyId::generate().unwrap();
    assert_eq!(KeyId::parse(id.as_str()).unwrap(), id);
}

#[test]
fn rejects_wrong_length_and_alphabet() {
    assert!(TenantId::parse("short").is_err());
    assert!(TenantId::parse("abcdefghi-").is_err());
    assert!(TenantId::parse("abcdefghij").is_ok());
}
