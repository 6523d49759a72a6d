//! The directory check, on a schedule (EventBridge, `DirectoryCheckSchedule`): every
//! enabled LDAP connection's principals looked up as the service account; groups and
//! scopes brought up to date, people gone or disabled in the directory disabled here,
//! and their keys synced (`gatehouse::sso_service::directory_check`). A directory that
//! cannot be used changes nothing until the next run.

use crate::event_sources::scheduled;
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::sso_service::directory_check::{DirectorySummary, check_directories};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SECRETS)
    .with(Needs::EPHEMERAL)
    .with(Needs::KEYS)
    .with(Needs::AUDIT);

pub async fn handle(app: &App) -> Result<DirectorySummary, String> {
    let summary = scheduled("directory-check", check_directories(app, app.clock.now())).await?;
    tracing::info!(
        connections = summary.connections,
        unreachable = summary.unreachable,
        principals = summary.principals,
        updated = summary.updated,
        disabled = summary.disabled,
        keys_narrowed = summary.keys_narrowed,
        keys_disabled = summary.keys_disabled,
        "directory check"
    );
    Ok(summary)
}

/// The scheduled run: the check's counts, as the runtime answers the schedule.
pub fn run(app: &App) -> crate::ScheduledFuture<'_> {
    Box::pin(async move {
        let summary = handle(app).await?;
        Ok(serde_json::json!({
            "principals": summary.principals,
            "updated": summary.updated,
            "disabled": summary.disabled,
            "unreachable": summary.unreachable,
        }))
    })
}
