//! Events that must go out once per occasion (an expiry notice, a quota threshold),
//! from jobs that may run again over the same facts: a marker item in the ephemeral
//! table, written with a condition, claims the occasion before the event's audit item
//! (the outbox) is written, and is removed if that write fails, so a later run sends it.

use crate::App;
use crate::audit::AuditEvent;
use time::OffsetDateTime;

/// Stores `audit` (which publishes the notice) unless the occasion `marker` was
/// claimed before; `Ok(false)` if it was. The marker is kept until `keep_until` (TTL),
/// past which the occasion cannot recur.
pub async fn publish_once(
    app: &App,
    marker: &str,
    keep_until: OffsetDateTime,
    audit: &AuditEvent,
) -> Result<bool, String> {
    if !app
        .markers
        .claim(marker, keep_until)
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(false);
    }
    if let Err(e) = app.audit.put(audit).await {
        app.markers
            .release(marker)
            .await
            .map_err(|e| e.to_string())?;
        return Err(format!("{} not published: {e}", audit.action));
    }
    Ok(true)
}
