//! `messages`: weft's canonical shape, unchanged (DeepFabric's
//! `Conversation` with weft's metadata; arguments are JSON text).

use serde_json::Value;

use super::FormatError;
use crate::sample::Sample;

/// The sample as it is.
pub(crate) fn render(sample: &Sample) -> Result<Value, FormatError> {
    // A Sample is plain data: serialising it cannot fail.
    serde_json::to_value(sample).map_err(|err| FormatError::Malformed(err.to_string()))
}
