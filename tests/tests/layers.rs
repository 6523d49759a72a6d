//! The layers the compiler keeps: the domain crate depends on no AWS SDK, Lambda,
//! HTTP or async runtime crate; the storage crate on nothing of Lambda, the HTTP
//! framework, the outbound client or the operations; the service crate on nothing of
//! Lambda or the HTTP framework. A wrong import does not compile; this checks
//! that nobody adds the dependency that would let it.

use gatehouse_integration_tests::workspace_root;
use std::process::Command;

fn dependencies(package: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .current_dir(workspace_root())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn assert_none(package: &str, forbidden: &[&str]) {
    let deps = dependencies(package);
    assert!(deps.len() > 5, "{package}: {deps:?}");
    let found: Vec<&String> = deps
        .iter()
        .filter(|d| forbidden.iter().any(|f| d.starts_with(f)))
        .collect();
    assert!(found.is_empty(), "{package} must not depend on {found:?}");
}

#[test]
fn the_domain_knows_nothing_of_aws_lambda_or_http() {
    assert_none(
        "gatehouse-domain",
        &[
            "aws-",
            "lambda",
            "aws_lambda",
            "reqwest",
            "hyper",
            "http",
            "tokio",
            "gatehouse-store",
            "gatehouse-functions",
        ],
    );
}

#[test]
fn storage_knows_nothing_of_lambda_or_the_operations() {
    assert_none(
        "gatehouse-store",
        &[
            "lambda",
            "aws_lambda",
            "reqwest",
            "gatehouse-functions",
            "gatehouse-devtools",
        ],
    );
    assert!(
        !dependencies("gatehouse-store")
            .iter()
            .any(|d| d == "gatehouse"),
        "storage must not depend on the operations crate"
    );
}

#[test]
fn the_services_know_nothing_of_lambda_or_the_http_framework() {
    assert_none(
        "gatehouse-service",
        &[
            "lambda",
            "aws_lambda",
            "gatehouse-functions",
            "gatehouse-devtools",
        ],
    );
    assert!(
        !dependencies("gatehouse-service")
            .iter()
            .any(|d| d == "gatehouse"),
        "the services must not depend on the HTTP framework crate"
    );
}
