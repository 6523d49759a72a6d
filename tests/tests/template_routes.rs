//! The route declaration (`gatehouse_functions::ROUTES`) and template.yaml agree: every
//! template function runs the bootstrap that serves its Handler, every
//! declared function is deployed, every declared route is routed to its function with
//! the authorizer in front unless it is public, and the gateway serves exactly those.

use gatehouse::routes::Access;
use gatehouse_functions::Bootstrap;
use gatehouse_integration_tests::{TestRequest, TestStack, template, workspace_root};
use std::collections::BTreeSet;

#[test]
fn every_template_function_is_a_declared_function_of_its_bootstrap() {
    let template = template();
    let deployed: BTreeSet<&str> = template
        .functions
        .values()
        .map(|f| f.handler.as_str())
        .collect();
    let declared: BTreeSet<&str> = gatehouse_functions::function_names().collect();
    assert_eq!(
        deployed, declared,
        "template Handlers and declared functions differ"
    );
    assert_eq!(
        deployed.len(),
        template.functions.len(),
        "a Handler is deployed twice"
    );

    let raw = std::fs::read_to_string(workspace_root().join("template.yaml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&raw).unwrap();
    for id in template.functions.keys() {
        let resource = &doc["Resources"][id.as_str()];
        assert_eq!(
            resource["Properties"]["CodeUri"].as_str(),
            Some("functions"),
            "{id}"
        );
        // The function runs the bootstrap that serves it: the other's lookup would
        // not find it, and the function would stop at start.
        let handler = &template.functions[id].handler;
        let bootstrap = gatehouse_functions::Bootstrap::of(handler).unwrap();
        assert_eq!(
            resource["Metadata"]["BuildProperties"]["Binary"].as_str(),
            Some(bootstrap.binary()),
            "{id}"
        );
    }
    let manifest = std::fs::read_to_string(workspace_root().join("functions/Cargo.toml")).unwrap();
    for bootstrap in [Bootstrap::Main, Bootstrap::Sso] {
        assert!(
            manifest.contains(&format!("name = \"{}\"", bootstrap.binary())),
            "functions/ builds no `{}` binary",
            bootstrap.binary()
        );
    }
}

#[test]
fn each_function_is_in_exactly_one_bootstrap() {
    for name in gatehouse_functions::function_names() {
        let main = gatehouse_functions::main_function(name).is_some();
        let sso = gatehouse_functions::sso_function(name).is_some();
        assert!(main != sso, "{name}: main {main}, sso {sso}");
    }
    // Single sign-on's protocols stay out of the main bootstrap; sessions do not.
    for name in [
        "sso-callback",
        "sso-saml-acs",
        "sso-ldap-login",
        "directory-check",
    ] {
        assert_eq!(Bootstrap::of(name), Some(Bootstrap::Sso), "{name}");
    }
    for name in [
        "authorizer",
        "sso-refresh",
        "create-api-key",
        "integration-prober",
    ] {
        assert_eq!(Bootstrap::of(name), Some(Bootstrap::Main), "{name}");
    }
}

#[test]
fn the_template_routes_exactly_the_declared_routes() {
    let template = template();
    let mut routed: BTreeSet<(String, String, bool)> = BTreeSet::new();
    for route in &template.routes {
        let handler = &template.functions[&route.function].handler;
        routed.insert((route.key(), handler.clone(), route.authorized));
    }
    let declared: BTreeSet<(String, String, bool)> = gatehouse_functions::ROUTES
        .iter()
        .map(|r| (r.key(), r.function.to_owned(), r.access != Access::Public))
        .collect();
    assert_eq!(routed, declared);
    for route in gatehouse_functions::ROUTES.iter() {
        assert!(route.path.starts_with("/v2/"), "{}", route.key());
        if let Access::Scope(scope) = route.access {
            assert!(
                gatehouse::keys::Scope::parse(scope).is_ok(),
                "{}: {scope}",
                route.key()
            );
        }
    }
}

#[tokio::test]
async fn the_gateway_serves_exactly_the_template_routes() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let served: BTreeSet<String> = stack.gateway.routes().routes().map(|r| r.key()).collect();
    let declared: BTreeSet<String> = stack.template.routes.iter().map(|r| r.key()).collect();
    assert_eq!(served, declared);
    assert!(declared.contains("POST /v2/api-keys") && declared.contains("GET /v2/api-keys"));

    for route in &stack.template.routes {
        let path = route.path.replace(['{', '}'], "");
        let response = stack
            .call(TestRequest::new(&route.method, &path).bearer(&acme.admin_key))
            .await;
        // A handler's own 404 (unknown object) is problem+json; the gateway's is not.
        let unrouted = response.status == 404 && response.content_type() == "application/json";
        assert!(!unrouted, "{} is not served", route.key());
        assert!(
            response.status < 500,
            "{} failed: {}",
            route.key(),
            response.status
        );
        let unauthenticated = stack.call(TestRequest::new(&route.method, &path)).await;
        // The gateway's own 401 is plain JSON; a public handler's refusal (a login that
        // fails, say) is problem+json.
        let gateway_refused =
            unauthenticated.status == 401 && unauthenticated.content_type() == "application/json";
        assert_eq!(
            gateway_refused,
            route.authorized,
            "{}: authorizer in front: {} (answered {})",
            route.key(),
            route.authorized,
            unauthenticated.status
        );
        assert!(unauthenticated.status < 500, "{}", route.key());
    }
}

/// The framework checks the declared access before any handler runs: a key without the
/// route's scope is refused (403) even with a body the handler would refuse first (400),
/// and a function called for a route it does not serve refuses whatever the caller holds.
#[tokio::test]
async fn the_framework_checks_the_declared_scope_before_the_handler() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let tenant = acme.tenant.tenant_id.as_str().to_owned();
    let mut checked = 0;
    for route in gatehouse_functions::ROUTES.iter() {
        if route.scope().is_none() {
            continue;
        }
        let path = route.path.replace(['{', '}'], "");
        let served = gatehouse_functions::function(route.function).unwrap();
        let request = stack.lambda_request(&route.key(), &path, &tenant, "none:held", "{not json");
        let response = gatehouse_functions::serve_http(
            &stack.function_app(&function_id(&stack, route.function)),
            served,
            request,
        )
        .await;
        assert_eq!(response.status(), 403, "{}", route.key());
        assert!(refused_for_scope(&response), "{}", route.key());
        checked += 1;
    }
    assert!(checked > 20);
    let list_scopes = gatehouse_functions::function("list-scopes").unwrap();
    let misrouted = stack.lambda_request("GET /v2/api-keys", "/v2/api-keys", &tenant, "admin", "");
    let app = stack.function_app("ListScopesFunction");
    let response = gatehouse_functions::serve_http(&app, list_scopes, misrouted).await;
    assert_eq!(
        response.status(),
        403,
        "a function serves only its own route"
    );
    assert!(refused_for_scope(&response));
}

fn refused_for_scope(response: &lambda_http::Response<lambda_http::Body>) -> bool {
    let body: &[u8] = response.body().as_ref();
    String::from_utf8_lossy(body).contains("insufficient-scope")
}

/// The logical id of the template function whose Handler is `handler`.
fn function_id(stack: &TestStack, handler: &str) -> String {
    stack
        .template
        .functions
        .values()
        .find(|f| f.handler == handler)
        .map(|f| f.logical_id.clone())
        .unwrap()
}
