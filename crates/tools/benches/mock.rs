//! The mock tier's hot path: one call of a tool with a realistic five-property
//! schema (compiled validator) and a one-template response. Budget (issue 5):
//! p50 ≤ 30 µs in-process.
//!
//! `cargo bench --release -p weft-tools --bench mock`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use weft_tools::mock::MockTier;

const TOOL: &str = r#"[{
    "name": "search_flights",
    "description": "Searches flights between two airports",
    "inputSchema": {
        "type": "object",
        "properties": {
            "origin": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "destination": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "date": {"type": "string"},
            "passengers": {"type": "integer", "minimum": 1, "maximum": 9},
            "cabin": {"enum": ["economy", "premium", "business", "first"]}
        },
        "required": ["origin", "destination", "date"],
        "additionalProperties": false
    },
    "mockResponse": {
        "flights": [{"from": "{{origin}}", "to": "{{destination}}", "date": "{{date}}", "seats": "{{passengers}}"}],
        "summary": "{{passengers}} passenger(s) in {{cabin}} from {{origin}} to {{destination}}"
    }
}]"#;

fn execute(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let tier = MockTier::in_memory();
    rt.block_on(tier.load_schema(TOOL.as_bytes())).expect("loads");
    let args = json!({"origin": "CDG", "destination": "JFK", "date": "2026-12-01", "passengers": 2, "cabin": "economy"});
    let outcome = tier.execute("search_flights", &args);
    assert!(outcome.success, "{outcome:?}");

    c.bench_function("mock execute (validated, templated)", |b| {
        b.iter(|| tier.execute(black_box("search_flights"), black_box(&args)))
    });
    let invalid = json!({"origin": "Paris", "destination": "JFK"});
    c.bench_function("mock execute (invalid arguments)", |b| {
        b.iter(|| tier.execute(black_box("search_flights"), black_box(&invalid)))
    });
}

criterion_group!(benches, execute);
criterion_main!(benches);
