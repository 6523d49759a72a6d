//! Short-lived records in the ephemeral table (TTL'd, one `pk` each): the markers that
//! claim an occasion before its event is published once, and the counts of failed
//! verifications per key and window.

use crate::item::{self, Reader};
use crate::{StoreError, applied};
use time::OffsetDateTime;

crate::dynamo::repository!(
    /// Publish-once markers (`pk` = the occasion, e.g. `EXPIRY_NOTICE#...`).
    Markers
);

impl Markers {
    /// Claims `marker` until `keep_until`; `false` if it was claimed before.
    pub async fn claim(
        &self,
        marker: &str,
        keep_until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let result = self
            .client()
            .put_item()
            .table_name(self.table())
            .item("pk", item::s(marker))
            .item("expires_at", item::time(keep_until))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        applied(result)
    }

    /// Gives a claim back, so a later run can claim the occasion again.
    pub async fn release(&self, marker: &str) -> Result<(), StoreError> {
        self.client()
            .delete_item()
            .table_name(self.table())
            .key("pk", item::s(marker))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }
}

crate::dynamo::repository!(
    /// Failed verifications per key and fixed window (`pk = FAILURES#<tenant>#<key>#<start>`).
    FailureCounts
);

impl FailureCounts {
    /// Counts one failure in the window `pk` names (kept until `expires_at`); returns
    /// the window's count.
    pub async fn add(&self, pk: &str, expires_at: i64) -> Result<u64, StoreError> {
        let out = self
            .client()
            .update_item()
            .table_name(self.table())
            .key("pk", item::s(pk))
            .update_expression("ADD attempts :one SET expires_at = :ttl")
            .expression_attribute_values(":one", item::n(1))
            .expression_attribute_values(":ttl", item::n(expires_at))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out
            .attributes
            .as_ref()
            .map(|a| Reader::new(a).number("attempts"))
            .transpose()?
            .flatten()
            .unwrap_or(0))
    }
}
