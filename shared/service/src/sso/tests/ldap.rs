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

fn directory(id_attribute: &str, user_filter: &str) -> LdapConfig {
    serde_json::from_value(serde_json::json!({
        "host": "ldap.example", "port": 636, "transport": "ldaps", "ca_certificate": null,
        "bind_dn": "cn=svc", "bind_password": {"secret_ref": {"path": "ldap/svc", "key": "password"}},
        "user_base": "ou=people", "user_filter": user_filter, "id_attribute": id_attribute,
        "email_attribute": "mail", "name_attribute": "cn", "groups": {"source": "none"},
        "timeout_seconds": 5,
    }))
    .unwrap()
}

#[test]
fn a_directory_check_finds_a_person_by_lasting_id_within_the_user_filter() {
    let openldap = directory(
        "entryUUID",
        "(&(objectClass=inetOrgPerson)(uid={username}))",
    );
    assert_eq!(
        subject_filter(&openldap, "6f1c-*)(uid=x"),
        "(&(entryUUID=6f1c-\\2a\\29\\28uid=x)(&(objectClass=inetOrgPerson)(uid=*)))"
    );
    // Active Directory's objectGUID is binary: kept as hex, matched byte by byte.
    let ad = directory(
        "objectGUID",
        "(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2))(sAMAccountName={username}))",
    );
    assert_eq!(
        subject_filter(&ad, "0a1bff"),
        "(&(objectGUID=\\0a\\1b\\ff)(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2))(sAMAccountName=*)))"
    );
    // Not hex after all: matched as text, escaped.
    assert_eq!(
        subject_filter(&ad, "xyz*"),
        "(&(objectGUID=xyz\\2a)(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2))(sAMAccountName=*)))"
    );
}
