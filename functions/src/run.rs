//! Running one function under the Lambda runtime: what the bootstrap does once it
//! knows which function it is.

use crate::{Function, Serve, authorizer, keys, rotation, usage, webhooks};
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

/// Initialises logging, builds the function's dependencies from its environment once,
/// and serves its events until the runtime stops. An unknown name, or a missing or
/// invalid variable, stops the function at start with a message naming it.
pub async fn run(name: &str) -> Result<(), lambda_runtime::Error> {
    let function = crate::function(name)
        .ok_or_else(|| format!("`{name}` is not a Gatehouse function (template Handler)"))?;
    gatehouse::telemetry::init();
    gatehouse::telemetry::metrics::init(name);
    let app = App::from_env(function.needs()).await?;
    let app = &app;
    // Each runtime loop boxed: one future per function kind in one match would nest
    // deeper than the compiler's layout query limit.
    match function {
        Function::Http { .. } => {
            Box::pin(lambda_http::run(metered(
                lambda_http::service_fn(move |req: Request| async move {
                    Ok::<_, std::convert::Infallible>(serve_http(app, function, req).await)
                }),
                ErrorResult::Failure,
            )))
            .await
        }
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
        Function::IntegrationProber => {
            Box::pin(lambda_runtime::run(metered(
                service_fn(
                    // The scheduled event carries nothing the check needs.
                    move |_: LambdaEvent<serde_json::Value>| async move {
                        let summary = crate::integrations::prober::handle(app).await?;
                        Ok::<_, lambda_runtime::Error>(serde_json::json!({
                            "checked": summary.checked,
                            "unhealthy": summary.unhealthy,
                            "changed": summary.changed,
                        }))
                    },
                ),
                ErrorResult::Failure,
            )))
            .await
        }
        Function::DirectoryCheck => {
            Box::pin(lambda_runtime::run(metered(
                service_fn(
                    // The scheduled event carries nothing the check needs.
                    move |_: LambdaEvent<serde_json::Value>| async move {
                        let summary = crate::sso::directory_check::handle(app).await?;
                        Ok::<_, lambda_runtime::Error>(serde_json::json!({
                            "principals": summary.principals,
                            "updated": summary.updated,
                            "disabled": summary.disabled,
                            "unreachable": summary.unreachable,
                        }))
                    },
                ),
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
        Function::KeyExpiryNotifier => {
            Box::pin(lambda_runtime::run(metered(
                service_fn(
                    // The scheduled event carries nothing the scan needs.
                    move |_: LambdaEvent<serde_json::Value>| async move {
                        let summary = keys::expiry_notifier::handle(app).await?;
                        Ok::<_, lambda_runtime::Error>(serde_json::json!({
                            "expiring": summary.expiring,
                            "notified": summary.notified,
                            "already": summary.already,
                        }))
                    },
                ),
                ErrorResult::Failure,
            )))
            .await
        }
    }
}
