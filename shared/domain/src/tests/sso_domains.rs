use super::*;

#[test]
fn the_record_is_named_and_valued_for_the_connection() {
    assert_eq!(
        challenge_name("acme.example"),
        "_gatehouse-challenge.acme.example"
    );
    assert_eq!(challenge_value("tok"), "gatehouse-domain-verification=tok");
}

#[test]
fn only_the_connections_own_value_proves_the_domain() {
    let records = vec![
        "v=spf1 -all".to_owned(),
        " gatehouse-domain-verification=ours ".to_owned(),
    ];
    assert!(proves(&records, "ours"));
    assert!(!proves(&records, "theirs"));
    assert!(!proves(&records, "our"));
    assert!(!proves(&["gatehouse-domain-verification=".to_owned()], ""));
    assert!(!proves(&[], "ours"));
}
