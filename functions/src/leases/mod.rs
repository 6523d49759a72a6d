//! Dynamic secrets' lease routes (`/v2/leases`): credentials issued for a while by the
//! tenant's Vault (a dynamic engine) or by STS into a role the deployment declares.
//! Credentials are returned once, when issued or re-issued; never stored or logged.
//! Every lease operation is audited.
pub mod create;
pub mod list;
pub mod renew;
pub mod revoke;
