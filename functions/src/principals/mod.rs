//! The people known through SSO (`/v2/principals`): who they are at their IdP, their
//! groups and mapped scopes, their logins; disabling one ends its sessions within the
//! revocation bound and refuses its next login.
pub mod disable;
pub mod enable;
pub mod get;
pub mod list;
pub mod sync_keys;
