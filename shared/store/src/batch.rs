//! Several writes that succeed or fail together (DynamoDB TransactWriteItems): a key
//! change and its audit event are never stored one without the other.

use super::StoreError;
use super::item::{self, Item};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

#[derive(Debug, Default)]
pub struct WriteBatch {
    items: Vec<TransactWriteItem>,
}

impl WriteBatch {
    pub fn new() -> Self {
        Self::default()
    }

    fn push(
        &mut self,
        put: aws_sdk_dynamodb::types::builders::PutBuilder,
    ) -> Result<(), StoreError> {
        let put: Put = put
            .build()
            .map_err(|e| StoreError::Corrupt(format!("invalid put: {e}")))?;
        self.items
            .push(TransactWriteItem::builder().put(put).build());
        Ok(())
    }

    /// Stores an item, replacing any.
    pub fn put(&mut self, table: &str, item: Item) -> Result<(), StoreError> {
        self.push(Put::builder().table_name(table).set_item(Some(item)))
    }

    /// Stores an item that must not exist yet (by its partition key attribute).
    pub fn put_new(
        &mut self,
        table: &str,
        item: Item,
        partition_key: &str,
    ) -> Result<(), StoreError> {
        self.push(
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", partition_key),
        )
    }

    /// Replaces an item only if its `version` is still `expected` (optimistic locking).
    /// A record that counts its writes in `version`: new (`expected` 0: it must not
    /// exist yet, under `tenant_id`) or changed (still at `expected`).
    pub fn put_revision(
        &mut self,
        table: &str,
        item: Item,
        expected: u64,
    ) -> Result<(), StoreError> {
        if expected == 0 {
            self.put_new(table, item, "tenant_id")
        } else {
            self.put_if_version(table, item, expected)
        }
    }

    pub fn put_if_version(
        &mut self,
        table: &str,
        item: Item,
        expected: u64,
    ) -> Result<(), StoreError> {
        self.push(
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression("version = :expected")
                .expression_attribute_values(":expected", item::n(expected as i64)),
        )
    }

    /// Stores an item if `condition` holds, with its placeholder values.
    pub fn put_if(
        &mut self,
        table: &str,
        item: Item,
        condition: &str,
        values: impl IntoIterator<Item = (&'static str, aws_sdk_dynamodb::types::AttributeValue)>,
    ) -> Result<(), StoreError> {
        let mut put = Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression(condition);
        for (name, value) in values {
            put = put.expression_attribute_values(name, value);
        }
        self.push(put)
    }

    /// Deletes an item only if its `version` is still `expected`.
    pub fn delete_if_version(
        &mut self,
        table: &str,
        key: Item,
        expected: u64,
    ) -> Result<(), StoreError> {
        let delete = Delete::builder()
            .table_name(table)
            .set_key(Some(key))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", item::n(expected as i64))
            .build()
            .map_err(|e| StoreError::Corrupt(format!("invalid delete: {e}")))?;
        self.items
            .push(TransactWriteItem::builder().delete(delete).build());
        Ok(())
    }

    /// Commits every write or none. A failed condition (or a concurrent transaction on
    /// the same items) is `Conflict`: the caller re-reads and decides.
    pub async fn commit(self, client: &Client) -> Result<(), StoreError> {
        let result = client
            .transact_write_items()
            .set_transact_items(Some(self.items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let code = e.as_service_error().and_then(|s| {
                    aws_sdk_dynamodb::error::ProvideErrorMetadata::code(s).map(str::to_owned)
                });
                match code.as_deref() {
                    Some("TransactionCanceledException" | "TransactionConflictException") => {
                        Err(StoreError::Conflict)
                    }
                    _ => Err(StoreError::from_sdk(e)),
                }
            }
        }
    }
}
