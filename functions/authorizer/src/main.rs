use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gatehouse::telemetry::init();
    let app = gatehouse::App::from_env().await?;
    let app = &app;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            // Boxed: the decision future is deep enough to exceed the layout query limit inline.
            match Box::pin(fn_authorizer::handle_event(app, event.payload)).await {
                fn_authorizer::Outcome::Response(response) => Ok(response),
                // REST APIs map exactly this error message to 401.
                fn_authorizer::Outcome::Unauthorized => {
                    Err(lambda_runtime::Error::from("Unauthorized"))
                }
            }
        },
    ))
    .await
}
