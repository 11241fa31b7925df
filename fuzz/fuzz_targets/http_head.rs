//! The head parser of `weft serve`'s tool-call fast path and the request
//! policy, on any bytes a client can send.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weft_wire::{Head, HostPolicy, parse_head};

const LIMIT: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    if let Head::Call(call) = parse_head(data, LIMIT) {
        assert!(call.head_len <= data.len() && call.body_len <= LIMIT);
        let start = call.path.as_ptr() as usize - data.as_ptr() as usize;
        assert!(start + call.path.len() <= call.head_len, "the path lies inside the head");
        // The body never changes how the head reads; one byte less of the
        // head is never a complete head.
        assert_eq!(parse_head(&data[..call.head_len], LIMIT), Head::Call(call.clone()));
        assert_eq!(parse_head(&data[..call.head_len - 1], LIMIT), Head::Partial);

        let verdict =
            HostPolicy::loopback_only().check("POST", call.path, |name| call.header(name), true, false);
        if verdict.is_ok() {
            let host = call.host.expect("a request without Host is refused");
            assert!(!host.contains(&b'@'), "userinfo is never loopback: {host:?}");
            assert!(call.content_type.is_some_and(weft_wire::is_json));
        }
    }

    // The bytes as a Host and an Origin value.
    let policy = HostPolicy::allowing(&["tools.internal:8080".to_owned()]);
    if policy.host_allowed(data) {
        let host = std::str::from_utf8(data).expect("an allowed host is text").trim();
        assert!(!host.is_empty());
        assert!(
            !host.bytes().any(|b| matches!(b, b'@' | b'/' | b'\\' | b'?' | b'#') || b <= b' '),
            "{host:?}"
        );
    }
    if policy.origin_allowed(data) {
        let origin =
            std::str::from_utf8(data).expect("an allowed origin is text").trim().to_ascii_lowercase();
        assert!(origin.starts_with("http://") || origin.starts_with("https://"), "{origin:?}");
    }
});
