//! Events that must go out once per occasion (an expiry notice, a quota threshold),
//! from jobs that may run again over the same facts: a marker item in the ephemeral
//! table, written with a condition, claims the occasion before the event is
//! published, and is removed if publishing fails, so a later run sends it.

use crate::App;
use crate::events::DomainEvent;
use crate::store::{StoreError, applied, item};
use time::OffsetDateTime;

/// Publishes `event` unless the occasion `marker` was published before; `Ok(false)`
/// if it was. The marker is kept until `keep_until` (TTL), past which the occasion
/// cannot recur.
pub async fn publish_once(
    app: &App,
    marker: &str,
    keep_until: OffsetDateTime,
    event: &DomainEvent,
) -> Result<bool, String> {
    let claimed = app
        .keys
        .client()
        .put_item()
        .table_name(&app.config.ephemeral_table)
        .item("pk", item::s(marker))
        .item("expires_at", item::time(keep_until))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    if !applied(claimed).map_err(|e| e.to_string())? {
        return Ok(false);
    }
    if let Err(e) = app.events.try_publish(event).await {
        release(app, marker).await.map_err(|e| e.to_string())?;
        return Err(format!("{} not published: {e}", event.event_type));
    }
    Ok(true)
}

async fn release(app: &App, marker: &str) -> Result<(), StoreError> {
    app.keys
        .client()
        .delete_item()
        .table_name(&app.config.ephemeral_table)
        .key("pk", item::s(marker))
        .send()
        .await
        .map_err(StoreError::from_sdk)?;
    Ok(())
}
