#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gatehouse::lambda::serve_http(gatehouse::http_handler!(fn_recover_webhook::handle)).await
}
