//! JSON Schema for the wire forms the domain types take, for the OpenAPI document
//! (`make openapi` derives it from the request and response types; see README "The API
//! description"). Types whose parse rules a schema can state carry them here, next to
//! the parser, so the document cannot drift from what the code accepts.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// A string schema, inlined where it is used (ids and names are not worth a `$ref`).
#[macro_export]
#[doc(hidden)]
macro_rules! inline_string_schema {
    ($ty:ty, $name:literal, $schema:tt) => {
        impl schemars::JsonSchema for $ty {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!($schema)
            }
        }
    };
}

/// Text a person typed (names, reasons, descriptions): no control characters other
/// than line feed. The pattern is `keys::model::check_text`'s rule.
pub const PLAIN_TEXT_PATTERN: &str = "^[^\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]*$";

/// A time on the wire: RFC 3339 (`time::serde::rfc3339`).
pub struct Rfc3339;

crate::inline_string_schema!(Rfc3339, "Rfc3339", {"type": "string", "format": "date-time"});

/// A calendar day on the wire (`2026-11-25`).
pub struct CalendarDate;

crate::inline_string_schema!(CalendarDate, "CalendarDate", {"type": "string", "format": "date"});

/// Text of at most `MAX` characters under [`PLAIN_TEXT_PATTERN`], at least one
/// character unless `MIN` is 0.
pub struct PlainText<const MIN: u32, const MAX: u32>;

impl<const MIN: u32, const MAX: u32> JsonSchema for PlainText<MIN, MAX> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("PlainText{MIN}to{MAX}").into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut schema = json_schema!({
            "type": "string",
            "maxLength": MAX,
            "pattern": PLAIN_TEXT_PATTERN,
        });
        if MIN > 0 {
            schema.insert("minLength".into(), MIN.into());
        }
        schema
    }
}

/// Any text of `MIN` to `MAX` characters.
pub struct Text<const MIN: u32, const MAX: u32>;

impl<const MIN: u32, const MAX: u32> JsonSchema for Text<MIN, MAX> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Text{MIN}to{MAX}").into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "minLength": MIN, "maxLength": MAX})
    }
}
