//! Creates what template.yaml declares (tables, queues with their dead-letter queues,
//! KMS keys) through the real AWS SDK, and resolves the template's `!Ref`/`!GetAtt`
//! against what it created. Idempotent: running it again finds the existing resources.
//!
//! Physical names are `<stack>-<LogicalId>`, so several stacks (one per test run, say)
//! can share one moto server without seeing each other.

use crate::template::{Queue, Table, Template, TemplateValue};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("{resource}: {message}")]
    Resource { resource: String, message: String },
    #[error("cannot resolve {0}")]
    Unresolved(String),
}

fn failed(resource: &str, err: impl std::fmt::Display) -> BootstrapError {
    BootstrapError::Resource {
        resource: resource.to_owned(),
        message: err.to_string(),
    }
}

fn sdk_failed<E, R>(resource: &str, err: aws_sdk_dynamodb::error::SdkError<E, R>) -> BootstrapError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    failed(resource, aws_sdk_dynamodb::error::DisplayErrorContext(err))
}

/// The created resources: what `!Ref` and `!GetAtt <id>.Arn` mean locally.
#[derive(Debug, Clone, Default)]
pub struct LocalStack {
    pub stack: String,
    pub region: String,
    pub parameters: BTreeMap<String, String>,
    refs: BTreeMap<String, String>,
    arns: BTreeMap<String, String>,
    stream_arns: BTreeMap<String, String>,
}

impl LocalStack {
    pub fn resolve(&self, value: &TemplateValue) -> Result<String, BootstrapError> {
        match value {
            TemplateValue::Literal(s) => Ok(s.clone()),
            TemplateValue::Ref(name) => self
                .refs
                .get(name)
                .or_else(|| self.parameters.get(name))
                .cloned()
                .ok_or_else(|| BootstrapError::Unresolved(format!("!Ref {name}"))),
            TemplateValue::GetAtt {
                resource,
                attribute,
            } if attribute == "Arn" => self
                .arns
                .get(resource)
                .cloned()
                .ok_or_else(|| BootstrapError::Unresolved(format!("!GetAtt {resource}.Arn"))),
            TemplateValue::GetAtt {
                resource,
                attribute,
            } if attribute == "StreamArn" => {
                self.stream_arns.get(resource).cloned().ok_or_else(|| {
                    BootstrapError::Unresolved(format!("!GetAtt {resource}.StreamArn"))
                })
            }
            TemplateValue::GetAtt {
                resource,
                attribute,
            } => Err(BootstrapError::Unresolved(format!(
                "!GetAtt {resource}.{attribute}"
            ))),
            TemplateValue::Sub(text) => self.substitute(text),
        }
    }

    /// `!Sub`'s `${...}` references: pseudo parameters, `Name` (as `!Ref`) and
    /// `Name.Arn` (as `!GetAtt`).
    fn substitute(&self, text: &str) -> Result<String, BootstrapError> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| BootstrapError::Unresolved(format!("!Sub {text}")))?;
            let name = &after[..end];
            let value = match name {
                "AWS::StackName" => self.stack.clone(),
                "AWS::Region" => self.region.clone(),
                "AWS::AccountId" => "000000000000".to_owned(),
                "AWS::Partition" => "aws".to_owned(),
                "AWS::URLSuffix" => "amazonaws.com".to_owned(),
                _ => match name.split_once('.') {
                    Some((resource, attribute)) => self.resolve(&TemplateValue::GetAtt {
                        resource: resource.to_owned(),
                        attribute: attribute.to_owned(),
                    })?,
                    None => self.resolve(&TemplateValue::Ref(name.to_owned()))?,
                },
            };
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A function's environment as Lambda would see it.
    pub fn function_env(
        &self,
        template: &Template,
        function: &str,
    ) -> Result<BTreeMap<String, String>, BootstrapError> {
        let function = template
            .functions
            .get(function)
            .ok_or_else(|| BootstrapError::Unresolved(format!("function {function}")))?;
        function
            .environment
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.resolve(v)?)))
            .collect()
    }

    /// The physical name of a template resource.
    pub fn physical_name(&self, logical_id: &str) -> String {
        format!("{}-{logical_id}", self.stack)
    }
}

/// Creates every table, queue and KMS key of `template` under `stack`.
/// `parameter_overrides` replace the template's parameter defaults.
pub async fn bootstrap(
    sdk: &aws_config::SdkConfig,
    template: &Template,
    stack: &str,
    parameter_overrides: &BTreeMap<String, String>,
) -> Result<LocalStack, BootstrapError> {
    let mut parameters = template.parameters.clone();
    parameters.extend(parameter_overrides.clone());
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".into());
    let mut local = LocalStack {
        stack: stack.to_owned(),
        region: region.clone(),
        parameters,
        ..LocalStack::default()
    };
    for function in template.functions.keys() {
        local.arns.insert(
            function.clone(),
            format!("arn:aws:lambda:{region}:000000000000:function:{stack}-{function}"),
        );
    }

    let kms = aws_sdk_kms::Client::new(sdk);
    for key in &template.kms_keys {
        let spec = template.kms_key_specs.get(key);
        let (id, arn) = ensure_kms_key(&kms, &local.physical_name(key), spec).await?;
        local.refs.insert(key.clone(), id);
        local.arns.insert(key.clone(), arn);
    }

    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    for secret in &template.secrets {
        let arn = ensure_secret(&secrets, &local.physical_name(secret)).await?;
        local.refs.insert(secret.clone(), arn.clone());
        local.arns.insert(secret.clone(), arn);
    }

    let iam = aws_sdk_iam::Client::new(sdk);
    for role in &template.roles {
        let name = local.physical_name(role);
        let arn = ensure_role(&iam, &name).await?;
        local.refs.insert(role.clone(), name);
        local.arns.insert(role.clone(), arn);
    }

    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    for table in &template.tables {
        let name = local.physical_name(&table.logical_id);
        let (arn, stream) = ensure_table(&dynamodb, table, &name).await?;
        local.refs.insert(table.logical_id.clone(), name);
        local.arns.insert(table.logical_id.clone(), arn);
        if let Some(stream) = stream {
            local.stream_arns.insert(table.logical_id.clone(), stream);
        }
    }

    let sqs = aws_sdk_sqs::Client::new(sdk);
    // Dead-letter queues first: a queue's redrive policy needs its DLQ's ARN.
    let mut pending: Vec<&Queue> = template.queues.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut remaining = Vec::new();
        for queue in pending {
            let dlq_arn = match &queue.dead_letter {
                Some(dlq) => match local.arns.get(dlq) {
                    Some(arn) => Some(arn.clone()),
                    None => {
                        remaining.push(queue);
                        continue;
                    }
                },
                None => None,
            };
            let (url, arn) = ensure_queue(
                &sqs,
                queue,
                &local.physical_name(&queue.logical_id),
                dlq_arn,
            )
            .await?;
            local.refs.insert(queue.logical_id.clone(), url);
            local.arns.insert(queue.logical_id.clone(), arn);
        }
        if remaining.len() == before {
            return Err(BootstrapError::Unresolved(
                "a dead-letter queue that is not declared in the template".into(),
            ));
        }
        pending = remaining;
    }
    Ok(local)
}

/// A role that principals of the account may assume (as the template's trust policy
/// says); its permissions are not modelled locally.
async fn ensure_role(iam: &aws_sdk_iam::Client, name: &str) -> Result<String, BootstrapError> {
    if let Ok(found) = iam.get_role().role_name(name).send().await
        && let Some(role) = found.role
    {
        return Ok(role.arn);
    }
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": ["sts:AssumeRole", "sts:TagSession"]
        }]
    });
    let created = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .max_session_duration(43_200)
        .send()
        .await
        .map_err(|e| failed(name, aws_sdk_iam::error::DisplayErrorContext(e)))?;
    created
        .role
        .map(|r| r.arn)
        .ok_or_else(|| failed(name, "no role"))
}

async fn ensure_kms_key(
    kms: &aws_sdk_kms::Client,
    name: &str,
    spec: Option<&(String, String)>,
) -> Result<(String, String), BootstrapError> {
    let alias = format!("alias/{name}");
    if let Ok(found) = kms.describe_key().key_id(&alias).send().await
        && let Some(meta) = found.key_metadata
    {
        return Ok((meta.key_id, meta.arn.unwrap_or_default()));
    }
    let mut create = kms.create_key().description(name);
    if let Some((key_spec, usage)) = spec {
        create = create
            .key_spec(aws_sdk_kms::types::KeySpec::from(key_spec.as_str()))
            .key_usage(aws_sdk_kms::types::KeyUsageType::from(usage.as_str()));
    }
    let created = create
        .send()
        .await
        .map_err(|e| failed(name, aws_sdk_kms::error::DisplayErrorContext(e)))?;
    let meta = created
        .key_metadata
        .ok_or_else(|| failed(name, "no key metadata"))?;
    kms.create_alias()
        .alias_name(&alias)
        .target_key_id(&meta.key_id)
        .send()
        .await
        .map_err(|e| failed(name, aws_sdk_kms::error::DisplayErrorContext(e)))?;
    Ok((meta.key_id, meta.arn.unwrap_or_default()))
}

/// A secret with a random 64-character value, like the template's
/// `GenerateSecretString`.
async fn ensure_secret(
    secrets: &aws_sdk_secretsmanager::Client,
    name: &str,
) -> Result<String, BootstrapError> {
    if let Ok(found) = secrets.describe_secret().secret_id(name).send().await
        && let Some(arn) = found.arn
    {
        return Ok(arn);
    }
    let value = gatehouse::keys::base62::random_string(64).map_err(|e| failed(name, e))?;
    let created = secrets
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .map_err(|e| failed(name, aws_sdk_secretsmanager::error::DisplayErrorContext(e)))?;
    created.arn.ok_or_else(|| failed(name, "no secret arn"))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableProperties {
    attribute_definitions: Vec<AttributeDef>,
    key_schema: Vec<KeyDef>,
    #[serde(default)]
    global_secondary_indexes: Vec<IndexDef>,
    time_to_live_specification: Option<TtlDef>,
    stream_specification: Option<StreamDef>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StreamDef {
    stream_view_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeDef {
    attribute_name: String,
    attribute_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyDef {
    attribute_name: String,
    key_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IndexDef {
    index_name: String,
    key_schema: Vec<KeyDef>,
    projection: ProjectionDef,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProjectionDef {
    projection_type: String,
    #[serde(default)]
    non_key_attributes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TtlDef {
    attribute_name: String,
    enabled: bool,
}

fn key_schema(keys: &[KeyDef], resource: &str) -> Result<Vec<KeySchemaElement>, BootstrapError> {
    keys.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(|e| failed(resource, e))
        })
        .collect()
}

/// The table's ARN and its stream's, created as the template declares it if missing.
async fn ensure_table(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &Table,
    name: &str,
) -> Result<(String, Option<String>), BootstrapError> {
    if let Ok(found) = dynamodb.describe_table().table_name(name).send().await
        && let Some(table) = found.table
        && let Some(arn) = table.table_arn
    {
        return Ok((arn, table.latest_stream_arn));
    }
    let props: TableProperties = serde_yaml::from_value(table.properties.clone())
        .map_err(|e| failed(&table.logical_id, e))?;
    let mut create = dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&props.key_schema, name)?));
    for attr in &props.attribute_definitions {
        create = create.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(&attr.attribute_name)
                .attribute_type(ScalarAttributeType::from(attr.attribute_type.as_str()))
                .build()
                .map_err(|e| failed(name, e))?,
        );
    }
    for index in &props.global_secondary_indexes {
        let projection = Projection::builder()
            .projection_type(ProjectionType::from(
                index.projection.projection_type.as_str(),
            ))
            .set_non_key_attributes(
                (!index.projection.non_key_attributes.is_empty())
                    .then(|| index.projection.non_key_attributes.clone()),
            )
            .build();
        create = create.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.index_name)
                .set_key_schema(Some(key_schema(&index.key_schema, name)?))
                .projection(projection)
                .build()
                .map_err(|e| failed(name, e))?,
        );
    }
    if let Some(stream) = &props.stream_specification {
        create = create.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(stream.stream_view_type.as_str()))
                .build()
                .map_err(|e| failed(name, e))?,
        );
    }
    let created = create.send().await.map_err(|e| sdk_failed(name, e))?;
    if let Some(ttl) = props.time_to_live_specification.filter(|t| t.enabled) {
        dynamodb
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(ttl.attribute_name)
                    .enabled(true)
                    .build()
                    .map_err(|e| failed(name, e))?,
            )
            .send()
            .await
            .map_err(|e| sdk_failed(name, e))?;
    }
    let description = created.table_description;
    Ok((
        description
            .as_ref()
            .and_then(|t| t.table_arn.clone())
            .unwrap_or_default(),
        description.and_then(|t| t.latest_stream_arn),
    ))
}

async fn ensure_queue(
    sqs: &aws_sdk_sqs::Client,
    queue: &Queue,
    name: &str,
    dead_letter_arn: Option<String>,
) -> Result<(String, String), BootstrapError> {
    let fifo = queue
        .properties
        .get("FifoQueue")
        .and_then(serde_yaml::Value::as_bool)
        == Some(true);
    let name = if fifo {
        format!("{name}.fifo")
    } else {
        name.to_owned()
    };
    let mut create = sqs.create_queue().queue_name(&name);
    let numeric = |key: &str| {
        queue.properties.get(key).and_then(|v| match v {
            serde_yaml::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    for (key, attribute) in [
        ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
        (
            "MessageRetentionPeriod",
            QueueAttributeName::MessageRetentionPeriod,
        ),
        ("DelaySeconds", QueueAttributeName::DelaySeconds),
        (
            "ReceiveMessageWaitTimeSeconds",
            QueueAttributeName::ReceiveMessageWaitTimeSeconds,
        ),
    ] {
        if let Some(value) = numeric(key) {
            create = create.attributes(attribute, value);
        }
    }
    if fifo {
        create = create.attributes(QueueAttributeName::FifoQueue, "true");
    }
    if let Some(arn) = dead_letter_arn {
        let policy = serde_json::json!({
            "deadLetterTargetArn": arn,
            "maxReceiveCount": queue.max_receive_count.unwrap_or(5),
        });
        create = create.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
    }
    let url = create
        .send()
        .await
        .map_err(|e| failed(&name, aws_sdk_sqs::error::DisplayErrorContext(e)))?
        .queue_url
        .ok_or_else(|| failed(&name, "no queue url"))?;
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| failed(&name, aws_sdk_sqs::error::DisplayErrorContext(e)))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| failed(&name, "no queue arn"))?;
    Ok((url, arn))
}
