//! Least privilege, checked rather than hand-synced: every AWS call each function made
//! during the test suite (the local stack gives each function credentials of its own,
//! and the moto launcher records who used which action on which resource) must be
//! granted by that function's template policy, and every grant must have been used.
//!
//! This reads what the whole suite did, so it runs last: `make test` runs it with
//! `--ignored` after every other test, against the same moto server.

use gatehouse_integration_tests::{template, workspace_root};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

/// (function logical id, IAM action, resource logical id or `Table/index/name`).
type Grant = (String, String, String);

/// Grants needed only on a failure path no test of that function reaches, each with
/// the reason it is kept. Keep this list short: a new entry needs a reason a reviewer
/// accepts, and a test is better.
const FAILURE_PATHS: &[(&str, &str, &str, &str)] = &[(
    "UsageIngestFunction",
    "dynamodb:DeleteItem",
    "EphemeralTable",
    "releases a quota notice's marker when publishing fails (notices::publish_once; \
     the same code is tested through KeyExpiryNotifierFunction)",
)];

#[tokio::test]
#[ignore = "reads what the whole suite did: make test runs it last"]
async fn every_call_is_granted_and_every_grant_is_used() {
    let template_doc: Value = serde_yaml::from_str(
        &std::fs::read_to_string(workspace_root().join("template.yaml")).unwrap(),
    )
    .unwrap();
    let functions: BTreeSet<String> = template().functions.keys().cloned().collect();
    let keys = kms_key_names().await;
    let used: BTreeSet<Grant> = grants_used()
        .await
        .into_iter()
        .filter(|(caller, _, _)| functions.contains(caller))
        .map(|(caller, action, resource)| {
            let resource = logical_resource(&action, &resource, &keys);
            (caller, action, resource)
        })
        .collect();
    assert!(
        used.len() > 50,
        "the suite's calls were not attributed to functions: {used:?}"
    );
    let granted = granted(&template_doc);
    let mut implied = implied_by(&template_doc, &used);
    for (function, action, resource, _) in FAILURE_PATHS {
        implied.insert((
            function.to_string(),
            action.to_string(),
            resource.to_string(),
        ));
    }

    let ungranted: Vec<&Grant> = used
        .iter()
        .filter(|(f, a, r)| !granted.iter().any(|g| covers(g, f, a, r)))
        .collect();
    let unused: Vec<&Grant> = granted
        .iter()
        .filter(|g| {
            !used
                .iter()
                .chain(implied.iter())
                .any(|(f, a, r)| covers(g, f, a, r))
        })
        .collect();
    assert!(
        ungranted.is_empty() && unused.is_empty(),
        "template policies and the calls the functions made disagree.\n\
         called but not granted:\n{}\ngranted but never used by any test:\n{}",
        lines(&ungranted),
        lines(&unused)
    );
}

fn lines(grants: &[&Grant]) -> String {
    grants
        .iter()
        .map(|(f, a, r)| format!("  {f}: {a} on {r}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether grant `g` allows `action` on `resource` for `function`: the same action
/// and resource, or an index pattern (`Table/index/*`).
fn covers(g: &Grant, function: &str, action: &str, resource: &str) -> bool {
    g.0 == function
        && g.1 == action
        && match g.2.strip_suffix('*') {
            Some(prefix) => resource.starts_with(prefix),
            None => g.2 == resource,
        }
}

async fn grants_used() -> Vec<(String, String, String)> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("tests run against moto");
    let url = format!("{}/_gatehouse/grants-used", endpoint.trim_end_matches('/'));
    let body = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
    rows.into_iter()
        .map(|row| {
            let field = |k: &str| row[k].as_str().unwrap_or_default().to_owned();
            (field("caller"), field("action"), field("resource"))
        })
        .collect()
}

/// KMS key id -> the logical id of the template key it is (from the local stacks'
/// aliases, `alias/<stack>-<LogicalId>`).
async fn kms_key_names() -> BTreeMap<String, String> {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let kms = aws_sdk_kms::Client::new(&sdk);
    let mut names = BTreeMap::new();
    let aliases = kms.list_aliases().limit(1000).send().await.unwrap();
    for alias in aliases.aliases() {
        if let (Some(name), Some(key)) = (alias.alias_name(), alias.target_key_id()) {
            names.insert(key.to_owned(), last_segment(name).to_owned());
        }
    }
    names
}

/// Local resources are named `<stack>-<LogicalId>`, and logical ids have no `-`.
fn last_segment(name: &str) -> &str {
    name.rsplit('-').next().unwrap_or(name)
}

fn logical_resource(action: &str, resource: &str, keys: &BTreeMap<String, String>) -> String {
    if action.starts_with("kms:") {
        let id = resource.rsplit('/').next().unwrap_or(resource);
        return keys.get(id).cloned().unwrap_or_else(|| resource.to_owned());
    }
    if action.starts_with("secretsmanager:") {
        // Tenant secrets' ciphertext: `<stack>/tenant-secrets/<tenant>/<digest>`.
        if let Some(at) = resource.find(TENANT_SECRETS) {
            return resource[at + 1..].to_owned();
        }
        // A name, or an ARN ending in `secret:<name>-<6 random characters>`.
        let name = match resource.split_once(":secret:") {
            Some((_, rest)) => rest.rsplit_once('-').map_or(rest, |(name, _)| name),
            None => resource,
        };
        return last_segment(name).to_owned();
    }
    // A queue URL's last path segment is its name; a table may carry `/index/<name>`.
    let name = resource.rsplit('/').next().unwrap_or(resource);
    match resource.split_once("/index/") {
        Some((table, index)) => format!("{}/index/{index}", last_segment(table)),
        None => last_segment(name).to_owned(),
    }
}

/// Every (function, action, resource) the template's function policies grant.
fn granted(doc: &Value) -> BTreeSet<Grant> {
    let mut grants = BTreeSet::new();
    for (id, resource) in doc["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let id = id.as_str().unwrap().to_owned();
        for policy in resource["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            for statement in policy["Statement"].as_sequence().into_iter().flatten() {
                let resources: Vec<String> = match &statement["Resource"] {
                    Value::Sequence(items) => items.iter().map(reference).collect(),
                    one => vec![reference(one)],
                };
                for action in statement["Action"].as_sequence().into_iter().flatten() {
                    for resource in &resources {
                        grants.insert((
                            id.clone(),
                            action.as_str().unwrap().to_owned(),
                            resource.clone(),
                        ));
                    }
                }
            }
        }
    }
    grants
}

/// Where tenant secrets' ciphertext lives in Secrets Manager, under the stack's name.
const TENANT_SECRETS: &str = "/tenant-secrets/";

/// `!GetAtt X.Arn` and `!Ref X` name X; `!Sub '${X.Arn}/index/*'` names `X/index/*`;
/// the tenant secrets' ARN pattern (`...:secret:${AWS::StackName}/tenant-secrets/*`)
/// names `tenant-secrets/*`.
fn reference(value: &Value) -> String {
    let Value::Tagged(tagged) = value else {
        panic!("a policy resource should reference a template resource: {value:?}");
    };
    let text = tagged.value.as_str().unwrap_or_default();
    match tagged.tag.to_string().as_str() {
        "!GetAtt" => text.split('.').next().unwrap_or(text).to_owned(),
        "!Ref" => text.to_owned(),
        "!Sub" if text.contains(TENANT_SECRETS) => {
            let at = text.find(TENANT_SECRETS).unwrap_or_default();
            text[at + 1..].to_owned()
        }
        "!Sub" => text.replace("${", "").replace(".Arn}", "").replace('}', ""),
        other => panic!("unexpected {other} in a policy resource"),
    }
}

/// Grants that the calls imply without a recorded call of their own: SQS asks KMS for
/// the data key of an encrypted queue on the caller's behalf (send: GenerateDataKey
/// and Decrypt; receive: Decrypt), Secrets Manager decrypts a secret under its KMS
/// key, and a function with an SQS event source receives through Lambda's event
/// source mapping, under its own role (ReceiveMessage, DeleteMessage,
/// GetQueueAttributes, and Decrypt for an encrypted queue).
fn implied_by(doc: &Value, used: &BTreeSet<Grant>) -> BTreeSet<Grant> {
    let resources = doc["Resources"].as_mapping().unwrap();
    // The KMS key a queue (KmsMasterKeyId) or secret (KmsKeyId) is encrypted under.
    let key_of = |resource: &str| -> Option<String> {
        let properties = &resources.get(resource)?["Properties"];
        let key = match &properties["KmsMasterKeyId"] {
            Value::Null => &properties["KmsKeyId"],
            key => key,
        };
        (!key.is_null()).then(|| reference(key))
    };
    let mut implied = BTreeSet::new();
    for (function, action, resource) in used {
        let Some(key) = key_of(resource) else {
            continue;
        };
        let kms: &[&str] = match action.as_str() {
            "sqs:SendMessage" | "sqs:SendMessageBatch" => &["kms:GenerateDataKey", "kms:Decrypt"],
            "sqs:ReceiveMessage" | "secretsmanager:GetSecretValue" => &["kms:Decrypt"],
            "secretsmanager:PutSecretValue" => &["kms:GenerateDataKey"],
            _ => &[],
        };
        for kms_action in kms {
            implied.insert((function.clone(), (*kms_action).to_owned(), key.clone()));
        }
    }
    for (id, resource) in resources {
        for (_, event) in resource["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flatten()
        {
            if event["Type"] != "SQS" {
                continue;
            }
            let queue = reference(&event["Properties"]["Queue"]);
            let id = id.as_str().unwrap().to_owned();
            for action in [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
            ] {
                implied.insert((id.clone(), action.to_owned(), queue.clone()));
            }
            if let Some(key) = key_of(&queue) {
                implied.insert((id, "kms:Decrypt".to_owned(), key));
            }
        }
    }
    implied
}
