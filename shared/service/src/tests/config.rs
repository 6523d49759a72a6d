use super::*;
use std::collections::HashMap;

const REQUIRED: &[(&str, &str)] = &[
    ("AUDIT_TABLE", "gatehouse-audit"),
    ("EPHEMERAL_TABLE", "gatehouse-ephemeral"),
    ("USAGE_TABLE", "gatehouse-usage"),
    ("DELIVERIES_TABLE", "gatehouse-deliveries"),
    (
        "DELIVERY_QUEUE_URL",
        "https://sqs.us-east-1.amazonaws.com/123456789012/deliveries",
    ),
    (
        "DELIVERY_DLQ_URL",
        "https://sqs.us-east-1.amazonaws.com/123456789012/deliveries-dlq",
    ),
    (
        "EVENTS_QUEUE_URL",
        "https://sqs.us-east-1.amazonaws.com/123456789012/events",
    ),
    (
        "SIEM_QUEUE_URL",
        "https://sqs.us-east-1.amazonaws.com/123456789012/siem",
    ),
    (
        "SIEM_DLQ_URL",
        "https://sqs.us-east-1.amazonaws.com/123456789012/siem-dlq",
    ),
    (
        "SERVICE_SECRET_ARN",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:svc",
    ),
    ("SECRETS_TABLE", "gatehouse-secrets"),
    ("SECRETS_NAME_PREFIX", "gatehouse/tenant-secrets/"),
    ("SECRETS_KEY_ID", "alias/gatehouse-secrets"),
    ("INTEGRATIONS_TABLE", "gatehouse-integrations"),
    (
        "SECRET_SCANNING_SECRET_ARN",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:scanner",
    ),
    ("SESSION_ISSUER", "gatehouse:stack"),
    ("SESSION_KEY_IDS", "1234abcd-12ab-34cd-56ef-1234567890ab"),
];

fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut map: HashMap<String, String> = REQUIRED
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    // Every group whose variables REQUIRED sets, and the keys table.
    Config::for_needs(Needs::ALL.without(Needs::SEALING), |name| {
        map.get(name).cloned()
    })
}

#[test]
fn defaults_apply_when_only_the_table_is_set() {
    let c = config(&[("KEYS_TABLE", "gatehouse-keys")]).unwrap();
    assert_eq!(c.key_environment, KeyEnvironment::Live);
    assert_eq!(c.default_key_prefix.as_str(), "gh");
    assert_eq!(c.argon2, Argon2Params::DEFAULT);
}

#[test]
fn errors_name_the_variable() {
    assert_eq!(config(&[]).unwrap_err().variable, "KEYS_TABLE");
    assert_eq!(
        config(&[("KEYS_TABLE", "  ")]).unwrap_err().variable,
        "KEYS_TABLE"
    );
    assert_eq!(
        config(&[("KEYS_TABLE", "bad table!")])
            .unwrap_err()
            .variable,
        "KEYS_TABLE"
    );
    let e = config(&[("KEYS_TABLE", "t_1"), ("KEY_ENVIRONMENT", "prod")]).unwrap_err();
    assert_eq!(e.variable, "KEY_ENVIRONMENT");
    assert!(e.to_string().contains("prod"));
    let e = config(&[("KEYS_TABLE", "t_1"), ("DEFAULT_KEY_PREFIX", "Nope")]).unwrap_err();
    assert_eq!(e.variable, "DEFAULT_KEY_PREFIX");
    let e = config(&[("KEYS_TABLE", "t_1"), ("ARGON2_ITERATIONS", "many")]).unwrap_err();
    assert_eq!(e.variable, "ARGON2_ITERATIONS");
    let e = config(&[("KEYS_TABLE", "t_1"), ("EVENTS_QUEUE_URL", "queue")]).unwrap_err();
    assert_eq!(e.variable, "EVENTS_QUEUE_URL");
    let e = config(&[("KEYS_TABLE", "t_1"), ("SERVICE_SECRET_ARN", "secret")]).unwrap_err();
    assert_eq!(e.variable, "SERVICE_SECRET_ARN");
    let e = config(&[
        ("KEYS_TABLE", "t_1"),
        ("SECRET_SCANNING_KEYS_URL", "github"),
    ])
    .unwrap_err();
    assert_eq!(e.variable, "SECRET_SCANNING_KEYS_URL");
    let e = config(&[("KEYS_TABLE", "t_1"), ("AUDIT_RETENTION_DAYS", "0")]).unwrap_err();
    assert_eq!(e.variable, "AUDIT_RETENTION_DAYS");
    let e = config(&[("KEYS_TABLE", "t_1"), ("ARGON2_MEMORY_KIB", "1")]).unwrap_err();
    assert!(e.variable.contains("ARGON2_MEMORY_KIB"));
}

#[test]
fn session_keys_are_a_list_and_the_base_url_is_optional() {
    let c = config(&[
        ("KEYS_TABLE", "gatehouse-keys"),
        ("SESSION_KEY_IDS", " new-key , old-key "),
    ])
    .unwrap();
    assert_eq!(c.session_key_ids, vec!["new-key", "old-key"]);
    assert_eq!(c.public_base_url, None);
    let c = config(&[
        ("KEYS_TABLE", "gatehouse-keys"),
        ("PUBLIC_BASE_URL", "https://api.example.com/"),
    ])
    .unwrap();
    assert_eq!(
        c.public_base_url.as_deref(),
        Some("https://api.example.com")
    );
    let bad = config(&[
        ("KEYS_TABLE", "gatehouse-keys"),
        ("PUBLIC_BASE_URL", "api.example.com"),
    ]);
    assert_eq!(bad.unwrap_err().variable, "PUBLIC_BASE_URL");
}
