//! A SIEM destination: where a tenant's security events go, in which format, over
//! which transport, which of them (the filter) and how much PII (the redaction).
//! Credentials (HEC tokens, Elasticsearch API keys, bearer tokens, client keys) are
//! kept only as [`Credential`]s: sealed, or a reference to a tenant secret.

use super::event::{EventClass, SecurityEvent, Severity, Status};
use super::redact::Redaction;
use crate::ids::{IntegrationId, TenantId};
use crate::integrations::{Credential, Health};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The SIEM a destination is set up for; each has its transport and format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "SiemPreset")]
pub enum Preset {
    /// Splunk: HTTP Event Collector, OCSF events.
    Splunk,
    /// IBM QRadar: LEEF 2.0 over syslog (TLS by default).
    Qradar,
    /// ArcSight: CEF over syslog (TLS by default).
    Arcsight,
    /// Elastic: ECS documents through `_bulk`.
    Elastic,
    /// Anything else: OCSF or ECS JSON over HTTPS, or syslog in any format.
    Custom,
}

/// What a syslog message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "SiemSyslogFormat")]
pub enum SyslogFormat {
    /// RFC 5424 with Gatehouse's structured data and a one-line message.
    Rfc5424,
    Cef,
    Leef1,
    Leef2,
}

/// A JSON document format for HTTPS destinations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "SiemJsonFormat")]
pub enum JsonFormat {
    Ocsf,
    Ecs,
}

/// The syslog transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "SiemSyslogProtocol")]
pub enum SyslogProtocol {
    /// Best effort: no delivery signal.
    Udp,
    Tcp,
    Tls,
}

/// How events travel to a destination (nothing secret: credentials are kept apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[schemars(rename = "SiemTransport")]
pub enum Transport {
    Syslog {
        host: String,
        port: u16,
        protocol: SyslogProtocol,
        format: SyslogFormat,
        /// 0-23 (13: log audit).
        facility: u8,
        /// The HOSTNAME the messages carry.
        hostname: String,
        /// Longest message sent, in bytes.
        max_message_bytes: u32,
    },
    /// Splunk HTTP Event Collector.
    Hec {
        /// `https://splunk.example.com:8088`.
        url: String,
        index: Option<String>,
        source: String,
        sourcetype: String,
        /// Indexer acknowledgement: events count as delivered only when acknowledged.
        acknowledgements: bool,
        /// The `X-Splunk-Request-Channel` (a UUID, fixed per destination).
        channel: String,
    },
    /// Elasticsearch `_bulk`.
    Bulk {
        /// `https://es.example.com:9200`.
        url: String,
        index: String,
    },
    /// NDJSON documents POSTed to a URL.
    Https { url: String, format: JsonFormat },
}

impl Transport {
    pub fn kind(&self) -> &'static str {
        match self {
            Transport::Syslog { .. } => "syslog",
            Transport::Hec { .. } => "hec",
            Transport::Bulk { .. } => "bulk",
            Transport::Https { .. } => "https",
        }
    }

    /// The format name shown and documented.
    pub fn format(&self) -> &'static str {
        match self {
            Transport::Syslog { format, .. } => match format {
                SyslogFormat::Rfc5424 => "rfc5424",
                SyslogFormat::Cef => "cef",
                SyslogFormat::Leef1 => "leef1",
                SyslogFormat::Leef2 => "leef2",
            },
            Transport::Hec { .. } => "hec_ocsf",
            Transport::Bulk { .. } => "ecs",
            Transport::Https { format, .. } => match format {
                JsonFormat::Ocsf => "ocsf",
                JsonFormat::Ecs => "ecs",
            },
        }
    }
}

/// Which events a destination receives. Empty lists mean every value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "SiemFilterRequest")]
pub struct Filter {
    /// OCSF categories: `iam` (Authentication, Account Change), `findings`
    /// (Detection Finding), `application` (API Activity).
    #[serde(default)]
    pub categories: Vec<Category>,
    #[serde(default)]
    pub classes: Vec<EventClass>,
    /// The lowest severity passed (default: all).
    #[serde(default)]
    pub min_severity: Option<Severity>,
    #[serde(default)]
    pub outcomes: Vec<Status>,
}

/// OCSF categories of Gatehouse's classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "SiemCategory")]
pub enum Category {
    Iam,
    Findings,
    Application,
}

impl Category {
    pub fn of(class: EventClass) -> Self {
        match class.category_uid() {
            3 => Category::Iam,
            2 => Category::Findings,
            _ => Category::Application,
        }
    }
}

impl Filter {
    /// Whether `event` passes, and if not, the first rule it fails.
    pub fn check(&self, event: &SecurityEvent) -> Result<(), &'static str> {
        if !self.categories.is_empty() && !self.categories.contains(&Category::of(event.class)) {
            return Err("category");
        }
        if !self.classes.is_empty() && !self.classes.contains(&event.class) {
            return Err("class");
        }
        if self.min_severity.is_some_and(|min| event.severity < min) {
            return Err("severity");
        }
        if !self.outcomes.is_empty() && !self.outcomes.contains(&event.status) {
            return Err("outcome");
        }
        Ok(())
    }

    pub fn passes(&self, event: &SecurityEvent) -> bool {
        self.check(event).is_ok()
    }
}

/// TLS options of a destination.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsOptions {
    /// A CA certificate (PEM) to trust instead of the system's roots.
    pub ca_pem: Option<String>,
    /// A client certificate chain (PEM), for mTLS.
    pub client_certificate_pem: Option<String>,
    /// Its private key, sealed.
    pub client_key: Option<Credential>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub tenant_id: TenantId,
    pub destination_id: IntegrationId,
    pub name: String,
    pub preset: Preset,
    pub transport: Transport,
    /// HEC token, Elasticsearch API key (`ApiKey`), or bearer token for HTTPS.
    pub credential: Option<Credential>,
    pub tls: TlsOptions,
    pub filter: Filter,
    pub redaction: Redaction,
    /// Receives every tenant's events (only the platform operator's tenant may set it).
    pub all_tenants: bool,
    pub enabled: bool,
    pub health: Health,
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub updated_at: Option<OffsetDateTime>,
    /// Incremented by every write; writes are conditional on it.
    pub version: u64,
}

impl Destination {
    /// Whether this destination receives events of `tenant` that pass its filter.
    pub fn receives(&self, tenant: &str, event: &SecurityEvent) -> bool {
        self.enabled
            && (self.all_tenants || self.tenant_id.as_str() == tenant)
            && self.filter.passes(event)
    }
}

/// The transports each preset allows.
pub fn preset_allows(preset: Preset, transport: &Transport) -> Result<(), String> {
    let ok = match (preset, transport) {
        (Preset::Splunk, Transport::Hec { .. }) => true,
        (Preset::Elastic, Transport::Bulk { .. }) => true,
        (Preset::Qradar, Transport::Syslog { format, .. }) => {
            matches!(format, SyslogFormat::Leef1 | SyslogFormat::Leef2)
        }
        (Preset::Arcsight, Transport::Syslog { format, .. }) => *format == SyslogFormat::Cef,
        (Preset::Custom, Transport::Https { .. } | Transport::Syslog { .. }) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the `{}` preset does not send {} over {}",
            serde_json::to_value(preset)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            transport.format(),
            transport.kind()
        ))
    }
}
