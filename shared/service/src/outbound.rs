//! The one outbound HTTP client: webhook deliveries, and calls to tenants' own
//! services (Vault; later identity providers and SIEMs). A timeout, no redirects, no
//! proxies (environment variables are ignored), a capped response read, and its own
//! resolver that refuses internal addresses at connect time, so a name that resolves
//! somewhere internal after registration (DNS rebinding) is still refused. Literal IP
//! hosts skip resolution, so every URL is checked again with
//! [`crate::webhooks::ssrf::check_url`] just before it is sent.

use crate::webhooks::ssrf::{AllowList, DestinationError, check_url, is_forbidden};
use bytes::Bytes;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How much of a response body is read (the rest is dropped with the connection).
pub const MAX_RESPONSE_READ: usize = 64 * 1024;
/// How much of it is kept in the delivery log.
pub const RESPONSE_EXCERPT: usize = 1024;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Resolves with the system resolver, then refuses the name if any address is
/// internal (unless the allow list names the host).
#[derive(Debug, Clone)]
struct GuardedResolver {
    allow: AllowList,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allowed = self.allow.allows_host(&host);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allowed && let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip())) {
                let refused = DestinationError::Internal(bad.ip().to_string());
                return Err(Box::new(refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The addresses of `host:port` for a connection Gatehouse makes itself (LDAP,
/// syslog), resolved once and checked: an internal address is refused unless the
/// allow list names the host and port. Connect only to these, so a second lookup
/// cannot lead elsewhere. The error names the step (`DNS`, `address`) and why.
pub async fn checked_addresses(
    host: &str,
    port: u16,
    allow: &AllowList,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, (&'static str, String)> {
    let addresses: Vec<SocketAddr> =
        tokio::time::timeout(timeout, tokio::net::lookup_host((host, port)))
            .await
            .map_err(|_| ("DNS", "timed out".to_owned()))?
            .map_err(|e| ("DNS", e.to_string()))?
            .collect();
    if addresses.is_empty() {
        return Err(("DNS", format!("`{host}` has no address")));
    }
    if !allow.allows(host, port) {
        let ips: Vec<std::net::IpAddr> = addresses.iter().map(|a| a.ip()).collect();
        crate::webhooks::ssrf::check_resolved(&ips).map_err(|e| ("address", e.to_string()))?;
    }
    Ok(addresses)
}

/// The connect-time resolver, on its own (for tests of the rebinding defence).
pub fn guarded_resolver(allow: AllowList) -> impl Resolve {
    GuardedResolver { allow }
}

pub use gatehouse_domain::webhooks::delivery::ErrorClass;

/// One attempt's outcome, as the delivery log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    pub status: Option<u16>,
    pub latency: Duration,
    /// The first [`RESPONSE_EXCERPT`] bytes of the response, lossily as text.
    pub response_excerpt: String,
    pub retry_after: Option<String>,
    pub error: Option<ErrorClass>,
    /// The error's text (never containing the request's headers or body).
    pub error_detail: Option<String>,
}

#[derive(Clone)]
pub struct OutboundClient {
    client: reqwest::Client,
    allow: AllowList,
}

impl OutboundClient {
    pub fn new(allow: AllowList, timeout: Duration) -> Result<Self, reqwest::Error> {
        Self::build(allow, timeout, None, None, "Gatehouse-Webhooks")
    }

    /// A client for one tenant integration: its own trusted CA (PEM), if it has one,
    /// added to the public roots.
    pub fn for_integration(
        allow: AllowList,
        timeout: Duration,
        ca_pem: Option<&[u8]>,
    ) -> Result<Self, reqwest::Error> {
        Self::build(allow, timeout, ca_pem, None, "Gatehouse-Integrations")
    }

    /// A client for one SIEM destination: its trusted CA, and the client certificate
    /// and key (one PEM) it presents for mTLS.
    pub fn for_destination(
        allow: AllowList,
        timeout: Duration,
        ca_pem: Option<&[u8]>,
        identity_pem: Option<&[u8]>,
    ) -> Result<Self, reqwest::Error> {
        Self::build(allow, timeout, ca_pem, identity_pem, "Gatehouse-SIEM")
    }

    fn build(
        allow: AllowList,
        timeout: Duration,
        ca_pem: Option<&[u8]>,
        identity_pem: Option<&[u8]>,
        agent: &str,
    ) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = ca_pem {
            for certificate in reqwest::Certificate::from_pem_bundle(pem)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        if let Some(pem) = identity_pem {
            builder = builder.identity(reqwest::Identity::from_pem(pem)?);
        }
        let client = builder
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow: allow.clone(),
            }))
            .user_agent(format!("{agent}/{}", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self { client, allow })
    }

    /// The client the configuration asks for (allow list, delivery timeout).
    pub fn from_config(config: &crate::Config) -> Result<Self, reqwest::Error> {
        let timeout = Duration::from_secs(
            u64::try_from(config.webhook_timeout.whole_seconds()).unwrap_or(15),
        );
        Self::new(config.webhook_allow_hosts.clone(), timeout)
    }

    pub fn allow_list(&self) -> &AllowList {
        &self.allow
    }

    /// POSTs `body` with `headers` to `url`; never fails, the outcome says what
    /// happened.
    pub async fn post(&self, url: &str, headers: &[(&str, String)], body: Bytes) -> AttemptOutcome {
        let started = Instant::now();
        let failed = |class: ErrorClass, detail: String, started: Instant| AttemptOutcome {
            status: None,
            latency: started.elapsed(),
            response_excerpt: String::new(),
            retry_after: None,
            error: Some(class),
            error_detail: Some(detail),
        };
        let url = match check_url(url, &self.allow) {
            Ok(url) => url,
            Err(e) => return failed(ErrorClass::Refused, e.to_string(), started),
        };
        let host = url.host_str().unwrap_or_default().to_owned();
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let mut response = match send_traced(request, &host, "POST").await {
            Ok(response) => response,
            Err(e) => return failed(classify(&e), error_chain(&e), started),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut read = Vec::new();
        let mut error = None;
        while read.len() < MAX_RESPONSE_READ {
            match response.chunk().await {
                Ok(Some(chunk)) => read.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    error = Some((classify(&e), error_chain(&e)));
                    break;
                }
            }
        }
        read.truncate(RESPONSE_EXCERPT);
        AttemptOutcome {
            status: Some(status),
            latency: started.elapsed(),
            response_excerpt: String::from_utf8_lossy(&read).into_owned(),
            retry_after,
            error: error.as_ref().map(|(class, _)| *class),
            error_detail: error.map(|(_, detail)| detail),
        }
    }
}

/// An answer to [`OutboundClient::send_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// The answer's `Content-Type`, if any.
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub latency: Duration,
}

/// Why [`OutboundClient::send_json`] got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{class:?}: {detail}")]
pub struct Unanswered {
    pub class: ErrorClass,
    /// The error's text (never the request's headers or body).
    pub detail: String,
    pub latency: Duration,
}

impl OutboundClient {
    /// One JSON request (any method), its answer read up to `max_read` bytes (a longer
    /// answer is a `Body` failure: a JSON document cut short is no document).
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&serde_json::Value>,
        max_read: usize,
    ) -> Result<Answer, Unanswered> {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        let body = body.map(|b| {
            all.push(("content-type", "application/json"));
            serde_json::to_vec(b).unwrap_or_default()
        });
        self.send(method, url, &all, body, max_read).await
    }

    /// One request with any body (a form, for OAuth token endpoints), its answer read up
    /// to `max_read` bytes.
    pub async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
        max_read: usize,
    ) -> Result<Answer, Unanswered> {
        let started = Instant::now();
        let fail = |class, detail: String| Unanswered {
            class,
            detail,
            latency: started.elapsed(),
        };
        let url =
            check_url(url, &self.allow).map_err(|e| fail(ErrorClass::Refused, e.to_string()))?;
        let method_name = method.as_str().to_owned();
        let host = url.host_str().unwrap_or_default().to_owned();
        let mut request = self.client.request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let mut response = send_traced(request, &host, &method_name)
            .await
            .map_err(|e| fail(classify(&e), error_chain(&e)))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut read = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    read.extend_from_slice(&chunk);
                    if read.len() > max_read {
                        return Err(fail(
                            ErrorClass::Body,
                            format!("the answer is over {max_read} bytes"),
                        ));
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(fail(classify(&e), error_chain(&e))),
            }
        }
        Ok(Answer {
            status,
            content_type,
            body: read,
            latency: started.elapsed(),
        })
    }
}

/// Sends `request`, reporting it as an X-Ray subsegment named by `host` (never the
/// path or query, which can carry a secret).
async fn send_traced(
    request: reqwest::RequestBuilder,
    host: &str,
    method: &str,
) -> Result<reqwest::Response, reqwest::Error> {
    let started = crate::xray::now();
    let sent = request.send().await;
    let status = sent.as_ref().ok().map(|r| r.status().as_u16());
    crate::xray::outbound(host, method, started, status);
    sent
}

fn classify(e: &reqwest::Error) -> ErrorClass {
    let refused = std::iter::successors(Some(e as &(dyn std::error::Error + 'static)), |err| {
        err.source()
    })
    .any(|err| err.is::<DestinationError>());
    if refused {
        ErrorClass::Refused
    } else if e.is_timeout() {
        ErrorClass::Timeout
    } else if e.is_connect() {
        ErrorClass::Connect
    } else if e.is_body() || e.is_decode() {
        ErrorClass::Body
    } else if e.is_request() {
        ErrorClass::Connect
    } else {
        ErrorClass::Other
    }
}

/// The error and its causes, one line (reqwest's top-level message is terse).
fn error_chain(e: &reqwest::Error) -> String {
    describe_error(e, 300)
}

/// An error and its sources, `: `-joined, at most `max` characters (for diagnoses;
/// errors never carry request bodies or headers).
pub fn describe_error(e: &dyn std::error::Error, max: usize) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text.chars().take(max).collect()
}
