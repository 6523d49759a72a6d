//! Logging setup shared by every function.

/// Structured logs through `tracing`, honouring Lambda's advanced logging controls
/// (`AWS_LAMBDA_LOG_LEVEL`, `AWS_LAMBDA_LOG_FORMAT=JSON`) and `RUST_LOG` locally.
pub fn init() {
    use tracing_subscriber::EnvFilter;
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned())
        .to_lowercase();
    let filter = EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .without_time();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // try_init: a second call (tests, the local gateway) keeps the first subscriber.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.with_ansi(false).try_init()
    };
}

/// Metrics in CloudWatch Embedded Metric Format: recorded through the `metrics`
/// facade, written as one JSON line per distinct dimension set after each invocation
/// (`flush`), never a PutMetricData call. CloudWatch Logs extracts them from the
/// function's log stream.
///
/// Dimensions stay bounded: the function, and per metric a few fixed words (outcome,
/// deny reason code, cache result). Never a key, tenant or request id: per-tenant
/// figures come from the usage tables.
pub mod metrics {
    use metrics_cloudwatch_embedded::{Builder, Collector};
    use std::sync::OnceLock;

    /// The CloudWatch namespace of every Gatehouse metric.
    pub const NAMESPACE: &str = "Gatehouse";
    /// The dimension every metric carries: the function's name (its template Handler).
    pub const FUNCTION: &str = "Function";

    /// Authorizer decisions, by `Outcome` (`allow`, `deny`) and `Reason` (the deny
    /// reason code; `none` for an allow).
    pub const AUTHORIZER_DECISIONS: &str = "AuthorizerDecisions";
    /// The authorizer's own time per decision, milliseconds, by `Path`: `cached` (an
    /// allow from the warm cache), `uncached` (an allow after reading the key), `deny`.
    pub const AUTHORIZER_LATENCY: &str = "AuthorizerLatency";
    /// API keys looked up in the authorizer's warm cache, by `Result` (`hit`, `miss`).
    pub const AUTHORIZER_KEY_CACHE: &str = "AuthorizerKeyCache";
    /// Committed API key changes and notices, by `Action` (the audit action without
    /// its `api_key.` prefix: `create`, `rotate`, `revoke`, `compromise`, `anomaly`,
    /// `quota_threshold`, ...), counted once by the event publisher.
    pub const KEY_EVENTS: &str = "KeyEvents";
    /// Security findings, by `Kind`: `failed_verifications`, `anomaly`, `compromise`,
    /// `access_denied`, `sso_refused`.
    pub const SECURITY_EVENTS: &str = "SecurityEvents";
    /// Webhook attempts, by `Outcome`: `delivered`, `retrying`, `gave_up` (dead-lettered),
    /// `skipped`, `deferred` (circuit or rate limit), `duplicate`, `dropped`.
    pub const WEBHOOK_ATTEMPTS: &str = "WebhookAttempts";
    /// Time to the endpoint's answer, milliseconds, by `Result` (`success`, `failure`).
    pub const WEBHOOK_ATTEMPT_LATENCY: &str = "WebhookAttemptLatency";
    /// Endpoint health changes, by `State`: `open`, `half_open`, `closed` (the circuit),
    /// `disabled` (given up on).
    pub const WEBHOOK_ENDPOINT_CHANGES: &str = "WebhookEndpointChanges";
    /// SSO logins and session refreshes, by `Protocol` (`oidc`, `saml`, `ldap`,
    /// `refresh`) and `Outcome` (`success`, or the refusal's reason code).
    pub const SSO_LOGINS: &str = "SsoLogins";
    /// Secret-store calls, milliseconds, by `Store` (`aws`, `vault`) and `Operation`.
    pub const SECRET_STORE_LATENCY: &str = "SecretStoreLatency";
    /// Failed secret-store calls, by `Store` and `Operation`.
    pub const SECRET_STORE_ERRORS: &str = "SecretStoreErrors";
    /// SIEM events, by `Outcome`: `delivered`, `retried`, `dead_lettered`, `dropped`,
    /// `deferred`.
    pub const SIEM_EVENTS: &str = "SiemEvents";
    /// From an event's first queueing to its delivery to a SIEM, milliseconds.
    pub const SIEM_LAG: &str = "SiemLag";
    /// Integrations found unhealthy by the scheduled probe, by `Kind` (a gauge: the
    /// count at the last probe).
    pub const INTEGRATIONS_UNHEALTHY: &str = "IntegrationsUnhealthy";
    /// Failures a caller or a queue sees, by `Class`: `http_5xx`, `invocation` (the
    /// function returned an error), `batch_item` (a queue message that comes back),
    /// `unreadable_message`.
    pub const ERRORS: &str = "Errors";

    /// Every metric the code emits, with its unit and its dimensions besides
    /// [`FUNCTION`]: what the dashboard and the alarms may name.
    pub const CATALOGUE: &[(&str, &str, &[&str])] = &[
        (AUTHORIZER_DECISIONS, "Count", &["Outcome", "Reason"]),
        (AUTHORIZER_LATENCY, "Milliseconds", &["Path"]),
        (AUTHORIZER_KEY_CACHE, "Count", &["Result"]),
        (KEY_EVENTS, "Count", &["Action"]),
        (SECURITY_EVENTS, "Count", &["Kind"]),
        (WEBHOOK_ATTEMPTS, "Count", &["Outcome"]),
        (WEBHOOK_ATTEMPT_LATENCY, "Milliseconds", &["Result"]),
        (WEBHOOK_ENDPOINT_CHANGES, "Count", &["State"]),
        (SSO_LOGINS, "Count", &["Protocol", "Outcome"]),
        (
            SECRET_STORE_LATENCY,
            "Milliseconds",
            &["Store", "Operation"],
        ),
        (SECRET_STORE_ERRORS, "Count", &["Store", "Operation"]),
        (SIEM_EVENTS, "Count", &["Outcome"]),
        (SIEM_LAG, "Milliseconds", &[]),
        (INTEGRATIONS_UNHEALTHY, "Count", &["Kind"]),
        (ERRORS, "Count", &["Class"]),
    ];

    /// The installed recorder; `None` if another one was installed first.
    static COLLECTOR: OnceLock<Option<&'static Collector>> = OnceLock::new();

    /// Installs the EMF recorder for `function`, once per process (a later call keeps
    /// the first: the tests and the local gateway run many functions in one process).
    pub fn init(function: &str) {
        COLLECTOR.get_or_init(|| {
            let installed = Builder::new()
                .cloudwatch_namespace(NAMESPACE)
                .with_dimension(FUNCTION, function.to_owned())
                .init();
            match installed {
                Ok(collector) => {
                    describe();
                    Some(collector)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        });
    }

    /// Units, declared once from the catalogue: the EMF lines carry them.
    fn describe() {
        use ::metrics::Unit;
        for (name, unit, _) in CATALOGUE {
            if *unit == "Milliseconds" {
                ::metrics::describe_histogram!(*name, Unit::Milliseconds, "");
            } else {
                ::metrics::describe_counter!(*name, Unit::Count, "");
                ::metrics::describe_gauge!(*name, Unit::Count, "");
            }
        }
    }

    /// Counts one occurrence of `name` with bounded `labels`.
    pub fn count(name: &'static str, labels: &[(&'static str, &'static str)]) {
        count_by(name, labels, 1);
    }

    /// Records a duration in milliseconds.
    pub fn time(
        name: &'static str,
        labels: &[(&'static str, &'static str)],
        took: std::time::Duration,
    ) {
        ::metrics::histogram!(name, labels).record(took.as_secs_f64() * 1000.0);
    }

    /// Counts `by` occurrences at once (a batch's outcomes); nothing when zero.
    pub fn count_by(name: &'static str, labels: &[(&'static str, &'static str)], by: u64) {
        if by > 0 {
            ::metrics::counter!(name, labels).increment(by);
        }
    }

    /// Sets a gauge (a level, not a count of events).
    pub fn level(name: &'static str, labels: &[(&'static str, &'static str)], value: f64) {
        ::metrics::gauge!(name, labels).set(value);
    }

    /// Writes what was recorded since the last flush to stdout (one EMF line per
    /// dimension set); nothing if [`init`] was never called.
    pub fn flush() {
        if let Some(Some(collector)) = COLLECTOR.get()
            && let Err(e) = collector.flush(std::io::stdout().lock())
        {
            tracing::warn!(error = %e, "metrics not written");
        }
    }

    /// [`flush`] into a buffer (the tests, and the local gateway's metrics file).
    pub fn flush_into(buffer: &mut Vec<u8>) -> std::io::Result<()> {
        match COLLECTOR.get() {
            Some(Some(collector)) => collector.flush(buffer),
            _ => Ok(()),
        }
    }
}
