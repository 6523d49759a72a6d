//! One DynamoDB handle for every repository: the client they share, and the
//! transactions (`commit`) their writes join, so a change and its audit event are
//! stored together whichever repositories wrote them.

use crate::{StoreError, WriteBatch};
use aws_sdk_dynamodb::Client;

#[derive(Debug, Clone)]
pub struct Dynamo {
    client: Client,
}

impl Dynamo {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// A table of this handle, for a repository.
    pub fn table(&self, name: impl Into<String>) -> Table {
        Table {
            db: self.clone(),
            name: name.into(),
        }
    }

    /// Applies every write of `batch` together, or none.
    pub async fn commit(&self, batch: WriteBatch) -> Result<(), StoreError> {
        batch.commit(&self.client).await
    }
}

/// One table, as a repository holds it.
#[derive(Debug, Clone)]
pub struct Table {
    db: Dynamo,
    name: String,
}

impl Table {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn client(&self) -> &Client {
        &self.db.client
    }

    /// One item of a tenant's partition, read strongly consistently.
    pub(crate) async fn get_item(
        &self,
        tenant_id: &crate::ids::TenantId,
        sk: String,
    ) -> Result<Option<crate::item::Item>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(self.name())
            .key("tenant_id", crate::item::s(tenant_id.as_str()))
            .key("sk", crate::item::s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out.item)
    }

    /// Every item of a tenant's partition whose sort key starts with `prefix`, read
    /// strongly consistently, page after page (for bounded collections: a tenant's
    /// scopes, its endpoints).
    pub(crate) async fn query_prefix(
        &self,
        tenant_id: &crate::ids::TenantId,
        prefix: &str,
    ) -> Result<Vec<crate::item::Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client()
                .query()
                .table_name(self.name())
                .key_condition_expression("tenant_id = :t AND begins_with(sk, :p)")
                .expression_attribute_values(":t", crate::item::s(tenant_id.as_str()))
                .expression_attribute_values(":p", crate::item::s(prefix))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Every item of a tenant in the index `index` (hash key `tenant_id`) whose range
    /// key `attribute` is `value`, page after page. Index reads are eventually
    /// consistent: a caller that writes what it read must write conditionally.
    pub(crate) async fn query_index(
        &self,
        index: &str,
        tenant_id: &crate::ids::TenantId,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<crate::item::Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client()
                .query()
                .table_name(self.name())
                .index_name(index)
                .key_condition_expression("tenant_id = :t AND #a = :v")
                .expression_attribute_names("#a", attribute)
                .expression_attribute_values(":t", crate::item::s(tenant_id.as_str()))
                .expression_attribute_values(":v", crate::item::s(value))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// One page of a tenant's items whose sort key starts with `prefix`, after the sort
    /// key `after`, read strongly consistently: the items, and whether there may be more.
    pub(crate) async fn query_page(
        &self,
        tenant_id: &crate::ids::TenantId,
        prefix: &str,
        after: Option<String>,
        limit: usize,
    ) -> Result<(Vec<crate::item::Item>, bool), StoreError> {
        let start = after.map(|sk| {
            crate::item::from_pairs([
                ("tenant_id", crate::item::s(tenant_id.as_str())),
                ("sk", crate::item::s(sk)),
            ])
        });
        let out = self
            .client()
            .query()
            .table_name(self.name())
            .key_condition_expression("tenant_id = :t AND begins_with(sk, :p)")
            .expression_attribute_values(":t", crate::item::s(tenant_id.as_str()))
            .expression_attribute_values(":p", crate::item::s(prefix))
            .consistent_read(true)
            .limit(i32::try_from(limit).unwrap_or(100))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok((
            out.items.unwrap_or_default(),
            out.last_evaluated_key.is_some(),
        ))
    }

    /// Stores an item that must not exist yet.
    pub(crate) async fn put_new_item(&self, item: crate::item::Item) -> Result<(), StoreError> {
        let result = self
            .client()
            .put_item()
            .table_name(self.name())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(tenant_id)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if crate::is_condition_failure(&e) => Err(StoreError::AlreadyExists),
            Err(e) => Err(StoreError::from_sdk(e)),
        }
    }
}

/// A repository of one record kind over a [`Table`]: `new`, and the `client()` and
/// `table()` its methods use.
macro_rules! repository {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            table: $crate::dynamo::Table,
        }

        impl $name {
            pub fn new(table: $crate::dynamo::Table) -> Self {
                Self { table }
            }

            /// The table's name.
            pub fn table_name(&self) -> &str {
                self.table.name()
            }

            #[allow(dead_code)]
            fn table(&self) -> &str {
                self.table.name()
            }

            #[allow(dead_code)]
            fn client(&self) -> &aws_sdk_dynamodb::Client {
                self.table.client()
            }
        }
    };
}
pub(crate) use repository;
