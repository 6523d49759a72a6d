//! `gatehouse-admin`: operator commands against a local stack or a real AWS account.
//! Endpoints and credentials come from the standard AWS SDK settings
//! (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, ...).

use gatehouse::App;
use gatehouse::keys::KeyPrefix;
use gatehouse::keys::issue::create_tenant;
use gatehouse::keys::model::{DisplayName, Principal};
use gatehouse_devtools::cli::{Args, local_stack};
use gatehouse_devtools::runtime_api::{Log, invoke_once};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

const USAGE: &str = "\
usage:
  gatehouse-admin bootstrap [--template template.yaml] [--stack gatehouse-local] [--param Name=Value ...]
      Creates the template's tables, queues and KMS keys (idempotent) and prints the
      functions' environment as NAME=value lines.
  gatehouse-admin create-tenant --name NAME [--prefix PREFIX] [--principal user:you@example.com] [--json]
      Creates a tenant and its first admin key. Reads KEYS_TABLE, KEY_ENVIRONMENT and
      DEFAULT_KEY_PREFIX like the functions do. The key is printed once.
  gatehouse-admin invoke --function NAME --event FILE [--bin-dir target/debug]
                         [--template template.yaml] [--stack gatehouse-local] [--param Name=Value ...]
      Runs one function (its Handler, e.g. authorizer, or its logical id) for one event,
      through its real bootstrap (`gatehouse` or `gatehouse-sso` in --bin-dir) and a
      local Lambda Runtime API, with only the environment the template gives that
      function (plus the AWS SDK settings), and prints its answer. `make invoke`
      builds the bootstraps first.
  gatehouse-admin scanner-secret
      Prints the secret other secret scanners sign leaked-key reports with
      (POST /v2/secret-scanning/reports), as whsec_...: the current version of
      SECRET_SCANNING_SECRET_ARN. Give it to the scanner's operator only.
  gatehouse-admin metrics [--minutes 5] [--dir .local]
      Summarises what the local gateway (`make dev`) measured in the last minutes:
      requests per route (count, p50, p99, 4xx, 5xx) and the functions' EMF metrics
      by dimension (`make metrics`).
  gatehouse-admin openapi [--out shared/openapi.json]
      Writes the OpenAPI document, generated from the route declaration and the
      handlers' request and response types (`make openapi`).
";

const REFUSED: &str = "the response is refused";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // A refused response is an answer, not a usage error: its report is printed.
        Err(e) if e == REFUSED => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!(
                "gatehouse-admin: {e}\n\n{USAGE}{}",
                gatehouse_devtools::saml_check::USAGE
            );
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = Args::parse(std::env::args().skip(1), true)?;
    match args.command.as_deref() {
        Some("bootstrap") => bootstrap_command(&args).await,
        Some("create-tenant") => create_tenant_command(&args).await,
        Some("scanner-secret") => scanner_secret_command(&args).await,
        Some("invoke") => invoke_command(&args).await,
        Some("openapi") => openapi_command(&args),
        Some("metrics") => {
            let minutes = args
                .value_or("minutes", "5")
                .parse()
                .map_err(|_| "--minutes takes a whole number".to_owned())?;
            let dir = std::path::PathBuf::from(args.value_or("dir", ".local"));
            print!(
                "{}",
                gatehouse_devtools::local_metrics::summary(&dir, minutes)
            );
            Ok(())
        }
        Some("saml-check") => {
            let (accepted, report) = gatehouse_devtools::saml_check::run(&args)?;
            print!("{report}");
            if accepted {
                Ok(())
            } else {
                Err(REFUSED.into())
            }
        }
        Some("help" | "--help" | "-h") | None => {
            println!("{USAGE}{}", gatehouse_devtools::saml_check::USAGE);
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`")),
    }
}

fn openapi_command(args: &Args) -> Result<(), String> {
    args.reject_unknown(&["out"])?;
    let out = args.value("out").unwrap_or("shared/openapi.json");
    std::fs::write(out, gatehouse_functions::openapi::document::render())
        .map_err(|e| format!("{out}: {e}"))
}

async fn bootstrap_command(args: &Args) -> Result<(), String> {
    args.reject_unknown(&["template", "stack", "param"])?;
    let (template, _, stack) = local_stack(args).await?;
    let mut lines = BTreeSet::new();
    for function in template.functions.keys() {
        for (name, value) in stack
            .function_env(&template, function)
            .map_err(|e| e.to_string())?
        {
            lines.insert(format!("{name}={value}"));
        }
    }
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

async fn invoke_command(args: &Args) -> Result<(), String> {
    args.reject_unknown(&["function", "event", "bin-dir", "template", "stack", "param"])?;
    let name = args.value("function").ok_or("--function is required")?;
    let event_path = args.value("event").ok_or("--event is required")?;
    let event: serde_json::Value = std::fs::read_to_string(event_path)
        .map_err(|e| format!("--event {event_path}: {e}"))
        .and_then(|text| {
            serde_json::from_str(&text).map_err(|e| format!("--event {event_path}: {e}"))
        })?;
    let (template, _, stack) = local_stack(args).await?;
    let function = template
        .functions
        .values()
        .find(|f| f.handler == name || f.logical_id == name)
        .ok_or_else(|| format!("template.yaml has no function `{name}`"))?;
    let env: Vec<(String, String)> = stack
        .function_env(&template, &function.logical_id)
        .map_err(|e| e.to_string())?
        .into_iter()
        .collect();
    let binary = gatehouse_functions::Bootstrap::of(&function.handler)
        .ok_or_else(|| format!("no bootstrap serves `{}`", function.handler))?
        .binary();
    let path = Path::new(args.value_or("bin-dir", "target/debug")).join(binary);
    let bootstrap = path.display();
    let invocation = invoke_once(
        &path,
        &function.handler,
        &env,
        event,
        Log::Inherit,
        Duration::from_secs(60),
    )
    .await
    .map_err(|e| format!("{} ({bootstrap}): {e}", function.handler))?;
    match invocation.outcome {
        Ok(response) => {
            println!("{response:#}");
            Ok(())
        }
        Err(error) => Err(format!("{} failed: {error}", function.handler)),
    }
}

async fn scanner_secret_command(args: &Args) -> Result<(), String> {
    args.reject_unknown(&[])?;
    let arn = std::env::var("SECRET_SCANNING_SECRET_ARN")
        .map_err(|_| "SECRET_SCANNING_SECRET_ARN is not set (see `make dev`'s environment)")?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let value = aws_sdk_secretsmanager::Client::new(&sdk)
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        .map_err(|e| aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string())?
        .secret_string
        .ok_or("the scanner secret has no string value")?;
    let secret = gatehouse::keys::leak_intake::scanner_secret(&value).map_err(|e| e.to_string())?;
    println!("{}", secret.expose());
    Ok(())
}

async fn create_tenant_command(args: &Args) -> Result<(), String> {
    args.reject_unknown(&["name", "prefix", "principal", "json"])?;
    let name = DisplayName::parse(args.value("name").ok_or("--name is required")?)
        .map_err(|e| format!("--name: {e}"))?;
    let prefix = args
        .value("prefix")
        .map(KeyPrefix::parse)
        .transpose()
        .map_err(|e| format!("--prefix: {e}"))?;
    let principal = Principal::parse(args.value_or("principal", "user:admin"))
        .map_err(|e| format!("--principal: {e}"))?;
    let app = App::from_env(gatehouse::config::Needs::KEYS)
        .await
        .map_err(|e| e.to_string())?;
    let (tenant, key, record) = create_tenant(&app, name, prefix, principal)
        .await
        .map_err(|e| e.to_string())?;
    if args.switch("json") {
        let out = serde_json::json!({
            "tenant_id": tenant.tenant_id,
            "tenant_name": tenant.name.as_str(),
            "key_prefix": tenant.key_prefix,
            "key_id": record.key_id,
            "api_key": key.expose(),
        });
        println!("{out}");
    } else {
        println!("tenant:    {} ({})", tenant.name.as_str(), tenant.tenant_id);
        println!("key id:    {}", record.key_id);
        println!("admin key: {}", key.expose());
        println!("           shown once: store it now; only its argon2id verifier is kept");
    }
    Ok(())
}
