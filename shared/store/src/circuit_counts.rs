//! Webhook endpoints' circuit-breaker counts (see `webhooks::circuit`), one item per
//! endpoint in the deliveries table: pk `CIRCUIT#<tenant>#<webhook id>`, sk `COUNTS`.
//!
//! An attempt is counted with one atomic update: `ADD` into the current window, or,
//! when the stored window has ended, a conditional `SET` that starts the new one and
//! keeps the old one's counts as the last window. Concurrent attempts on one endpoint
//! therefore never conflict with each other, and the endpoint item (with the breaker
//! state) is written only when the state moves. The item expires [`RETENTION`] after
//! the last attempt, so a deleted endpoint's counts go away by themselves.

use super::deliveries::{DeliveryStore, RETENTION};
use super::item::{self, Item, Reader};
use super::{StoreError, is_condition_failure};
use crate::ids::{TenantId, WebhookId};
use crate::webhooks::circuit::{Counts, Policy, window_start};
use aws_sdk_dynamodb::types::ReturnValue;
use time::OffsetDateTime;

/// The counts item's key.
fn key(tenant: &TenantId, webhook: &WebhookId) -> Item {
    item::from_pairs([
        ("pk", item::s(format!("CIRCUIT#{tenant}#{webhook}"))),
        ("sk", item::s("COUNTS")),
    ])
}

fn decode(found: &Item) -> Result<Counts, StoreError> {
    let r = Reader::new(found);
    let count = |name: &str| -> Result<u32, StoreError> {
        Ok(u32::try_from(r.number(name)?.unwrap_or(0)).unwrap_or(u32::MAX))
    };
    Ok(Counts {
        window_start: i64::try_from(r.number("window_start")?.unwrap_or(0)).unwrap_or(i64::MAX),
        attempts: count("attempts")?,
        failures: count("failures")?,
        last_attempts: count("last_attempts")?,
        last_failures: count("last_failures")?,
        failing_since: r.opt_time("failing_since")?,
    })
}

impl DeliveryStore {
    /// Counts an attempt's outcome; returns the counts with it included.
    pub async fn count_attempt(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        policy: &Policy,
        success: bool,
        now: OffsetDateTime,
    ) -> Result<Counts, StoreError> {
        let (set_failing, remove_failing) = if success {
            ("", " REMOVE failing_since")
        } else {
            (", failing_since = if_not_exists(failing_since, :now)", "")
        };
        // The same window (or a later one, from a dispatcher whose clock runs ahead).
        let add = format!(
            "SET expires_at = :expires{set_failing} ADD attempts :one, failures :failed{remove_failing}"
        );
        // A new window: the ended one becomes the last (every stored window has
        // attempts); a new item has none.
        let roll = format!(
            "SET last_attempts = if_not_exists(attempts, :zero), \
             last_failures = if_not_exists(failures, :zero), window_start = :start, \
             attempts = :one, failures = :failed, expires_at = :expires{set_failing}{remove_failing}"
        );
        let cases = [
            (add.as_str(), "window_start >= :start"),
            (
                roll.as_str(),
                "attribute_not_exists(window_start) OR window_start < :start",
            ),
        ];
        // Each lost condition means another attempt just moved the window the other
        // way's condition needs, so this settles in a round or two.
        for (update, condition) in cases.iter().cycle().take(6) {
            let mut request = self
                .client()
                .update_item()
                .table_name(self.table())
                .set_key(Some(key(tenant, webhook)))
                .update_expression(*update)
                .condition_expression(*condition)
                .expression_attribute_values(":start", item::n(window_start(policy, now)))
                .expression_attribute_values(":one", item::n(1))
                .expression_attribute_values(":failed", item::n(i64::from(!success)))
                .expression_attribute_values(":expires", item::time(now + RETENTION))
                .return_values(ReturnValue::AllNew);
            if update.contains(":zero") {
                request = request.expression_attribute_values(":zero", item::n(0));
            }
            if !success {
                request = request.expression_attribute_values(":now", item::time(now));
            }
            match request.send().await {
                Ok(out) => return decode(&out.attributes.unwrap_or_default()),
                Err(e) if is_condition_failure(&e) => continue,
                Err(e) => return Err(StoreError::from_sdk(e)),
            }
        }
        Err(StoreError::Conflict)
    }

    /// An endpoint's counts; zero for one without attempts.
    pub async fn counts(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
    ) -> Result<Counts, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(self.table())
            .set_key(Some(key(tenant, webhook)))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.item.as_ref().map_or(Ok(Counts::default()), decode)
    }

    /// Starts an endpoint's counts afresh (it was enabled again).
    pub async fn reset_counts(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
    ) -> Result<(), StoreError> {
        self.client()
            .delete_item()
            .table_name(self.table())
            .set_key(Some(key(tenant, webhook)))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }
}
