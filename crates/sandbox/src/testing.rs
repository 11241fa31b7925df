//! Test support (feature `testing`): the test-only guests, and a Redis
//! server for the tests of shared sessions.

pub use crate::builtin::testing::{MISBEHAVE, MISBEHAVE_BARE};
pub use weft_kv::testing::{TestRedis, own_redis, redis, unique};
