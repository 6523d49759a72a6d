//! Pagination cursors (signed in `gatehouse_store::cursors`) as the API answers a
//! refused one: 400 `invalid-parameter`.

pub use gatehouse_store::cursors::{CursorError, CursorSigner};

use super::problem::Problem;

impl From<CursorError> for Problem {
    fn from(err: CursorError) -> Self {
        match err {
            CursorError::Refused => Problem::invalid_parameter(err.to_string()),
            CursorError::Unavailable(cause) => Problem::unavailable(&cause),
            CursorError::Misconfigured(cause) => Problem::internal(&cause),
        }
    }
}
