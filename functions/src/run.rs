//! Running one function under the Lambda runtime: what the bootstrap does once it
//! knows which function it is.

use crate::{Function, Serve, authorizer, rotation, usage, webhooks};
use aws_lambda_events::cloudwatch_logs::LogsEvent;
use aws_lambda_events::sqs::SqsEvent;
use gatehouse::App;
use gatehouse::http::call::serve_route;
use gatehouse::webhooks::client::OutboundClient;
use lambda_http::{Body, Request, Response};
use lambda_runtime::{LambdaEvent, service_fn};

/// Serves one HTTP request for `function`'s route: the same path under Lambda, the
/// local gateway and the tests.
pub async fn serve_http(app: &App, function: Function, req: Request) -> Response<Body> {
    let response = route_http(app, function, req).await;
    if response.status().is_server_error() {
        use gatehouse::telemetry::metrics;
        metrics::count(metrics::ERRORS, &[("Class", "http_5xx")]);
    }
    response
}

async fn route_http(app: &App, function: Function, req: Request) -> Response<Body> {
    match function {
        Function::Http {
            route,
            serve: Serve::Tenant { action, logic, .. },
            // Boxed: the call's future is large, and debug builds would otherwise need deep
            // stacks wherever requests are served inline (the local gateway, the tests).
        } => Box::pin(serve_route(app, &req, route, action, logic)).await,
        Function::Http {
            serve: Serve::Public { handler, .. },
            ..
        } => handler(app, req).await,
        _ => gatehouse::http::Problem::internal(&"this function serves no HTTP route")
            .into_response(),
    }
}

/// What [`metered`] does with a call's result: flush the metrics, pass it on.
type Flush<S, R> = fn(
    Result<
        <S as lambda_runtime::tower::Service<R>>::Response,
        <S as lambda_runtime::tower::Service<R>>::Error,
    >,
) -> Result<
    <S as lambda_runtime::tower::Service<R>>::Response,
    <S as lambda_runtime::tower::Service<R>>::Error,
>;

/// What a function's error result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorResult {
    /// A failure, counted in `Errors` (class `invocation`).
    Failure,
    /// An answer: the authorizer's `Unauthorized` is REST APIs' 401, and its
    /// failures are counted as decisions.
    Answer,
}

/// `service`, writing the invocation's metrics (EMF lines on stdout) after each call,
/// whatever its result: Lambda may freeze the process as soon as it answers.
fn metered<S, R>(
    service: S,
    errors: ErrorResult,
) -> lambda_runtime::tower::util::MapResult<S, Flush<S, R>>
where
    S: lambda_runtime::tower::Service<R>,
{
    use gatehouse::telemetry::metrics;
    use lambda_runtime::tower::ServiceExt;
    let flush: Flush<S, R> = if errors == ErrorResult::Answer {
        |result| {
            metrics::flush();
            result
        }
    } else {
        |result| {
            if result.is_err() {
                metrics::count(metrics::ERRORS, &[("Class", "invocation")]);
            }
            metrics::flush();
            result
        }
    };
    service.map_result(flush)
}

/// Initialises logging and metrics, and builds the function's dependencies from its
/// environment once. An unknown name, or a missing or invalid variable, stops the
/// function at start with a message naming it.
async fn start(
    name: &str,
    bootstrap: crate::Bootstrap,
    lookup: fn(&str) -> Option<Function>,
) -> Result<(Function, App), lambda_runtime::Error> {
    let function = lookup(name).ok_or_else(|| {
        format!(
            "`{name}` is not a function of the `{}` bootstrap (template Handler and Binary)",
            bootstrap.binary()
        )
    })?;
    gatehouse::telemetry::init();
    gatehouse::telemetry::metrics::init(name);
    let app = App::from_env(function.needs()).await?;
    Ok((function, app))
}

/// The main bootstrap (`gatehouse`): serves the named function's events until the
/// runtime stops.
pub async fn run(name: &str) -> Result<(), lambda_runtime::Error> {
    let (function, app) = start(name, crate::Bootstrap::Main, crate::main_function).await?;
    let app = &app;
    // Each runtime loop boxed: one future per function kind in one match would nest
    // deeper than the compiler's layout query limit.
    match function {
        Function::Http { .. } => serve_routes(app, function).await,
        Function::Scheduled { run, .. } => serve_schedule(app, run).await,
        Function::Authorizer => {
            Box::pin(lambda_runtime::run(metered(
                service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
                    // Boxed: the decision future is deep enough to exceed the layout
                    // query limit inline.
                    match Box::pin(authorizer::handle_event(app, event.payload)).await {
                        authorizer::Outcome::Response(response) => Ok(response),
                        // REST APIs map exactly this error message to 401.
                        authorizer::Outcome::Unauthorized => {
                            Err(lambda_runtime::Error::from("Unauthorized"))
                        }
                    }
                }),
                ErrorResult::Answer,
            )))
            .await
        }
        Function::UsageIngest => {
            Box::pin(lambda_runtime::run(metered(
                service_fn(move |event: LambdaEvent<LogsEvent>| async move {
                    let summary = usage::ingest::handle(app, event.payload).await?;
                    Ok::<_, lambda_runtime::Error>(serde_json::json!({
                        "recorded": summary.recorded,
                        "skipped": summary.skipped,
                        "findings": summary.findings,
                        "quota_notices": summary.quota_notices,
                    }))
                }),
                ErrorResult::Failure,
            )))
            .await
        }
        Function::EventPublisher => {
            Box::pin(lambda_runtime::run(metered(
                service_fn(
                    move |event: LambdaEvent<aws_lambda_events::dynamodb::Event>| async move {
                        Ok::<_, lambda_runtime::Error>(
                            crate::event_publisher::handle(app, event.payload).await,
                        )
                    },
                ),
                ErrorResult::Failure,
            )))
            .await
        }
        Function::WebhookFanout => {
            Box::pin(lambda_runtime::run(metered(
                service_fn(move |event: LambdaEvent<SqsEvent>| async move {
                    Ok::<_, lambda_runtime::Error>(
                        webhooks::fanout::handle(app, event.payload).await,
                    )
                }),
                ErrorResult::Failure,
            )))
            .await
        }
        Function::WebhookDispatcher => {
            let client = OutboundClient::from_config(&app.config)?;
            let client = &client;
            Box::pin(lambda_runtime::run(metered(
                service_fn(move |event: LambdaEvent<SqsEvent>| async move {
                    Ok::<_, lambda_runtime::Error>(
                        webhooks::dispatcher::handle(app, client, event.payload).await,
                    )
                }),
                ErrorResult::Failure,
            )))
            .await
        }
        Function::SiemForwarder => {
            Box::pin(lambda_runtime::run(metered(
                service_fn(move |event: LambdaEvent<SqsEvent>| async move {
                    let (_, response) = crate::siem::forwarder::handle(app, event.payload).await;
                    Ok::<_, lambda_runtime::Error>(response)
                }),
                ErrorResult::Failure,
            )))
            .await
        }
        Function::ServiceSecretRotation => {
            Box::pin(lambda_runtime::run(metered(
                service_fn(
                    move |event: LambdaEvent<rotation::RotationEvent>| async move {
                        rotation::handle(app, event.payload).await?;
                        Ok::<_, lambda_runtime::Error>(serde_json::json!({}))
                    },
                ),
                ErrorResult::Failure,
            )))
            .await
        }
    }
}

/// The SSO bootstrap (`gatehouse-sso`): its routes and the directory check. It has
/// only HTTP and scheduled functions, so none of the other kinds' code is linked in.
pub async fn run_sso(name: &str) -> Result<(), lambda_runtime::Error> {
    let (function, app) = start(name, crate::Bootstrap::Sso, crate::sso_function).await?;
    let app = &app;
    match function {
        Function::Http { .. } => serve_routes(app, function).await,
        Function::Scheduled { run, .. } => serve_schedule(app, run).await,
        _ => Err(format!("`{name}` is not an HTTP or scheduled function").into()),
    }
}

/// An HTTP function's runtime loop.
async fn serve_routes(app: &App, function: Function) -> Result<(), lambda_runtime::Error> {
    Box::pin(lambda_http::run(metered(
        lambda_http::service_fn(move |req: Request| async move {
            Ok::<_, std::convert::Infallible>(serve_http(app, function, req).await)
        }),
        ErrorResult::Failure,
    )))
    .await
}

/// A scheduled function's runtime loop: the schedule's event carries nothing it needs.
async fn serve_schedule(app: &App, run: crate::ScheduledRun) -> Result<(), lambda_runtime::Error> {
    Box::pin(lambda_runtime::run(metered(
        service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
            run(app).await.map_err(lambda_runtime::Error::from)
        }),
        ErrorResult::Failure,
    )))
    .await
}
