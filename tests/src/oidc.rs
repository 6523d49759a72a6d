//! A real OpenID Provider for a test: npm `oidc-provider` (installed into
//! `.local/oidc-provider` by `make test`), started by `tests/oidc/provider.mjs` on a
//! free loopback port, and a browser stand-in that follows a login's redirects with a
//! cookie jar until the provider sends it back to Gatehouse's callback.

use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct OidcProvider {
    child: Child,
    pub issuer: String,
    pub port: u16,
}

/// A client registered at the provider.
pub const CLIENT_ID: &str = "gatehouse";
pub const CLIENT_SECRET: &str = "gatehouse-test-client-secret-0123456789";

impl OidcProvider {
    /// A provider at `http://127.0.0.1:<port><issuer_path>` (`/` for an Auth0-style
    /// trailing slash), with one client redirecting to `redirect_uri`, these accounts
    /// (id -> claims) and claims per scope.
    pub async fn start(
        issuer_path: &str,
        redirect_uri: &str,
        accounts: Value,
        claims: Value,
    ) -> Self {
        Self::spawn(issuer_path, redirect_uri, accounts, claims, false).await
    }

    /// A provider whose ID tokens carry no profile claims (email, name, groups): a
    /// client gets them from userinfo only.
    pub async fn start_userinfo_only(
        issuer_path: &str,
        redirect_uri: &str,
        accounts: Value,
        claims: Value,
    ) -> Self {
        Self::spawn(issuer_path, redirect_uri, accounts, claims, true).await
    }

    async fn spawn(
        issuer_path: &str,
        redirect_uri: &str,
        accounts: Value,
        claims: Value,
        userinfo_only: bool,
    ) -> Self {
        let root = crate::workspace_root();
        let dir = root.join(".local/oidc-provider");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "{} is missing: run infra/scripts/ensure-tools.sh (make test does)",
            dir.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let issuer = format!("http://127.0.0.1:{port}{issuer_path}");
        let config = json!({
            "port": port,
            "issuer": issuer,
            "clients": [{
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [redirect_uri],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
            }],
            "accounts": accounts,
            "claims": claims,
            "conformIdTokenClaims": userinfo_only,
        });
        let child = Command::new("node")
            .arg(root.join("tests/oidc/provider.mjs"))
            .arg(config.to_string())
            .env("OIDC_PROVIDER_DIR", &dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let provider = Self {
            child,
            issuer,
            port,
        };
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            provider.issuer.trim_end_matches('/')
        );
        for _ in 0..200 {
            if let Ok(response) = reqwest::get(&discovery).await
                && response.status().as_u16() == 200
            {
                return provider;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("oidc-provider did not come up at {}", provider.issuer);
    }

    /// The `host:port` the outbound client's allow list must name.
    pub fn host_port(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Follows `authorize_url` through the provider's redirects (login and consent, done
/// by the harness's interaction for the `login_hint` account) with a cookie jar, until
/// a redirect leaves the provider: that URL (Gatehouse's callback, with `code` and
/// `state`).
pub async fn follow_login(authorize_url: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let mut cookies: Vec<(String, String)> = Vec::new();
    let mut url = reqwest::Url::parse(authorize_url).expect("a URL");
    let provider_host = url.host_str().map(str::to_owned);
    for _ in 0..20 {
        let jar: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let response = client
            .get(url.clone())
            .header("cookie", jar.join("; "))
            .send()
            .await
            .expect("the provider answers");
        for set in response.headers().get_all("set-cookie") {
            let Some((pair, _)) = set.to_str().unwrap_or_default().split_once(';') else {
                continue;
            };
            if let Some((name, value)) = pair.split_once('=') {
                cookies.retain(|(k, _)| k != name);
                if !value.is_empty() {
                    cookies.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        let status = response.status().as_u16();
        let Some(location) = response.headers().get("location") else {
            panic!(
                "the provider answered {status} without a redirect: {}",
                response.text().await.unwrap_or_default()
            );
        };
        let next = url
            .join(location.to_str().expect("a location"))
            .expect("a location URL");
        if next.host_str().map(str::to_owned) != provider_host
            || next.port() != url.port()
            || next.path().ends_with("/v2/sso/callback")
        {
            return next.to_string();
        }
        url = next;
    }
    panic!("the login did not come back");
}
