//! The keys table: tenants and their API keys, partitioned by tenant.
//!
//! | item   | `tenant_id` (hash) | `sk` (range)   |
//! |--------|--------------------|----------------|
//! | tenant | tenant id          | `TENANT`       |
//! | key    | tenant id          | `KEY#<key id>` |
//! | custom scope | tenant id    | `SCOPE#<name>` |
//! | access policy | tenant id   | `POLICY`       |
//! | key policy | tenant id      | `KEY_POLICY`   |
//!
//! The sparse index `keys-by-sso-holder` (`tenant_id`, `sso_holder`) finds the keys
//! bound to an SSO principal (`permission_sync::sso_holder`) without reading the
//! whole partition. Only those key items carry `sso_holder`, so nothing else is in it.
//!
//! The authorizer reads a key with one strongly consistent GetItem (both parts of the
//! primary key are in the key string), so a revocation is seen by the next
//! uncached check. Every read and write takes the tenant id, and every tenant-owned
//! item lives under it, so a lookup can't cross tenants.

use super::item::{self, Item, Reader};
use super::{StoreError, WriteBatch, applied};
use crate::ids::{KeyId, TenantId};
use crate::keys::custom::CustomScope;
use crate::keys::key_policy::KeyPolicy;
use crate::keys::model::{DisplayName, Principal, Revocation};
use crate::keys::permission_sync::sso_holder;
use crate::keys::restrictions::KeyRestrictions;
use crate::keys::{KeyPrefix, KeyRecord, KeyStatus, Scope, ScopeSet, Tenant};
use crate::limits::policy::AccessPolicy;
use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

const TENANT_SK: &str = "TENANT";
const KEY_SK_PREFIX: &str = "KEY#";
const SCOPE_SK_PREFIX: &str = "SCOPE#";
const POLICY_SK: &str = "POLICY";
const KEY_POLICY_SK: &str = "KEY_POLICY";
/// The index of keys by the SSO principal they are bound to.
pub const BY_SSO_HOLDER_INDEX: &str = "keys-by-sso-holder";

pub use gatehouse_domain::limits::policy::StoredPolicy;

/// One page of a tenant's keys, oldest key id first.
#[derive(Debug)]
pub struct KeyPage {
    pub keys: Vec<KeyRecord>,
    /// Where the next page starts, if there may be one.
    pub next: Option<KeyId>,
}

/// One page of the scheduled scan.
#[derive(Debug)]
pub struct ScanPage {
    pub keys: Vec<KeyRecord>,
    /// Those of `keys` an SSO principal binds that `keys-by-sso-holder` does not
    /// hold yet (stored before the index existed).
    pub unindexed: Vec<KeyId>,
    /// Where the next page starts, if there may be one.
    pub next: Option<Item>,
}

#[derive(Debug, Clone)]
pub struct ListKeys {
    pub include_inactive: bool,
    pub limit: usize,
    pub after: Option<KeyId>,
    /// "Inactive" includes keys past their expiry at this instant.
    pub now: OffsetDateTime,
    /// Only active keys that expire within this long from `now`.
    pub expiring_within: Option<time::Duration>,
}

fn key_sk(key_id: &KeyId) -> String {
    format!("{KEY_SK_PREFIX}{key_id}")
}

crate::dynamo::repository!(
    /// Tenants (`sk = TENANT`).
    Tenants
);

impl Tenants {
    pub async fn create(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let item = item::from_pairs([
            ("tenant_id", item::s(tenant.tenant_id.as_str())),
            ("sk", item::s(TENANT_SK)),
            ("name", item::s(tenant.name.as_str())),
            ("key_prefix", item::s(tenant.key_prefix.as_str())),
            ("created_at", item::time(tenant.created_at)),
        ]);
        self.table.put_new_item(item).await
    }

    pub async fn get(&self, tenant_id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        let Some(item) = self.table.get_item(tenant_id, TENANT_SK.to_owned()).await? else {
            return Ok(None);
        };
        let r = Reader::new(&item);
        Ok(Some(Tenant {
            tenant_id: tenant_id.clone(),
            name: r.parsed("name", DisplayName::parse)?,
            key_prefix: r.parsed("key_prefix", KeyPrefix::parse)?,
            created_at: r.time("created_at")?,
        }))
    }
}

crate::dynamo::repository!(
    /// API keys (`sk = KEY#<key id>`).
    Keys
);

impl Keys {
    /// Stores a new key; fails with `AlreadyExists` rather than overwrite one.
    pub async fn create(&self, key: &KeyRecord) -> Result<(), StoreError> {
        self.table.put_new_item(key_item(key)).await
    }

    /// Adds "store this new key" to a batch.
    pub fn put_new(&self, batch: &mut WriteBatch, key: &KeyRecord) -> Result<(), StoreError> {
        batch.put_new(self.table(), key_item(key), "tenant_id")
    }

    /// Adds "replace this key, unless someone else changed it first" to a batch.
    /// `key.version` must already be the new version (one more than the stored one).
    pub fn put_changed(&self, batch: &mut WriteBatch, key: &KeyRecord) -> Result<(), StoreError> {
        batch.put_if_version(self.table(), key_item(key), key.version.saturating_sub(1))
    }

    /// Moves a key's `last_used_at` forward to `at` (never back); a key that no
    /// longer exists is left alone.
    pub async fn touch_last_used(
        &self,
        tenant_id: &TenantId,
        key_id: &KeyId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key("tenant_id", item::s(tenant_id.as_str()))
            .key("sk", item::s(key_sk(key_id)))
            .update_expression("SET last_used_at = :at")
            .condition_expression(
                "attribute_exists(sk) AND (attribute_not_exists(last_used_at) OR last_used_at < :at)",
            )
            .expression_attribute_values(":at", item::time(at))
            .send()
            .await;
        // A key deleted meanwhile (or a later time already stored) is not an error.
        applied(result).map(drop)
    }

    /// Counts a usage anomaly on the key and keeps it as the latest.
    pub async fn note_anomaly(
        &self,
        tenant_id: &TenantId,
        key_id: &KeyId,
        finding: &crate::usage::anomaly::Finding,
    ) -> Result<(), StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key("tenant_id", item::s(tenant_id.as_str()))
            .key("sk", item::s(key_sk(key_id)))
            .update_expression("SET last_anomaly = :f ADD anomaly_count :one")
            .condition_expression("attribute_exists(sk)")
            .expression_attribute_values(":f", item::json(finding)?)
            .expression_attribute_values(":one", item::n(1))
            .send()
            .await;
        // A key deleted meanwhile is not an error.
        applied(result).map(drop)
    }

    pub async fn get(
        &self,
        tenant_id: &TenantId,
        key_id: &KeyId,
    ) -> Result<Option<KeyRecord>, StoreError> {
        self.table
            .get_item(tenant_id, key_sk(key_id))
            .await?
            .map(|item| decode_key(&item))
            .transpose()
    }

    /// Every key of the tenant active at `now` (all pages): what the key policy's
    /// count rules count.
    pub async fn all_active(
        &self,
        tenant_id: &TenantId,
        now: OffsetDateTime,
    ) -> Result<Vec<KeyRecord>, StoreError> {
        let mut keys = Vec::new();
        let mut after = None;
        loop {
            let request = ListKeys {
                include_inactive: false,
                limit: 100,
                after,
                now,
                expiring_within: None,
            };
            let page = self.list(tenant_id, &request).await?;
            keys.extend(page.keys);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(keys),
            }
        }
    }

    /// Every key of the tenant bound to the SSO principal `holder` (acting as it, or
    /// a service key it owns), revoked ones too: one index query, however many keys
    /// the tenant has.
    ///
    /// Index reads are eventually consistent. A caller that changes these keys must
    /// write conditionally on each key's version (a stale copy then fails and is
    /// read again); a key created a moment ago may be missing.
    pub async fn bound_to(
        &self,
        tenant_id: &TenantId,
        holder: &str,
    ) -> Result<Vec<KeyRecord>, StoreError> {
        self.table
            .query_index(BY_SSO_HOLDER_INDEX, tenant_id, "sso_holder", holder)
            .await?
            .iter()
            .map(decode_key)
            .collect()
    }

    pub async fn list(
        &self,
        tenant_id: &TenantId,
        request: &ListKeys,
    ) -> Result<KeyPage, StoreError> {
        let mut keys = Vec::with_capacity(request.limit);
        let mut start = request.after.as_ref().map(|after| {
            Item::from([
                ("tenant_id".to_owned(), item::s(tenant_id.as_str())),
                ("sk".to_owned(), item::s(key_sk(after))),
            ])
        });
        // DynamoDB applies Limit before the filter, so keep reading until the page is
        // full or the partition is exhausted; the cursor is the last item examined.
        loop {
            let mut query = self
                .client()
                .query()
                .table_name(self.table())
                .key_condition_expression("tenant_id = :t AND begins_with(sk, :k)")
                .expression_attribute_values(":t", item::s(tenant_id.as_str()))
                .expression_attribute_values(":k", item::s(KEY_SK_PREFIX))
                .limit(i32::try_from(request.limit - keys.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            let filter = match (request.expiring_within, request.include_inactive) {
                (Some(_), _) => {
                    Some("#status = :active AND expires_at > :now AND expires_at <= :until")
                }
                (None, false) => Some(
                    "#status = :active AND (attribute_not_exists(expires_at) OR expires_at > :now)",
                ),
                (None, true) => None,
            };
            if let Some(filter) = filter {
                query = query
                    .filter_expression(filter)
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":active", item::s(KeyStatus::Active.as_str()))
                    .expression_attribute_values(":now", item::time(request.now));
            }
            if let Some(within) = request.expiring_within {
                query =
                    query.expression_attribute_values(":until", item::time(request.now + within));
            }
            let out = query.send().await.map_err(StoreError::from_sdk)?;
            for item in out.items() {
                keys.push(decode_key(item)?);
            }
            start = out.last_evaluated_key;
            if keys.len() >= request.limit || start.is_none() {
                break;
            }
        }
        let next = match start {
            Some(last) => Some(Reader::new(&last).parsed("sk", |sk| {
                KeyId::parse(sk.strip_prefix(KEY_SK_PREFIX).unwrap_or(sk))
            })?),
            None => None,
        };
        Ok(KeyPage { keys, next })
    }

    /// One page of the active keys not yet replaced by rotation, across tenants (the
    /// scheduled scan's input); `start` is the previous page's continuation.
    pub async fn scan_active_page(&self, start: Option<Item>) -> Result<ScanPage, StoreError> {
        let out = self
            .client()
            .scan()
            .table_name(self.table())
            .filter_expression(
                "begins_with(sk, :k) AND #status = :active AND attribute_not_exists(rotated_to)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":k", item::s(KEY_SK_PREFIX))
            .expression_attribute_values(":active", item::s(KeyStatus::Active.as_str()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let mut page = ScanPage {
            keys: Vec::with_capacity(out.items().len()),
            unindexed: Vec::new(),
            next: out.last_evaluated_key.clone(),
        };
        for found in out.items() {
            let key = decode_key(found)?;
            if sso_holder(&key).is_some() && !found.contains_key("sso_holder") {
                page.unindexed.push(key.key_id.clone());
            }
            page.keys.push(key);
        }
        Ok(page)
    }

    /// Adds a key stored before `keys-by-sso-holder` existed to the index. The
    /// holder follows from the principal and owner, which never change, so no version
    /// check is needed; a key deleted meanwhile is left alone.
    pub async fn index_sso_holder(&self, key: &KeyRecord) -> Result<(), StoreError> {
        let Some(holder) = sso_holder(key) else {
            return Ok(());
        };
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key("tenant_id", item::s(key.tenant_id.as_str()))
            .key("sk", item::s(key_sk(&key.key_id)))
            .update_expression("SET sso_holder = :h")
            .condition_expression("attribute_exists(sk) AND attribute_not_exists(sso_holder)")
            .expression_attribute_values(":h", item::s(holder))
            .send()
            .await;
        applied(result).map(drop)
    }

    /// Replaces a key's verifier (rehash on use) only if it still holds `old`, so a
    /// concurrent rotation or revocation is never overwritten.
    pub async fn replace_verifier(
        &self,
        tenant_id: &TenantId,
        key_id: &KeyId,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key("tenant_id", item::s(tenant_id.as_str()))
            .key("sk", item::s(key_sk(key_id)))
            .update_expression("SET verifier = :new")
            .condition_expression("verifier = :old")
            .expression_attribute_values(":new", item::s(new))
            .expression_attribute_values(":old", item::s(old))
            .send()
            .await;
        applied(result)
    }
}

crate::dynamo::repository!(
    /// A tenant's custom scopes (`sk = SCOPE#<name>`).
    Scopes
);

impl Scopes {
    /// Adds "define this custom scope" to a batch; an existing definition is a conflict.
    pub fn put_new(
        &self,
        batch: &mut WriteBatch,
        tenant_id: &TenantId,
        scope: &CustomScope,
    ) -> Result<(), StoreError> {
        let item = item::from_pairs([
            ("tenant_id", item::s(tenant_id.as_str())),
            ("sk", item::s(format!("{SCOPE_SK_PREFIX}{}", scope.name))),
            ("name", item::s(scope.name.as_str())),
            ("description", item::s(&scope.description)),
            ("created_at", item::time(scope.created_at)),
            ("created_by", item::s(&scope.created_by)),
        ]);
        batch.put_new(self.table(), item, "tenant_id")
    }

    /// The tenant's custom scopes (bounded by `MAX_CUSTOM_SCOPES`), sorted by name.
    pub async fn list(&self, tenant_id: &TenantId) -> Result<Vec<CustomScope>, StoreError> {
        let items = self.table.query_prefix(tenant_id, SCOPE_SK_PREFIX).await?;
        items
            .iter()
            .map(|item| {
                let r = Reader::new(item);
                Ok(CustomScope {
                    name: r.parsed("name", Scope::parse)?,
                    description: r.str("description")?.to_owned(),
                    created_at: r.time("created_at")?,
                    created_by: r.str("created_by")?.to_owned(),
                })
            })
            .collect()
    }
}

/// A tenant's settings item (one per tenant, under a fixed `sk`): its value as JSON,
/// a version every write checks and increments, and when it last changed. Version 0:
/// never written (the default value).
struct Settings<T> {
    value: T,
    version: u64,
    updated_at: Option<OffsetDateTime>,
}

async fn read_settings<T: serde::de::DeserializeOwned + Default>(
    table: &crate::dynamo::Table,
    tenant_id: &TenantId,
    sk: &str,
) -> Result<Settings<T>, StoreError> {
    let Some(item) = table.get_item(tenant_id, sk.to_owned()).await? else {
        return Ok(Settings {
            value: T::default(),
            version: 0,
            updated_at: None,
        });
    };
    let r = Reader::new(&item);
    Ok(Settings {
        value: r.json("policy")?,
        version: r.number("version")?.unwrap_or(1),
        updated_at: r.opt_time("updated_at")?,
    })
}

/// Adds "replace the settings, unless they changed since version `read` was read".
fn write_settings<T: serde::Serialize>(
    table: &str,
    batch: &mut WriteBatch,
    tenant_id: &TenantId,
    sk: &str,
    read: u64,
    value: &T,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let item = item::from_pairs([
        ("tenant_id", item::s(tenant_id.as_str())),
        ("sk", item::s(sk)),
        ("policy", item::json(value)?),
        ("version", item::n(read as i64 + 1)),
        ("updated_at", item::time(now)),
    ]);
    if read == 0 {
        batch.put_new(table, item, "tenant_id")
    } else {
        batch.put_if_version(table, item, read)
    }
}

crate::dynamo::repository!(
    /// Tenants' access policies (`sk = POLICY`).
    Policies
);

impl Policies {
    /// The tenant's access policy; the empty policy if it never wrote one.
    pub async fn get(&self, tenant_id: &TenantId) -> Result<StoredPolicy, StoreError> {
        let read = read_settings(&self.table, tenant_id, POLICY_SK).await?;
        Ok(StoredPolicy {
            policy: read.value,
            version: read.version,
            updated_at: read.updated_at,
        })
    }

    /// Adds "replace the access policy, unless it changed since `stored` was read".
    pub fn put(
        &self,
        batch: &mut WriteBatch,
        tenant_id: &TenantId,
        stored: &StoredPolicy,
        policy: &AccessPolicy,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        write_settings(
            self.table(),
            batch,
            tenant_id,
            POLICY_SK,
            stored.version,
            policy,
            now,
        )
    }
}

crate::dynamo::repository!(
    /// Tenants' key policies (`sk = KEY_POLICY`).
    KeyPolicies
);

/// A tenant's key policy as stored; version 0: never written (the empty policy).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredKeyPolicy {
    pub policy: KeyPolicy,
    pub version: u64,
    pub updated_at: Option<OffsetDateTime>,
}

impl KeyPolicies {
    /// The tenant's key policy; the empty policy if it never wrote one.
    pub async fn get(&self, tenant_id: &TenantId) -> Result<StoredKeyPolicy, StoreError> {
        let read = read_settings(&self.table, tenant_id, KEY_POLICY_SK).await?;
        Ok(StoredKeyPolicy {
            policy: read.value,
            version: read.version,
            updated_at: read.updated_at,
        })
    }

    /// Adds "replace the key policy, unless it changed since `stored` was read".
    pub fn put(
        &self,
        batch: &mut WriteBatch,
        tenant_id: &TenantId,
        stored: &StoredKeyPolicy,
        policy: &KeyPolicy,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        write_settings(
            self.table(),
            batch,
            tenant_id,
            KEY_POLICY_SK,
            stored.version,
            policy,
            now,
        )
    }
}

fn decode_key(item: &Item) -> Result<KeyRecord, StoreError> {
    let r = Reader::new(item);
    let scopes = r
        .string_list("scopes")?
        .into_iter()
        .map(Scope::parse)
        .collect::<Result<Vec<_>, _>>()
        .and_then(ScopeSet::new)
        .map_err(|e| StoreError::Corrupt(format!("attribute `scopes`: {e}")))?;
    Ok(KeyRecord {
        tenant_id: r.parsed("tenant_id", TenantId::parse)?,
        key_id: r.parsed("key_id", KeyId::parse)?,
        name: r.parsed("name", DisplayName::parse)?,
        prefix: r.parsed("prefix", KeyPrefix::parse)?,
        environment: r.parsed("environment", str::parse)?,
        hint: r.str("hint")?.to_owned(),
        verifier: r.str("verifier")?.to_owned(),
        scopes,
        status: r.parsed("status", |s| KeyStatus::parse(s).ok_or("unknown status"))?,
        principal: r.parsed("principal", Principal::parse)?,
        owner: r
            .opt_str("owner")?
            .map(Principal::parse)
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("attribute `owner`: {}", e.0)))?,
        created_at: r.time("created_at")?,
        created_by: opt_key_id(&r, "created_by")?,
        expires_at: r.opt_time("expires_at")?,
        updated_at: r.opt_time("updated_at")?,
        rotated_from: opt_key_id(&r, "rotated_from")?,
        rotated_to: opt_key_id(&r, "rotated_to")?,
        revocation: match item.get("revocation") {
            Some(AttributeValue::M(m)) => {
                let rr = Reader::new(m);
                Some(Revocation {
                    at: rr.time("at")?,
                    by: rr.str("by")?.to_owned(),
                    by_key: opt_key_id(&rr, "by_key")?,
                    reason: rr.str("reason")?.to_owned(),
                })
            }
            _ => None,
        },
        limits: r.opt_json("limits")?,
        restrictions: r
            .opt_json::<KeyRestrictions>("restrictions")?
            .map(std::sync::Arc::new),
        last_used_at: r.opt_time("last_used_at")?,
        anomalies: match (r.number("anomaly_count")?, r.opt_json("last_anomaly")?) {
            (Some(count), Some(last)) => Some(crate::keys::model::AnomalyNote { count, last }),
            _ => None,
        },
        version: r.number("version")?.unwrap_or(1),
    })
}

fn opt_key_id(r: &Reader<'_>, name: &str) -> Result<Option<KeyId>, StoreError> {
    r.opt_str(name)?
        .map(KeyId::parse)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("attribute `{name}`: {e}")))
}

fn key_item(key: &KeyRecord) -> Item {
    let mut item = item::from_pairs([
        ("tenant_id", item::s(key.tenant_id.as_str())),
        ("sk", item::s(key_sk(&key.key_id))),
        ("key_id", item::s(key.key_id.as_str())),
        ("name", item::s(key.name.as_str())),
        ("prefix", item::s(key.prefix.as_str())),
        ("environment", item::s(key.environment.as_str())),
        ("hint", item::s(&key.hint)),
        ("verifier", item::s(&key.verifier)),
        ("status", item::s(key.status.as_str())),
        ("principal", item::s(key.principal.as_str())),
        ("created_at", item::time(key.created_at)),
        ("version", item::n(key.version as i64)),
        (
            "scopes",
            AttributeValue::L(key.scopes.iter().map(|s| item::s(s.as_str())).collect()),
        ),
    ]);
    let mut optional = |name: &str, value: Option<AttributeValue>| {
        if let Some(v) = value {
            item.insert(name.to_owned(), v);
        }
    };
    optional(
        "created_by",
        key.created_by.as_ref().map(|k| item::s(k.as_str())),
    );
    optional("owner", key.owner.as_ref().map(|o| item::s(o.as_str())));
    // What `keys-by-sso-holder` indexes; absent for keys no SSO principal binds.
    optional("sso_holder", sso_holder(key).map(item::s));
    optional("expires_at", key.expires_at.map(item::time));
    optional("updated_at", key.updated_at.map(item::time));
    optional("last_used_at", key.last_used_at.map(item::time));
    optional(
        "anomaly_count",
        key.anomalies.as_ref().map(|a| item::n(a.count as i64)),
    );
    optional(
        "last_anomaly",
        key.anomalies.as_ref().map(|a| item::s(a.last.to_string())),
    );
    optional(
        "limits",
        key.limits.as_ref().and_then(|l| item::json(l).ok()),
    );
    optional(
        "restrictions",
        key.restrictions
            .as_ref()
            .and_then(|r| item::json(r.as_ref()).ok()),
    );
    optional(
        "rotated_from",
        key.rotated_from.as_ref().map(|k| item::s(k.as_str())),
    );
    optional(
        "rotated_to",
        key.rotated_to.as_ref().map(|k| item::s(k.as_str())),
    );
    optional(
        "revocation",
        key.revocation.as_ref().map(|r| {
            let mut m: Item = [
                ("at".to_owned(), item::time(r.at)),
                ("by".to_owned(), item::s(&r.by)),
                ("reason".to_owned(), item::s(&r.reason)),
            ]
            .into_iter()
            .collect();
            if let Some(k) = &r.by_key {
                m.insert("by_key".into(), item::s(k.as_str()));
            }
            AttributeValue::M(m)
        }),
    );
    item
}
