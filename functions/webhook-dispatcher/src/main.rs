use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gatehouse::telemetry::init();
    let app = gatehouse::App::from_env().await?;
    let client = gatehouse::webhooks::client::OutboundClient::from_config(&app.config)?;
    let (app, client) = (&app, &client);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(
            fn_webhook_dispatcher::handle(app, client, event.payload).await,
        )
    }))
    .await
}
