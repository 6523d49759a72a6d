#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gatehouse::lambda::serve_http(gatehouse::http_handler!(fn_update_webhook::handle)).await
}
