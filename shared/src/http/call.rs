//! One management call: the verified caller, where the call came from, the clock
//! reading, and the bookkeeping every route shares (idempotent replays, auditing of
//! refusals).

use super::idempotency::{self, Claim};
use super::{ApiResult, Caller, Problem};
use crate::App;
use crate::audit::{Actor, AuditEvent, Origin};
use crate::routes::{Access, Route};
use lambda_http::{Body, Request, RequestExt, Response};
use std::future::Future;
use std::pin::Pin;
use time::OffsetDateTime;

pub struct Call<'r> {
    pub app: &'r App,
    pub req: &'r Request,
    pub caller: Caller,
    pub origin: Origin,
    pub now: OffsetDateTime,
}

impl<'r> Call<'r> {
    /// The call, if the request carries a verified caller.
    pub fn new(app: &'r App, req: &'r Request) -> Result<Self, Problem> {
        Ok(Self {
            app,
            req,
            caller: Caller::from_request(req)?,
            origin: super::caller::origin(req),
            now: app.clock.now(),
        })
    }

    pub fn actor(&self) -> Actor {
        Actor {
            principal: self.caller.principal.clone(),
            key_id: Some(self.caller.key_id.clone()),
        }
    }

    /// An audit event for this call, by this caller, from this origin.
    pub fn audit_event(&self, action: &str) -> AuditEvent {
        AuditEvent::new(
            &self.caller.tenant_id,
            action,
            self.actor(),
            self.origin.clone(),
            self.app.clock.precise_now(),
        )
    }

    pub fn path_parameter(&self, name: &str) -> Option<String> {
        self.req
            .path_parameters_ref()
            .and_then(|p| p.first(name))
            .map(str::to_owned)
    }

    /// Refuses the call unless it came in on `route` and the caller holds the scope
    /// the route declares. The authorizer checks the same declaration; checking again
    /// here keeps a route closed even if the gateway is misconfigured, and the
    /// framework does it before any handler runs, so no handler can forget it.
    fn require_access(&self, route: &Route) -> Result<(), Problem> {
        let called = self.origin.route.as_deref().unwrap_or_default();
        if !route.is(called) {
            return Err(Problem::new(
                super::ProblemType::InsufficientScope,
                "this function does not serve the route called, so no key may call it here",
            ));
        }
        match route.access {
            Access::Scope(scope) => self.caller.require(scope),
            Access::AnyKey | Access::Public => Ok(()),
        }
    }

    /// Commits a batch of writes together with the audit event that describes them.
    /// A failed condition (the object changed, or already exists) is a 409 with
    /// `on_conflict` as its detail.
    pub async fn commit(
        &self,
        mut batch: crate::store::WriteBatch,
        audit: &AuditEvent,
        on_conflict: &str,
    ) -> Result<(), Problem> {
        self.app.audit.add_to(&mut batch, audit)?;
        self.app.dynamo.commit(batch).await.map_err(|e| match e {
            crate::store::StoreError::Conflict => {
                Problem::new(super::ProblemType::Conflict, on_conflict)
            }
            other => other.into(),
        })
    }

    /// Runs the route's logic. A POST carrying `Idempotency-Key` is answered from the
    /// first successful response when repeated; every refusal is written to the audit
    /// trail.
    pub async fn run<F, Fut>(&self, action: &str, logic: F) -> Response<Body>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult>,
    {
        let idempotent = self.req.method() == http::Method::POST
            && self.req.headers().contains_key(idempotency::HEADER);
        let claimed = if idempotent {
            match self.claim_idempotency().await {
                Ok(Claim::Replay(response)) => return response,
                Ok(Claim::New(claimed)) => Some(claimed),
                Err(problem) => return self.refuse(action, problem).await,
            }
        } else {
            None
        };
        let response = match logic().await {
            Ok(response) => response,
            Err(problem) => self.refuse(action, problem).await,
        };
        if let Some(claimed) = claimed {
            idempotency::complete(&self.app.idempotency, claimed, &response).await;
        }
        response
    }

    /// The problem as a response; a client error is audited as a refusal first.
    async fn refuse(&self, action: &str, problem: Problem) -> Response<Body> {
        if problem.status < 500 {
            self.audit_refusal(action, &problem).await;
        }
        problem.into_response()
    }

    async fn claim_idempotency(&self) -> Result<Claim, Problem> {
        let key = self
            .req
            .headers()
            .get(idempotency::HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let key = idempotency::parse_key(key)?;
        let body: &[u8] = match self.req.body() {
            Body::Text(t) => t.as_bytes(),
            Body::Binary(b) => b,
            _ => &[],
        };
        let fingerprint =
            idempotency::fingerprint(self.req.method().as_str(), self.req.uri().path(), body);
        idempotency::claim(
            &self.app.idempotency,
            &self.caller.tenant_id,
            &self.caller.key_id,
            key,
            &fingerprint,
            self.now,
        )
        .await
    }

    async fn audit_refusal(&self, action: &str, problem: &Problem) {
        let mut event = self.audit_event(action).refused(
            problem.status,
            format!("{}: {}", problem.kind.slug(), problem.detail),
        );
        // The object the refused call named, by its path parameter.
        let named = [
            ("key_id", crate::audit::TargetKind::ApiKey),
            ("webhook_id", crate::audit::TargetKind::Webhook),
            ("delivery_id", crate::audit::TargetKind::WebhookDelivery),
        ]
        .into_iter()
        .find_map(|(param, kind)| Some((kind, self.path_parameter(param)?)));
        if let Some((kind, id)) = named {
            event = event.target(kind, id.chars().take(64).collect::<String>());
        }
        if let Err(e) = self.app.audit.put(&event).await {
            tracing::error!(error = %e, action, "refusal not audited");
        }
    }
}

/// A route's logic: an async function of the call.
pub type Logic = for<'c> fn(&'c Call<'c>) -> Pin<Box<dyn Future<Output = ApiResult> + Send + 'c>>;

/// Serves one call of a tenant route: a verified caller, the route's declared access
/// checked, then the logic, with idempotent replays and audited refusals.
pub async fn serve_route(
    app: &App,
    req: &Request,
    route: &Route,
    action: &str,
    logic: Logic,
) -> Response<Body> {
    match Call::new(app, req) {
        Ok(call) => {
            call.run(action, || async {
                call.require_access(route)?;
                logic(&call).await
            })
            .await
        }
        Err(problem) => problem.into_response(),
    }
}
