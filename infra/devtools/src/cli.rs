//! Minimal flag parsing shared by the two binaries (`--name value` pairs).

use crate::bootstrap::{LocalStack, bootstrap};
use crate::template::Template;
use std::collections::BTreeMap;
use std::path::Path;

/// What `--template`, `--stack` and `--param` name: the template, the SDK settings from
/// the environment, and the template's resources created (or found) under the stack.
pub async fn local_stack(
    args: &Args,
) -> Result<(Template, aws_config::SdkConfig, LocalStack), String> {
    let template = Template::load(Path::new(args.value_or("template", "template.yaml")))
        .map_err(|e| e.to_string())?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let stack = bootstrap(
        &sdk,
        &template,
        args.value_or("stack", "gatehouse-local"),
        &args.pairs("param")?,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok((template, sdk, stack))
}

pub struct Args {
    pub command: Option<String>,
    flags: BTreeMap<String, Vec<String>>,
}

impl Args {
    /// Parses `[command] --flag value ... --switch`. A flag followed by another flag or
    /// nothing is a switch.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        with_command: bool,
    ) -> Result<Self, String> {
        let mut iter = args.into_iter().peekable();
        let command = if with_command { iter.next() } else { None };
        let mut flags: BTreeMap<String, Vec<String>> = BTreeMap::new();
        while let Some(arg) = iter.next() {
            let name = arg
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument `{arg}`"))?
                .to_owned();
            let value = match iter.peek() {
                Some(next) if !next.starts_with("--") => iter.next().unwrap_or_default(),
                _ => String::new(),
            };
            flags.entry(name).or_default().push(value);
        }
        Ok(Self { command, flags })
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.flags
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    /// Every value of a repeated flag.
    pub fn all(&self, name: &str) -> &[String] {
        self.flags.get(name).map_or(&[], Vec::as_slice)
    }

    pub fn value_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.value(name).unwrap_or(default)
    }

    pub fn switch(&self, name: &str) -> bool {
        self.flags.contains_key(name)
    }

    /// Repeated `--param Key=Value` flags.
    pub fn pairs(&self, name: &str) -> Result<BTreeMap<String, String>, String> {
        self.flags
            .get(name)
            .into_iter()
            .flatten()
            .map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .ok_or_else(|| format!("--{name} takes Key=Value, got `{kv}`"))
            })
            .collect()
    }

    pub fn reject_unknown(&self, known: &[&str]) -> Result<(), String> {
        match self.flags.keys().find(|k| !known.contains(&k.as_str())) {
            Some(unknown) => Err(format!(
                "unknown flag --{unknown}; known: --{}",
                known.join(", --")
            )),
            None => Ok(()),
        }
    }
}
