//! `api_key.expiring` notices: a scheduled scan finds active keys whose expiry is
//! near and publishes one event per key and notice period (7 days, then 1 day), so a
//! tenant's webhook hears in time to rotate.
//!
//! Each notice is sent once: a marker item in the ephemeral table, written with a
//! condition before the event is published, names the key, its expiry and the
//! notice. A key whose expiry moves gets notices for the new expiry. A key that was
//! rotated (it expires at the end of its grace period, by design) or is disabled or
//! revoked gets none. The scan reads the keys table in pages; it runs every few
//! hours (`KeyExpiryScanSchedule`), so a notice can arrive that much after its
//! period starts.

use crate::App;
use crate::events::{Category, DomainEvent};
use crate::keys::model::KeyRecord;
use crate::store::StoreError;
use crate::store::item;
use time::{Duration, OffsetDateTime};

/// Notice periods, longest first: a key is noticed for the shortest one its
/// remaining time falls in.
pub const NOTICES: [(&str, Duration); 2] = [("7d", Duration::days(7)), ("1d", Duration::days(1))];

/// The notice due for a key expiring at `expires_at`, if it expires within the
/// longest period and has not expired.
pub fn notice_for(expires_at: OffsetDateTime, now: OffsetDateTime) -> Option<&'static str> {
    let left = expires_at - now;
    if left <= Duration::ZERO {
        return None;
    }
    NOTICES
        .iter()
        .filter(|(_, period)| left <= *period)
        .map(|(label, _)| *label)
        .next_back()
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// Active keys expiring within the longest period.
    pub expiring: usize,
    /// Notices published by this run.
    pub notified: usize,
    /// Notices sent by an earlier run.
    pub already: usize,
}

/// Scans for expiring keys and publishes the notices due.
pub async fn notify_expiring(app: &App, now: OffsetDateTime) -> Result<ScanSummary, String> {
    let horizon = now + NOTICES[0].1;
    let keys = app
        .keys
        .scan_expiring(now, horizon)
        .await
        .map_err(|e| e.to_string())?;
    let mut summary = ScanSummary {
        expiring: keys.len(),
        ..ScanSummary::default()
    };
    for key in &keys {
        let Some(expires_at) = key.expires_at else {
            continue;
        };
        let Some(notice) = notice_for(expires_at, now) else {
            continue;
        };
        if !claim_notice(app, key, expires_at, notice)
            .await
            .map_err(|e| e.to_string())?
        {
            summary.already += 1;
            continue;
        }
        let event = DomainEvent::new(
            "api_key.expiring",
            Category::Lifecycle,
            &key.tenant_id,
            now,
            serde_json::json!({
                "key": key.view(),
                "notice": notice,
                "expires_in_seconds": (expires_at - now).whole_seconds(),
            }),
        );
        if let Err(e) = app.events.try_publish(&event).await {
            // Unclaimed, so the next scan sends it.
            release_notice(app, key, expires_at, notice)
                .await
                .map_err(|e| e.to_string())?;
            return Err(format!("notice for {} not published: {e}", key.key_id));
        }
        summary.notified += 1;
    }
    Ok(summary)
}

fn marker_pk(key: &KeyRecord, expires_at: OffsetDateTime, notice: &str) -> String {
    format!(
        "EXPIRY_NOTICE#{}#{}#{}#{notice}",
        key.tenant_id,
        key.key_id,
        expires_at.unix_timestamp()
    )
}

/// Marks the notice as sent; `false` if it was already.
async fn claim_notice(
    app: &App,
    key: &KeyRecord,
    expires_at: OffsetDateTime,
    notice: &str,
) -> Result<bool, StoreError> {
    let result = app
        .keys
        .client()
        .put_item()
        .table_name(&app.config.ephemeral_table)
        .item("pk", item::s(marker_pk(key, expires_at, notice)))
        // Kept until a day after the key expires, then removed by TTL.
        .item("expires_at", item::time(expires_at + Duration::DAY))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    crate::store::applied(result)
}

async fn release_notice(
    app: &App,
    key: &KeyRecord,
    expires_at: OffsetDateTime,
    notice: &str,
) -> Result<(), StoreError> {
    app.keys
        .client()
        .delete_item()
        .table_name(&app.config.ephemeral_table)
        .key("pk", item::s(marker_pk(key, expires_at, notice)))
        .send()
        .await
        .map_err(StoreError::from_sdk)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_shortest_period_the_remaining_time_falls_in() {
        let now = datetime!(2026-11-25 10:00 UTC);
        assert_eq!(notice_for(now + Duration::days(8), now), None);
        assert_eq!(notice_for(now + Duration::days(7), now), Some("7d"));
        assert_eq!(notice_for(now + Duration::hours(25), now), Some("7d"));
        assert_eq!(notice_for(now + Duration::hours(24), now), Some("1d"));
        assert_eq!(notice_for(now + Duration::SECOND, now), Some("1d"));
        assert_eq!(notice_for(now, now), None, "expired: no notice");
    }
}
