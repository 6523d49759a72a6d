//! `POST /v2/scopes`: defines a tenant scope (`resource:action`) with its
//! documentation, so keys can be given it.

use gatehouse::audit::Change;
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::{ApiResult, Problem, ProblemType, json_body, json_response};
use gatehouse::keys::custom::{self, CustomScope, MAX_CUSTOM_SCOPES};
use gatehouse::store::WriteBatch;
use serde::Deserialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT).with(Needs::EPHEMERAL);

pub const ACTION: &str = "scope.create";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateScopeRequest {
    name: String,
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
