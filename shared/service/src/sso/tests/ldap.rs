use super::*;

#[test]
fn usernames_cannot_become_filter_syntax() {
    let template = "(&(objectClass=inetOrgPerson)(uid={username}))";
    assert_eq!(
        fill_filter(template, USERNAME_PLACEHOLDER, "alice"),
        "(&(objectClass=inetOrgPerson)(uid=alice))"
    );
    assert_eq!(
        fill_filter(template, USERNAME_PLACEHOLDER, "*)(uid=*"),
        "(&(objectClass=inetOrgPerson)(uid=\\2a\\29\\28uid=\\2a))"
    );
    assert_eq!(
        fill_filter(template, USERNAME_PLACEHOLDER, "admin)(|(uid=*"),
        "(&(objectClass=inetOrgPerson)(uid=admin\\29\\28|\\28uid=\\2a))"
    );
    assert_eq!(
        fill_filter("(member={dn})", DN_PLACEHOLDER, "cn=a\\,b,dc=x\0"),
        "(member=cn=a\\5c,b,dc=x\\00)"
    );
}

#[test]
fn a_ca_certificate_must_be_pem() {
    assert!(check_ca_certificate("not a certificate").is_err());
    assert!(check_ca_certificate("").is_err());
}
