//! What `weft serve` decides from a request's bytes alone: whether a
//! request head is a plain tool call ([`head`]) and whether the request may
//! be answered at all ([`policy`]). Both read bytes from the network before
//! anything else does, so they live here, apart from the engine, where the
//! fuzz targets (`fuzz/`) build them in seconds.
#![deny(missing_docs)]

pub mod head;
pub mod policy;

pub use head::{Head, ToolCallHead, parse_head};
pub use policy::{HostPolicy, Refusal, is_json};
