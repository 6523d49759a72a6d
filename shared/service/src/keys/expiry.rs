//! `api_key.expiring` notices: a scheduled scan finds active keys whose expiry is
//! near and publishes one event per key and notice period (7 days, then 1 day), so a
//! tenant's webhook hears in time to rotate.
//!
//! Each notice is sent once (`crate::notices`): its marker names the key, its expiry
//! and the notice. A key whose expiry moves gets notices for the new expiry. A key that was
//! rotated (it expires at the end of its grace period, by design) or is disabled or
//! revoked gets none. The scan reads the keys table in pages; it runs every few
//! hours (`KeyExpiryScanSchedule`), so a notice can arrive that much after its
//! period starts. The same pass applies the key policies' idle and rotation-age
//! rules (`super::upkeep`), and adds active keys stored before the keys table had its
//! `keys-by-sso-holder` index to it.

use crate::App;
use crate::audit::{AuditEvent, TargetKind};
use crate::events::{Category, DomainEvent};
use crate::notices::publish_once;
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
    /// What the tenants' key policies asked of this run (idle keys, rotation age).
    pub upkeep: super::upkeep::UpkeepSummary,
    /// Keys stored before the keys table's `keys-by-sso-holder` index existed, added
    /// to it so permission sync finds them.
    pub indexed: usize,
}

/// The scheduled scan of every active key: expiry notices, then the upkeep the
/// tenant's key policy asks for (`super::upkeep`). One pass over the table, a page at
/// a time.
pub async fn scan_keys(app: &App, now: OffsetDateTime) -> Result<ScanSummary, String> {
    let mut summary = ScanSummary::default();
    let mut policies = super::upkeep::Policies::default();
    let mut start = None;
    loop {
        let page = app
            .keys
            .scan_active_page(start)
            .await
            .map_err(|e| e.to_string())?;
        for key in &page.keys {
            if page.unindexed.contains(&key.key_id) {
                app.keys
                    .index_sso_holder(key)
                    .await
                    .map_err(|e| e.to_string())?;
                summary.indexed += 1;
            }
            notice_expiry(app, key, now, &mut summary).await?;
            super::upkeep::keep_in_line(app, key, now, &mut policies, &mut summary.upkeep).await?;
        }
        start = page.next;
        if start.is_none() {
            return Ok(summary);
        }
    }
}

/// Publishes the expiry notice due for `key`, once.
async fn notice_expiry(
    app: &App,
    key: &crate::keys::KeyRecord,
    now: OffsetDateTime,
    summary: &mut ScanSummary,
) -> Result<(), String> {
    let Some(expires_at) = key.expires_at.filter(|at| *at > now) else {
        return Ok(());
    };
    let Some(notice) = notice_for(expires_at, now) else {
        return Ok(());
    };
    summary.expiring += 1;
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
    let marker = format!(
        "EXPIRY_NOTICE#{}#{}#{}#{notice}",
        key.tenant_id,
        key.key_id,
        expires_at.unix_timestamp()
    );
    // Kept until a day after the key expires.
    let audit = AuditEvent::system(
        &key.tenant_id,
        "api_key.expiring",
        "key-expiry-notifier",
        now,
    )
    .target(TargetKind::ApiKey, key.key_id.as_str())
    .detail(format!("expires in under {notice}"))
    .publishing(event);
    if publish_once(app, &marker, expires_at + Duration::DAY, &audit).await? {
        summary.notified += 1;
    } else {
        summary.already += 1;
    }
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
