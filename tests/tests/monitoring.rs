//! template.yaml's dashboard and alarms name exactly the metrics the code emits: every
//! metric in `gatehouse::telemetry::metrics::CATALOGUE` is on the dashboard, every
//! `Gatehouse` metric a widget or an alarm names is in the catalogue with exactly its
//! dimensions (CloudWatch matches a metric by its whole dimension set, so a widget
//! with one dimension too few or too many shows nothing), and every alarm notifies
//! the alarm topic and has its runbook.

use gatehouse::telemetry::metrics::{CATALOGUE, FUNCTION, NAMESPACE};
use gatehouse_integration_tests::workspace_root;
use serde_json::Value as Json;
use serde_yaml::Value;
use std::collections::BTreeSet;

fn template() -> Value {
    let text = std::fs::read_to_string(workspace_root().join("template.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// A `!Sub` string's text, or a plain string.
fn text_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s),
        Value::Tagged(tagged) => tagged.value.as_str(),
        _ => None,
    }
}

/// `${...}` references replaced by a placeholder, so a `!Sub` body parses as JSON.
fn without_references(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("a closed reference") + start;
        out.push_str("ref");
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The catalogue's dimension set for `name`, `Function` included, sorted.
fn declared(name: &str) -> Vec<String> {
    let (_, _, dimensions) = CATALOGUE
        .iter()
        .find(|(n, _, _)| *n == name)
        .unwrap_or_else(|| panic!("`{name}` is named by the template but not in the catalogue"));
    let mut set: Vec<String> = dimensions.iter().map(|d| (*d).to_owned()).collect();
    set.push(FUNCTION.to_owned());
    set.sort();
    set
}

fn check_dimensions(name: &str, mut used: Vec<String>, whence: &str) {
    used.sort();
    assert_eq!(used, declared(name), "{whence}: `{name}`'s dimensions");
}

/// The `Gatehouse` metrics a Metrics Insights query names, with its SCHEMA's
/// dimensions: `SELECT SUM(Name) FROM SCHEMA(Gatehouse, Function, ...)`.
fn insights_metrics(query: &str, whence: &str) -> Vec<String> {
    let Some(from) = query.find(" FROM ") else {
        return Vec::new();
    };
    let select = &query[..from];
    let source = query[from + 6..].trim_start();
    let Some(schema) = source.strip_prefix("SCHEMA(") else {
        assert!(
            !source.starts_with(NAMESPACE),
            "{whence}: query Gatehouse through SCHEMA(...), so its dimensions are checked: {query}"
        );
        return Vec::new();
    };
    let args: Vec<String> = schema[..schema.find(')').expect("SCHEMA(...) closes")]
        .split(',')
        .map(|a| a.trim().trim_matches('"').to_owned())
        .collect();
    if args[0] != NAMESPACE {
        return Vec::new();
    }
    let open = select.find('(').expect("SELECT FUNCTION(metric)");
    let name = select[open + 1..select.rfind(')').unwrap()]
        .trim()
        .to_owned();
    check_dimensions(&name, args[1..].to_vec(), whence);
    vec![name]
}

/// The `Gatehouse` metrics one dashboard widget names.
fn widget_metrics(widget: &Json) -> Vec<String> {
    let title = widget["properties"]["title"].as_str().unwrap_or("a widget");
    let mut names = Vec::new();
    for metric in widget["properties"]["metrics"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let parts = metric.as_array().expect("a metric is an array");
        if let Some(query) = parts[0].get("expression").and_then(Json::as_str) {
            names.extend(insights_metrics(query, title));
            continue;
        }
        if parts[0] != NAMESPACE {
            continue;
        }
        let name = parts[1].as_str().unwrap().to_owned();
        let dimensions: Vec<String> = parts[2..]
            .iter()
            .take_while(|p| p.is_string())
            .step_by(2)
            .map(|d| d.as_str().unwrap().to_owned())
            .collect();
        check_dimensions(&name, dimensions, title);
        names.push(name);
    }
    names
}

/// The `Gatehouse` metrics one alarm names.
fn alarm_metrics(id: &str, props: &Value) -> Vec<String> {
    let mut names = Vec::new();
    let mut stat = |metric: &Value| {
        if metric["Namespace"].as_str() == Some(NAMESPACE) {
            let name = metric["MetricName"].as_str().unwrap().to_owned();
            let dimensions = metric["Dimensions"]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(|d| d["Name"].as_str().unwrap().to_owned())
                .collect();
            check_dimensions(&name, dimensions, id);
            names.push(name);
        }
    };
    stat(props);
    let queries: Vec<String> = props["Metrics"]
        .as_sequence()
        .into_iter()
        .flatten()
        .inspect(|m| stat(&m["MetricStat"]["Metric"]))
        .filter_map(|m| text_of(&m["Expression"]).map(str::to_owned))
        .collect();
    for query in queries {
        names.extend(insights_metrics(&query, id));
    }
    names
}

#[test]
fn the_dashboard_and_alarms_name_exactly_the_emitted_metrics() {
    let template = template();
    let resources = template["Resources"].as_mapping().unwrap();
    let dashboard = &template["Resources"]["Dashboard"]["Properties"]["DashboardBody"];
    let body: Json = serde_json::from_str(&without_references(
        text_of(dashboard).expect("DashboardBody is a !Sub string"),
    ))
    .expect("the dashboard body is JSON");
    let on_dashboard: BTreeSet<String> = body["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(widget_metrics)
        .collect();
    for (name, _, _) in CATALOGUE {
        assert!(
            on_dashboard.contains(*name),
            "`{name}` is emitted but not on the dashboard"
        );
    }

    let mut alarms = 0;
    let mut alarmed = BTreeSet::new();
    for (id, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::CloudWatch::Alarm") {
            continue;
        }
        alarms += 1;
        let id = id.as_str().unwrap();
        let props = &resource["Properties"];
        alarmed.extend(alarm_metrics(id, props));
        let actions = serde_yaml::to_string(&props["AlarmActions"]).unwrap();
        assert!(actions.contains("AlarmTopic"), "{id} notifies the topic");
        let description = props["AlarmDescription"].as_str().unwrap();
        let runbook = description
            .split("Runbook: ")
            .nth(1)
            .unwrap_or_else(|| panic!("{id} names its runbook"));
        let page = std::fs::read_to_string(workspace_root().join(runbook))
            .unwrap_or_else(|_| panic!("{id}'s runbook {runbook} exists"));
        for section in [
            "## What it means",
            "## Confirm",
            "## Mitigate",
            "## Resolve",
        ] {
            assert!(page.contains(section), "{runbook} has `{section}`");
        }
    }
    assert!(alarms >= 10, "the alarms are declared");
    assert!(
        !alarmed.is_empty(),
        "some alarms watch Gatehouse's own metrics"
    );
}
