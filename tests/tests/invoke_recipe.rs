//! The README's single-function recipe works as written: its `make invoke` line runs
//! the real bootstrap for one sample event against a local stack, with only the
//! environment the template gives that function.

use gatehouse_integration_tests::workspace_root;
use std::process::Command;

fn recipe() -> String {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    readme
        .lines()
        .find(|line| line.starts_with("make invoke "))
        .expect("README shows a `make invoke` line")
        .to_owned()
}

#[test]
fn the_readme_recipe_invokes_one_function_with_its_template_environment() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("tests run against moto");
    let port = endpoint.rsplit(':').next().unwrap().to_owned();
    let stack = format!(
        "r{}",
        gatehouse::keys::base62::random_string(8).expect("rng")
    );
    let output = Command::new("sh")
        .arg("-c")
        .arg(recipe())
        .current_dir(workspace_root())
        // As typed in a terminal, not as a sub-make of `make test`.
        .env_remove("MAKELEVEL")
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env("MOTO_PORT", &port)
        .env("STACK", &stack)
        // Nothing of the test's own Gatehouse settings may leak into the function.
        .env("AUDIT_TABLE", "not-the-template-value")
        .output()
        .expect("make runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    // make echoes the command line; the rest of stdout is the function's answer.
    let json_start = stdout
        .find("\n{")
        .expect("the function's answer is printed");
    let answer: serde_json::Value = serde_json::from_str(stdout[json_start..].trim()).unwrap();
    assert_eq!(answer["isAuthorized"], false, "{answer}");
    assert!(
        stderr.contains("malformed"),
        "the function's log is shown: {stderr}"
    );
}
