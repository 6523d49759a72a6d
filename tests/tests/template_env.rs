//! Each function reads, and requires, only the variables it uses, and the template
//! gives it exactly those: the variables of its declared needs
//! (`gatehouse_functions::Function::needs`), no more (no Globals), no fewer. And its
//! needs agree with its policy: a function granted a table or queue needs its
//! variable, and one that needs a table or queue is granted it.

use gatehouse::config::{Config, Needs};
use gatehouse_integration_tests::{template, workspace_root};
use serde_yaml::Value;
use std::collections::BTreeSet;

#[test]
fn the_template_gives_each_function_exactly_the_variables_it_reads() {
    for function in template().functions.values() {
        let declared = gatehouse_functions::function(&function.handler).unwrap();
        let given: BTreeSet<&str> = function.environment.keys().map(String::as_str).collect();
        let needed: BTreeSet<&str> = declared.needs().variables().into_iter().collect();
        assert_eq!(given, needed, "{}", function.logical_id);
    }
}

#[test]
fn needs_and_policies_name_the_same_tables_queues_and_secrets() {
    let raw = std::fs::read_to_string(workspace_root().join("template.yaml")).unwrap();
    let doc: Value = serde_yaml::from_str(&raw).unwrap();
    let resource_needs = [
        ("KeysTable", Needs::KEYS),
        ("AuditTable", Needs::AUDIT),
        ("EphemeralTable", Needs::EPHEMERAL),
        ("UsageTable", Needs::USAGE),
        ("DeliveriesTable", Needs::DELIVERIES),
        ("EventsQueue", Needs::EVENTS),
        ("DeliveryQueue", Needs::DELIVERY_QUEUE),
        ("SiemQueue", Needs::SIEM),
        ("ServiceSecret", Needs::CURSORS),
    ];
    for function in template().functions.values() {
        let needs = gatehouse_functions::function(&function.handler)
            .unwrap()
            .needs();
        let policies = serde_yaml::to_string(
            &doc["Resources"][function.logical_id.as_str()]["Properties"]["Policies"],
        )
        .unwrap();
        for (resource, need) in resource_needs {
            let granted = policies.contains(&format!("{resource}.Arn"))
                || policies.contains(&format!("!Ref {resource}\n"));
            assert_eq!(
                granted,
                needs.contains(need),
                "{}: {resource} granted {granted}, needed {}",
                function.logical_id,
                needs.contains(need)
            );
        }
    }
}

#[test]
fn a_function_starts_without_the_variables_it_does_not_need_and_names_one_it_needs() {
    let only_audit = |name: &str| (name == "AUDIT_TABLE").then(|| "t-AuditTable".to_owned());
    // list-audit needs the audit table and the cursor secret, nothing of webhooks.
    let needs = gatehouse_functions::function("list-audit").unwrap().needs();
    let missing = Config::for_needs(needs, only_audit).unwrap_err();
    assert_eq!(missing.variable, "SERVICE_SECRET_ARN");
    let with_secret = |name: &str| match name {
        "AUDIT_TABLE" => Some("t-AuditTable".to_owned()),
        "SERVICE_SECRET_ARN" => Some("arn:aws:secretsmanager:us-east-1:1:secret:s".to_owned()),
        _ => None,
    };
    let config = Config::for_needs(needs, with_secret).unwrap();
    assert_eq!(config.audit_table, "t-AuditTable");
    assert_eq!(config.deliveries_table, "", "not needed, never read");
}

/// A function builds no client for a queue, key or secret it does not need; using one
/// fails, naming the variable it would need.
#[tokio::test]
async fn a_function_builds_no_client_for_what_it_does_not_need() {
    let needs = gatehouse_functions::function("list-audit").unwrap().needs();
    let env = |name: &str| match name {
        "AUDIT_TABLE" => Some("t-AuditTable".to_owned()),
        "SERVICE_SECRET_ARN" => Some("arn:aws:secretsmanager:us-east-1:1:secret:s".to_owned()),
        _ => None,
    };
    let config = Config::for_needs(needs, env).unwrap();
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let app = gatehouse::App::new(
        config,
        &sdk,
        std::sync::Arc::new(gatehouse::clock::SystemClock),
    )
    .unwrap();
    let event = gatehouse::events::DomainEvent::new(
        "api_key.created",
        gatehouse::events::Category::Lifecycle,
        &gatehouse::ids::TenantId::parse("evtTenant1").unwrap(),
        time::OffsetDateTime::now_utc(),
        serde_json::json!({}),
    );
    let (first, refused) = app.events.send_all(&[event]).await.unwrap_err();
    assert_eq!(first, 0);
    assert!(refused.contains("EVENTS_QUEUE_URL"), "{refused}");
}
