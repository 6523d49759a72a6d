//! Which OCSF class, activity and base severity each audit action is. Every action
//! Gatehouse audits has an entry (tests/tests/siem_model.rs checks the whole source
//! tree), so a new action without one fails the build's tests rather than reaching
//! SIEMs as "Other".

use super::event::{EventClass, Severity};

/// An action's place in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    pub class: EventClass,
    /// OCSF `activity_id` within the class, and its name.
    pub activity_id: u8,
    pub activity_name: &'static str,
    /// The severity of a successful event; a refusal or failure may raise it.
    pub severity: Severity,
}

const fn of(
    class: EventClass,
    activity_id: u8,
    activity_name: &'static str,
    severity: Severity,
) -> Classification {
    Classification {
        class,
        activity_id,
        activity_name,
        severity,
    }
}

use EventClass::{AccountChange, ApiActivity, Authentication, DetectionFinding};
use Severity::{Critical, Informational, Low, Medium};

/// Actions whose class is not the API activity their verb names.
const SPECIFIC: &[(&str, Classification)] = &[
    // Authentication 3002: logins, logouts, session refreshes, key verifications.
    ("sso.login", of(Authentication, 1, "Logon", Informational)),
    ("sso.logout", of(Authentication, 2, "Logoff", Informational)),
    (
        "sso.refresh",
        of(Authentication, 99, "Refresh", Informational),
    ),
    (
        "api_key.verification_failures",
        of(Authentication, 1, "Logon", Medium),
    ),
    // Account Change 3001: the credentials' lifecycle and their holders.
    (
        "api_key.create",
        of(AccountChange, 1, "Create", Informational),
    ),
    (
        "api_key.rotate",
        of(AccountChange, 3, "Password Change", Informational),
    ),
    ("api_key.revoke", of(AccountChange, 5, "Disable", Low)),
    (
        "api_key.update",
        of(AccountChange, 99, "Other", Informational),
    ),
    (
        "api_key.expiring",
        of(AccountChange, 99, "Other", Informational),
    ),
    (
        "api_key.idle_warning",
        of(AccountChange, 99, "Other", Informational),
    ),
    ("api_key.disable_idle", of(AccountChange, 5, "Disable", Low)),
    (
        "api_key.rotation_due",
        of(AccountChange, 99, "Other", Informational),
    ),
    ("principal.disable", of(AccountChange, 5, "Disable", Low)),
    (
        "principal.enable",
        of(AccountChange, 2, "Enable", Informational),
    ),
    // Detection Finding 2004: what a security team must look at.
    (
        "api_key.compromise",
        of(DetectionFinding, 1, "Create", Critical),
    ),
    ("api_key.anomaly", of(DetectionFinding, 1, "Create", Medium)),
    (
        "sso.certificates_changed",
        of(DetectionFinding, 1, "Create", Medium),
    ),
    (
        "sso.certificate_expiring",
        of(DetectionFinding, 1, "Create", Low),
    ),
    (
        "integration.unhealthy",
        of(DetectionFinding, 1, "Create", Medium),
    ),
    (
        "integration.recovered",
        of(DetectionFinding, 3, "Close", Informational),
    ),
    // Gatehouse's own operations, as API activity.
    ("webhook.delivery_failed", of(ApiActivity, 99, "Other", Low)),
    ("api_key.quota_threshold", of(ApiActivity, 99, "Other", Low)),
];

/// API Activity 6003 by the action's verb (the part after the last `.`).
const VERBS: &[(&[&str], u8, &str)] = &[
    (&["create", "write"], 1, "Create"),
    (
        &[
            "read",
            "list",
            "report",
            "metadata_read",
            "usage_read",
            "deliveries_read",
            "delivery_read",
            "providers",
            "saml_metadata",
            "health",
            "test",
        ],
        2,
        "Read",
    ),
    (
        &[
            "update",
            "configure",
            "enable",
            "disable",
            "rotate_secret",
            "renew",
            "recover",
            "delivery_retry",
            "verify_domains",
            "usage_reset",
            "sync_keys",
            "restore",
            "undelete",
        ],
        3,
        "Update",
    ),
    (&["delete", "delete_all", "destroy", "revoke"], 4, "Delete"),
];

/// The action's classification, or `None` for an action the model does not know.
pub fn classify(action: &str) -> Option<Classification> {
    if let Some((_, c)) = SPECIFIC.iter().find(|(name, _)| *name == action) {
        return Some(*c);
    }
    let verb = action.rsplit('.').next()?;
    VERBS
        .iter()
        .find(|(verbs, _, _)| verbs.contains(&verb))
        .map(|(_, id, name)| of(ApiActivity, *id, name, Informational))
}
