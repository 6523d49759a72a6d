use super::*;

#[test]
fn cursors_round_trip_and_garbage_is_refused() {
    let id = KeyId::generate().unwrap();
    assert_eq!(decode_cursor(&encode_cursor(&id)).unwrap(), id);
    assert!(decode_cursor("!!!").is_err());
    assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("short")).is_err());
}
