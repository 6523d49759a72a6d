use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gatehouse::telemetry::init();
    let app = gatehouse::App::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| async {
        Ok::<_, std::convert::Infallible>(fn_authorizer::handle(&app, event.payload).await)
    }))
    .await
}
