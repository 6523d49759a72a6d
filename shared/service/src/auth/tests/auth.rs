use super::*;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

#[test]
fn reads_bearer_or_x_api_key() {
    assert_eq!(
        credential(&headers(&[("authorization", "Bearer abc")])),
        Some("abc")
    );
    assert_eq!(
        credential(&headers(&[("authorization", "bearer  abc ")])),
        Some("abc")
    );
    assert_eq!(credential(&headers(&[("x-api-key", "abc")])), Some("abc"));
    assert_eq!(
        credential(&headers(&[("authorization", "Basic abc")])),
        None
    );
    assert_eq!(credential(&headers(&[("authorization", "Bearer ")])), None);
    assert_eq!(credential(&headers(&[])), None);
    assert_eq!(
        credential(&headers(&[
            ("authorization", "Basic x"),
            ("x-api-key", "k")
        ])),
        Some("k")
    );
}
