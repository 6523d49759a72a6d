//! CloudWatch Embedded Metric Format, as tests see it: every line the process's
//! recorder writes is checked by the format's rules (as CloudWatch Logs would before
//! extracting metrics) and kept, so a test can ask whether a metric was emitted with
//! some dimension values while other tests in the same process emit theirs.

use gatehouse::telemetry::metrics::{self, CATALOGUE, FUNCTION, NAMESPACE};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The function name the tests' recorder puts in every line.
pub const TEST_FUNCTION: &str = "tests";

/// One metric value as a document declared it.
#[derive(Debug, Clone)]
pub struct Emitted {
    pub name: String,
    pub unit: Option<String>,
    /// Every dimension of its set, `Function` included, with its value.
    pub dimensions: BTreeMap<String, String>,
}

static SEEN: Mutex<Vec<Emitted>> = Mutex::new(Vec::new());

/// Installs the recorder (once per process).
pub fn init() {
    metrics::init(TEST_FUNCTION);
}

/// Flushes the recorder, checks each line, and returns everything emitted so far in
/// this process. Panics on a line that breaks the format or the catalogue.
pub fn emitted() -> Vec<Emitted> {
    let mut buffer = Vec::new();
    metrics::flush_into(&mut buffer).expect("flush");
    let text = String::from_utf8(buffer).expect("UTF-8");
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    for line in text.lines() {
        let (declared, doc) = check_document(line);
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
        for (name, unit, dimensions) in declared {
            let values = dimensions
                .iter()
                .map(|d| {
                    (
                        d.clone(),
                        doc[d.as_str()].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            let emitted = Emitted {
                name,
                unit,
                dimensions: values,
            };
            check_catalogued(&emitted);
            seen.push(emitted);
        }
    }
    seen.clone()
}

/// Whether `name` was emitted with (at least) these dimension values.
pub fn was_emitted(name: &str, with: &[(&str, &str)]) -> bool {
    emitted().iter().any(|e| {
        e.name == name
            && with
                .iter()
                .all(|(d, v)| e.dimensions.get(*d).map(String::as_str) == Some(*v))
    })
}

/// Panics unless `name` was emitted with these dimension values.
pub fn assert_emitted(name: &str, with: &[(&str, &str)]) {
    assert!(
        was_emitted(name, with),
        "`{name}` with {with:?} was not emitted; emitted: {:?}",
        emitted()
            .iter()
            .map(|e| (&e.name, &e.dimensions))
            .collect::<Vec<_>>()
    );
}

/// A metric's unit and dimension names are the catalogue's; its values are bounded
/// words (never an id).
fn check_catalogued(e: &Emitted) {
    let (_, unit, dimensions) = CATALOGUE
        .iter()
        .find(|(name, _, _)| *name == e.name)
        .unwrap_or_else(|| panic!("`{}` is not in the catalogue", e.name));
    assert_eq!(e.unit.as_deref(), Some(*unit), "`{}`'s unit", e.name);
    let mut expected: Vec<&str> = vec![FUNCTION];
    expected.extend(dimensions.iter());
    expected.sort_unstable();
    let actual: Vec<&str> = e.dimensions.keys().map(String::as_str).collect();
    assert_eq!(actual, expected, "`{}`'s dimensions", e.name);
    for value in e.dimensions.values() {
        assert!(
            !value.is_empty()
                && value.len() <= 32
                && value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'),
            "`{}` has an unbounded-looking dimension value `{value}`",
            e.name
        );
    }
}

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

/// A metric a document declares: its name, unit and dimension names.
type Declared = (String, Option<String>, Vec<String>);

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
            let unit = metric
                .get("Unit")
                .and_then(Value::as_str)
                .map(str::to_owned);
            found.push((name.to_owned(), unit, names.clone()));
        }
    }
    (found, doc)
}
