use super::*;
use time::macros::datetime;

/// Monday 2026-12-07, 12:00 UTC.
const MONDAY_NOON: OffsetDateTime = datetime!(2026-12-07 12:00 UTC);

fn request(source_ip: Option<&'static str>, route: &'static str) -> RequestFacts<'static> {
    RequestFacts {
        source_ip,
        route,
        origin: None,
        referer: None,
        at: MONDAY_NOON,
    }
}

fn from_ips(list: &[&str]) -> KeyRestrictions {
    KeyRestrictions {
        source_ips: list.iter().map(|s| (*s).to_owned()).collect(),
        ..KeyRestrictions::default()
    }
}

#[test]
fn no_restrictions_allow_everything() {
    let none = KeyRestrictions::default();
    assert!(none.is_empty());
    assert_eq!(none.check(&request(None, "GET /x")), Ok(()));
}

#[test]
fn source_addresses_match_ipv4_and_ipv6_blocks() {
    let r = from_ips(&["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"]);
    r.validate().unwrap();
    let at = |ip| r.check(&request(Some(ip), "GET /x"));
    assert_eq!(at("203.0.113.200"), Ok(()));
    assert_eq!(at("198.51.100.7"), Ok(()));
    assert_eq!(at("2001:db8:1::5"), Ok(()));
    // An IPv4 client seen through a dual-stack socket.
    assert_eq!(at("::ffff:203.0.113.9"), Ok(()));
    assert_eq!(at("203.0.114.1"), Err(Restricted::SourceIp));
    assert_eq!(at("198.51.100.8"), Err(Restricted::SourceIp));
    assert_eq!(at("2001:db9::1"), Err(Restricted::SourceIp));
    assert_eq!(at("not an ip"), Err(Restricted::SourceIp));
    // No source address (a REST TOKEN event): the restriction cannot be met.
    assert_eq!(r.check(&request(None, "GET /x")), Err(Restricted::SourceIp));
}

#[test]
fn cidr_entries_are_validated() {
    assert!(
        from_ips(&["10.0.0.0/8", "::1", "fd00::/8"])
            .validate()
            .is_ok()
    );
    let err = from_ips(&["10.1.2.3/8"]).validate().unwrap_err();
    assert!(err.contains("did you mean `10.0.0.0/8`"), "{err}");
    assert!(from_ips(&["10.0.0.0/33"]).validate().is_err());
    assert!(from_ips(&["example.com"]).validate().is_err());
    let too_many: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("10.0.0.{i}")).collect();
    let refs: Vec<&str> = too_many.iter().map(String::as_str).collect();
    assert!(from_ips(&refs).validate().unwrap_err().contains("at most"));
}

fn routes(list: &[&str]) -> KeyRestrictions {
    KeyRestrictions {
        routes: list.iter().map(|s| (*s).to_owned()).collect(),
        ..KeyRestrictions::default()
    }
}

#[test]
fn route_patterns_match_route_keys() {
    let r = routes(&["GET /orders/*", "ANY /reports/**", "POST /orders"]);
    r.validate().unwrap();
    let call = |route| r.check(&request(None, route));
    assert_eq!(call("GET /orders/{id}"), Ok(()));
    assert_eq!(call("POST /orders"), Ok(()));
    assert_eq!(call("DELETE /reports"), Ok(()));
    assert_eq!(call("GET /reports/2026/12"), Ok(()));
    assert_eq!(call("PUT /orders/{id}"), Err(Restricted::Route));
    assert_eq!(call("GET /orders/{id}/items"), Err(Restricted::Route));
    assert_eq!(call("GET /orders"), Err(Restricted::Route));
    assert_eq!(call("GET /reportsx"), Err(Restricted::Route));
    assert_eq!(call("$default"), Err(Restricted::Route));
}

#[test]
fn route_patterns_are_validated() {
    assert!(routes(&["FETCH /x"]).validate().is_err());
    assert!(routes(&["GET x"]).validate().is_err());
    assert!(routes(&["GET /**/x"]).validate().is_err());
    assert!(routes(&["GET"]).validate().is_err());
    assert!(routes(&["ANY /**"]).validate().is_ok());
}

fn origins(list: &[&str]) -> KeyRestrictions {
    KeyRestrictions {
        origins: list.iter().map(|s| (*s).to_owned()).collect(),
        ..KeyRestrictions::default()
    }
}

#[test]
fn origins_match_the_origin_header_or_the_referer() {
    let r = origins(&["https://app.example.com", "https://*.example.org"]);
    r.validate().unwrap();
    let call = |origin: Option<&'static str>, referer: Option<&'static str>| {
        r.check(&RequestFacts {
            origin,
            referer,
            ..request(None, "GET /x")
        })
    };
    assert_eq!(call(Some("https://app.example.com"), None), Ok(()));
    assert_eq!(call(Some("https://APP.example.com:443"), None), Ok(()));
    assert_eq!(call(Some("https://a.b.example.org"), None), Ok(()));
    assert_eq!(call(None, Some("https://app.example.com/page?q=1")), Ok(()));
    let refused = Err(Restricted::Origin);
    assert_eq!(call(Some("https://example.org"), None), refused);
    assert_eq!(call(Some("https://evilexample.org"), None), refused);
    assert_eq!(call(Some("http://app.example.com"), None), refused);
    assert_eq!(call(Some("https://app.example.com:8443"), None), refused);
    assert_eq!(
        call(Some("https://app.example.com.evil.net"), None),
        refused
    );
    assert_eq!(call(Some("null"), None), refused);
    assert_eq!(call(None, None), refused);
    // The Origin header wins over a Referer that would pass.
    assert_eq!(
        call(Some("https://evil.net"), Some("https://app.example.com/")),
        refused
    );
}

#[test]
fn origins_are_validated() {
    assert!(
        origins(&["https://app.example.com/path"])
            .validate()
            .is_err()
    );
    assert!(origins(&["ftp://example.com"]).validate().is_err());
    assert!(origins(&["https://*.com"]).validate().is_err());
    assert!(origins(&["app.example.com"]).validate().is_err());
    assert!(origins(&["http://localhost:3000"]).validate().is_ok());
}

fn hours(days: &[Day], from: &str, to: &str, offset: Option<&str>) -> KeyRestrictions {
    KeyRestrictions {
        hours: Some(AllowedHours {
            days: days.to_vec(),
            from: from.into(),
            to: to.into(),
            utc_offset: offset.map(str::to_owned),
        }),
        ..KeyRestrictions::default()
    }
}

fn at(r: &KeyRestrictions, when: OffsetDateTime) -> Result<(), Restricted> {
    r.check(&RequestFacts {
        at: when,
        ..request(None, "GET /x")
    })
}

#[test]
fn hours_are_a_weekly_window() {
    let office = hours(
        &[Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri],
        "08:00",
        "18:00",
        None,
    );
    office.validate().unwrap();
    assert_eq!(at(&office, MONDAY_NOON), Ok(()));
    assert_eq!(at(&office, datetime!(2026-12-07 08:00 UTC)), Ok(()));
    assert_eq!(
        at(&office, datetime!(2026-12-07 18:00 UTC)),
        Err(Restricted::Hours)
    );
    assert_eq!(
        at(&office, datetime!(2026-12-06 12:00 UTC)),
        Err(Restricted::Hours),
        "a Sunday"
    );
    // The offset decides the local day and time: 23:30 UTC Monday is 01:30 Tuesday.
    let night = hours(&[Day::Tue], "01:00", "02:00", Some("+02:00"));
    night.validate().unwrap();
    assert_eq!(at(&night, datetime!(2026-12-07 23:30 UTC)), Ok(()));
    assert_eq!(
        at(&night, datetime!(2026-12-08 23:30 UTC)),
        Err(Restricted::Hours)
    );
}

#[test]
fn hours_may_span_midnight() {
    let overnight = hours(&[], "22:00", "06:00", Some("-05:00"));
    overnight.validate().unwrap();
    assert_eq!(at(&overnight, datetime!(2026-12-08 04:00 UTC)), Ok(())); // 23:00 local
    assert_eq!(at(&overnight, datetime!(2026-12-08 10:59 UTC)), Ok(())); // 05:59 local
    assert_eq!(
        at(&overnight, MONDAY_NOON),
        Err(Restricted::Hours) // 07:00 local
    );
    let to_midnight = hours(&[], "20:00", "24:00", None);
    to_midnight.validate().unwrap();
    assert_eq!(at(&to_midnight, datetime!(2026-12-07 23:59 UTC)), Ok(()));
}

#[test]
fn hours_are_validated() {
    assert!(hours(&[], "08:00", "08:00", None).validate().is_err());
    assert!(hours(&[], "8am", "18:00", None).validate().is_err());
    assert!(hours(&[], "08:00", "24:01", None).validate().is_err());
    assert!(hours(&[], "24:00", "08:00", None).validate().is_err());
    assert!(
        hours(&[], "08:00", "18:00", Some("02:00"))
            .validate()
            .is_err()
    );
    assert!(
        hours(&[], "08:00", "18:00", Some("+25:00"))
            .validate()
            .is_err()
    );
}

#[test]
fn the_first_broken_restriction_is_reported() {
    let r = KeyRestrictions {
        source_ips: vec!["10.0.0.0/8".into()],
        routes: vec!["GET /a".into()],
        ..KeyRestrictions::default()
    };
    assert_eq!(
        r.check(&request(Some("192.0.2.1"), "GET /b")),
        Err(Restricted::SourceIp)
    );
    assert_eq!(
        r.check(&request(Some("10.0.0.1"), "GET /b")),
        Err(Restricted::Route)
    );
    assert_eq!(r.check(&request(Some("10.0.0.1"), "GET /a")), Ok(()));
}

#[test]
fn stored_restrictions_round_trip_without_empty_fields() {
    let r = from_ips(&["10.0.0.0/8"]);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json, serde_json::json!({ "source_ips": ["10.0.0.0/8"] }));
    assert_eq!(serde_json::from_value::<KeyRestrictions>(json).unwrap(), r);
    assert!(serde_json::from_value::<KeyRestrictions>(serde_json::json!({"ips": []})).is_err());
}
