//! The local stand-in for Lambda's DynamoDB stream event source mapping on the audit
//! table (the outbox): reads each shard from where the event publisher last got to,
//! hands the records to it as a stream event, and on a reported failure starts again
//! at the failed record next time, as Lambda does with `ReportBatchItemFailures`.
//!
//! The reads are made with the publisher's own credentials, as the mapping uses the
//! function's role; the stream is found once by `ListStreams`, as a mapping resolves
//! its table's latest stream.

use crate::bootstrap::LocalStack;
use crate::pump::{function_app, function_sdk};
use crate::template::{Template, TemplateValue};
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use gatehouse::App;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

const PUBLISHER: &str = "EventPublisherFunction";
/// Records per publisher invocation (the template's `BatchSize`).
const BATCH: i32 = 100;

/// Where a shard's next read starts.
#[derive(Debug, Clone)]
enum Position {
    At(String),
    After(String),
}

pub struct OutboxPump {
    streams: aws_sdk_dynamodbstreams::Client,
    table: String,
    stream_arn: Mutex<Option<String>>,
    publisher: App,
    positions: Mutex<HashMap<String, Position>>,
}

fn sdk_error(e: impl std::error::Error + Send + Sync + 'static) -> String {
    aws_sdk_dynamodbstreams::error::DisplayErrorContext(e).to_string()
}

impl OutboxPump {
    pub fn new(
        template: &Template,
        local: &LocalStack,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, String> {
        let table = local
            .resolve(&TemplateValue::Ref("AuditTable".into()))
            .map_err(|e| e.to_string())?;
        Ok(Self {
            streams: aws_sdk_dynamodbstreams::Client::new(&function_sdk(sdk, PUBLISHER)),
            table,
            stream_arn: Mutex::new(None),
            publisher: function_app(template, local, sdk, PUBLISHER)?,
            positions: Mutex::new(HashMap::new()),
        })
    }

    /// Delivers every committed record not yet taken to the publisher: how many
    /// records it was given.
    pub async fn pump_once(&self) -> Result<usize, String> {
        let stream_arn = self.stream_arn().await?;
        let stream = self
            .streams
            .describe_stream()
            .stream_arn(&stream_arn)
            .send()
            .await
            .map_err(sdk_error)?;
        let shards = stream
            .stream_description
            .map(|d| d.shards.unwrap_or_default())
            .unwrap_or_default();
        let mut delivered = 0;
        for shard in shards {
            let Some(shard_id) = shard.shard_id else {
                continue;
            };
            delivered += self.pump_shard(&stream_arn, &shard_id).await?;
        }
        Ok(delivered)
    }

    async fn stream_arn(&self) -> Result<String, String> {
        if let Some(arn) = self.stream_arn.lock().ok().and_then(|a| a.clone()) {
            return Ok(arn);
        }
        let listed = self
            .streams
            .list_streams()
            .table_name(&self.table)
            .send()
            .await
            .map_err(sdk_error)?;
        let arn = listed
            .streams
            .unwrap_or_default()
            .into_iter()
            .find_map(|s| s.stream_arn)
            .ok_or_else(|| format!("{} has no stream", self.table))?;
        if let Ok(mut known) = self.stream_arn.lock() {
            *known = Some(arn.clone());
        }
        Ok(arn)
    }

    async fn pump_shard(&self, stream_arn: &str, shard_id: &str) -> Result<usize, String> {
        let position = self.position(shard_id);
        let mut request = self
            .streams
            .get_shard_iterator()
            .stream_arn(stream_arn)
            .shard_id(shard_id);
        request = match &position {
            None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
            Some(Position::At(seq)) => request
                .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                .sequence_number(seq),
            Some(Position::After(seq)) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .sequence_number(seq),
        };
        let mut iterator = request.send().await.map_err(sdk_error)?.shard_iterator;
        let mut delivered = 0;
        while let Some(current) = iterator.take() {
            let out = self
                .streams
                .get_records()
                .shard_iterator(current)
                .limit(BATCH)
                .send()
                .await
                .map_err(sdk_error)?;
            let records = out.records.unwrap_or_default();
            let Some(last) = records.last().and_then(|r| r.dynamodb()?.sequence_number()) else {
                break;
            };
            let last = last.to_owned();
            let event = stream_event(&records, stream_arn)?;
            delivered += records.len();
            let response =
                gatehouse_functions::event_publisher::handle(&self.publisher, event).await;
            match response
                .batch_item_failures
                .into_iter()
                .find_map(|f| f.item_identifier)
            {
                Some(failed) => {
                    self.set_position(shard_id, Position::At(failed));
                    break;
                }
                None => self.set_position(shard_id, Position::After(last)),
            }
            iterator = out.next_shard_iterator;
        }
        Ok(delivered)
    }

    fn position(&self, shard: &str) -> Option<Position> {
        self.positions
            .lock()
            .map(|p| p.get(shard).cloned())
            .unwrap_or(None)
    }

    fn set_position(&self, shard: &str, position: Position) {
        if let Ok(mut positions) = self.positions.lock() {
            positions.insert(shard.to_owned(), position);
        }
    }
}

/// The records as Lambda delivers them (the stream event's JSON).
fn stream_event(
    records: &[Record],
    stream_arn: &str,
) -> Result<aws_lambda_events::dynamodb::Event, String> {
    let records: Vec<Value> = records
        .iter()
        .map(|r| {
            let change = r.dynamodb();
            json!({
                "eventID": r.event_id(),
                "eventName": r.event_name().map(|n| n.as_str()),
                "eventSource": "aws:dynamodb",
                "eventVersion": "1.1",
                "eventSourceARN": stream_arn,
                "awsRegion": r.aws_region(),
                "dynamodb": {
                    "SequenceNumber": change.and_then(|c| c.sequence_number()),
                    "SizeBytes": change.and_then(|c| c.size_bytes()).unwrap_or(0),
                    "StreamViewType": change.and_then(|c| c.stream_view_type()).map(|v| v.as_str()),
                    "Keys": image(change.and_then(|c| c.keys())),
                    "NewImage": image(change.and_then(|c| c.new_image())),
                },
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).map_err(|e| e.to_string())
}

/// An item image in the stream event's attribute-value JSON (the audit table holds
/// only strings and numbers).
fn image(item: Option<&HashMap<String, AttributeValue>>) -> Value {
    let mut out = Map::new();
    for (name, value) in item.into_iter().flatten() {
        let value = match value {
            AttributeValue::S(s) => json!({ "S": s }),
            AttributeValue::N(n) => json!({ "N": n }),
            AttributeValue::Bool(b) => json!({ "BOOL": b }),
            _ => continue,
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}
