//! template.yaml: cfn-lint clean (errors and warnings) and least-privilege function
//! policies.

use gatehouse_integration_tests::workspace_root;
use serde_yaml::Value;

#[test]
fn cfn_lint_reports_nothing() {
    let lint = workspace_root().join(".venv/bin/cfn-lint");
    assert!(
        lint.exists(),
        "cfn-lint is installed by infra/scripts/ensure-tools.sh (make test)"
    );
    let out = std::process::Command::new(lint)
        .arg(workspace_root().join("template.yaml"))
        .output()
        .expect("run cfn-lint");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && report.trim().is_empty(),
        "cfn-lint:\n{report}"
    );
}

#[test]
fn function_policies_name_actions_and_resources() {
    let text = std::fs::read_to_string(workspace_root().join("template.yaml")).unwrap();
    let doc: Value = serde_yaml::from_str(&text).unwrap();
    let resources = doc["Resources"].as_mapping().unwrap();
    let mut checked = 0;
    for (id, resource) in resources {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        // A function without Policies gets only SAM's basic execution role (logs).
        let policies = resource["Properties"]["Policies"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        for policy in &policies {
            let statements = policy["Statement"]
                .as_sequence()
                .unwrap_or_else(|| panic!("{id:?}: use explicit statements, not managed policies"));
            for statement in statements {
                for action in statement["Action"].as_sequence().unwrap() {
                    let action = action.as_str().unwrap();
                    assert!(!action.contains('*'), "{id:?}: wildcard action {action}");
                }
                let resource = &statement["Resource"];
                assert!(
                    !matches!(resource, Value::String(s) if s.contains('*')),
                    "{id:?}: wildcard resource"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 3);
}
