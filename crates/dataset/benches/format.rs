//! Render throughput per format: one dataset line parsed, rendered and
//! written as a JSON line, what `render_file` does per sample (budget:
//! `weft format` at 100,000 samples/s). The lines are the fixture's
//! samples that every format renders (three conversations with 1 to 3
//! calls each, parallel calls, errors, two turns).
//!
//! `cargo bench -p weft-dataset --bench format`; with `WEFT_CHAT_TEMPLATES`
//! set (`.ci/chat-templates.sh`), also through Qwen3's real template.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use weft_dataset::format::{ChatTemplate, ChatTemplateOptions, Date, Format, render};
use weft_dataset::sample::Sample;

fn lines() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples.jsonl");
    let text = std::fs::read_to_string(path).expect("fixture");
    // The sample with invalid JSON arguments renders in only some formats.
    text.lines().filter(|line| !line.contains("Bd3ArgsX1")).map(str::to_owned).collect()
}

fn template(path: &Path) -> Format {
    let options = ChatTemplateOptions {
        eos_token: Some("<|im_end|>".into()),
        date: Some("2025-01-15".parse::<Date>().expect("date")),
        ..ChatTemplateOptions::default()
    };
    Format::ChatTemplate(Box::new(ChatTemplate::load(path, options).expect("template")))
}

fn formats() -> Vec<(String, Format)> {
    let mut formats: Vec<(String, Format)> =
        ["messages", "openai", "trl", "hermes", "sharegpt", "xlam", "harmony", "adp"]
            .into_iter()
            .map(|name| (name.to_owned(), Format::parse(name).expect("format")))
            .collect();
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chatml_tools.jinja");
    formats.push(("chat-template(chatml_tools)".into(), template(&own)));
    match std::env::var_os("WEFT_CHAT_TEMPLATES") {
        Some(dir) => {
            let qwen3 = Path::new(&dir).join("Qwen-Qwen3-0.6B.jinja");
            formats.push(("chat-template(Qwen3)".into(), template(&qwen3)));
        }
        None => eprintln!("WEFT_CHAT_TEMPLATES not set: no chat-template(Qwen3) bench"),
    }
    formats
}

fn render_lines(c: &mut Criterion) {
    let lines = lines();
    let mut group = c.benchmark_group("format");
    group.throughput(Throughput::Elements(lines.len() as u64));
    let mut out = Vec::with_capacity(1 << 16);
    // The floor every format stands on: reading the line as a sample.
    group.bench_function("parse only", |b| {
        b.iter(|| {
            for line in &lines {
                let sample: Sample = serde_json::from_str(black_box(line)).expect("sample");
                black_box(&sample);
            }
        })
    });
    for (name, format) in formats() {
        group.bench_function(name, |b| {
            b.iter(|| {
                for line in &lines {
                    out.clear();
                    let sample: Sample = serde_json::from_str(black_box(line)).expect("sample");
                    let record = render(&sample, &format).expect("renders");
                    serde_json::to_writer(&mut out, &record).expect("writes");
                    out.push(b'\n');
                }
                black_box(&out);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, render_lines);
criterion_main!(benches);
