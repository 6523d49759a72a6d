//! TLS client configurations for the connections Gatehouse opens itself (LDAP,
//! syslog): rustls on aws-lc-rs, trusting a tenant's own CA (PEM) or the system's
//! roots, optionally presenting a client certificate (mTLS).

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

/// The trust anchors in `pem`; an error names `field`.
pub fn ca_roots(field: &str, pem: &str) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| format!("`{field}`: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("`{field}` is not a usable CA certificate: {e}"))?;
    }
    Ok(roots)
}

/// Whether `pem` holds at least one certificate rustls can use as a trust anchor.
pub fn check_ca(field: &str, pem: &str) -> Result<(), String> {
    if ca_roots(field, pem)?.is_empty() {
        return Err(format!("`{field}` holds no PEM certificate"));
    }
    Ok(())
}

/// A client certificate chain and its private key, both PEM.
pub struct ClientIdentity<'a> {
    pub certificate_pem: &'a str,
    pub key_pem: &'a str,
}

/// Checks a client identity: a certificate chain and a key rustls can use.
pub fn check_identity(identity: &ClientIdentity<'_>) -> Result<(), String> {
    chain_and_key(identity).map(drop)
}

fn chain_and_key(
    identity: &ClientIdentity<'_>,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let chain = CertificateDer::pem_slice_iter(identity.certificate_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("`client_certificate`: {e}"))?;
    if chain.is_empty() {
        return Err("`client_certificate` holds no PEM certificate".into());
    }
    let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes())
        .map_err(|e| format!("`client_key`: {e}"))?;
    Ok((chain, key))
}

/// The configuration: `ca_pem`'s anchors, or the system's roots without one.
pub fn client_config(
    ca_field: &str,
    ca_pem: Option<&str>,
    identity: Option<&ClientIdentity<'_>>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let roots = match ca_pem {
        Some(pem) => ca_roots(ca_field, pem)?,
        None => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            roots
        }
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let config = match identity {
        Some(identity) => {
            let (chain, key) = chain_and_key(identity)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("the client certificate and key do not go together: {e}"))?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}
