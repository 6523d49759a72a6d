//! Tenant secret routes (`/v2/secrets/...`): Vault KV v2 semantics over the tenant's
//! secret store. Values are returned only by `read`, to `secrets:read`, and never
//! logged; every operation, reads included, is audited with the path and versions.
pub mod configure;
pub mod delete_all;
pub mod delete_versions;
pub mod destroy;
pub mod list;
pub mod metadata;
pub mod read;
pub mod restore;
pub mod undelete;
pub mod write;
