use super::*;

#[test]
fn reports_in_the_partner_format_are_read() {
    let body = br#"[{"token":"gh_live_x","type":"gatehouse_api_key","url":"https://github.com/o/r/blob/1/a.env","source":"content"},{"token":"t2","type":"gatehouse_api_key"}]"#;
    let reports = parse_reports(body).unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].token_type, "gatehouse_api_key");
    assert_eq!(reports[0].source.as_deref(), Some("content"));
    assert_eq!(reports[1].url, None);
}

#[test]
fn bad_bodies_are_refused_with_a_reason() {
    assert_eq!(parse_reports(b"[]"), Err(ReportError::Empty));
    assert!(matches!(
        parse_reports(br#"{"token":"x"}"#),
        Err(ReportError::NotReports(_))
    ));
    assert!(matches!(
        parse_reports(br#"[{"type":"x"}]"#),
        Err(ReportError::NotReports(_))
    ));
    let many = format!("[{}]", vec![r#"{"token":"x"}"#; MAX_TOKENS + 1].join(","));
    assert_eq!(parse_reports(many.as_bytes()), Err(ReportError::TooMany));
}

#[test]
fn long_texts_are_cut_on_a_character_boundary() {
    let url = format!("https://example.com/{}", "é".repeat(MAX_TEXT_CHARS));
    let body = serde_json::json!([{"token": "t", "type": "x", "url": url}]).to_string();
    let reports = parse_reports(body.as_bytes()).unwrap();
    let kept = reports[0].url.as_deref().unwrap();
    assert!(kept.len() <= MAX_TEXT_CHARS && kept.starts_with("https://example.com/"));
}

#[test]
fn verdicts_carry_the_token_hash_never_the_token() {
    let report = LeakReport {
        token: "abc".into(),
        token_type: "gatehouse_api_key".into(),
        url: None,
        source: None,
    };
    let verdict = Verdict::of(&report, Label::TruePositive);
    // SHA-256("abc"), the FIPS 180-2 test vector.
    assert_eq!(
        verdict.token_hash,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let json = serde_json::to_value(&verdict).unwrap();
    assert_eq!(json["label"], "true_positive");
    assert_eq!(json["token_type"], "gatehouse_api_key");
    assert!(!json.to_string().contains("\"abc\""));
}
