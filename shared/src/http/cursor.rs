//! Pagination cursors (signed in `gatehouse_store::cursors`) as the API answers a
//! refused one: 400 `invalid-parameter`.

pub use gatehouse_store::cursors::{CursorError, CursorSigner};

use super::problem::Problem;
use super::query::Param;
use super::schema::of;

impl From<CursorError> for Problem {
    fn from(err: CursorError) -> Self {
        match err {
            CursorError::Refused => Problem::invalid_parameter(err.to_string()),
            CursorError::Unavailable(cause) => Problem::unavailable(&cause),
            CursorError::Misconfigured(cause) => Problem::internal(&cause),
        }
    }
}

/// The `cursor` query parameter of every paged listing.
pub const CURSOR: Param = Param::text(
    "cursor",
    "`next_cursor` of the previous page",
    of::<CursorText>(),
);

/// A cursor as [`CursorSigner::encode`] writes it: base64url position, `.`, base64url tag.
struct CursorText;

crate::inline_string_schema!(CursorText, "Cursor", {
    "type": "string",
    "maxLength": 2048,
    "pattern": "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
});
