use super::*;

fn route(method: &str, path: &str) -> Route {
    Route {
        method: method.into(),
        path: path.into(),
        function: format!("{method} {path}"),
        authorized: true,
    }
}

#[test]
fn literal_routes_beat_parameters() {
    let table = RouteTable::new(&[
        route("GET", "/v2/webhooks/{id}"),
        route("GET", "/v2/webhooks/report"),
        route("GET", "/v2/{proxy+}"),
    ]);
    let m = table.find("GET", "/v2/webhooks/report").unwrap();
    assert_eq!(m.route.path, "/v2/webhooks/report");
    let m = table.find("GET", "/v2/webhooks/abc%20d").unwrap();
    assert_eq!(m.path_parameters["id"], "abc d");
    let m = table.find("GET", "/v2/a/b/c").unwrap();
    assert_eq!(m.path_parameters["proxy"], "a/b/c");
    assert!(table.find("POST", "/v2/webhooks/report").is_none());
    assert!(table.find("GET", "/v3/x").is_none());
}
