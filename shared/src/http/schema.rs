//! How the OpenAPI document asks for a type's JSON Schema: a plain function pointer,
//! so route declarations (consts) can name their request, response and parameter
//! types. The document itself is assembled by `gatehouse_functions::openapi`.

use schemars::{JsonSchema, Schema, SchemaGenerator};

/// Writes the schema of one type into the generator (a `$ref` for named types).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The [`SchemaFn`] of `T`.
pub const fn of<T: JsonSchema>() -> SchemaFn {
    subschema::<T>
}

fn subschema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}
