//! template.yaml is the only routing table: the gateway serves exactly its routes, and
//! every function it declares has a handler and a workspace package building its binary.

use gatehouse_devtools::registry::{self, BINARIES};
use gatehouse_integration_tests::{TestRequest, TestStack, template, workspace_root};
use std::collections::BTreeSet;

#[test]
fn every_template_function_has_a_handler_and_a_package() {
    let template = template();
    let declared: BTreeSet<&str> = template
        .functions
        .values()
        .map(|f| f.binary.as_str())
        .collect();
    let registered: BTreeSet<&str> = BINARIES.iter().copied().collect();
    assert_eq!(
        declared, registered,
        "template functions and gateway handlers differ"
    );
    for binary in declared {
        assert!(registry::handler_for(binary).is_some());
        let manifest = workspace_root()
            .join("functions")
            .join(binary)
            .join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest)
            .unwrap_or_else(|_| panic!("{} is missing", manifest.display()));
        assert!(
            text.contains(&format!("name = \"{binary}\"")),
            "{} builds no `{binary}` binary",
            manifest.display()
        );
    }
    for function in template.functions.values() {
        let code_uri = format!("functions/{}", function.binary);
        let raw = std::fs::read_to_string(workspace_root().join("template.yaml")).unwrap();
        assert!(
            raw.contains(&format!("CodeUri: {code_uri}")),
            "{} should have CodeUri {code_uri}",
            function.logical_id
        );
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
        let expected = if route.authorized { 401 } else { 200 };
        assert_eq!(
            unauthenticated.status,
            expected,
            "{}: authorizer in front: {}",
            route.key(),
            route.authorized
        );
    }
}
