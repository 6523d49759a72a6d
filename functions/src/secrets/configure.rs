//! `PUT /v2/secrets/metadata/{path+}`: a secret's settings and custom metadata
//! (creating the secret, without a version, if it does not exist). Fields left out
//! keep their value.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::audit::Change;
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::query::Query;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_body, json_response};
use gatehouse::secrets::{self, MetadataView, STORE};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SECRETS.with(Needs::INTEGRATIONS).with(Needs::AUDIT);

pub const ACTION: &str = "secret.configure";

pub const DOC: Operation = Operation {
    dependency: Some(
        "The tenant's Vault refused: its token, its policy for the path, or its mount",
    ),
    description: "Sets `max_versions` (1-90, default 10; a lower value removes the oldest versions at the next write), `cas_required`, `delete_version_after_seconds` (0: never) and `custom_metadata` (at most 64 keys of 128 bytes, values of 512 bytes). Creates the secret, without a version, if it does not exist.",
    body: RequestBody::Required(of::<ConfigureRequest>()),
    query: &[STORE],
    conflict: Some("The secret is deleted, or changed concurrently"),
    ..Operation::new(
        Tag::Secrets,
        "Configure a secret",
        &[Reply::new(
            200,
            "The metadata as it now is",
            of::<MetadataView>(),
        )],
    )
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SecretSettingsRequest", extend("minProperties" = 1))]
struct ConfigureRequest {
    #[serde(default)]
    #[schemars(range(min = 1, max = gatehouse::secrets::meta::MAX_VERSIONS_LIMIT))]
    max_versions: Option<u32>,
    #[serde(default)]
    cas_required: Option<bool>,
    #[serde(default)]
    #[schemars(range(max = 3_153_600_000u64))]
    delete_version_after_seconds: Option<u64>,
    /// Replaces the custom metadata as a whole: at most 64 keys of 128 bytes (UTF-8),
    /// values of 512 bytes.
    #[serde(default)]
    #[schemars(extend(
        "maxProperties" = 64,
        "propertyNames" = {"minLength": 1, "maxLength": 32, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"},
        "additionalProperties" = {"type": "string", "maxLength": 128},
    ))]
    custom_metadata: Option<BTreeMap<String, String>>,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let path = secrets::path_of(call)?;
    let store = secrets::store_for(call, &Query::from_request(call.req, &[STORE])?)?;
    let body: ConfigureRequest = json_body(call.req)?;
    let (meta, before, created, committed) = store
        .configure(
            &call.caller.tenant_id,
            &path,
            |settings| {
                if let Some(n) = body.max_versions {
                    settings.max_versions = n;
                }
                if let Some(required) = body.cas_required {
                    settings.cas_required = required;
                }
                if let Some(seconds) = body.delete_version_after_seconds {
                    settings.delete_version_after_seconds = seconds;
                }
                if let Some(custom) = &body.custom_metadata {
                    settings.custom_metadata = custom.clone();
                }
            },
            call.now,
        )
        .await?;
    let settings = &meta.settings;
    let audit = secrets::audit(call, ACTION, &path).status(200).changes(
        [
            Change::of("max_versions", &before.max_versions, &settings.max_versions),
            Change::of("cas_required", &before.cas_required, &settings.cas_required),
            Change::of(
                "delete_version_after_seconds",
                &before.delete_version_after_seconds,
                &settings.delete_version_after_seconds,
            ),
            Change::of(
                "custom_metadata_keys",
                &before.custom_metadata.keys().collect::<Vec<_>>(),
                &settings.custom_metadata.keys().collect::<Vec<_>>(),
            ),
        ]
        .into_iter()
        .flatten()
        .collect(),
    );
    let audit = if created {
        audit.detail("created without a version")
    } else {
        audit
    };
    secrets::finish(call, committed, &audit).await?;
    Ok(json_response(200, &MetadataView::of(&path, &meta)))
}
