use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gatehouse::telemetry::init();
    let app = gatehouse::App::from_env().await?;
    let app = &app;
    lambda_runtime::run(service_fn(
        // The scheduled event carries nothing the scan needs.
        move |_: LambdaEvent<serde_json::Value>| async move {
            let summary = fn_key_expiry_notifier::handle(app).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({
                "expiring": summary.expiring,
                "notified": summary.notified,
                "already": summary.already,
            }))
        },
    ))
    .await
}
