//! What the benchmarks share: a stack bootstrapped on the moto server that `make
//! bench` starts, and how figures are printed.

use gatehouse::App;
use gatehouse_devtools::bootstrap::{LocalStack, bootstrap};
use gatehouse_devtools::template::Template;
use std::collections::BTreeMap;
use std::time::Duration;

pub type BenchResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub struct BenchStack {
    pub template: Template,
    pub local: LocalStack,
    pub sdk: aws_config::SdkConfig,
}

impl BenchStack {
    /// The template's resources under a fresh stack name, with parameter overrides.
    pub async fn new(params: &[(&str, &str)]) -> BenchResult<Self> {
        let template = Template::load(std::path::Path::new("template.yaml"))?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let stack = format!(
            "bench{}",
            gatehouse::keys::base62::random_string(6).map_err(|e| e.to_string())?
        );
        let params: BTreeMap<String, String> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let local = bootstrap(&sdk, &template, &stack, &params).await?;
        Ok(Self {
            template,
            local,
            sdk,
        })
    }

    /// The environment the template gives a function.
    pub fn env(&self, function: &str) -> BenchResult<BTreeMap<String, String>> {
        Ok(self.local.function_env(&self.template, function)?)
    }

    /// An App configured as `function` is (its needs, its environment).
    pub fn app(&self, function: &str) -> BenchResult<App> {
        Ok(gatehouse_devtools::pump::function_app(
            &self.template,
            &self.local,
            &self.sdk,
            function,
        )?)
    }
}

/// Requests the moto server has answered, by operation (`GetItem`, `SendMessage`,
/// `Decrypt`, ...), as counted by `infra/scripts/moto_server.py`.
pub async fn aws_calls() -> BenchResult<BTreeMap<String, u64>> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .map_err(|_| "AWS_ENDPOINT_URL is not set: run under infra/scripts/with-moto.sh")?;
    let url = format!("{}/_gatehouse/calls", endpoint.trim_end_matches('/'));
    let body = reqwest::get(url).await?.error_for_status()?.bytes().await?;
    Ok(serde_json::from_slice(&body)?)
}

/// The calls made between two [`aws_calls`] readings, per `per` operations.
pub fn calls_per(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
    per: usize,
) -> BTreeMap<String, f64> {
    after
        .iter()
        .map(|(op, n)| {
            let made = n - before.get(op).copied().unwrap_or(0);
            (op.clone(), made as f64 / per as f64)
        })
        .filter(|(_, n)| *n > 0.0)
        .collect()
}

/// The value at quantile `q` of sorted samples.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

pub fn header(first: &str) {
    println!(
        "{first:<48} {:>10} {:>10} {:>12}",
        "p50", "p99", "per second"
    );
}

/// One row: p50, p99 and the rate `samples` were taken at over `elapsed`.
pub fn report(label: &str, mut samples: Vec<Duration>, elapsed: Duration) {
    samples.sort();
    let rate = samples.len() as f64 / elapsed.as_secs_f64();
    println!(
        "{label:<48} {:>10.2?} {:>10.2?} {rate:>12.0}",
        quantile(&samples, 0.5),
        quantile(&samples, 0.99)
    );
}

/// An SSO connection for `tenant` with `protocol`, default scopes `keys:read` and no
/// rules, stored through `app` (as a create would store it).
pub async fn store_connection(
    app: &App,
    tenant: &gatehouse::ids::TenantId,
    id: gatehouse::ids::IntegrationId,
    protocol: gatehouse::sso_domain::Protocol,
) -> BenchResult<gatehouse::sso_domain::SsoConnection> {
    let connection = gatehouse::sso_domain::SsoConnection {
        tenant_id: tenant.clone(),
        connection_id: id,
        name: "Bench IdP".into(),
        protocol,
        domains: Vec::new(),
        rules: Vec::new(),
        default_scopes: vec!["keys:read".into()],
        return_urls: Vec::new(),
        session_hours: 8,
        domain_token: String::new(),
        verified_domains: Vec::new(),
        enabled: true,
        created_at: time::OffsetDateTime::now_utc(),
        created_by: "bench".into(),
        updated_at: None,
        version: 1,
    };
    let mut batch = gatehouse::store::WriteBatch::new();
    app.sso.connections.put(&mut batch, &connection)?;
    app.dynamo.commit(batch).await?;
    Ok(connection)
}
