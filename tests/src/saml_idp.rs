//! A SAML IdP for tests: an RSA key and self-signed certificate made by `openssl`,
//! its metadata, and responses whose signatures Debian's `xmlsec1` makes (package
//! `xmlsec1`, which `make test` installs if missing). Attack fixtures start from
//! these real signatures and are rearranged by the tests.

use std::path::PathBuf;
use std::process::Command;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

pub struct SamlIdp {
    dir: PathBuf,
    pub entity_id: String,
    pub sso_url: String,
    /// The signing certificate (PEM).
    pub certificate_pem: String,
}

fn run(command: &mut Command, what: &str) -> Vec<u8> {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn instant(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0).unwrap().format(&Rfc3339).unwrap()
}

impl SamlIdp {
    /// An IdP whose certificate is valid for `days`.
    pub fn new(entity_id: &str, sso_url: &str, days: u32) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "gatehouse-saml-{}-{}",
            std::process::id(),
            gatehouse::keys::base62::random_string(8).unwrap()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        run(
            Command::new("openssl").current_dir(&dir).args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "idp.key",
                "-out",
                "idp.pem",
                "-days",
                &days.to_string(),
                "-subj",
                "/CN=Gatehouse test IdP",
            ]),
            "openssl req",
        );
        let certificate_pem = std::fs::read_to_string(dir.join("idp.pem")).unwrap();
        Self {
            dir,
            entity_id: entity_id.to_owned(),
            sso_url: sso_url.to_owned(),
            certificate_pem,
        }
    }

    /// The certificate's base64 body, as metadata and IdP consoles show it.
    pub fn certificate_base64(&self) -> String {
        self.certificate_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect()
    }

    /// The IdP's metadata: entity id, HTTP-Redirect SSO URL, signing certificate.
    pub fn metadata(&self) -> String {
        format!(
            concat!(
                r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}">"#,
                r#"<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">"#,
                r#"<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
                r#"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{sso}/post"/>"#,
                r#"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{sso}"/>"#,
                "</md:IDPSSODescriptor></md:EntityDescriptor>"
            ),
            entity = self.entity_id,
            cert = self.certificate_base64(),
            sso = self.sso_url,
        )
    }

    /// Signs the first `ds:Signature` template in `xml` with this IdP's key (its
    /// certificate goes in KeyInfo), as `xmlsec1 --sign` does.
    pub fn sign(&self, xml: &str) -> String {
        let name = gatehouse::keys::base62::random_string(8).unwrap();
        let input = self.dir.join(format!("{name}.xml"));
        std::fs::write(&input, xml).unwrap();
        let keys = format!(
            "{},{}",
            self.dir.join("idp.key").display(),
            self.dir.join("idp.pem").display()
        );
        let signed = run(
            Command::new("xmlsec1").args([
                "--sign",
                "--privkey-pem",
                &keys,
                "--id-attr:ID",
                &format!("{SAML}:Assertion"),
                "--id-attr:ID",
                &format!("{SAMLP}:Response"),
                input.to_str().unwrap(),
            ]),
            "xmlsec1 --sign",
        );
        String::from_utf8(signed).unwrap()
    }

    /// A response carrying `assertion`, its assertion signed (and the response too,
    /// when `sign_response`), by `xmlsec1`.
    pub fn signed_response(&self, assertion: &Assertion, sign_response: bool) -> String {
        let signed = self.sign(&assertion.response_xml(Some(&assertion.signature())));
        if sign_response {
            self.sign_response(&signed, &assertion.response_id)
        } else {
            signed
        }
    }

    /// `response` with a Response-level signature added (after its Issuer).
    pub fn sign_response(&self, response: &str, response_id: &str) -> String {
        let issuer_end = response.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
        let mut with_template = response.to_owned();
        with_template.insert_str(
            issuer_end,
            &signature_template(&format!("#{response_id}"), RSA_SHA256, SHA256),
        );
        self.sign(&with_template)
    }
}

impl Drop for SamlIdp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `ds:Signature` template for `xmlsec1` to fill in.
pub fn signature_template(reference: &str, signature_method: &str, digest_method: &str) -> String {
    format!(
        concat!(
            r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>"#,
            r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
            r#"<ds:SignatureMethod Algorithm="{sig}"/><ds:Reference URI="{reference}"><ds:Transforms>"#,
            r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#,
            r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>"#,
            r#"<ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>"#,
            "<ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature>"
        ),
        sig = signature_method,
        digest = digest_method,
        reference = reference,
    )
}

/// What one assertion (and the response around it) says; every field can be bent.
#[derive(Debug, Clone)]
pub struct Assertion {
    pub response_id: String,
    pub id: String,
    pub issuer: String,
    pub name_id: String,
    pub name_id_format: String,
    pub destination: Option<String>,
    pub recipient: String,
    pub audience: String,
    pub in_response_to: Option<String>,
    pub issued: OffsetDateTime,
    pub not_before: OffsetDateTime,
    pub not_on_or_after: OffsetDateTime,
    pub status: String,
    pub attributes: Vec<(String, Vec<String>)>,
    /// The signature's algorithms and reference (default `#<id>`).
    pub signature_method: String,
    pub digest_method: String,
    pub reference: Option<String>,
}

impl Assertion {
    /// A good assertion from `idp` for this SP, issued `now`, valid five minutes.
    pub fn new(
        idp: &SamlIdp,
        sp_entity_id: &str,
        acs_url: &str,
        name_id: &str,
        now: OffsetDateTime,
    ) -> Self {
        let random = || gatehouse::keys::base62::random_string(20).unwrap();
        Self {
            response_id: format!("_r{}", random()),
            id: format!("_a{}", random()),
            issuer: idp.entity_id.clone(),
            name_id: name_id.to_owned(),
            name_id_format: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress".into(),
            destination: Some(acs_url.to_owned()),
            recipient: acs_url.to_owned(),
            audience: sp_entity_id.to_owned(),
            in_response_to: None,
            issued: now,
            not_before: now - time::Duration::seconds(30),
            not_on_or_after: now + time::Duration::minutes(5),
            status: "urn:oasis:names:tc:SAML:2.0:status:Success".into(),
            attributes: Vec::new(),
            signature_method: RSA_SHA256.into(),
            digest_method: SHA256.into(),
            reference: None,
        }
    }

    pub fn signature(&self) -> String {
        signature_template(
            self.reference
                .as_deref()
                .unwrap_or(&format!("#{}", self.id)),
            &self.signature_method,
            &self.digest_method,
        )
    }

    /// The assertion's XML, with `signature` (a template or a signature) after its
    /// Issuer.
    pub fn xml(&self, signature: Option<&str>) -> String {
        let in_response_to = self
            .in_response_to
            .as_ref()
            .map(|r| format!(r#" InResponseTo="{r}""#))
            .unwrap_or_default();
        let attributes: String = self
            .attributes
            .iter()
            .map(|(name, values)| {
                let values: String = values
                    .iter()
                    .map(|v| format!("<saml:AttributeValue>{v}</saml:AttributeValue>"))
                    .collect();
                format!(r#"<saml:Attribute Name="{name}">{values}</saml:Attribute>"#)
            })
            .collect();
        let statement = if attributes.is_empty() {
            String::new()
        } else {
            format!("<saml:AttributeStatement>{attributes}</saml:AttributeStatement>")
        };
        format!(
            concat!(
                r#"<saml:Assertion xmlns:saml="{saml}" ID="{id}" Version="2.0" IssueInstant="{issued}">"#,
                "<saml:Issuer>{issuer}</saml:Issuer>{signature}",
                r#"<saml:Subject><saml:NameID Format="{format}">{name_id}</saml:NameID>"#,
                r#"<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">"#,
                r#"<saml:SubjectConfirmationData{in_response_to} NotOnOrAfter="{until}" Recipient="{recipient}"/>"#,
                "</saml:SubjectConfirmation></saml:Subject>",
                r#"<saml:Conditions NotBefore="{not_before}" NotOnOrAfter="{until}">"#,
                "<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>",
                "</saml:Conditions>",
                r#"<saml:AuthnStatement AuthnInstant="{issued}" SessionIndex="_s{id}"><saml:AuthnContext>"#,
                "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>",
                "</saml:AuthnContext></saml:AuthnStatement>{statement}</saml:Assertion>"
            ),
            saml = SAML,
            id = self.id,
            issued = instant(self.issued),
            issuer = self.issuer,
            signature = signature.unwrap_or_default(),
            format = self.name_id_format,
            name_id = self.name_id,
            in_response_to = in_response_to,
            until = instant(self.not_on_or_after),
            recipient = self.recipient,
            not_before = instant(self.not_before),
            audience = self.audience,
            statement = statement,
        )
    }

    /// The response around the assertion (`signature` in the assertion).
    pub fn response_xml(&self, signature: Option<&str>) -> String {
        self.response_around(&self.xml(signature))
    }

    /// A response holding `body` (one or more assertions, or anything else) after
    /// its Status.
    pub fn response_around(&self, body: &str) -> String {
        let destination = self
            .destination
            .as_ref()
            .map(|d| format!(r#" Destination="{d}""#))
            .unwrap_or_default();
        let in_response_to = self
            .in_response_to
            .as_ref()
            .map(|r| format!(r#" InResponseTo="{r}""#))
            .unwrap_or_default();
        format!(
            concat!(
                r#"<samlp:Response xmlns:samlp="{samlp}" xmlns:saml="{saml}" ID="{id}" Version="2.0" IssueInstant="{issued}"{destination}{in_response_to}>"#,
                "<saml:Issuer>{issuer}</saml:Issuer>",
                r#"<samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status>"#,
                "{body}</samlp:Response>"
            ),
            samlp = SAMLP,
            saml = SAML,
            id = self.response_id,
            issued = instant(self.issued),
            destination = destination,
            in_response_to = in_response_to,
            issuer = self.issuer,
            status = self.status,
            body = body,
        )
    }
}

/// The element `<prefix:Local ...>...</prefix:Local>` starting at the first
/// `open` in `xml` (no nesting of the same name assumed).
pub fn element<'a>(xml: &'a str, open: &str, close: &str) -> &'a str {
    let start = xml.find(open).unwrap_or_else(|| panic!("no {open}"));
    let end = xml[start..]
        .find(close)
        .unwrap_or_else(|| panic!("no {close}"))
        + start
        + close.len();
    &xml[start..end]
}

/// The response as the HTTP-POST binding's form sends it.
pub fn form(response: &str, relay_state: Option<&str>) -> String {
    use base64::Engine;
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair(
        "SAMLResponse",
        &base64::engine::general_purpose::STANDARD.encode(response),
    );
    if let Some(relay) = relay_state {
        form.append_pair("RelayState", relay);
    }
    form.finish()
}

/// Serves an IdP's metadata over HTTP on loopback (any path), as an IdP's metadata
/// URL does; [`MetadataServer::set`] changes what it serves (a certificate rollover).
pub struct MetadataServer {
    pub port: u16,
    document: std::sync::Arc<std::sync::Mutex<String>>,
    task: tokio::task::JoinHandle<()>,
}

impl MetadataServer {
    pub async fn start(document: String) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = std::sync::Arc::new(std::sync::Mutex::new(document));
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let body = serving.lock().unwrap().clone();
                tokio::spawn(async move {
                    let mut request = vec![0u8; 8192];
                    let mut read = 0;
                    while !request[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut request[read..]).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => read += n,
                        }
                        if read == request.len() {
                            return;
                        }
                    }
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/samlmetadata+xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        Self {
            port,
            document: shared,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/federationmetadata.xml", self.port)
    }

    pub fn set(&self, document: String) {
        *self.document.lock().unwrap() = document;
    }
}

impl Drop for MetadataServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
