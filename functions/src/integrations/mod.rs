//! Tenant integration routes: the tenant's Vault / OpenBao as its secret store
//! (`/v2/integrations/vault`), connectivity tests, health and the report.
pub mod create_vault;
pub mod delete_vault;
pub mod get_vault;
pub mod health;
pub mod prober;
pub mod report;
pub mod test;
pub mod update_vault;
