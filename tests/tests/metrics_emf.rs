//! Metrics as CloudWatch Embedded Metric Format: the authorizer's decisions, latency
//! and key-cache results are written as EMF lines that follow the format's rules
//! (checked here as CloudWatch Logs would before extracting them), under the names and
//! dimensions `gatehouse::telemetry::metrics::CATALOGUE` declares, with bounded
//! dimension values and never a key, tenant or request id.

use gatehouse::telemetry::metrics::{self, CATALOGUE, FUNCTION, NAMESPACE};
use gatehouse_functions::authorizer::{Outcome, handle_event};
use gatehouse_integration_tests::TestStack;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The units CloudWatch accepts in an EMF document.
const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// A metric a document declares: its name and its dimension names.
type Declared = (String, Vec<String>);

/// One EMF document checked against the specification's rules; returns the metrics it
/// declares and the document's members.
fn check_document(line: &str) -> (Vec<Declared>, Map<String, Value>) {
    let doc: Map<String, Value> = serde_json::from_str(line).expect("an EMF line is a JSON object");
    let aws = doc["_aws"].as_object().expect("`_aws` is an object");
    let timestamp = aws["Timestamp"]
        .as_u64()
        .expect("`_aws.Timestamp` is an integer");
    let now_ms = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap() * 1000;
    assert!(
        timestamp.abs_diff(now_ms) < 3_600_000,
        "Timestamp is epoch milliseconds"
    );
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics is an array");
    assert!(!directives.is_empty());
    let mut found = Vec::new();
    for directive in directives {
        let namespace = directive["Namespace"].as_str().expect("Namespace");
        assert!((1..=255).contains(&namespace.len()));
        let sets = directive["Dimensions"]
            .as_array()
            .expect("Dimensions is an array");
        let mut names = Vec::new();
        for set in sets {
            let set = set.as_array().expect("a dimension set is an array");
            assert!(set.len() <= 30, "at most 30 dimensions in a set");
            for name in set {
                let name = name.as_str().expect("a dimension name is a string");
                assert!(
                    doc.get(name).is_some_and(Value::is_string),
                    "dimension `{name}` is a string member of the document"
                );
                names.push(name.to_owned());
            }
        }
        let defined = directive["Metrics"]
            .as_array()
            .expect("Metrics is an array");
        assert!(defined.len() <= 100, "at most 100 metrics per directive");
        for metric in defined {
            let name = metric["Name"].as_str().expect("a metric has a Name");
            assert!((1..=255).contains(&name.len()));
            if let Some(unit) = metric.get("Unit") {
                let unit = unit.as_str().expect("Unit is a string");
                assert!(UNITS.contains(&unit), "`{unit}` is a CloudWatch unit");
            }
            match &doc[name] {
                Value::Number(_) => {}
                Value::Array(values) => {
                    assert!((1..=100).contains(&values.len()), "1 to 100 values");
                    assert!(values.iter().all(Value::is_number), "values are numbers");
                }
                other => panic!("metric `{name}` has no numeric member: {other}"),
            }
            found.push((name.to_owned(), names.clone()));
        }
    }
    (found, doc)
}

#[tokio::test]
async fn the_authorizer_writes_valid_emf_for_every_declared_metric() {
    metrics::init("authorizer");
    // A cache TTL long enough that the second request is answered from the cache.
    let stack = TestStack::with_params(&[("AuthCacheTtlSeconds", "60")]).await;
    let authorizer = stack.function_app("AuthorizerFunction");
    let tenant = stack.tenant("Acme").await;
    let key = tenant.admin_key.expose().to_owned();
    let event = |token: &str| {
        json!({
            "type": "REQUEST",
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/v2/api-keys",
            "resource": "/v2/api-keys",
            "httpMethod": "GET",
            "headers": { "Authorization": format!("Bearer {token}") },
            "requestContext": { "requestId": "r1", "identity": { "sourceIp": "203.0.113.7" } }
        })
    };
    // An uncached allow, a cached one, and two denies.
    for token in [
        key.as_str(),
        key.as_str(),
        "gh_live_not-a-key",
        &format!("{key}x"),
    ] {
        let Outcome::Response(_) = handle_event(&authorizer, event(token)).await else {
            panic!("a response");
        };
    }
    let mut buffer = Vec::new();
    metrics::flush_into(&mut buffer).unwrap();
    let text = String::from_utf8(buffer).unwrap();
    assert!(!text.contains(&key), "no key in the metrics");
    assert!(
        !text.contains(tenant.tenant.tenant_id.as_str()),
        "no tenant id"
    );

    let mut seen: BTreeMap<String, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut values: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for line in text.lines() {
        let (metrics, doc) = check_document(line);
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
        assert_eq!(doc[FUNCTION], "authorizer");
        for (name, dimensions) in metrics {
            for dimension in &dimensions {
                values
                    .entry((name.clone(), dimension.clone()))
                    .or_default()
                    .insert(doc[dimension.as_str()].as_str().unwrap().to_owned());
            }
            seen.entry(name).or_default().insert(dimensions);
        }
    }
    for (name, unit, dimensions) in CATALOGUE {
        let sets = seen
            .get(*name)
            .unwrap_or_else(|| panic!("`{name}` was not emitted: {text}"));
        let mut expected: Vec<String> = vec![FUNCTION.to_owned()];
        expected.extend(dimensions.iter().map(|d| (*d).to_owned()));
        expected.sort();
        for set in sets {
            let mut set = set.clone();
            set.sort();
            assert_eq!(set, expected, "`{name}`'s dimensions");
        }
        assert!(
            text.contains(&format!(r#"{{"Name":"{name}","Unit":"{unit}"}}"#)),
            "`{name}` declared in {unit}: {text}"
        );
    }
    let decided =
        |dimension: &str| values[&("AuthorizerDecisions".to_owned(), dimension.to_owned())].clone();
    assert_eq!(
        decided("Outcome"),
        BTreeSet::from(["allow".into(), "deny".into()])
    );
    assert_eq!(
        decided("Reason"),
        BTreeSet::from(["none".into(), "malformed".into()])
    );
    let paths = &values[&("AuthorizerLatency".to_owned(), "Path".to_owned())];
    assert!(
        paths.contains("cached") && paths.contains("uncached"),
        "{paths:?}"
    );
    let results = &values[&("AuthorizerKeyCache".to_owned(), "Result".to_owned())];
    assert_eq!(results, &BTreeSet::from(["hit".into(), "miss".into()]));

    // Flushed: the next flush writes nothing new.
    let mut again = Vec::new();
    metrics::flush_into(&mut again).unwrap();
    assert!(again.is_empty(), "{}", String::from_utf8_lossy(&again));
}
