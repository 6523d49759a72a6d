//! Which Rust handler serves each function binary of template.yaml. Adding a function
//! means adding its package to the workspace, its resource to the template and one line
//! here; `tests/tests/template_routes.rs` fails until all three agree.

use gatehouse::App;
use lambda_http::{Body, Request, Response};
use std::future::Future;
use std::pin::Pin;

pub type HttpFuture<'a> = Pin<Box<dyn Future<Output = Response<Body>> + Send + 'a>>;
pub type HttpHandler = for<'a> fn(&'a App, Request) -> HttpFuture<'a>;

#[derive(Clone, Copy)]
pub enum Handler {
    /// An API route handler (API Gateway proxy integration, payload 2.0).
    Http(HttpHandler),
    /// The Lambda authorizer.
    Authorizer,
}

macro_rules! http_handlers {
    ($($binary:literal => $krate:ident),* $(,)?) => {
        /// Every function binary the local gateway can serve.
        pub const BINARIES: &[&str] = &["authorizer", $($binary),*];

        pub fn handler_for(binary: &str) -> Option<Handler> {
            match binary {
                "authorizer" => Some(Handler::Authorizer),
                $($binary => Some(Handler::Http(|app, req| Box::pin($krate::handle(app, req)))),)*
                _ => None,
            }
        }
    };
}

http_handlers! {
    "create-api-key" => fn_create_api_key,
    "list-api-keys" => fn_list_api_keys,
}
