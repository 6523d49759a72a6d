//! Which Rust handler serves each function binary of template.yaml. Adding a function
//! means adding its package to the workspace, its resource to the template and one line
//! here; `tests/tests/template_routes.rs` fails until all three agree.

pub use gatehouse::lambda::HttpHandler;

#[derive(Clone, Copy)]
pub enum Handler {
    /// An API route handler (API Gateway proxy integration, payload 2.0).
    Http(HttpHandler),
    /// The Lambda authorizer.
    Authorizer,
    /// The access-log subscription (CloudWatch Logs events).
    UsageIngest,
    /// Events queue -> webhook deliveries (SQS events).
    WebhookFanout,
    /// Delivery queue -> attempts (SQS events).
    WebhookDispatcher,
    /// The scheduled scan for expiring keys.
    KeyExpiryNotifier,
}

macro_rules! http_handlers {
    ($($binary:literal => $krate:ident),* $(,)?) => {
        /// Every function binary the local gateway can serve.
        pub const BINARIES: &[&str] = &["authorizer", "usage-ingest", "webhook-fanout", "webhook-dispatcher", "key-expiry-notifier", $($binary),*];

        pub fn handler_for(binary: &str) -> Option<Handler> {
            match binary {
                "authorizer" => Some(Handler::Authorizer),
                "usage-ingest" => Some(Handler::UsageIngest),
                "webhook-fanout" => Some(Handler::WebhookFanout),
                "webhook-dispatcher" => Some(Handler::WebhookDispatcher),
                "key-expiry-notifier" => Some(Handler::KeyExpiryNotifier),
                $($binary => Some(Handler::Http(gatehouse::http_handler!($krate::handle))),)*
                _ => None,
            }
        }
    };
}

http_handlers! {
    "create-api-key" => fn_create_api_key,
    "list-api-keys" => fn_list_api_keys,
    "get-api-key" => fn_get_api_key,
    "update-api-key" => fn_update_api_key,
    "revoke-api-key" => fn_revoke_api_key,
    "rotate-api-key" => fn_rotate_api_key,
    "compromise-api-key" => fn_compromise_api_key,
    "list-audit" => fn_list_audit,
    "create-scope" => fn_create_scope,
    "list-scopes" => fn_list_scopes,
    "openapi" => fn_openapi,
    "get-access-policy" => fn_get_access_policy,
    "put-access-policy" => fn_put_access_policy,
    "reset-key-usage" => fn_reset_key_usage,
    "get-key-usage" => fn_get_key_usage,
    "usage-report" => fn_usage_report,
    "create-webhook" => fn_create_webhook,
    "list-webhooks" => fn_list_webhooks,
    "get-webhook" => fn_get_webhook,
    "delete-webhook" => fn_delete_webhook,
    "disable-webhook" => fn_disable_webhook,
    "enable-webhook" => fn_enable_webhook,
    "rotate-webhook-secret" => fn_rotate_webhook_secret,
    "test-webhook" => fn_test_webhook,
    "list-webhook-deliveries" => fn_list_webhook_deliveries,
    "get-webhook-delivery" => fn_get_webhook_delivery,
    "retry-webhook-delivery" => fn_retry_webhook_delivery,
    "update-webhook" => fn_update_webhook,
    "recover-webhook" => fn_recover_webhook,
    "webhook-report" => fn_webhook_report,
}
