//! What the secret routes share: the secret a route names, how the store's refusals
//! read as problems, and how secrets are shown (never a value, except by the read
//! route).

use crate::audit::{AuditEvent, TargetKind};
use crate::http::call::Call;
use crate::http::query::{Param, Query};
use crate::http::schema::of;
use crate::http::{Problem, ProblemType};
use crate::secrets::vault::VaultError;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;

pub use gatehouse_service::secrets::*;

/// The largest body of a write: the value's 65,508 bytes of compact JSON, with room
/// for the request's own JSON and whitespace.
pub const MAX_WRITE_BODY_BYTES: usize = 128 * 1024;

/// Which store a secret route works on: the tenant's (its Vault if it has configured
/// one) or Gatehouse's own, for the secrets kept there beside a Vault.
#[derive(Debug, Clone, Copy, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "SecretStoreChoice")]
pub enum StoreChoice {
    Tenant,
    Gatehouse,
}

/// The `store` query parameter every secret route takes.
pub const STORE: Param = Param::text(
    "store",
    "`tenant` (default): the tenant's store, its Vault if it has configured one; `gatehouse`: Gatehouse's own store, where the secrets its Vault credentials reference are kept.",
    of::<StoreChoice>(),
);

/// The store `query` asks for.
pub fn store_for(call: &Call<'_>, query: &Query) -> Result<TenantSecrets, Problem> {
    Ok(if own_store_asked(query)? {
        call.app.secrets.own()
    } else {
        call.app.secrets.clone()
    })
}

/// Whether `query` asks for Gatehouse's own store (`store=gatehouse`).
pub fn own_store_asked(query: &Query) -> Result<bool, Problem> {
    match query.text(&STORE) {
        None | Some("tenant") => Ok(false),
        Some("gatehouse") => Ok(true),
        Some(_) => Err(Problem::invalid_parameter(
            "`store` is `tenant` or `gatehouse`",
        )),
    }
}

/// The secret named by the `{path+}` path parameter.
pub fn path_of(call: &Call<'_>) -> Result<SecretPath, Problem> {
    let path = call
        .path_parameter("path")
        .ok_or_else(|| Problem::new(ProblemType::NotFound, "no such secret"))?;
    SecretPath::parse(&path).map_err(|e| Problem::invalid_parameter(e.to_string()))
}

/// Stores a change's audit event: with the change's own write (AWS), or on its own
/// once the tenant's Vault has done the change.
pub async fn finish(
    call: &Call<'_>,
    committed: Committed,
    audit: &AuditEvent,
) -> Result<(), Problem> {
    match committed {
        Committed::Batch(batch) => {
            call.commit(
                batch,
                audit,
                "the secret changed while this request was processed; read it again and retry",
            )
            .await
        }
        Committed::Done => Ok(call.app.audit.put(audit).await?),
    }
}

/// An audit event about the secret at `path` (never its value).
pub fn audit(call: &Call<'_>, action: &str, path: &SecretPath) -> AuditEvent {
    call.audit_event(action)
        .target(TargetKind::Secret, path.as_str())
}

impl From<SecretStoreError> for Problem {
    fn from(err: SecretStoreError) -> Self {
        match err {
            SecretStoreError::Secret(e) => e.into(),
            SecretStoreError::Store(e) => e.into(),
            SecretStoreError::Versions(e) => Problem::unavailable(&e),
            SecretStoreError::Vault(e) => e.into(),
            SecretStoreError::Unsupported(why) => Problem::new(ProblemType::Conflict, why),
            SecretStoreError::Seal(e @ crate::store::envelope::SealError::Kms(_)) => {
                Problem::unavailable(&e)
            }
            other => Problem::internal(&other),
        }
    }
}

impl From<VaultError> for Problem {
    fn from(err: VaultError) -> Self {
        match err {
            VaultError::Unreachable(_) | VaultError::Sealed | VaultError::CircuitOpen { .. } => {
                Problem::new(
                    ProblemType::ServiceUnavailable,
                    format!("the tenant's Vault: {err}; retry later"),
                )
            }
            _ => Problem::new(
                ProblemType::IntegrationFailed,
                format!("the tenant's Vault: {err}"),
            ),
        }
    }
}

impl From<SecretError> for Problem {
    fn from(err: SecretError) -> Self {
        let kind = match &err {
            SecretError::InvalidPath(_) => ProblemType::InvalidParameter,
            SecretError::InvalidData(_) | SecretError::InvalidSettings(_) => {
                ProblemType::InvalidBody
            }
            SecretError::NotFound
            | SecretError::NoSuchVersion(_)
            | SecretError::VersionDeleted(_) => ProblemType::NotFound,
            SecretError::VersionDestroyed(_) => ProblemType::Gone,
            SecretError::CasRequired
            | SecretError::CasMismatch { .. }
            | SecretError::ScheduledForDeletion { .. }
            | SecretError::NotDeleted => ProblemType::Conflict,
        };
        Problem::new(kind, err.to_string())
    }
}

/// One version, as the API shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "SecretVersion")]
pub struct VersionView {
    pub version: u64,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it is (or was, or will be: `delete_version_after`) deleted.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub deleted_at: Option<OffsetDateTime>,
    pub destroyed: bool,
}

impl VersionView {
    pub fn of(version: u64, state: &VersionState) -> Self {
        Self {
            version,
            created_at: state.created_at,
            deleted_at: state.deleted_at,
            destroyed: state.destroyed,
        }
    }
}

/// A deleted secret's restore deadline.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DeletionView {
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub deleted_at: OffsetDateTime,
    /// Restorable until then; gone for good after.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub purge_at: OffsetDateTime,
}

/// A secret's metadata: settings and versions, no value.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "SecretMetadata")]
pub struct MetadataView {
    pub path: SecretPath,
    /// 0 until the first write.
    pub current_version: u64,
    pub oldest_version: u64,
    pub max_versions: u32,
    pub cas_required: bool,
    /// 0: versions are not deleted by age.
    pub delete_version_after_seconds: u64,
    pub custom_metadata: BTreeMap<String, String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Kept versions, oldest first.
    pub versions: Vec<VersionView>,
    /// Set while the whole secret is deleted and restorable.
    pub deletion: Option<DeletionView>,
}

impl MetadataView {
    pub fn of(path: &SecretPath, meta: &SecretMeta) -> Self {
        Self {
            path: path.clone(),
            current_version: meta.current_version,
            oldest_version: meta.oldest_version(),
            max_versions: meta.settings.max_versions,
            cas_required: meta.settings.cas_required,
            delete_version_after_seconds: meta.settings.delete_version_after_seconds,
            custom_metadata: meta.settings.custom_metadata.clone(),
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            versions: meta
                .versions
                .iter()
                .map(|(v, state)| VersionView::of(*v, state))
                .collect(),
            deletion: meta.deletion.as_ref().map(|d| DeletionView {
                deleted_at: d.at,
                purge_at: d.purge_at,
            }),
        }
    }
}

/// The versions a delete, undelete or destroy names.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SecretVersionsRequest")]
pub struct VersionsRequest {
    /// Versions to change; versions the secret does not keep are ignored.
    #[schemars(length(min = 1, max = 100), inner(range(max = crate::secrets::meta::MAX_VERSION_NUMBER)))]
    pub versions: Vec<u64>,
}

/// A state change of some versions (delete, undelete, destroy), as one route does it:
/// the change, its audit event with the versions it changed, and the metadata after.
pub async fn change_versions(
    call: &Call<'_>,
    action: &str,
    op: crate::secrets::store::Change,
) -> crate::http::ApiResult {
    let path = path_of(call)?;
    let store = store_for(call, &Query::from_request(call.req, &[STORE])?)?;
    let body: VersionsRequest = crate::http::json_body(call.req)?;
    if body.versions.is_empty() || body.versions.len() > 100 {
        return Err(Problem::invalid_body("`versions` lists 1-100 versions"));
    }
    let (meta, changed, committed) = store
        .change_versions(&call.caller.tenant_id, &path, op, &body.versions, call.now)
        .await?;
    let audit = audit(call, action, &path)
        .status(200)
        .detail(format!("versions {changed:?}"));
    finish(call, committed, &audit).await?;
    Ok(crate::http::json_response(
        200,
        &MetadataView::of(&path, &meta),
    ))
}
