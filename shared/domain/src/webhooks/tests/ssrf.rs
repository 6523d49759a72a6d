use super::*;

fn refused(url: &str) -> DestinationError {
    check_url(url, &AllowList::default()).unwrap_err()
}

#[test]
fn public_https_urls_pass() {
    let url = check_url(
        "https://hooks.example.com/gatehouse?x=1",
        &AllowList::default(),
    )
    .unwrap();
    assert_eq!(url.host_str(), Some("hooks.example.com"));
    assert!(check_url("https://93.184.215.14/", &AllowList::default()).is_ok());
    assert!(
        check_url(
            "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/",
            &AllowList::default()
        )
        .is_ok()
    );
}

#[test]
fn scheme_credentials_and_names_are_checked() {
    assert_eq!(
        refused("http://hooks.example.com/"),
        DestinationError::NotHttps
    );
    assert_eq!(
        refused("ftp://hooks.example.com/"),
        DestinationError::NotHttps
    );
    assert_eq!(
        refused("https://user:pw@hooks.example.com/"),
        DestinationError::Credentials
    );
    assert_eq!(
        refused("https://user@hooks.example.com/"),
        DestinationError::Credentials
    );
    assert_eq!(refused("not a url"), DestinationError::NotAUrl);
    for name in [
        "localhost",
        "api.localhost",
        "printer.local",
        "metadata.google.internal",
        "intranet",
    ] {
        assert_eq!(
            refused(&format!("https://{name}/")),
            DestinationError::InternalName,
            "{name}"
        );
    }
    assert_eq!(
        refused(&format!("https://a.com/{}", "x".repeat(2100))),
        DestinationError::TooLong
    );
}

#[test]
fn internal_addresses_are_refused_in_every_spelling() {
    for host in [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f000001",
        "0.0.0.0",
        "10.1.2.3",
        "172.20.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "198.18.0.1",
        "224.0.0.1",
        "255.255.255.255",
        "[::1]",
        "[::]",
        "[::ffff:127.0.0.1]",
        "[::ffff:8.8.8.8]",
        "[::127.0.0.1]",
        "[64:ff9b::a00:1]",
        "[2002:a00:1::]",
        "[fd00:ec2::254]",
        "[fc00::1]",
        "[fe80::1]",
        "[ff02::1]",
        "[2001:db8::1]",
    ] {
        assert!(
            matches!(
                refused(&format!("https://{host}/hook")),
                DestinationError::Internal(_)
            ),
            "{host}"
        );
    }
}

#[test]
fn resolved_addresses_must_all_be_public() {
    let public: IpAddr = "93.184.215.14".parse().unwrap();
    let private: IpAddr = "10.0.0.5".parse().unwrap();
    assert_eq!(check_resolved(&[public]), Ok(()));
    assert!(check_resolved(&[public, private]).is_err());
    assert!(check_resolved(&[]).is_err());
}

#[test]
fn the_allow_list_admits_exact_host_and_port_over_http() {
    let allow = AllowList::parse("127.0.0.1:9000, [::1]:9001");
    assert!(check_url("http://127.0.0.1:9000/hook", &allow).is_ok());
    assert!(check_url("http://[::1]:9001/hook", &allow).is_ok());
    assert!(check_url("http://127.0.0.1:9002/hook", &allow).is_err());
    assert!(check_url("http://user:pw@127.0.0.1:9000/hook", &allow).is_err());
}
