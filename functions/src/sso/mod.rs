//! Single sign-on routes: a tenant's OpenID Connect connections
//! (`/v2/integrations/sso`), the public login and callback that end in a session
//! token (`/v2/sso/...`), logout, and the session keys (`/v2/.well-known/jwks.json`).
pub mod callback;
pub mod create;
pub mod delete;
pub mod get;
pub mod jwks;
pub mod list;
pub mod login;
pub mod logout;
pub mod providers;
pub mod test;
pub mod update;
