//! Every Gatehouse Lambda function, declared once.
//!
//! [`ROUTES`] is the one declaration of Gatehouse's HTTP routes: method, path, who may
//! call it, and the function (template `Handler`) that serves it. The authorizer reads
//! it for the scope a route needs, the HTTP framework checks that scope before any
//! handler runs, the local gateway serves it and the tests compare it with
//! template.yaml and the OpenAPI document. [`function`] finds any function's handler
//! by name; `main.rs` and `sso_main.rs`, the two bootstraps ([`Bootstrap`]), run the
//! one the Lambda runtime names.
//!
//! A new route is a handler module (its logic, `NEEDS`, `ACTION` and the `DOC` the
//! OpenAPI document is built from), one line below in its bootstrap's group, its
//! template stanza (with that bootstrap's `Binary`) and a sample event.
#![forbid(unsafe_code)]

pub mod audit;
pub mod authorizer;
pub mod event_publisher;
pub mod event_sources;
pub mod integrations;
pub mod key_policy;
pub mod keys;
pub mod leases;
pub mod openapi;
pub mod policy;
pub mod principals;
pub mod rotation;
mod run;
pub mod scopes;
pub mod secrets;
pub mod siem;
pub mod sso;
pub mod usage;
pub mod webhooks;

pub use run::{run, run_sso, serve_http};

use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::http::call::Logic;
use gatehouse::routes::{Access, Route, Routes};
use lambda_http::{Body, Request, Response};
use std::future::Future;
use std::pin::Pin;

pub type HttpFuture<'a> = Pin<Box<dyn Future<Output = Response<Body>> + Send + 'a>>;
/// A public route's handler: no caller to verify.
pub type PublicHandler = for<'a> fn(&'a App, Request) -> HttpFuture<'a>;

/// How an HTTP function serves its route.
#[derive(Clone, Copy)]
pub enum Serve {
    /// A tenant route: the framework verifies the caller and the route's access, then
    /// runs the logic; refusals are audited under `action`.
    Tenant {
        action: &'static str,
        logic: Logic,
        needs: Needs,
    },
    /// A public route (the API description).
    Public {
        handler: PublicHandler,
        needs: Needs,
    },
}

/// A scheduled function's run (EventBridge schedule: the event carries nothing it
/// needs): its counts, as the runtime answers the schedule.
pub type ScheduledRun = for<'a> fn(&'a App) -> ScheduledFuture<'a>;
pub type ScheduledFuture<'a> =
    Pin<Box<dyn Future<Output = Result<serde_json::Value, String>> + Send + 'a>>;

/// A function of the bundle, by what invokes it.
#[derive(Clone, Copy)]
pub enum Function {
    /// An HTTP route (API Gateway proxy integration, payload 2.0).
    Http { route: &'static Route, serve: Serve },
    /// The Lambda authorizer.
    Authorizer,
    /// The access-log subscription (CloudWatch Logs events).
    UsageIngest,
    /// The audit table's stream (the outbox) -> the events queue (DynamoDB stream events).
    EventPublisher,
    /// Events queue -> webhook deliveries (SQS events).
    WebhookFanout,
    /// Delivery queue -> attempts (SQS events).
    WebhookDispatcher,
    /// SIEM queue -> destinations (SQS events).
    SiemForwarder,
    /// Secrets Manager's rotation of the service secret.
    ServiceSecretRotation,
    /// A scheduled scan or check: the key scan, integration health, the directory
    /// check.
    Scheduled { run: ScheduledRun, needs: Needs },
}

impl Function {
    /// What the function reads and requires at start: it builds its configuration
    /// from exactly these variables, and template.yaml gives it exactly these.
    pub fn needs(&self) -> Needs {
        match self {
            Function::Http {
                serve: Serve::Tenant { needs, .. } | Serve::Public { needs, .. },
                ..
            }
            | Function::Scheduled { needs, .. } => *needs,
            Function::Authorizer => authorizer::NEEDS,
            Function::UsageIngest => usage::ingest::NEEDS,
            Function::EventPublisher => event_publisher::NEEDS,
            Function::WebhookFanout => webhooks::fanout::NEEDS,
            Function::WebhookDispatcher => webhooks::dispatcher::NEEDS,
            Function::SiemForwarder => siem::forwarder::NEEDS,
            Function::ServiceSecretRotation => rotation::NEEDS,
        }
    }
}

/// The bootstrap binaries. The functions that speak to identity providers carry
/// OpenID Connect, SAML (XML signatures) and LDAP, which no other function needs, so
/// they have a bootstrap of their own and every other function (the authorizer
/// first) a smaller one. Each binary looks functions up in its own table only, so the
/// other's handlers are not linked into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bootstrap {
    /// `gatehouse`: everything but single sign-on.
    Main,
    /// `gatehouse-sso`: SSO connections, logins and the directory check.
    Sso,
}

impl Bootstrap {
    /// The binary (template `BuildProperties.Binary`).
    pub const fn binary(self) -> &'static str {
        match self {
            Bootstrap::Main => "gatehouse",
            Bootstrap::Sso => "gatehouse-sso",
        }
    }

    /// The bootstrap that serves the function with this name (template `Handler`).
    pub fn of(name: &str) -> Option<Bootstrap> {
        if main_function(name).is_some() {
            Some(Bootstrap::Main)
        } else {
            sso_function(name).map(|_| Bootstrap::Sso)
        }
    }
}

/// The functions no route invokes, by name, per bootstrap.
const MAIN_EVENT_FUNCTIONS: &[(&str, Function)] = &[
    ("authorizer", Function::Authorizer),
    ("usage-ingest", Function::UsageIngest),
    ("event-publisher", Function::EventPublisher),
    ("webhook-fanout", Function::WebhookFanout),
    ("webhook-dispatcher", Function::WebhookDispatcher),
    ("siem-forwarder", Function::SiemForwarder),
    (
        "key-expiry-notifier",
        Function::Scheduled {
            run: keys::expiry_notifier::run,
            needs: keys::expiry_notifier::NEEDS,
        },
    ),
    ("rotate-service-secret", Function::ServiceSecretRotation),
    (
        "integration-prober",
        Function::Scheduled {
            run: integrations::prober::run,
            needs: integrations::prober::NEEDS,
        },
    ),
];
const SSO_EVENT_FUNCTIONS: &[(&str, Function)] = &[(
    "directory-check",
    Function::Scheduled {
        run: sso::directory_check::run,
        needs: sso::directory_check::NEEDS,
    },
)];

macro_rules! serve {
    (tenant $module:path) => {{
        use $module as handler;
        Serve::Tenant {
            action: handler::ACTION,
            logic: |call| Box::pin(handler::handle(call)),
            needs: handler::NEEDS,
        }
    }};
    (public $module:path) => {{
        use $module as handler;
        Serve::Public {
            handler: |app, req| Box::pin(handler::handle(app, req)),
            needs: handler::NEEDS,
        }
    }};
}

macro_rules! routes {
    ($($bootstrap:ident {
        $($method:ident $path:literal $access:expr => $function:literal $kind:ident $module:path;)*
    })*) => {
        const ROUTE_LIST: &[Route] = &[
            $($(Route { method: stringify!($method), path: $path, access: $access, function: $function },)*)*
        ];

        $(
            /// How this bootstrap's routes are served. Only its binary's lookup calls
            /// it, so no other bootstrap links these handlers.
            mod $bootstrap {
                use super::*;

                pub(super) fn http_serve(function: &str) -> Option<Serve> {
                    match function {
                        $($function => Some(serve!($kind $module)),)*
                        _ => None,
                    }
                }
            }
        )*

        /// The route's part of the OpenAPI document (its handler's `DOC`). Only the
        /// document generator calls it, so the Lambda binaries keep none of the schema
        /// code.
        pub fn operation(function: &str) -> Option<openapi::Operation> {
            match function {
                $($($function => Some({ use $module as handler; handler::DOC }),)*)*
                _ => None,
            }
        }
    };
}

use Access::{AnyKey, Public, Scope};

routes! {
    main_routes {
        POST "/v2/api-keys" Scope("keys:write") => "create-api-key" tenant keys::create;
        GET "/v2/api-keys" Scope("keys:read") => "list-api-keys" tenant keys::list;
        GET "/v2/api-keys/{key_id}" Scope("keys:read") => "get-api-key" tenant keys::get;
        PUT "/v2/api-keys/{key_id}" Scope("keys:write") => "update-api-key" tenant keys::update;
        DELETE "/v2/api-keys/{key_id}" Scope("keys:revoke") => "revoke-api-key" tenant keys::revoke;
        POST "/v2/api-keys/{key_id}/rotate" Scope("keys:rotate") => "rotate-api-key" tenant keys::rotate;
        POST "/v2/api-keys/{key_id}/compromise" Scope("keys:revoke") => "compromise-api-key" tenant keys::compromise;
        GET "/v2/audit" Scope("audit:read") => "list-audit" tenant audit::list;
        POST "/v2/scopes" Scope("scopes:write") => "create-scope" tenant scopes::create;
        GET "/v2/scopes" AnyKey => "list-scopes" tenant scopes::list;
        GET "/v2/openapi.json" Public => "openapi" public openapi;
        GET "/v2/access-policy" Scope("policy:read") => "get-access-policy" tenant policy::get;
        PUT "/v2/access-policy" Scope("policy:write") => "put-access-policy" tenant policy::put;
        GET "/v2/key-policy" Scope("policy:read") => "get-key-policy" tenant key_policy::get;
        PUT "/v2/key-policy" Scope("policy:write") => "put-key-policy" tenant key_policy::put;
        POST "/v2/api-keys/{key_id}/usage/reset" Scope("usage:write") => "reset-key-usage" tenant usage::reset;
        GET "/v2/api-keys/{key_id}/usage" Scope("usage:read") => "get-key-usage" tenant usage::get;
        GET "/v2/usage/report" Scope("usage:read") => "usage-report" tenant usage::report;
        POST "/v2/webhooks" Scope("webhooks:write") => "create-webhook" tenant webhooks::create;
        GET "/v2/webhooks" Scope("webhooks:read") => "list-webhooks" tenant webhooks::list;
        GET "/v2/webhooks/{webhook_id}" Scope("webhooks:read") => "get-webhook" tenant webhooks::get;
        PUT "/v2/webhooks/{webhook_id}" Scope("webhooks:write") => "update-webhook" tenant webhooks::update;
        DELETE "/v2/webhooks/{webhook_id}" Scope("webhooks:write") => "delete-webhook" tenant webhooks::delete;
        POST "/v2/webhooks/{webhook_id}/disable" Scope("webhooks:write") => "disable-webhook" tenant webhooks::disable;
        POST "/v2/webhooks/{webhook_id}/enable" Scope("webhooks:write") => "enable-webhook" tenant webhooks::enable;
        POST "/v2/webhooks/{webhook_id}/rotate-secret" Scope("webhooks:write") => "rotate-webhook-secret" tenant webhooks::rotate_secret;
        POST "/v2/webhooks/{webhook_id}/test" Scope("webhooks:write") => "test-webhook" tenant webhooks::test;
        POST "/v2/webhooks/{webhook_id}/recover" Scope("webhooks:write") => "recover-webhook" tenant webhooks::recover;
        GET "/v2/webhooks/report" Scope("webhooks:read") => "webhook-report" tenant webhooks::report;
        GET "/v2/webhooks/{webhook_id}/deliveries" Scope("webhooks:read") => "list-webhook-deliveries" tenant webhooks::deliveries;
        GET "/v2/webhooks/deliveries/{delivery_id}" Scope("webhooks:read") => "get-webhook-delivery" tenant webhooks::delivery;
        POST "/v2/webhooks/deliveries/{delivery_id}/retry" Scope("webhooks:write") => "retry-webhook-delivery" tenant webhooks::retry_delivery;
        GET "/v2/secrets" Scope("secrets:read") => "list-secrets" tenant secrets::list;
        POST "/v2/secrets/data/{path+}" Scope("secrets:write") => "write-secret" tenant secrets::write;
        GET "/v2/secrets/data/{path+}" Scope("secrets:read") => "read-secret" tenant secrets::read;
        GET "/v2/secrets/metadata/{path+}" Scope("secrets:read") => "get-secret-metadata" tenant secrets::metadata;
        PUT "/v2/secrets/metadata/{path+}" Scope("secrets:write") => "configure-secret" tenant secrets::configure;
        DELETE "/v2/secrets/metadata/{path+}" Scope("secrets:write") => "delete-secret" tenant secrets::delete_all;
        POST "/v2/secrets/delete/{path+}" Scope("secrets:write") => "delete-secret-versions" tenant secrets::delete_versions;
        POST "/v2/secrets/undelete/{path+}" Scope("secrets:write") => "undelete-secret-versions" tenant secrets::undelete;
        POST "/v2/secrets/destroy/{path+}" Scope("secrets:write") => "destroy-secret-versions" tenant secrets::destroy;
        POST "/v2/secrets/restore/{path+}" Scope("secrets:write") => "restore-secret" tenant secrets::restore;
        POST "/v2/leases" Scope("secrets:read") => "create-lease" tenant leases::create;
        GET "/v2/leases" Scope("secrets:read") => "list-leases" tenant leases::list;
        POST "/v2/leases/{lease_id}/renew" Scope("secrets:write") => "renew-lease" tenant leases::renew;
        POST "/v2/leases/{lease_id}/revoke" Scope("secrets:write") => "revoke-lease" tenant leases::revoke;
        POST "/v2/integrations/vault" Scope("integrations:write") => "create-vault-integration" tenant integrations::create_vault;
        GET "/v2/integrations/vault" Scope("integrations:read") => "get-vault-integration" tenant integrations::get_vault;
        PUT "/v2/integrations/vault" Scope("integrations:write") => "update-vault-integration" tenant integrations::update_vault;
        DELETE "/v2/integrations/vault" Scope("integrations:write") => "delete-vault-integration" tenant integrations::delete_vault;
        POST "/v2/integrations/{integration_id}/test" Scope("integrations:read") => "test-integration" tenant integrations::test;
        POST "/v2/integrations/siem" Scope("integrations:write") => "create-siem-destination" tenant siem::create;
        GET "/v2/integrations/siem" Scope("integrations:read") => "list-siem-destinations" tenant siem::list;
        GET "/v2/integrations/siem/{destination_id}" Scope("integrations:read") => "get-siem-destination" tenant siem::get;
        PUT "/v2/integrations/siem/{destination_id}" Scope("integrations:write") => "update-siem-destination" tenant siem::update;
        DELETE "/v2/integrations/siem/{destination_id}" Scope("integrations:write") => "delete-siem-destination" tenant siem::delete;
        POST "/v2/integrations/siem/{destination_id}/test" Scope("integrations:read") => "test-siem-destination" tenant siem::test;
        GET "/v2/integrations/siem/{destination_id}/stats" Scope("integrations:read") => "siem-destination-stats" tenant siem::stats;
        POST "/v2/integrations/siem/preview" Scope("integrations:read") => "preview-siem-filter" tenant siem::preview;
        GET "/v2/principals" Scope("principals:read") => "list-principals" tenant principals::list;
        GET "/v2/principals/{principal_id}" Scope("principals:read") => "get-principal" tenant principals::get;
        POST "/v2/principals/{principal_id}/disable" Scope("principals:write") => "disable-principal" tenant principals::disable;
        POST "/v2/principals/{principal_id}/enable" Scope("principals:write") => "enable-principal" tenant principals::enable;
        POST "/v2/principals/{principal_id}/sync-keys" Scope("principals:write") => "sync-principal-keys" tenant principals::sync_keys;
        POST "/v2/sso/refresh" Public => "sso-refresh" public sso::refresh;
        POST "/v2/sso/logout" AnyKey => "sso-logout" tenant sso::logout;
        GET "/v2/.well-known/jwks.json" Public => "session-keys" public sso::jwks;
        GET "/v2/integrations/report" Scope("integrations:read") => "integration-report" tenant integrations::report;
        GET "/v2/integrations/health" Scope("integrations:read") => "integration-health" tenant integrations::health;
        POST "/v2/secret-scanning/github" Public => "secret-scanning-github" public keys::leak_report;
        POST "/v2/secret-scanning/reports" Public => "secret-scanning-report" public keys::scanner_report;
    }
    // Identity providers' protocols: OpenID Connect, SAML, LDAP.
    sso_routes {
        POST "/v2/integrations/sso" Scope("integrations:write") => "create-sso-connection" tenant sso::create;
        GET "/v2/integrations/sso" Scope("integrations:read") => "list-sso-connections" tenant sso::list;
        POST "/v2/integrations/sso/test" Scope("integrations:read") => "test-sso-connection" tenant sso::test;
        GET "/v2/integrations/sso/providers" Scope("integrations:read") => "sso-providers" tenant sso::providers;
        GET "/v2/integrations/sso/{integration_id}" Scope("integrations:read") => "get-sso-connection" tenant sso::get;
        PUT "/v2/integrations/sso/{integration_id}" Scope("integrations:write") => "update-sso-connection" tenant sso::update;
        DELETE "/v2/integrations/sso/{integration_id}" Scope("integrations:write") => "delete-sso-connection" tenant sso::delete;
        POST "/v2/integrations/sso/{integration_id}/verify-domains" Scope("integrations:write") => "verify-sso-domains" tenant sso::verify_domains;
        POST "/v2/sso/discover" Public => "sso-discover" public sso::discover;
        GET "/v2/sso/{tenant_id}/{integration_id}/login" Public => "sso-login" public sso::login;
        GET "/v2/sso/callback" Public => "sso-callback" public sso::callback;
        POST "/v2/sso/{tenant_id}/{integration_id}/ldap-login" Public => "sso-ldap-login" public sso::ldap_login;
        GET "/v2/sso/{tenant_id}/{integration_id}/saml/metadata" Public => "sso-saml-metadata" public sso::saml_metadata;
        POST "/v2/sso/{tenant_id}/{integration_id}/saml/acs" Public => "sso-saml-acs" public sso::saml_acs;
    }
}

/// Gatehouse's own HTTP routes.
pub const ROUTES: Routes = Routes(ROUTE_LIST);

/// The function with this name (template `Handler`), in whichever bootstrap serves
/// it: for the local gateway, tools and tests, which run every function.
pub fn function(name: &str) -> Option<Function> {
    main_function(name).or_else(|| sso_function(name))
}

/// The function with this name in the main bootstrap (`gatehouse`).
pub fn main_function(name: &str) -> Option<Function> {
    find(name, MAIN_EVENT_FUNCTIONS, main_routes::http_serve)
}

/// The function with this name in the SSO bootstrap (`gatehouse-sso`).
pub fn sso_function(name: &str) -> Option<Function> {
    find(name, SSO_EVENT_FUNCTIONS, sso_routes::http_serve)
}

fn find(
    name: &str,
    events: &[(&str, Function)],
    http_serve: fn(&str) -> Option<Serve>,
) -> Option<Function> {
    if let Some((_, f)) = events.iter().find(|(n, _)| *n == name) {
        return Some(*f);
    }
    Some(Function::Http {
        route: ROUTES.of_function(name)?,
        serve: http_serve(name)?,
    })
}

/// Every function name the bundle serves.
pub fn function_names() -> impl Iterator<Item = &'static str> {
    MAIN_EVENT_FUNCTIONS
        .iter()
        .chain(SSO_EVENT_FUNCTIONS)
        .map(|(name, _)| *name)
        .chain(ROUTES.iter().map(|route| route.function))
}
