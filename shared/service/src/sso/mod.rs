//! Single sign-on: OpenID Connect, SAML 2.0 and LDAP logins for a tenant's
//! connections, and the session tokens they end in.
pub mod directory_check;
pub mod domains;
pub mod ldap;
pub mod login;
pub mod oidc;
pub mod refresh;
pub mod saml;
pub mod session;
