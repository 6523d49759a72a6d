//! The scheduled key scan (EventBridge): publishes `api_key.expiring` for active keys
//! expiring within 7 days, then again within 1 day (see `gatehouse::keys::expiry`),
//! and applies the key policies' idle and rotation-age rules
//! (`gatehouse::keys::upkeep`). A failed run is retried by the next one: every notice
//! not yet sent is still due.

use crate::event_sources::scheduled;
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::keys::expiry::{ScanSummary, scan_keys};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::EPHEMERAL).with(Needs::AUDIT);

pub async fn handle(app: &App) -> Result<ScanSummary, String> {
    let summary = scheduled("key-expiry-notices", scan_keys(app, app.clock.now())).await?;
    tracing::info!(
        expiring = summary.expiring,
        notified = summary.notified,
        already = summary.already,
        idle_warnings = summary.upkeep.idle_warnings,
        disabled_idle = summary.upkeep.disabled_idle,
        rotation_due = summary.upkeep.rotation_due,
        skipped = summary.upkeep.skipped,
        "key scan"
    );
    Ok(summary)
}

/// The scheduled run: the scan's counts, as the runtime answers the schedule.
pub fn run(app: &App) -> crate::ScheduledFuture<'_> {
    Box::pin(async move {
        let summary = handle(app).await?;
        Ok(serde_json::json!({
            "expiring": summary.expiring,
            "notified": summary.notified,
            "already": summary.already,
            "indexed": summary.indexed,
        }))
    })
}
