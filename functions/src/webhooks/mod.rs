//! Webhook routes, fan-out and the dispatcher.
pub mod create;
pub mod delete;
pub mod deliveries;
pub mod delivery;
pub mod disable;
pub mod dispatcher;
pub mod enable;
pub mod fanout;
pub mod get;
pub mod list;
pub mod recover;
pub mod report;
pub mod retry_delivery;
pub mod rotate_secret;
pub mod test;
pub mod update;
