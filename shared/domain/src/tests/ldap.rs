use super::*;

#[test]
fn empty_passwords_are_refused_before_any_bind() {
    assert_eq!(
        check_credentials("alice", ""),
        Err(CredentialsRefusal::EmptyPassword)
    );
    assert_eq!(
        check_credentials("  ", "pw"),
        Err(CredentialsRefusal::EmptyUsername)
    );
    assert_eq!(
        check_credentials("al\nice", "pw"),
        Err(CredentialsRefusal::ControlCharacter)
    );
    assert_eq!(
        check_credentials(&"a".repeat(MAX_USERNAME + 1), "pw"),
        Err(CredentialsRefusal::TooLong)
    );
    assert_eq!(check_credentials("alice", " "), Ok(()));
}

#[test]
fn filter_templates_are_checked() {
    assert!(check_filter_template(OPENLDAP.user_filter, USERNAME_PLACEHOLDER).is_ok());
    assert!(check_filter_template(ACTIVE_DIRECTORY.user_filter, USERNAME_PLACEHOLDER).is_ok());
    assert!(check_filter_template("(uid=alice)", USERNAME_PLACEHOLDER).is_err());
    assert!(check_filter_template("uid={username}", USERNAME_PLACEHOLDER).is_err());
    assert!(check_filter_template("(uid={username}))", USERNAME_PLACEHOLDER).is_err());
    assert!(check_filter_template("((uid={username})", USERNAME_PLACEHOLDER).is_err());
    assert!(check_filter_template("(member={dn})", DN_PLACEHOLDER).is_ok());
}

#[test]
fn a_group_dn_names_its_group_by_its_first_rdn() {
    assert_eq!(
        group_name_of_dn("cn=gatehouse-admins,ou=groups,dc=acme,dc=example").as_deref(),
        Some("gatehouse-admins")
    );
    assert_eq!(
        group_name_of_dn("CN=Sales\\, EMEA,OU=Groups,DC=acme").as_deref(),
        Some("Sales, EMEA")
    );
    assert_eq!(group_name_of_dn("cn=a\\2cb,dc=x").as_deref(), Some("a,b"));
    assert_eq!(group_name_of_dn("cn=x+uid=y,dc=z").as_deref(), Some("x"));
    assert_eq!(group_name_of_dn("garbage"), None);
    assert_eq!(group_name_of_dn("cn=,dc=x"), None);
}
