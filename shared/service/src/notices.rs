//! Events that must go out once per occasion (an expiry notice, a quota threshold),
//! from jobs that may run again over the same facts: a marker item in the ephemeral
//! table, written with a condition, claims the occasion before the event is
//! published, and is removed if publishing fails, so a later run sends it.

use crate::App;
use crate::events::DomainEvent;
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
    if !app
        .markers
        .claim(marker, keep_until)
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(false);
    }
    if let Err(e) = app.events.try_publish(event).await {
        app.markers
            .release(marker)
            .await
            .map_err(|e| e.to_string())?;
        return Err(format!("{} not published: {e}", event.event_type));
    }
    Ok(true)
}
