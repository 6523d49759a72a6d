use aws_lambda_events::cloudwatch_logs::LogsEvent;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gatehouse::telemetry::init();
    let app = gatehouse::App::from_env().await?;
    let app = &app;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<LogsEvent>| async move {
            let summary = fn_usage_ingest::handle(app, event.payload).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({
                "recorded": summary.recorded,
                "skipped": summary.skipped,
                "findings": summary.findings,
                "quota_notices": summary.quota_notices,
            }))
        },
    ))
    .await
}
