//! `gatehouse-gateway`: the local API Gateway. Creates the template's resources on the
//! configured AWS endpoint (moto locally), then serves the template's routes, and
//! runs the queue consumers (webhook fan-out and dispatcher) as Lambda's SQS event
//! sources would, and the scheduled key-expiry scan every few minutes.

use gatehouse_devtools::cli::{Args, local_stack};
use gatehouse_devtools::gateway::Gateway;
use std::sync::Arc;

const USAGE: &str = "usage: gatehouse-gateway [--template template.yaml] [--stack gatehouse-local] \
[--listen 127.0.0.1:3000] [--metrics-dir .local] [--param Name=Value ...]";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    gatehouse::telemetry::init();
    // One recorder for every function served here; see local_metrics.
    gatehouse::telemetry::metrics::init("local-gateway");
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatehouse-gateway: {e}\n{USAGE}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = Args::parse(std::env::args().skip(1), false)?;
    args.reject_unknown(&["template", "stack", "listen", "metrics-dir", "param"])?;
    let (template, sdk, stack) = local_stack(&args).await?;
    let mut gateway = Gateway::new(&template, &stack, &sdk).map_err(|e| e.to_string())?;
    if let Some(dir) = args.value("metrics-dir") {
        gateway = gateway.with_local_metrics(dir);
    }
    let pump = gatehouse_devtools::pump::QueuePump::new(&template, &stack, &sdk)?;
    tokio::spawn(pump.run());
    let notifier = gatehouse_devtools::pump::function_app(
        &template,
        &stack,
        &sdk,
        "KeyExpiryNotifierFunction",
    )?;
    tokio::spawn(async move {
        // Far more often than the deployed schedule, so a key created with a near
        // expiry shows its notice while you watch.
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            if let Err(e) = gatehouse_functions::keys::expiry_notifier::handle(&notifier).await {
                tracing::warn!(target: "gateway", "expiry notices: {e}");
            }
        }
    });
    let listen = args.value_or("listen", "127.0.0.1:3000");
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    println!(
        "gatehouse-gateway: serving {} routes on http://{listen}",
        gateway.routes().routes().count()
    );
    for route in gateway.routes().routes() {
        println!("  {:<7}{}", route.method, route.path);
    }
    Arc::new(gateway).serve(listener).await;
    Ok(())
}
