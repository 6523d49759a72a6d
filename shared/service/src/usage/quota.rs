//! Quota threshold notices: after each batch of access logs, every key in it with
//! quotas (day or month limits, its own or its plan's) has its counters read, and a
//! counter that has reached 80 % or 100 % of its limit in the current window gets one
//! `api_key.quota_threshold` event per window and threshold (`crate::notices`).
//!
//! This runs off the request path, from the access logs, so a notice follows the
//! request that crossed the threshold by the log delivery delay (seconds to a
//! minute). The counters are the authorizer's own, summed over shards, so the figure
//! is exact. A batch arriving after its window ended checks the new window.

use crate::App;
use crate::audit::{AuditEvent, TargetKind};
use crate::events::{Category, DomainEvent};
use crate::ids::{KeyId, TenantId};
use crate::limits::LimitSet;
use crate::notices::publish_once;
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

/// Shares of a quota, in percent, that raise a notice.
pub const THRESHOLDS: [u64; 2] = [80, 100];

/// The highest threshold `used` has reached of `limit`.
pub fn reached(used: u64, limit: u64) -> Option<u64> {
    THRESHOLDS
        .iter()
        .copied()
        .filter(|t| limit > 0 && used.saturating_mul(100) >= t * limit)
        .max()
}

/// Checks the quotas of the keys seen in one batch of access logs; returns how many
/// notices were published. Each tenant's plan is read once. A failed check is
/// logged, not returned: failing the batch would count its usage twice when it is
/// retried, and the key's next batch checks again.
pub async fn check_keys(app: &App, keys: &[(TenantId, KeyId)], now: OffsetDateTime) -> usize {
    let mut plans: BTreeMap<&TenantId, LimitSet> = BTreeMap::new();
    let mut notices = 0;
    for (tenant_id, key_id) in keys {
        let plan = match plans.get(tenant_id) {
            Some(plan) => plan,
            None => match app.policies.get(tenant_id).await {
                Ok(stored) => plans.entry(tenant_id).or_insert(stored.policy.plan),
                Err(e) => {
                    tracing::error!(tenant_id = %tenant_id, error = %e, "quota notices");
                    continue;
                }
            },
        };
        match check_key(app, tenant_id, key_id, plan, now).await {
            Ok(n) => notices += n,
            Err(e) => tracing::error!(key_id = %key_id, error = %e, "quota notice"),
        }
    }
    notices
}

/// Checks one key's quotas against its own limits, else `plan`.
async fn check_key(
    app: &App,
    tenant_id: &TenantId,
    key_id: &KeyId,
    plan: &LimitSet,
    now: OffsetDateTime,
) -> Result<usize, String> {
    let Some(key) = app
        .keys
        .get(tenant_id, key_id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(0);
    };
    let counters = app
        .counters
        .key_counters(&key, plan, now)
        .await
        .map_err(|e| e.to_string())?;
    let mut notices = 0;
    for (spec, used) in counters
        .into_iter()
        .filter(|(spec, _)| spec.window.is_quota())
    {
        let Some(threshold) = reached(used, spec.limit) else {
            continue;
        };
        let start = spec.window.start(now);
        let resets_at = spec.window.end(now);
        let event = DomainEvent::new(
            "api_key.quota_threshold",
            Category::Lifecycle,
            tenant_id,
            now,
            serde_json::json!({
                "key_id": key_id,
                "scope": spec.scope.label(),
                "window": spec.window.as_str(),
                "threshold_percent": threshold,
                "limit": spec.limit,
                "used": used,
                "resets_at": resets_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            }),
        );
        let marker = format!(
            "QUOTA_NOTICE#{tenant_id}#{key_id}#{}#{}#{}#{threshold}",
            spec.scope.label(),
            spec.window.as_str(),
            start.unix_timestamp()
        );
        let audit = AuditEvent::system(tenant_id, "api_key.quota_threshold", "usage-ingest", now)
            .target(TargetKind::ApiKey, key_id.as_str())
            .detail(format!(
                "{threshold}% of the {} quota used",
                spec.window.as_str()
            ))
            .publishing(event);
        if publish_once(app, &marker, resets_at + Duration::DAY, &audit).await? {
            notices += 1;
        }
    }
    Ok(notices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_threshold_reached() {
        assert_eq!(reached(79, 100), None);
        assert_eq!(reached(80, 100), Some(80));
        assert_eq!(reached(99, 100), Some(80));
        assert_eq!(reached(100, 100), Some(100));
        assert_eq!(reached(4, 5), Some(80), "80 % of 5 is 4");
        assert_eq!(reached(3, 3), Some(100));
        assert_eq!(reached(2, 3), None, "66 %");
        assert_eq!(reached(0, 0), None, "no limit, no notice");
    }
}
