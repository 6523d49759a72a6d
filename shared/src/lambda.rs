//! Running a handler under the Lambda runtime: what every function's `main` does.

use crate::App;
use lambda_http::{Body, Request, Response};
use std::future::Future;
use std::pin::Pin;

pub type HttpFuture<'a> = Pin<Box<dyn Future<Output = Response<Body>> + Send + 'a>>;
/// An API route handler: the same function runs under Lambda, the local gateway and
/// the tests.
pub type HttpHandler = for<'a> fn(&'a App, Request) -> HttpFuture<'a>;

/// Initialises logging, builds the [`App`] from the environment once, and serves API
/// Gateway proxy events with `handler` until the runtime stops.
pub async fn serve_http(handler: HttpHandler) -> Result<(), lambda_http::Error> {
    crate::telemetry::init();
    let app = App::from_env().await?;
    let app = &app;
    lambda_http::run(lambda_http::service_fn(move |req: Request| async move {
        Ok::<_, std::convert::Infallible>(handler(app, req).await)
    }))
    .await
}

/// Boxes an `async fn(&App, Request) -> Response<Body>` into an [`HttpHandler`].
#[macro_export]
macro_rules! http_handler {
    ($handle:path) => {{
        let handler: $crate::lambda::HttpHandler = |app, req| Box::pin($handle(app, req));
        handler
    }};
}
