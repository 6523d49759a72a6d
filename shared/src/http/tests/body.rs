use super::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Sample {
    name: String,
}

fn request(content_type: Option<&str>, body: &str) -> Request {
    let mut builder = http::Request::builder().method("POST").uri("/x");
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

fn kind(result: Result<Sample, Problem>) -> ProblemType {
    result.unwrap_err().kind
}

#[test]
fn accepts_json_with_parameters() {
    let req = request(Some("application/json; charset=utf-8"), r#"{"name":"a"}"#);
    assert_eq!(json_body::<Sample>(&req).unwrap().name, "a");
}

#[test]
fn refuses_what_is_not_a_json_object_of_the_schema() {
    let j = Some("application/json");
    assert_eq!(kind(json_body(&request(j, ""))), ProblemType::InvalidBody);
    assert_eq!(kind(json_body(&request(j, "{"))), ProblemType::InvalidBody);
    assert_eq!(
        kind(json_body(&request(j, r#"{"name":1}"#))),
        ProblemType::InvalidBody
    );
    assert_eq!(
        kind(json_body(&request(j, r#"{"nmae":"a"}"#))),
        ProblemType::InvalidBody
    );
    assert_eq!(kind(json_body(&request(j, "[]"))), ProblemType::InvalidBody);
    // serde reads structs from arrays too; a body must still be an object.
    assert_eq!(
        kind(json_body(&request(j, r#"["a"]"#))),
        ProblemType::InvalidBody
    );
    assert_eq!(
        kind(json_body(&request(j, "null"))),
        ProblemType::InvalidBody
    );
    let form = Some("application/x-www-form-urlencoded");
    assert_eq!(
        kind(json_body(&request(form, "{}"))),
        ProblemType::UnsupportedMediaType
    );
    assert_eq!(
        kind(json_body(&request(None, "{}"))),
        ProblemType::UnsupportedMediaType
    );
    let big = format!(r#"{{"name":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
    assert_eq!(
        kind(json_body(&request(j, &big))),
        ProblemType::PayloadTooLarge
    );
}

#[test]
fn unknown_field_errors_name_the_field() {
    let err =
        json_body::<Sample>(&request(Some("application/json"), r#"{"nmae":"a"}"#)).unwrap_err();
    assert!(err.detail.contains("nmae"), "{}", err.detail);
}

#[derive(Debug, Deserialize)]
struct Grace {
    grace_period_seconds: i64,
    limits: Vec<u64>,
}

#[test]
fn an_integral_float_is_an_integer_as_json_schema_says() {
    let req = request(
        Some("application/json"),
        r#"{"grace_period_seconds": 944.0, "limits": [1, 2.0]}"#,
    );
    let body = json_body::<Grace>(&req).unwrap();
    assert_eq!((body.grace_period_seconds, body.limits), (944, vec![1, 2]));
    let fractional = request(
        Some("application/json"),
        r#"{"grace_period_seconds": 944.5, "limits": []}"#,
    );
    assert_eq!(
        json_body::<Grace>(&fractional).unwrap_err().kind,
        ProblemType::InvalidBody
    );
}
