//! `gatehouse-admin saml-check`: the ACS's own validation (`verify_response`), run
//! offline on a saved response, for support staff debugging a customer's IdP. It
//! prints the verified identity, or the refusal's reason code and precise detail.

use crate::cli::Args;
use gatehouse::sso_service::saml::metadata::{check_certificate, parse_idp_metadata};
use gatehouse::sso_service::saml::verify::{AcsPolicy, decode_post, verify_response};
use std::path::Path;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const USAGE: &str = "\
  gatehouse-admin saml-check --response FILE (--metadata FILE | --certificate FILE [--idp-entity-id ID])
                             --sp-entity-id ID --acs-url URL [--request-id ID] [--now RFC3339]
                             [--allow-sha1] [--allow-idp-initiated]
      Runs the ACS validation offline on a saved SAML response (the XML, or the base64
      SAMLResponse form value) and prints the verified identity or why it is refused.
      The IdP comes from its metadata, or a pinned certificate (PEM; repeat the flag for
      several) and its entity id (default: the assertion must name it). --now defaults
      to the current time: give the time the response was captured.";

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(Path::new(path)).map_err(|e| format!("{path}: {e}"))
}

/// Runs the check; `Ok` carries what to print and whether the response was accepted.
pub fn run(args: &Args) -> Result<(bool, String), String> {
    args.reject_unknown(&[
        "response",
        "metadata",
        "certificate",
        "idp-entity-id",
        "sp-entity-id",
        "acs-url",
        "request-id",
        "now",
        "allow-sha1",
        "allow-idp-initiated",
    ])?;
    let required = |name: &str| {
        args.value(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("--{name} is required"))
    };
    let saved = read(required("response")?)?;
    let response = if saved.trim_start().starts_with('<') {
        saved
    } else {
        decode_post(saved.trim()).map_err(|r| r.to_string())?
    };
    let (idp_entity_id, certificates) = match args.value("metadata") {
        Some(path) => {
            let idp = parse_idp_metadata(&read(path)?)?;
            (idp.entity_id, idp.certificates)
        }
        None => {
            let certificates = args
                .all("certificate")
                .iter()
                .map(|path| read(path).and_then(|pem| check_certificate(&pem).map(|(p, _)| p)))
                .collect::<Result<Vec<_>, _>>()?;
            if certificates.is_empty() {
                return Err("give --metadata or --certificate".into());
            }
            (required("idp-entity-id")?.to_owned(), certificates)
        }
    };
    let now = match args.value("now") {
        Some(t) => OffsetDateTime::parse(t, &Rfc3339).map_err(|e| format!("--now: {e}"))?,
        None => OffsetDateTime::now_utc(),
    };
    let policy = AcsPolicy {
        idp_entity_id: &idp_entity_id,
        certificates: &certificates,
        sp_entity_id: required("sp-entity-id")?,
        acs_url: required("acs-url")?,
        request_id: args.value("request-id").filter(|v| !v.is_empty()),
        allow_unsolicited: args.switch("allow-idp-initiated"),
        allow_sha1: args.switch("allow-sha1"),
        now,
    };
    Ok(match verify_response(&response, &policy) {
        Ok(assertion) => {
            let mut out = format!(
                "accepted\nissuer: {}\nname_id: {}\nname_id_format: {}\nassertion_id: {}\nin_response_to: {}\nsession_index: {}\n",
                assertion.issuer,
                assertion.name_id,
                assertion.name_id_format.as_deref().unwrap_or("-"),
                assertion.assertion_id,
                assertion
                    .in_response_to
                    .as_deref()
                    .unwrap_or("- (IdP-initiated)"),
                assertion.session_index.as_deref().unwrap_or("-"),
            );
            for (name, values) in &assertion.attributes {
                out.push_str(&format!("attribute {name}: {}\n", values.join(", ")));
            }
            (true, out)
        }
        Err(refusal) => (
            false,
            format!(
                "refused: {}\ndetail: {}\n",
                refusal.reason.as_str(),
                refusal.detail
            ),
        ),
    })
}
