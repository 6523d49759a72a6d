//! Idempotency records in the ephemeral table (`pk = IDEMPOTENCY#<tenant>#<caller>#<key>`,
//! kept 24 hours): claimed in progress, then completed with the response to replay, or
//! released. What a response is, and which requests carry a key, is the HTTP layer's.

use crate::ids::{KeyId, TenantId};
use crate::item::{self, Reader};
use crate::{StoreError, is_condition_failure};
use time::{Duration, OffsetDateTime};

const RETENTION: Duration = Duration::hours(24);

crate::dynamo::repository!(
    /// Idempotency records.
    IdempotencyRecords
);

/// A response as stored for replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: String,
    pub location: Option<String>,
    pub body: String,
}

/// What a claim of a key found.
#[derive(Debug)]
pub enum Claimed {
    /// First use: run the request, then complete or release the record.
    New(ClaimedRecord),
    /// Completed before, for the same request: replay this.
    Completed(StoredResponse),
    /// Used before for a different request (another fingerprint).
    OtherRequest,
    /// The first request with this key is still running.
    InProgress,
    /// The record was released between our claim and our read; the caller retries.
    Released,
}

#[derive(Debug)]
pub struct ClaimedRecord {
    pk: String,
}

impl IdempotencyRecords {
    pub async fn claim(
        &self,
        tenant: &TenantId,
        caller: &KeyId,
        key: &str,
        fingerprint: &str,
        now: OffsetDateTime,
    ) -> Result<Claimed, StoreError> {
        let pk = format!("IDEMPOTENCY#{tenant}#{caller}#{key}");
        let claimed = self
            .client()
            .put_item()
            .table_name(self.table())
            .item("pk", item::s(&pk))
            .item("state", item::s("in_progress"))
            .item("fingerprint", item::s(fingerprint))
            .item("expires_at", item::time(now + RETENTION))
            // An expired record that TTL has not swept yet counts as absent.
            .condition_expression("attribute_not_exists(pk) OR expires_at < :now")
            .expression_attribute_values(":now", item::time(now))
            .send()
            .await;
        match claimed {
            Ok(_) => return Ok(Claimed::New(ClaimedRecord { pk })),
            Err(e) if !is_condition_failure(&e) => return Err(StoreError::from_sdk(e)),
            Err(_) => {}
        }
        let Some(existing) = self
            .client()
            .get_item()
            .table_name(self.table())
            .key("pk", item::s(&pk))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?
            .item
        else {
            return Ok(Claimed::Released);
        };
        let r = Reader::new(&existing);
        if r.str("fingerprint")? != fingerprint {
            return Ok(Claimed::OtherRequest);
        }
        if r.str("state")? != "completed" {
            return Ok(Claimed::InProgress);
        }
        Ok(Claimed::Completed(StoredResponse {
            status: u16::try_from(r.number("status")?.unwrap_or(200)).unwrap_or(200),
            content_type: r.str("content_type")?.to_owned(),
            location: r.opt_str("location")?.map(str::to_owned),
            body: r.str("body")?.to_owned(),
        }))
    }

    /// Keeps `response` for replays of the claimed key.
    pub async fn complete(
        &self,
        claimed: ClaimedRecord,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let mut update = item::from_pairs([
            ("state", item::s("completed")),
            ("status", item::n(i64::from(response.status))),
            ("body", item::s(&response.body)),
            ("content_type", item::s(&response.content_type)),
        ]);
        if let Some(location) = &response.location {
            update.insert("location".into(), item::s(location));
        }
        let mut request = self
            .client()
            .update_item()
            .table_name(self.table())
            .key("pk", item::s(&claimed.pk));
        let mut expression = Vec::new();
        for (i, (name, value)) in update.into_iter().enumerate() {
            expression.push(format!("#f{i} = :v{i}"));
            request = request
                .expression_attribute_names(format!("#f{i}"), name)
                .expression_attribute_values(format!(":v{i}"), value);
        }
        request
            .update_expression(format!("SET {}", expression.join(", ")))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Gives the key back, so a retry runs the request again.
    pub async fn release(&self, claimed: ClaimedRecord) -> Result<(), StoreError> {
        self.client()
            .delete_item()
            .table_name(self.table())
            .key("pk", item::s(&claimed.pk))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }
}
