//! `POST /v2/scopes`: defines a tenant scope (`resource:action`) with its
//! documentation, so keys can be given it.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::audit::Change;
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, ProblemType, json_body, json_response};
use gatehouse::keys::custom::NewScopeName;
use gatehouse::keys::custom::{self, CustomScope, MAX_CUSTOM_SCOPES};
use gatehouse::schema::PlainText;
use gatehouse::store::WriteBatch;
use schemars::JsonSchema;
use serde::Deserialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT).with(Needs::EPHEMERAL);

pub const ACTION: &str = "scope.create";

pub const DOC: Operation = Operation {
    body: RequestBody::Required(of::<CreateScopeRequest>()),
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::Scopes,
        "Define a custom scope",
        &[Reply::new(201, "The new scope", of::<CustomScope>())],
    )
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateScopeRequest {
    #[schemars(with = "NewScopeName")]
    name: String,
    #[schemars(with = "PlainText<1, 500>")]
    description: String,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let body: CreateScopeRequest = json_body(call.req)?;
    let name = custom::check_new_name(&body.name).map_err(Problem::invalid_body)?;
    let description =
        custom::check_description(&body.description).map_err(Problem::invalid_body)?;
    let existing = call.app.scopes.list(&call.caller.tenant_id).await?;
    if existing.iter().any(|s| s.name == name) {
        return Err(Problem::new(
            ProblemType::Conflict,
            format!("the scope `{name}` already exists"),
        ));
    }
    if existing.len() >= MAX_CUSTOM_SCOPES {
        return Err(Problem::new(
            ProblemType::Conflict,
            format!("a tenant can define at most {MAX_CUSTOM_SCOPES} scopes"),
        ));
    }
    let scope = CustomScope {
        name,
        description,
        created_at: call.now,
        created_by: call.caller.principal.clone(),
    };
    let audit = call
        .audit_event(ACTION)
        .target(gatehouse::audit::TargetKind::Scope, scope.name.as_str())
        .status(201)
        .changes(
            Change::of("description", &None, &Some(scope.description.clone()))
                .into_iter()
                .collect(),
        );
    let mut batch = WriteBatch::new();
    call.app
        .scopes
        .put_new(&mut batch, &call.caller.tenant_id, &scope)?;
    call.commit(
        batch,
        &audit,
        &format!("the scope `{}` already exists", scope.name),
    )
    .await?;
    Ok(json_response(201, &scope))
}
