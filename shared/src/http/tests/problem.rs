use super::*;

#[test]
fn renders_rfc9457_json() {
    let resp = Problem::invalid_body("field `name` is missing").into_response();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let Body::Text(text) = resp.body() else {
        panic!("text body")
    };
    let json: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(json["type"], "tag:gatehouse.dev,2026:problem/invalid-body");
    assert_eq!(json["status"], 400);
    assert_eq!(json["detail"], "field `name` is missing");
    assert!(json["title"].is_string());
}
