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

    /// Every metric the code emits, with its unit and its dimensions besides
    /// [`FUNCTION`]: what the dashboard and the alarms may name.
    pub const CATALOGUE: &[(&str, &str, &[&str])] = &[
        (AUTHORIZER_DECISIONS, "Count", &["Outcome", "Reason"]),
        (AUTHORIZER_LATENCY, "Milliseconds", &["Path"]),
        (AUTHORIZER_KEY_CACHE, "Count", &["Result"]),
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

    /// Units, declared once: the EMF lines carry them.
    fn describe() {
        use ::metrics::Unit;
        ::metrics::describe_counter!(AUTHORIZER_DECISIONS, Unit::Count, "authorizer decisions");
        ::metrics::describe_histogram!(
            AUTHORIZER_LATENCY,
            Unit::Milliseconds,
            "authorizer time per decision"
        );
        ::metrics::describe_counter!(AUTHORIZER_KEY_CACHE, Unit::Count, "key cache lookups");
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

    /// [`flush`] into a buffer (tests).
    pub fn flush_into(buffer: &mut Vec<u8>) -> std::io::Result<()> {
        match COLLECTOR.get() {
            Some(Some(collector)) => collector.flush(buffer),
            _ => Ok(()),
        }
    }
}
