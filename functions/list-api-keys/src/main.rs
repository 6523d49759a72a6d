use lambda_http::{Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gatehouse::telemetry::init();
    let app = gatehouse::App::from_env().await?;
    lambda_http::run(service_fn(|req: Request| async {
        Ok::<_, std::convert::Infallible>(fn_list_api_keys::handle(&app, req).await)
    }))
    .await
}
