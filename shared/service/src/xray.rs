//! AWS X-Ray subsegments for what a function waits on: every AWS SDK call (DynamoDB,
//! SQS, KMS, Secrets Manager, STS, IAM), through one interceptor on each client, and
//! every outbound HTTP call (webhooks, identity providers, Vault, SIEM collectors).
//!
//! With active tracing, Lambda runs an X-Ray daemon beside the function, names it in
//! `AWS_XRAY_DAEMON_ADDRESS` and gives each invocation its trace header in
//! `_X_AMZN_TRACE_ID` (the runtime sets it per invocation). Each subsegment is sent to
//! the daemon as one UDP datagram when the call ends, under the invocation's segment.
//! Without a daemon (locally, in tests) nothing is installed and nothing is sent.
//!
//! Written here rather than taken from a crate: the X-Ray crates for Rust found were
//! unmaintained 0.0.x releases, and the segment format needs a few dozen lines; the
//! OpenTelemetry route needs a collector layer in every function.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, OnceLock};

/// The header every datagram to the daemon starts with.
const DAEMON_HEADER: &str = "{\"format\":\"json\",\"version\":1}\n";

/// Where subsegments go, and whose trace they belong to.
#[derive(Debug)]
pub struct Sink {
    socket: UdpSocket,
    daemon: SocketAddr,
    /// The current trace header (`Root=...;Parent=...;Sampled=1`).
    trace: fn() -> Option<String>,
}

impl Sink {
    /// A sink for `daemon`, taking the trace header from `trace` at each call.
    pub fn new(daemon: SocketAddr, trace: fn() -> Option<String>) -> std::io::Result<Self> {
        let socket = UdpSocket::bind(if daemon.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        })?;
        Ok(Self {
            socket,
            daemon,
            trace,
        })
    }

    /// Lambda's daemon, if tracing is active (the address may read
    /// `udp:host:port tcp:host:port` or `host:port`).
    fn from_lambda_env() -> Option<Self> {
        let address = std::env::var("AWS_XRAY_DAEMON_ADDRESS").ok()?;
        let udp = address
            .split_whitespace()
            .find_map(|part| part.strip_prefix("udp:"))
            .unwrap_or(address.split_whitespace().next()?);
        let daemon = udp.parse().ok()?;
        Self::new(daemon, || std::env::var("_X_AMZN_TRACE_ID").ok())
            .inspect_err(|e| tracing::warn!(error = %e, "X-Ray subsegments off"))
            .ok()
    }

    /// Sends one finished subsegment, if the invocation is sampled. Best effort: a
    /// lost datagram loses a span, never a request.
    pub fn send(&self, call: &Call<'_>) {
        let Some(header) = (self.trace)() else {
            return;
        };
        let Some(trace) = Trace::parse(&header) else {
            return;
        };
        let document = call.document(&trace, &span_id());
        let datagram = format!("{DAEMON_HEADER}{document}");
        if let Err(e) = self.socket.send_to(datagram.as_bytes(), self.daemon) {
            tracing::debug!(error = %e, "X-Ray subsegment not sent");
        }
    }
}

/// The process's sink: Lambda's daemon when tracing is active, else none.
pub fn lambda_sink() -> Option<Arc<Sink>> {
    static SINK: OnceLock<Option<Arc<Sink>>> = OnceLock::new();
    SINK.get_or_init(|| Sink::from_lambda_env().map(Arc::new))
        .clone()
}

/// The parts of a trace header a subsegment needs.
#[derive(Debug, PartialEq, Eq)]
struct Trace<'a> {
    root: &'a str,
    parent: &'a str,
}

impl<'a> Trace<'a> {
    /// `Root=1-...;Parent=...;Sampled=1`; `None` unless sampled and complete.
    fn parse(header: &'a str) -> Option<Self> {
        let field = |name: &str| {
            header.split(';').find_map(|part| {
                part.trim()
                    .strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix('='))
            })
        };
        (field("Sampled") == Some("1")).then_some(())?;
        Some(Self {
            root: field("Root")?,
            parent: field("Parent")?,
        })
    }
}

/// A random 64-bit subsegment id in hex.
fn span_id() -> String {
    let mut bytes = [0u8; 8];
    // A failed read leaves zeros: a colliding id costs one span, not a request.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The time, as X-Ray's documents give it (seconds since the epoch); what to pass to
/// [`outbound`] as `started`.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One finished call.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// The subsegment's name: the AWS service, or the remote host.
    pub name: &'a str,
    /// `aws` or `remote`.
    pub namespace: &'static str,
    /// The AWS operation (`GetItem`), for AWS calls.
    pub operation: Option<&'a str>,
    pub method: Option<&'a str>,
    pub started: f64,
    pub ended: f64,
    /// The HTTP status, if an answer came.
    pub status: Option<u16>,
    /// Whether the call failed (an error status, or no answer).
    pub failed: bool,
}

impl Call<'_> {
    fn document(&self, trace: &Trace<'_>, id: &str) -> serde_json::Value {
        let mut doc = serde_json::json!({
            "type": "subsegment",
            "id": id,
            "trace_id": trace.root,
            "parent_id": trace.parent,
            "name": self.name,
            "namespace": self.namespace,
            "start_time": self.started,
            "end_time": self.ended.max(self.started),
        });
        if let Some(operation) = self.operation {
            doc["aws"] = serde_json::json!({ "operation": operation });
        }
        let mut http = serde_json::Map::new();
        if let Some(method) = self.method {
            http.insert("request".into(), serde_json::json!({ "method": method }));
        }
        if let Some(status) = self.status {
            http.insert("response".into(), serde_json::json!({ "status": status }));
        }
        if !http.is_empty() {
            doc["http"] = serde_json::Value::Object(http);
        }
        // X-Ray's classes: 429 throttle, other 4xx error, 5xx or no answer fault.
        match self.status {
            Some(429) => {
                doc["throttle"] = true.into();
                doc["error"] = true.into();
            }
            Some(400..=499) => doc["error"] = true.into(),
            Some(500..) => doc["fault"] = true.into(),
            _ if self.failed => doc["fault"] = true.into(),
            _ => {}
        }
        doc
    }
}

/// X-Ray's names for the services Gatehouse calls (the SDK's are lower case).
fn service_name(sdk: &str) -> &str {
    match sdk.to_ascii_lowercase().as_str() {
        "dynamodb" => "DynamoDB",
        "sqs" => "SQS",
        "kms" => "KMS",
        "secretsmanager" | "secrets manager" => "SecretsManager",
        "sts" => "STS",
        "iam" => "IAM",
        _ => sdk,
    }
}

/// The SDK interceptor that reports each AWS call (retries included) as one
/// subsegment.
#[derive(Debug, Clone)]
pub struct AwsCalls {
    sink: Arc<Sink>,
}

impl AwsCalls {
    pub fn new(sink: Arc<Sink>) -> Self {
        Self { sink }
    }

    /// The interceptor for Lambda's daemon; `None` when tracing is off.
    pub fn from_lambda_env() -> Option<Self> {
        lambda_sink().map(Self::new)
    }
}

/// When the call started, kept in the call's own configuration bag.
#[derive(Debug, Clone)]
struct Started(f64);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

impl Intercept for AwsCalls {
    fn name(&self) -> &'static str {
        "XRaySubsegments"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(now()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (Some(started), Some(metadata)) = (cfg.load::<Started>(), cfg.load::<Metadata>())
        else {
            return Ok(());
        };
        let status = context.response().map(|r| r.status().as_u16());
        self.sink.send(&Call {
            name: service_name(metadata.service()),
            namespace: "aws",
            operation: Some(metadata.name()),
            method: None,
            started: started.0,
            ended: now(),
            status,
            failed: matches!(context.output_or_error(), Some(Err(_)) | None),
        });
        Ok(())
    }
}

/// Reports an outbound HTTP call to `host` that started at `started` (from
/// [`now`]). Only the host is named: a URL's path or query can carry a secret (chat
/// webhooks put their token there).
pub fn outbound(host: &str, method: &str, started: f64, status: Option<u16>) {
    if let Some(sink) = lambda_sink() {
        sink.send(&Call {
            name: host,
            namespace: "remote",
            operation: None,
            method: Some(method),
            started,
            ended: now(),
            status,
            failed: status.is_none_or(|s| s >= 500),
        });
    }
}

/// A client of an AWS SDK crate, with the X-Ray interceptor when tracing is on:
/// `traced_client!(aws_sdk_dynamodb, sdk)`.
#[macro_export]
macro_rules! traced_client {
    ($sdk_crate:ident, $config:expr) => {{
        let builder = $sdk_crate::config::Builder::from($config);
        let builder = match $crate::xray::AwsCalls::from_lambda_env() {
            Some(interceptor) => builder.interceptor(interceptor),
            None => builder,
        };
        $sdk_crate::Client::from_conf(builder.build())
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_header_is_used_only_when_sampled() {
        let header = "Root=1-65dfb5a1-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1";
        assert_eq!(
            Trace::parse(header),
            Some(Trace {
                root: "1-65dfb5a1-0123456789abcdef01234567",
                parent: "0123456789abcdef",
            })
        );
        assert_eq!(
            Trace::parse(&header.replace("Sampled=1", "Sampled=0")),
            None
        );
        assert_eq!(Trace::parse("Root=1-abc;Sampled=1"), None);
    }

    #[test]
    fn a_call_becomes_a_subsegment_with_its_failure_class() {
        let trace = Trace {
            root: "1-65dfb5a1-0123456789abcdef01234567",
            parent: "0123456789abcdef",
        };
        let call = Call {
            name: "DynamoDB",
            namespace: "aws",
            operation: Some("GetItem"),
            method: None,
            started: 10.0,
            ended: 10.5,
            status: Some(200),
            failed: false,
        };
        let doc = call.document(&trace, "00000000000000aa");
        assert_eq!(doc["type"], "subsegment");
        assert_eq!(doc["trace_id"], trace.root);
        assert_eq!(doc["parent_id"], trace.parent);
        assert_eq!(doc["aws"]["operation"], "GetItem");
        assert_eq!(doc["http"]["response"]["status"], 200);
        assert!(doc.get("fault").is_none() && doc.get("error").is_none());
        let throttled = Call {
            status: Some(429),
            ..call.clone()
        };
        assert_eq!(throttled.document(&trace, "a")["throttle"], true);
        let unanswered = Call {
            status: None,
            failed: true,
            ..call
        };
        assert_eq!(unanswered.document(&trace, "a")["fault"], true);
    }

    #[test]
    fn ids_are_sixteen_hex_digits() {
        let id = span_id();
        assert_eq!(id.len(), 16);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(id, span_id());
    }
}
