//! The SSO bootstrap: the functions that speak to identity providers (OpenID
//! Connect, SAML, LDAP). Lambda sets `_HANDLER` to the function's `Handler` from
//! template.yaml; that names the function to run.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let name = std::env::var("_HANDLER")
        .map_err(|_| "_HANDLER is not set: it names the function to run (template Handler)")?;
    gatehouse_functions::run_sso(&name).await
}
