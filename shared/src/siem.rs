//! What the SIEM destination routes share: reading a destination from a request
//! (sealing its token and client key), checking it, and how it is shown (never a
//! credential).

use crate::audit::{AuditEvent, TargetKind};
use crate::http::call::Call;
use crate::http::{Problem, ProblemType};
use crate::ids::IntegrationId;
use crate::integrations::{Credential, HealthView};
use gatehouse_service::siem::destination::{
    Destination, Filter, JsonFormat, Preset, SyslogFormat, SyslogProtocol, TlsOptions, Transport,
    preset_allows,
};
use gatehouse_service::webhooks::ssrf::check_url;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use gatehouse_service::siem::*;

/// The largest body of a create or update (a CA chain and a client certificate fit).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Destinations per tenant.
pub const MAX_DESTINATIONS: usize = 20;

/// How events travel to the destination, as a request gives it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[schemars(rename = "SiemTransportRequest")]
pub enum TransportRequest {
    /// Syslog (RFC 5424): TLS (RFC 5425) or TCP with octet counting, or UDP (best
    /// effort).
    Syslog {
        #[schemars(length(min = 1, max = 253))]
        host: String,
        #[schemars(range(min = 1, max = 65535))]
        port: u16,
        /// Default `tls`.
        #[serde(default)]
        protocol: Option<SyslogProtocol>,
        /// Default: `cef` for ArcSight, `leef2` for QRadar, `rfc5424` otherwise.
        #[serde(default)]
        format: Option<SyslogFormat>,
        /// 0-23 (default 13, log audit).
        #[serde(default)]
        #[schemars(range(min = 0, max = 23))]
        facility: Option<u8>,
        /// The HOSTNAME field (default `gatehouse`).
        #[serde(default)]
        #[schemars(length(min = 1, max = 255), regex(pattern = "^[!-~]+$"))]
        hostname: Option<String>,
        /// Longest message, in bytes (default 8192; 480-65535).
        #[serde(default)]
        #[schemars(range(min = 480, max = 65535))]
        max_message_bytes: Option<u32>,
    },
    /// Splunk HTTP Event Collector (`token` is the HEC token).
    Hec {
        /// `https://splunk.example.com:8088`.
        #[schemars(length(min = 8, max = 2048))]
        url: String,
        #[serde(default)]
        #[schemars(length(min = 1, max = 80), regex(pattern = "^[a-z0-9][a-z0-9_-]*$"))]
        index: Option<String>,
        #[serde(default)]
        #[schemars(length(min = 1, max = 100), regex(pattern = "^[!-~]+$"))]
        source: Option<String>,
        #[serde(default)]
        #[schemars(length(min = 1, max = 100), regex(pattern = "^[!-~]+$"))]
        sourcetype: Option<String>,
        /// Indexer acknowledgement: events count as delivered only once acknowledged.
        #[serde(default)]
        acknowledgements: bool,
    },
    /// Elasticsearch `_bulk` (`token` is an API key, sent as `ApiKey <token>`).
    Bulk {
        /// `https://es.example.com:9200` (a path prefix is kept).
        #[schemars(length(min = 8, max = 2048))]
        url: String,
        /// Default `gatehouse-security`.
        #[serde(default)]
        #[schemars(length(min = 1, max = 255), regex(pattern = "^[a-z0-9][a-z0-9._-]*$"))]
        index: Option<String>,
    },
    /// NDJSON documents POSTed to `url` (`token`, if given, as a bearer token).
    Https {
        #[schemars(length(min = 8, max = 2048))]
        url: String,
        format: JsonFormat,
    },
}

/// TLS settings, as a request gives them.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SiemTlsRequest")]
pub struct TlsRequest {
    /// A CA certificate (PEM) to trust instead of the system's roots.
    #[serde(default)]
    #[schemars(length(max = 16384), regex(pattern = crate::integrations::PEM_PATTERN))]
    pub ca_certificate: Option<String>,
    /// A client certificate chain (PEM) for mTLS.
    #[serde(default)]
    #[schemars(length(max = 16384), regex(pattern = crate::integrations::PEM_PATTERN))]
    pub client_certificate: Option<String>,
    /// Its private key (PEM): sealed at rest, never shown again. An update without it
    /// keeps the stored one.
    #[serde(default)]
    #[schemars(length(max = 16384))]
    pub client_key: Option<String>,
}

/// A SIEM destination, as a create or a (whole) update gives it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SiemDestinationRequest", example = serde_json::json!({
    "name": "Splunk production",
    "preset": "splunk",
    "transport": {"kind": "hec", "url": "https://splunk.example.com:8088", "index": "security", "acknowledgements": true},
    "token": "00000000-0000-0000-0000-000000000000",
    "filter": {"min_severity": "low"},
    "redaction": {"emails": "mask", "ips": "keep"},
}))]
pub struct DestinationRequest {
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
    pub preset: Preset,
    pub transport: TransportRequest,
    /// The HEC token, Elasticsearch API key or bearer token: sealed at rest, never
    /// shown again. An update without it keeps the stored one.
    #[serde(default)]
    #[schemars(length(min = 1, max = 4096), regex(pattern = "^[!-~]+$"))]
    pub token: Option<String>,
    #[serde(default)]
    pub tls: Option<TlsRequest>,
    /// Which events (default: all).
    #[serde(default)]
    pub filter: Filter,
    /// How much PII leaves (default: emails and IPs as audited). Keys, tokens and
    /// secrets never leave.
    #[serde(default)]
    pub redaction: Redaction,
    /// Receive every tenant's events: only for the platform operator's tenant.
    #[serde(default)]
    pub all_tenants: bool,
    /// Default `true`.
    #[serde(default)]
    pub enabled: Option<bool>,
}

fn invalid(detail: impl Into<String>) -> Problem {
    Problem::invalid_body(detail.into())
}

fn check_text(field: &str, value: &str, max: usize) -> Result<String, Problem> {
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(invalid(format!(
            "`{field}` must be 1-{max} characters without control characters"
        )));
    }
    Ok(value.to_owned())
}

fn check_destination_url(call: &Call<'_>, field: &str, url: &str) -> Result<String, Problem> {
    check_url(url, &call.app.config.integration_allow_hosts)
        .map_err(|e| invalid(format!("`{field}`: {e}")))?;
    Ok(url.trim_end_matches('/').to_owned())
}

fn transport_of(
    call: &Call<'_>,
    preset: Preset,
    request: TransportRequest,
    current: Option<&Transport>,
) -> Result<Transport, Problem> {
    Ok(match request {
        TransportRequest::Syslog {
            host,
            port,
            protocol,
            format,
            facility,
            hostname,
            max_message_bytes,
        } => {
            let host = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let printable = !host.is_empty()
                && host.len() <= 253
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:".contains(&b));
            if !printable || port == 0 {
                return Err(invalid(
                    "`transport.host` must be a host name or IP address, and `port` 1-65535",
                ));
            }
            let shown = if host.contains(':') {
                format!("[{host}]")
            } else {
                host.clone()
            };
            check_url(
                &format!("https://{shown}:{port}/"),
                &call.app.config.integration_allow_hosts,
            )
            .map_err(|e| {
                invalid(format!(
                    "`transport.host`: {}",
                    e.to_string().replace("`url`", "the host")
                ))
            })?;
            let default_format = match preset {
                Preset::Arcsight => SyslogFormat::Cef,
                Preset::Qradar => SyslogFormat::Leef2,
                _ => SyslogFormat::Rfc5424,
            };
            if facility.is_some_and(|f| f > 23) {
                return Err(invalid("`transport.facility` must be 0-23"));
            }
            let max = max_message_bytes.unwrap_or(8192);
            if !(480..=65535).contains(&max) {
                return Err(invalid("`transport.max_message_bytes` must be 480-65535"));
            }
            let hostname = hostname.unwrap_or_else(|| "gatehouse".into());
            if hostname.is_empty()
                || hostname.len() > 255
                || !hostname.bytes().all(|b| (b'!'..=b'~').contains(&b))
            {
                return Err(invalid(
                    "`transport.hostname` must be 1-255 printable ASCII characters",
                ));
            }
            Transport::Syslog {
                host,
                port,
                protocol: protocol.unwrap_or(SyslogProtocol::Tls),
                format: format.unwrap_or(default_format),
                facility: facility.unwrap_or(13),
                hostname,
                max_message_bytes: max,
            }
        }
        TransportRequest::Hec {
            url,
            index,
            source,
            sourcetype,
            acknowledgements,
        } => {
            let url = check_destination_url(call, "transport.url", &url)?;
            if let Some(index) = &index
                && (index.len() > 80
                    || !index.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                    }))
            {
                return Err(invalid(
                    "`transport.index` must be a Splunk index name (lowercase letters, digits, `_`, `-`)",
                ));
            }
            let channel = match current {
                Some(Transport::Hec { channel, .. }) => channel.clone(),
                _ => uuid::Uuid::new_v4().to_string(),
            };
            Transport::Hec {
                url,
                index,
                source: check_text(
                    "transport.source",
                    source.as_deref().unwrap_or("gatehouse"),
                    100,
                )?,
                sourcetype: check_text(
                    "transport.sourcetype",
                    sourcetype.as_deref().unwrap_or("gatehouse:ocsf"),
                    100,
                )?,
                acknowledgements,
                channel,
            }
        }
        TransportRequest::Bulk { url, index } => {
            let index = index.unwrap_or_else(|| "gatehouse-security".into());
            let valid = !index.is_empty()
                && index.len() <= 255
                && !index.starts_with(['-', '_', '+', '.'])
                && index
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
            if !valid {
                return Err(invalid(
                    "`transport.index` must be an Elasticsearch index name (lowercase)",
                ));
            }
            Transport::Bulk {
                url: check_destination_url(call, "transport.url", &url)?,
                index,
            }
        }
        TransportRequest::Https { url, format } => Transport::Https {
            url: check_destination_url(call, "transport.url", &url)?,
            format,
        },
    })
}

/// The destination a request describes, its secrets sealed for `id` (`current`
/// supplies the secrets and HEC channel an update leaves out).
pub async fn destination_of(
    call: &Call<'_>,
    id: &IntegrationId,
    request: DestinationRequest,
    current: Option<&Destination>,
) -> Result<Destination, Problem> {
    let tenant = &call.caller.tenant_id;
    let name = check_text("name", &request.name, 100)?;
    let transport = transport_of(
        call,
        request.preset,
        request.transport,
        current.map(|c| &c.transport),
    )?;
    preset_allows(request.preset, &transport).map_err(invalid)?;
    if request.all_tenants && call.app.config.platform_tenant_id.as_ref() != Some(tenant) {
        return Err(Problem::new(
            ProblemType::InsufficientScope,
            "only the platform operator's tenant may have a destination receive every tenant's events (`all_tenants`)",
        ));
    }
    let seal = |value: String, context| async move {
        call.app
            .secrets
            .envelope
            .seal(value.as_bytes(), &context)
            .await
            .map(Credential::Sealed)
            .map_err(|e| Problem::unavailable(&e))
    };
    let credential = match request.token {
        Some(token) => Some(seal(token, credential_context(tenant, id)).await?),
        None => current.and_then(|c| c.credential.clone()),
    };
    if matches!(transport, Transport::Hec { .. }) && credential.is_none() {
        return Err(invalid("a HEC destination needs its `token`"));
    }
    let tls_request = request.tls.unwrap_or_default();
    if let Some(pem) = &tls_request.ca_certificate {
        gatehouse_service::tls::check_ca("tls.ca_certificate", pem).map_err(invalid)?;
    }
    let client_key = match (&tls_request.client_certificate, tls_request.client_key) {
        (Some(certificate), Some(key)) => {
            gatehouse_service::tls::check_identity(&gatehouse_service::tls::ClientIdentity {
                certificate_pem: certificate,
                key_pem: &key,
            })
            .map_err(|e| invalid(format!("`tls`: {e}")))?;
            Some(seal(key, client_key_context(tenant, id)).await?)
        }
        (Some(_), None) => match current.and_then(|c| c.tls.client_key.clone()) {
            Some(kept) => Some(kept),
            None => return Err(invalid("`tls.client_certificate` needs its `client_key`")),
        },
        (None, Some(_)) => return Err(invalid("`tls.client_key` needs its `client_certificate`")),
        (None, None) => None,
    };
    let now = call.now;
    Ok(Destination {
        tenant_id: tenant.clone(),
        destination_id: id.clone(),
        name,
        preset: request.preset,
        transport,
        credential,
        tls: TlsOptions {
            ca_pem: tls_request.ca_certificate,
            client_certificate_pem: tls_request.client_certificate,
            client_key,
        },
        filter: request.filter,
        redaction: request.redaction,
        all_tenants: request.all_tenants,
        enabled: request.enabled.unwrap_or(true),
        health: current.map(|c| c.health.clone()).unwrap_or_default(),
        created_at: current.map_or(now, |c| c.created_at),
        created_by: current.map_or_else(|| call.caller.principal.clone(), |c| c.created_by.clone()),
        updated_at: current.map(|_| now),
        version: current.map_or(1, |c| c.version + 1),
    })
}

/// The destination named by the `{destination_id}` path parameter, in the caller's
/// tenant; anything else is the same 404.
pub async fn load(call: &Call<'_>) -> Result<Destination, Problem> {
    let not_found = || Problem::new(ProblemType::NotFound, "no such SIEM destination");
    let id = call
        .path_parameter("destination_id")
        .ok_or_else(not_found)?;
    let id = IntegrationId::parse(&id).map_err(|_| not_found())?;
    call.app
        .siem
        .destinations
        .get(&call.caller.tenant_id, &id)
        .await?
        .ok_or_else(not_found)
}

pub fn audit(call: &Call<'_>, action: &str, id: &IntegrationId) -> AuditEvent {
    call.audit_event(action)
        .target(TargetKind::Integration, id.as_str())
}

/// A SIEM destination as the API shows it: never a token or key.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SiemDestination")]
pub struct DestinationView {
    pub destination_id: IntegrationId,
    pub name: String,
    pub preset: Preset,
    pub transport: Transport,
    /// What the events are written as: `cef`, `leef1`, `leef2`, `rfc5424`,
    /// `hec_ocsf`, `ecs` or `ocsf`.
    pub format: &'static str,
    pub has_token: bool,
    pub has_ca_certificate: bool,
    /// The client certificate presented for mTLS (public).
    pub client_certificate: Option<String>,
    pub filter: FilterView,
    pub redaction: RedactionView,
    pub all_tenants: bool,
    pub enabled: bool,
    pub health: HealthView,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub updated_at: Option<OffsetDateTime>,
    pub version: u64,
}

/// Which events the destination receives, as shown (empty lists: every value).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SiemFilter")]
pub struct FilterView {
    pub categories: Vec<gatehouse_service::siem::destination::Category>,
    pub classes: Vec<gatehouse_service::siem::EventClass>,
    pub min_severity: Option<gatehouse_service::siem::Severity>,
    pub outcomes: Vec<gatehouse_service::siem::Status>,
}

/// The redaction policy, as shown.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SiemRedaction")]
pub struct RedactionView {
    pub emails: EmailPolicy,
    pub ips: IpPolicy,
}

impl DestinationView {
    pub fn of(d: &Destination) -> Self {
        Self {
            destination_id: d.destination_id.clone(),
            name: d.name.clone(),
            preset: d.preset,
            transport: d.transport.clone(),
            format: d.transport.format(),
            has_token: d.credential.is_some(),
            has_ca_certificate: d.tls.ca_pem.is_some(),
            client_certificate: d.tls.client_certificate_pem.clone(),
            filter: FilterView {
                categories: d.filter.categories.clone(),
                classes: d.filter.classes.clone(),
                min_severity: d.filter.min_severity,
                outcomes: d.filter.outcomes.clone(),
            },
            redaction: RedactionView {
                emails: d.redaction.emails,
                ips: d.redaction.ips,
            },
            all_tenants: d.all_tenants,
            enabled: d.enabled,
            health: HealthView::of(&d.health),
            created_at: d.created_at,
            created_by: d.created_by.clone(),
            updated_at: d.updated_at,
            version: d.version,
        }
    }
}

/// What an update changed, for the audit trail (secrets only as `replaced`).
pub fn changes(before: &Destination, after: &Destination) -> Vec<crate::audit::Change> {
    use crate::audit::Change;
    let shown = |d: &Destination| {
        serde_json::to_value(DestinationView::of(d).transport).unwrap_or_default()
    };
    let replaced = |a: bool| if a { "replaced" } else { "kept" };
    [
        Change::of("name", &before.name, &after.name),
        Change::of("preset", &before.preset, &after.preset),
        Change::of("transport", &shown(before), &shown(after)),
        Change::of("filter", &before.filter, &after.filter),
        Change::of("redaction", &before.redaction, &after.redaction),
        Change::of("enabled", &before.enabled, &after.enabled),
        Change::of("all_tenants", &before.all_tenants, &after.all_tenants),
        Change::of(
            "token",
            &"kept",
            &replaced(before.credential != after.credential),
        ),
        Change::of("tls", &before.tls.ca_pem, &after.tls.ca_pem).map(|mut c| {
            c.from = serde_json::json!(before.tls.ca_pem.is_some());
            c.to = serde_json::json!(after.tls.ca_pem.is_some());
            c
        }),
        Change::of(
            "client_key",
            &"kept",
            &replaced(before.tls.client_key != after.tls.client_key),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}
