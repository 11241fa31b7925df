//! Shared helpers: the real MCP peers that .ci/run installs.

#![allow(unused_imports)]

pub use weft_bench::peers::{Reaped, everything, everything_http, free_port};
