//! Reading typed values out of DynamoDB items.

use super::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use time::OffsetDateTime;

pub type Item = HashMap<String, AttributeValue>;

/// An item from `(attribute, value)` pairs.
pub fn from_pairs<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A nested value stored as a JSON string attribute.
pub fn json<T: serde::Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    serde_json::to_string(value)
        .map(s)
        .map_err(|e| StoreError::Corrupt(format!("value does not encode: {e}")))
}

/// Bytes (a digest) as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn time(value: OffsetDateTime) -> AttributeValue {
    n(value.unix_timestamp())
}

pub struct Reader<'a> {
    item: &'a Item,
}

impl<'a> Reader<'a> {
    pub fn new(item: &'a Item) -> Self {
        Self { item }
    }

    fn corrupt(&self, name: &str, why: &str) -> StoreError {
        StoreError::Corrupt(format!("attribute `{name}` {why}"))
    }

    pub fn opt_str(&self, name: &str) -> Result<Option<&'a str>, StoreError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v.as_str())),
            Some(_) => Err(self.corrupt(name, "is not a string")),
        }
    }

    pub fn str(&self, name: &str) -> Result<&'a str, StoreError> {
        self.opt_str(name)?
            .ok_or_else(|| self.corrupt(name, "is missing"))
    }

    /// A string attribute converted with `parse`, whose error becomes `Corrupt`.
    pub fn parsed<T, E: std::fmt::Display>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, StoreError> {
        parse(self.str(name)?).map_err(|e| self.corrupt(name, &e.to_string()))
    }

    /// A JSON string attribute ([`json`]), decoded; `None` when absent.
    pub fn opt_json<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, StoreError> {
        self.opt_str(name)?
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| self.corrupt(name, &e.to_string()))
    }

    /// A required JSON string attribute.
    pub fn json<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T, StoreError> {
        self.opt_json(name)?
            .ok_or_else(|| self.corrupt(name, "is missing"))
    }

    pub fn opt_time(&self, name: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => v
                .parse::<i64>()
                .ok()
                .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
                .map(Some)
                .ok_or_else(|| self.corrupt(name, "is not a unix timestamp")),
            Some(_) => Err(self.corrupt(name, "is not a number")),
        }
    }

    pub fn time(&self, name: &str) -> Result<OffsetDateTime, StoreError> {
        self.opt_time(name)?
            .ok_or_else(|| self.corrupt(name, "is missing"))
    }

    pub fn number(&self, name: &str) -> Result<Option<u64>, StoreError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => v
                .parse()
                .map(Some)
                .map_err(|_| self.corrupt(name, "is not a whole number")),
            Some(_) => Err(self.corrupt(name, "is not a number")),
        }
    }

    pub fn string_list(&self, name: &str) -> Result<Vec<&'a str>, StoreError> {
        match self.item.get(name) {
            None => Ok(Vec::new()),
            Some(AttributeValue::L(values)) => values
                .iter()
                .map(|v| match v {
                    AttributeValue::S(s) => Ok(s.as_str()),
                    _ => Err(self.corrupt(name, "holds a non-string")),
                })
                .collect(),
            Some(_) => Err(self.corrupt(name, "is not a list")),
        }
    }
}
