//! A typed view of the parts of template.yaml that the local stack needs.
//!
//! Intrinsics are kept symbolic (`!Ref X`, `!GetAtt X.Arn`) and resolved against the
//! local stack by [`crate::bootstrap::LocalStack`].

use serde_yaml::Value;
use serde_yaml::value::TaggedValue;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("template.yaml is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("template.yaml: {0}")]
    Shape(String),
}

fn shape(message: impl Into<String>) -> TemplateError {
    TemplateError::Shape(message.into())
}

/// A value in the template: a literal or an intrinsic to resolve locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateValue {
    Literal(String),
    Ref(String),
    GetAtt {
        resource: String,
        attribute: String,
    },
    /// `!Sub "text ${Name} ${Resource.Arn} ${AWS::StackName}"`.
    Sub(String),
}

impl TemplateValue {
    fn from_yaml(value: &Value) -> Result<Self, TemplateError> {
        match value {
            Value::String(s) => Ok(Self::Literal(s.clone())),
            Value::Number(n) => Ok(Self::Literal(n.to_string())),
            Value::Bool(b) => Ok(Self::Literal(b.to_string())),
            Value::Tagged(tagged) => Self::from_tag(tagged),
            Value::Mapping(m) if m.len() == 1 => {
                let (k, v) = m.iter().next().ok_or_else(|| shape("empty intrinsic"))?;
                let tag = k.as_str().unwrap_or_default();
                let name = tag.strip_prefix("Fn::").unwrap_or(tag);
                Self::from_tag(&TaggedValue {
                    tag: serde_yaml::value::Tag::new(name),
                    value: v.clone(),
                })
            }
            other => Err(shape(format!("unsupported value {other:?}"))),
        }
    }

    fn from_tag(tagged: &TaggedValue) -> Result<Self, TemplateError> {
        let text = || {
            tagged
                .value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| shape(format!("{} needs a string", tagged.tag)))
        };
        if tagged.tag == "Ref" {
            Ok(Self::Ref(text()?))
        } else if tagged.tag == "Sub" {
            Ok(Self::Sub(text()?))
        } else if tagged.tag == "GetAtt" {
            let joined = match &tagged.value {
                Value::Sequence(parts) => parts
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("."),
                _ => text()?,
            };
            let (resource, attribute) = joined
                .split_once('.')
                .ok_or_else(|| shape(format!("GetAtt `{joined}` needs Resource.Attribute")))?;
            Ok(Self::GetAtt {
                resource: resource.to_owned(),
                attribute: attribute.to_owned(),
            })
        } else {
            Err(shape(format!(
                "intrinsic {} is not supported locally",
                tagged.tag
            )))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
    /// Logical id of the function that serves the route.
    pub function: String,
    /// Whether the API's default authorizer guards the route (`Auth: Authorizer: NONE`
    /// opts out).
    pub authorized: bool,
}

impl Route {
    /// API Gateway's route key, e.g. `POST /v2/api-keys`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub logical_id: String,
    /// The function's `Handler`: which function of the one bootstrap it runs
    /// (`gatehouse_functions::function`).
    pub handler: String,
    pub environment: BTreeMap<String, TemplateValue>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorizer {
    pub name: String,
    pub function: String,
    /// Headers that must all be present, or API Gateway answers 401 without calling
    /// the authorizer.
    pub identity_headers: Vec<String>,
    pub payload_version: String,
    pub simple_responses: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub logical_id: String,
    pub properties: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    pub logical_id: String,
    pub properties: Value,
    /// Logical id of the dead-letter queue named by the redrive policy, if any.
    pub dead_letter: Option<String>,
    pub max_receive_count: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub parameters: BTreeMap<String, String>,
    pub functions: BTreeMap<String, Function>,
    pub routes: Vec<Route>,
    pub authorizer: Option<Authorizer>,
    pub tables: Vec<Table>,
    pub queues: Vec<Queue>,
    pub kms_keys: Vec<String>,
    /// The `KeySpec` and `KeyUsage` of asymmetric keys (absent: a symmetric key).
    pub kms_key_specs: BTreeMap<String, (String, String)>,
    pub secrets: Vec<String>,
    /// IAM roles the functions use (the role AWS leases assume), by logical id.
    pub roles: Vec<String>,
}

impl Template {
    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let doc: Value = serde_yaml::from_str(text)?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| shape("no Resources"))?;
        let global_env = doc
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("Environment"))
            .and_then(|e| e.get("Variables"));

        let mut template = Template {
            parameters: parameter_defaults(&doc),
            functions: BTreeMap::new(),
            routes: Vec::new(),
            authorizer: None,
            tables: Vec::new(),
            queues: Vec::new(),
            kms_keys: Vec::new(),
            kms_key_specs: BTreeMap::new(),
            secrets: Vec::new(),
            roles: Vec::new(),
        };
        for (id, resource) in resources {
            let id = id
                .as_str()
                .ok_or_else(|| shape("non-string logical id"))?
                .to_owned();
            let kind = resource
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let props = resource.get("Properties").cloned().unwrap_or(Value::Null);
            match kind {
                "AWS::Serverless::Function" => template.read_function(&id, &props, global_env)?,
                "AWS::Serverless::HttpApi" => template.authorizer = read_authorizer(&props)?,
                "AWS::DynamoDB::Table" => template.tables.push(Table {
                    logical_id: id,
                    properties: props,
                }),
                "AWS::SQS::Queue" => {
                    let redrive = props.get("RedrivePolicy");
                    let dead_letter = match redrive.and_then(|r| r.get("deadLetterTargetArn")) {
                        Some(v) => match TemplateValue::from_yaml(v)? {
                            TemplateValue::GetAtt { resource, .. } => Some(resource),
                            other => {
                                return Err(shape(format!(
                                    "{id}: dead-letter target {other:?} must be !GetAtt Queue.Arn"
                                )));
                            }
                        },
                        None => None,
                    };
                    template.queues.push(Queue {
                        logical_id: id,
                        max_receive_count: redrive
                            .and_then(|r| r.get("maxReceiveCount"))
                            .and_then(Value::as_u64),
                        properties: props,
                        dead_letter,
                    });
                }
                "AWS::KMS::Key" => {
                    let text = |k: &str| props.get(k).and_then(Value::as_str).map(str::to_owned);
                    if let (Some(spec), Some(usage)) = (text("KeySpec"), text("KeyUsage")) {
                        template.kms_key_specs.insert(id.clone(), (spec, usage));
                    }
                    template.kms_keys.push(id)
                }
                "AWS::SecretsManager::Secret" => template.secrets.push(id),
                "AWS::IAM::Role" => template.roles.push(id),
                _ => {}
            }
        }
        Ok(template)
    }

    fn read_function(
        &mut self,
        id: &str,
        props: &Value,
        global_env: Option<&Value>,
    ) -> Result<(), TemplateError> {
        let handler = props
            .get("Handler")
            .and_then(Value::as_str)
            .ok_or_else(|| shape(format!("{id}: Properties.Handler is required")))?;
        let mut environment = BTreeMap::new();
        let local_env = props.get("Environment").and_then(|e| e.get("Variables"));
        for vars in [global_env, local_env].into_iter().flatten() {
            for (name, value) in vars.as_mapping().into_iter().flatten() {
                let name = name
                    .as_str()
                    .ok_or_else(|| shape("non-string variable name"))?;
                environment.insert(name.to_owned(), TemplateValue::from_yaml(value)?);
            }
        }
        for (_, event) in props
            .get("Events")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
        {
            if event.get("Type").and_then(Value::as_str) != Some("HttpApi") {
                continue;
            }
            let p = event
                .get("Properties")
                .ok_or_else(|| shape(format!("{id}: event without Properties")))?;
            let text = |k: &str| {
                p.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| shape(format!("{id}: HttpApi event needs {k}")))
            };
            let authorizer = p
                .get("Auth")
                .and_then(|a| a.get("Authorizer"))
                .and_then(Value::as_str);
            self.routes.push(Route {
                method: text("Method")?.to_uppercase(),
                path: text("Path")?,
                function: id.to_owned(),
                authorized: authorizer != Some("NONE"),
            });
        }
        self.functions.insert(
            id.to_owned(),
            Function {
                logical_id: id.to_owned(),
                handler: handler.to_owned(),
                environment,
            },
        );
        Ok(())
    }
}

fn parameter_defaults(doc: &Value) -> BTreeMap<String, String> {
    doc.get("Parameters")
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .filter_map(|(name, p)| {
            let default = match p.get("Default")? {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => serde_yaml::to_string(other).ok()?.trim().to_owned(),
            };
            Some((name.as_str()?.to_owned(), default))
        })
        .collect()
}

fn read_authorizer(api: &Value) -> Result<Option<Authorizer>, TemplateError> {
    let Some(auth) = api.get("Auth") else {
        return Ok(None);
    };
    let Some(default) = auth.get("DefaultAuthorizer").and_then(Value::as_str) else {
        return Ok(None);
    };
    let def = auth
        .get("Authorizers")
        .and_then(|a| a.get(default))
        .ok_or_else(|| shape(format!("DefaultAuthorizer {default} is not defined")))?;
    let function = match def
        .get("FunctionArn")
        .map(TemplateValue::from_yaml)
        .transpose()?
    {
        Some(TemplateValue::GetAtt { resource, .. }) => resource,
        other => {
            return Err(shape(format!(
                "authorizer FunctionArn {other:?} must be !GetAtt Function.Arn"
            )));
        }
    };
    let identity_headers = def
        .get("Identity")
        .and_then(|i| i.get("Headers"))
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    Ok(Some(Authorizer {
        name: default.to_owned(),
        function,
        identity_headers,
        payload_version: def
            .get("AuthorizerPayloadFormatVersion")
            .and_then(Value::as_str)
            .unwrap_or("2.0")
            .to_owned(),
        simple_responses: def
            .get("EnableSimpleResponses")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }))
}
