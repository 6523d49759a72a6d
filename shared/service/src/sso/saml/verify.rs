//! The assertion consumer's whole check of a SAML Response (Web Browser SSO profile,
//! HTTP-POST binding), failing closed. The ACS route, `gatehouse-admin saml-check`
//! and the tests all run [`verify_response`]; nothing else reads a response.
//!
//! Order, and why:
//! 1. Size, UTF-8, no DOCTYPE: nothing expands before it is parsed.
//! 2. Status: an IdP's refusal is reported as such.
//! 3. Shape: exactly one `Assertion` anywhere (by local name, in any namespace), a
//!    child of the Response; no `EncryptedAssertion`; signatures only where SAML puts
//!    them (a child of the Response or of the Assertion). Signature wrapping needs a
//!    second assertion or a signature elsewhere, so XSW1-8 stop here or at step 4.
//! 4. Signatures, by `bergshamra` with only the pinned certificates in its key
//!    manager (`trusted_keys_only`: a certificate in KeyInfo is never a key) and its
//!    strict reference positions. Every signature present must verify; the Assertion
//!    must carry its own. Each signature must have exactly one Reference, `#<ID>` of
//!    the element that holds it, with only the enveloped-signature and
//!    canonicalization transforms, and algorithms the connection allows.
//! 5. Values, read only from the element the assertion's verified reference
//!    resolved to: Issuer, Subject with a bearer confirmation (Recipient,
//!    NotOnOrAfter, InResponseTo), Conditions (time window with
//!    [`CLOCK_SKEW_SECONDS`], Audience), an AuthnStatement, attributes. A value
//!    holding a comment is refused (CVE-2017-11427).

use super::xml::{self, DSIG, SAML, SAMLP, TextError};
use bergshamra::dsig::verify::verify_all_document;
use bergshamra::{DsigContext, KeysManager, VerifyResult};
use gatehouse_domain::sso::LoginRefusal;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uppsala::{Document, NodeId};

/// How far the IdP's clock may be from ours, either way, in seconds.
pub const CLOCK_SKEW_SECONDS: i64 = 120;
/// The largest decoded response read.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

const STRONG_SIGNATURES: &[&str] = &[
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
];
const SHA1_SIGNATURES: &[&str] = &[
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
];
const STRONG_DIGESTS: &[&str] = &[
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];
const SHA1_DIGESTS: &[&str] = &["http://www.w3.org/2000/09/xmldsig#sha1"];
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// Canonicalizations without comments: with comments, a signed comment would change
/// what the value reads as.
const CANONICALIZATIONS: &[&str] = &[
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/2006/12/xml-c14n11",
];

/// What the response must match: the connection's IdP and pins, this SP, the request.
#[derive(Debug, Clone)]
pub struct AcsPolicy<'a> {
    pub idp_entity_id: &'a str,
    /// The pinned IdP signing certificates (PEM); several during a rollover.
    pub certificates: &'a [String],
    pub sp_entity_id: &'a str,
    pub acs_url: &'a str,
    /// The AuthnRequest ID this login answers; `None` for an IdP-initiated login.
    pub request_id: Option<&'a str>,
    /// Whether a response with no request (IdP-initiated) may log in.
    pub allow_unsolicited: bool,
    pub allow_sha1: bool,
    pub now: OffsetDateTime,
}

/// What a verified assertion says.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedAssertion {
    pub assertion_id: String,
    pub issuer: String,
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub session_index: Option<String>,
    /// The request it answers (`None`: IdP-initiated).
    pub in_response_to: Option<String>,
    /// Attribute name -> values.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// Until when the assertion could be presented: how long its id is remembered.
    pub valid_until: OffsetDateTime,
}

/// Why a response was refused: the reason code and the precise detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", reason.as_str())]
pub struct SamlRefusal {
    pub reason: LoginRefusal,
    pub detail: String,
}

fn refuse<T>(reason: LoginRefusal, detail: impl Into<String>) -> Result<T, SamlRefusal> {
    Err(SamlRefusal {
        reason,
        detail: detail.into(),
    })
}

fn malformed(detail: impl Into<String>) -> SamlRefusal {
    SamlRefusal {
        reason: LoginRefusal::MalformedResponse,
        detail: detail.into(),
    }
}

/// The `SAMLResponse` form field (base64 of the XML), decoded.
pub fn decode_post(saml_response: &str) -> Result<String, SamlRefusal> {
    use base64::Engine;
    let compact: String = saml_response
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if compact.len() > MAX_RESPONSE_BYTES / 3 * 4 + 4 {
        return Err(malformed(format!(
            "the response is over {MAX_RESPONSE_BYTES} bytes"
        )));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| malformed(format!("`SAMLResponse` is not base64: {e}")))?;
    String::from_utf8(bytes).map_err(|_| malformed("the response is not UTF-8"))
}

/// Verifies `response` (the decoded XML) against `policy`: the assertion, or the
/// precise reason it is refused.
pub fn verify_response(
    response: &str,
    policy: &AcsPolicy<'_>,
) -> Result<VerifiedAssertion, SamlRefusal> {
    if response.len() > MAX_RESPONSE_BYTES {
        return Err(malformed(format!(
            "the response is over {MAX_RESPONSE_BYTES} bytes"
        )));
    }
    if policy.certificates.is_empty() {
        return refuse(
            LoginRefusal::NoPinnedCertificate,
            "the connection pins no IdP certificate: nothing can verify a login",
        );
    }
    let doc = xml::parse(response).map_err(malformed)?;
    let root = doc
        .document_element()
        .filter(|&r| xml::is(&doc, r, SAMLP, "Response"))
        .ok_or_else(|| malformed("the document is not a samlp:Response"))?;
    check_status(&doc, root)?;
    let assertion = the_assertion(&doc, root)?;
    verify_signatures(&doc, root, assertion, policy)?;
    check_response_envelope(&doc, root, policy)?;
    read_assertion(&doc, assertion, policy)
}

fn check_status(doc: &Document<'_>, root: NodeId) -> Result<(), SamlRefusal> {
    let code = xml::only_child(doc, root, SAMLP, "Status")
        .and_then(|s| xml::only_child(doc, s, SAMLP, "StatusCode"))
        .and_then(|c| xml::attr(doc, c, "Value"))
        .ok_or_else(|| malformed("no samlp:Status/StatusCode"))?;
    if code != SUCCESS {
        return refuse(
            LoginRefusal::StatusNotSuccess,
            format!("the IdP answered {code}"),
        );
    }
    Ok(())
}

/// The one assertion: a child of the Response, and the only element called
/// `Assertion` anywhere in the document.
fn the_assertion(doc: &Document<'_>, root: NodeId) -> Result<NodeId, SamlRefusal> {
    if !xml::all_named(doc, root, "EncryptedAssertion").is_empty() {
        return refuse(
            LoginRefusal::EncryptedAssertion,
            "encrypted assertions are not supported: turn assertion encryption off at the IdP (the assertion still travels over TLS and is signed)",
        );
    }
    match xml::all_named(doc, root, "Assertion").as_slice() {
        [one] if doc.parent(*one) == Some(root) && xml::is(doc, *one, SAML, "Assertion") => {
            Ok(*one)
        }
        [_] => refuse(
            LoginRefusal::AssertionCount,
            "the assertion is not a saml:Assertion child of the Response",
        ),
        [] => refuse(
            LoginRefusal::AssertionCount,
            "the response holds no assertion",
        ),
        many => refuse(
            LoginRefusal::AssertionCount,
            format!(
                "the response holds {} assertions; exactly one is accepted",
                many.len()
            ),
        ),
    }
}

fn key_manager(certificates: &[String]) -> Result<KeysManager, SamlRefusal> {
    let mut keys = KeysManager::new();
    for pem in certificates {
        let key = bergshamra::keys::loader::load_x509_cert_pem(pem.as_bytes()).map_err(|e| {
            SamlRefusal {
                reason: LoginRefusal::NoPinnedCertificate,
                detail: format!("a pinned certificate cannot be used: {e}"),
            }
        })?;
        keys.add_key(key);
    }
    Ok(keys)
}

/// Every signature verifies with a pinned key, sits where SAML puts it, and covers
/// exactly the element holding it; the assertion has its own.
fn verify_signatures(
    doc: &Document<'_>,
    root: NodeId,
    assertion: NodeId,
    policy: &AcsPolicy<'_>,
) -> Result<(), SamlRefusal> {
    let signatures: Vec<NodeId> = xml::all_named(doc, root, "Signature");
    for &signature in &signatures {
        let parent = doc.parent(signature);
        if !xml::is(doc, signature, DSIG, "Signature")
            || !(parent == Some(root) || parent == Some(assertion))
        {
            return refuse(
                LoginRefusal::ReferenceInvalid,
                "a signature where SAML puts none (only the Response and the Assertion are signed)",
            );
        }
    }
    if xml::children(doc, assertion, DSIG, "Signature").is_empty() {
        return refuse(
            LoginRefusal::SignatureMissing,
            "the assertion is not signed (a signed response alone is not accepted)",
        );
    }
    for &signature in &signatures {
        check_signed_info(doc, signature, policy.allow_sha1)?;
    }
    let context = DsigContext::new(key_manager(policy.certificates)?)
        .with_trusted_keys_only(true)
        .with_strict_verification(true)
        .with_require_reference_digests(true);
    let results = verify_all_document(&context, doc).map_err(|e| SamlRefusal {
        reason: LoginRefusal::SignatureInvalid,
        detail: format!("the signature could not be checked: {e}"),
    })?;
    if results.len() != signatures.len() {
        return refuse(
            LoginRefusal::SignatureInvalid,
            "not every signature was checked",
        );
    }
    for result in results {
        match result {
            VerifyResult::Valid {
                signature_node,
                references,
                ..
            } => {
                let holder = doc
                    .parent(signature_node)
                    .ok_or_else(|| malformed("a signature with no parent"))?;
                let covers_holder = matches!(references.as_slice(),
                    [only] if only.digest_verified && only.resolved_node == Some(holder));
                if !covers_holder {
                    return refuse(
                        LoginRefusal::ReferenceInvalid,
                        "the signature does not cover exactly the element holding it",
                    );
                }
            }
            VerifyResult::Invalid { reason } => {
                return refuse(
                    LoginRefusal::SignatureInvalid,
                    format!("no pinned certificate verifies the signature: {reason}"),
                );
            }
        }
    }
    Ok(())
}

/// What a signature's SignedInfo may say: one Reference, `#<ID>` of the element
/// holding the signature, the enveloped-signature and a canonicalization transform
/// (no XPath, XSLT or XPointer), and allowed algorithms.
fn check_signed_info(
    doc: &Document<'_>,
    signature: NodeId,
    allow_sha1: bool,
) -> Result<(), SamlRefusal> {
    let invalid = |detail: &str| SamlRefusal {
        reason: LoginRefusal::ReferenceInvalid,
        detail: detail.to_owned(),
    };
    let signed_info = xml::only_child(doc, signature, DSIG, "SignedInfo")
        .ok_or_else(|| malformed("a signature without one SignedInfo"))?;
    let algorithm = |parent: NodeId, local: &str| {
        xml::only_child(doc, parent, DSIG, local)
            .and_then(|n| xml::attr(doc, n, "Algorithm"))
            .map(str::to_owned)
            .ok_or_else(|| malformed(format!("no ds:{local} Algorithm")))
    };
    let canonicalization = algorithm(signed_info, "CanonicalizationMethod")?;
    if !CANONICALIZATIONS.contains(&canonicalization.as_str()) {
        return Err(invalid(&format!(
            "canonicalization {canonicalization} is not accepted"
        )));
    }
    let method = algorithm(signed_info, "SignatureMethod")?;
    check_algorithm(
        &method,
        STRONG_SIGNATURES,
        SHA1_SIGNATURES,
        allow_sha1,
        "signature",
    )?;
    let reference = match xml::children(doc, signed_info, DSIG, "Reference").as_slice() {
        [one] => *one,
        refs => {
            return Err(invalid(&format!(
                "{} references; exactly one (the signed element) is accepted",
                refs.len()
            )));
        }
    };
    let digest = algorithm(reference, "DigestMethod")?;
    check_algorithm(&digest, STRONG_DIGESTS, SHA1_DIGESTS, allow_sha1, "digest")?;
    let holder = doc
        .parent(signature)
        .ok_or_else(|| malformed("a signature with no parent"))?;
    let id = xml::attr(doc, holder, "ID").unwrap_or_default();
    let uri = xml::attr(doc, reference, "URI").unwrap_or_default();
    if id.is_empty() || uri.strip_prefix('#') != Some(id) {
        return Err(invalid(&format!(
            "the reference `{uri}` is not `#{id}`, the element holding the signature"
        )));
    }
    let transforms = xml::only_child(doc, reference, DSIG, "Transforms")
        .map(|t| xml::children(doc, t, DSIG, "Transform"))
        .unwrap_or_default();
    for transform in transforms {
        let name = xml::attr(doc, transform, "Algorithm").unwrap_or_default();
        if name != ENVELOPED && !CANONICALIZATIONS.contains(&name) {
            return Err(invalid(&format!("the transform {name} is not accepted")));
        }
    }
    Ok(())
}

fn check_algorithm(
    name: &str,
    strong: &[&str],
    sha1: &[&str],
    allow_sha1: bool,
    what: &str,
) -> Result<(), SamlRefusal> {
    if strong.contains(&name) || (allow_sha1 && sha1.contains(&name)) {
        return Ok(());
    }
    let why = if sha1.contains(&name) {
        "SHA-1, which this connection does not allow"
    } else {
        "not an accepted algorithm"
    };
    refuse(
        LoginRefusal::WeakAlgorithm,
        format!("{what} algorithm {name}: {why}"),
    )
}

/// The Response's own Destination and InResponseTo, when present, match.
fn check_response_envelope(
    doc: &Document<'_>,
    root: NodeId,
    policy: &AcsPolicy<'_>,
) -> Result<(), SamlRefusal> {
    if let Some(destination) = xml::attr(doc, root, "Destination")
        && destination != policy.acs_url
    {
        return refuse(
            LoginRefusal::DestinationMismatch,
            format!(
                "Destination is {destination}, not this connection's ACS URL {}",
                policy.acs_url
            ),
        );
    }
    if let Some(answered) = xml::attr(doc, root, "InResponseTo") {
        check_request(Some(answered), policy)?;
    }
    Ok(())
}

fn check_request(answered: Option<&str>, policy: &AcsPolicy<'_>) -> Result<(), SamlRefusal> {
    match (answered, policy.request_id) {
        (Some(answered), Some(expected)) if answered == expected => Ok(()),
        (Some(answered), _) => refuse(
            LoginRefusal::RequestMismatch,
            format!("InResponseTo {answered} is not a request this connection is waiting for"),
        ),
        (None, Some(expected)) => refuse(
            LoginRefusal::RequestMismatch,
            format!("no InResponseTo, but the login was for request {expected}"),
        ),
        (None, None) if policy.allow_unsolicited => Ok(()),
        (None, None) => refuse(
            LoginRefusal::Unsolicited,
            "an IdP-initiated response, and the connection does not accept them",
        ),
    }
}

fn time_attr(
    doc: &Document<'_>,
    node: NodeId,
    name: &str,
) -> Result<Option<OffsetDateTime>, SamlRefusal> {
    xml::attr(doc, node, name)
        .map(|t| {
            OffsetDateTime::parse(t, &Rfc3339)
                .map_err(|_| malformed(format!("{name} `{t}` is not an xs:dateTime")))
        })
        .transpose()
}

fn text_of(doc: &Document<'_>, node: NodeId, what: &str) -> Result<String, SamlRefusal> {
    xml::text(doc, node).map_err(|e| match e {
        TextError::Comment => SamlRefusal {
            reason: LoginRefusal::CommentInjection,
            detail: format!("{what} holds a comment, which the signature does not cover"),
        },
        TextError::NotText => malformed(format!("{what} is not text")),
    })
}

/// The verified assertion's values, read from it alone.
fn read_assertion(
    doc: &Document<'_>,
    assertion: NodeId,
    policy: &AcsPolicy<'_>,
) -> Result<VerifiedAssertion, SamlRefusal> {
    let skew = time::Duration::seconds(CLOCK_SKEW_SECONDS);
    let now = policy.now;
    let assertion_id = xml::attr(doc, assertion, "ID")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| malformed("the assertion has no ID"))?
        .to_owned();
    let issuer_node = xml::only_child(doc, assertion, SAML, "Issuer")
        .ok_or_else(|| malformed("the assertion has no one Issuer"))?;
    let issuer = text_of(doc, issuer_node, "Issuer")?;
    if issuer != policy.idp_entity_id {
        return refuse(
            LoginRefusal::IssuerMismatch,
            format!("Issuer is {issuer}, not {}", policy.idp_entity_id),
        );
    }
    let subject = xml::only_child(doc, assertion, SAML, "Subject")
        .ok_or_else(|| malformed("the assertion has no one Subject"))?;
    let name_id_node = xml::only_child(doc, subject, SAML, "NameID")
        .ok_or_else(|| malformed("the subject has no one NameID"))?;
    let name_id = text_of(doc, name_id_node, "NameID")?;
    if name_id.is_empty() {
        return Err(malformed("the NameID is empty"));
    }

    // Conditions: the window and the audience.
    let conditions = xml::only_child(doc, assertion, SAML, "Conditions")
        .ok_or_else(|| malformed("the assertion has no one Conditions"))?;
    let not_before = time_attr(doc, conditions, "NotBefore")?;
    let not_on_or_after = time_attr(doc, conditions, "NotOnOrAfter")?;
    if let Some(nb) = not_before
        && now + skew < nb
    {
        return refuse(
            LoginRefusal::NotYetValid,
            format!("the assertion is valid from {nb}"),
        );
    }
    if let Some(end) = not_on_or_after
        && now - skew >= end
    {
        return refuse(
            LoginRefusal::Expired,
            format!("the assertion expired at {end}"),
        );
    }
    let restrictions = xml::children(doc, conditions, SAML, "AudienceRestriction");
    if restrictions.is_empty() {
        return refuse(
            LoginRefusal::AudienceMismatch,
            "the assertion names no audience",
        );
    }
    for restriction in restrictions {
        let mut audiences = Vec::new();
        for audience in xml::children(doc, restriction, SAML, "Audience") {
            audiences.push(text_of(doc, audience, "Audience")?);
        }
        if !audiences.iter().any(|a| a == policy.sp_entity_id) {
            return refuse(
                LoginRefusal::AudienceMismatch,
                format!(
                    "the assertion is for {}, not {}",
                    audiences.join(", "),
                    policy.sp_entity_id
                ),
            );
        }
    }

    // Subject confirmation: a bearer one for this ACS, in time, for this request.
    let mut confirmed: Option<(Option<String>, OffsetDateTime)> = None;
    let mut why = String::from("no bearer SubjectConfirmation");
    for confirmation in xml::children(doc, subject, SAML, "SubjectConfirmation") {
        if xml::attr(doc, confirmation, "Method") != Some(BEARER) {
            continue;
        }
        let Some(data) = xml::only_child(doc, confirmation, SAML, "SubjectConfirmationData") else {
            why = "a bearer confirmation without SubjectConfirmationData".into();
            continue;
        };
        let recipient = xml::attr(doc, data, "Recipient").unwrap_or_default();
        if recipient != policy.acs_url {
            why = format!(
                "Recipient is `{recipient}`, not this connection's ACS URL {}",
                policy.acs_url
            );
            continue;
        }
        let Some(until) = time_attr(doc, data, "NotOnOrAfter")? else {
            why = "a bearer confirmation without NotOnOrAfter".into();
            continue;
        };
        if now - skew >= until {
            return refuse(
                LoginRefusal::Expired,
                format!("the subject confirmation expired at {until}"),
            );
        }
        let answered = xml::attr(doc, data, "InResponseTo").map(str::to_owned);
        check_request(answered.as_deref(), policy)?;
        confirmed = Some((answered, until));
        break;
    }
    let Some((in_response_to, confirmed_until)) = confirmed else {
        return refuse(LoginRefusal::RecipientMismatch, why);
    };

    let statement = xml::children(doc, assertion, SAML, "AuthnStatement");
    let Some(&statement) = statement.first() else {
        return Err(malformed("the assertion has no AuthnStatement"));
    };
    let session_index = xml::attr(doc, statement, "SessionIndex").map(str::to_owned);
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for statement in xml::children(doc, assertion, SAML, "AttributeStatement") {
        for attribute in xml::children(doc, statement, SAML, "Attribute") {
            let Some(name) = xml::attr(doc, attribute, "Name") else {
                continue;
            };
            let values = attributes.entry(name.to_owned()).or_default();
            for value in xml::children(doc, attribute, SAML, "AttributeValue") {
                values.push(text_of(doc, value, "an AttributeValue")?);
            }
        }
    }
    Ok(VerifiedAssertion {
        assertion_id,
        issuer,
        name_id,
        name_id_format: xml::attr(doc, name_id_node, "Format").map(str::to_owned),
        session_index,
        in_response_to,
        attributes,
        valid_until: not_on_or_after.map_or(confirmed_until, |end| end.max(confirmed_until)) + skew,
    })
}

/// The request id a response says it answers, read before anything is verified: only
/// to find the stored request that [`verify_response`] then holds it to.
pub fn claimed_request(response: &str) -> Option<String> {
    let doc = xml::parse(response).ok()?;
    let root = doc.document_element()?;
    if let Some(id) = xml::attr(&doc, root, "InResponseTo") {
        return Some(id.to_owned());
    }
    let subject = xml::only_child(&doc, root, SAML, "Assertion")
        .and_then(|a| xml::only_child(&doc, a, SAML, "Subject"))?;
    xml::children(&doc, subject, SAML, "SubjectConfirmation")
        .into_iter()
        .filter_map(|c| xml::only_child(&doc, c, SAML, "SubjectConfirmationData"))
        .find_map(|d| xml::attr(&doc, d, "InResponseTo"))
        .map(str::to_owned)
}
