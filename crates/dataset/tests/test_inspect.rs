//! `inspect` on the hand-built dataset of `fixtures/inspect/` (spelled out
//! sample by sample in `make.py`). Every expected number below is worked
//! out from that description, not from running `inspect`; the comments say
//! how.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use weft_dataset::inspect::{Bin, Distribution, ExampleKind, InspectError, Inspection, Options, inspect};
use weft_dataset::sample::Sample;
use weft_dataset::validate::sound;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inspect").join(name)
}

fn inspected(topics: Option<&str>, threads: usize) -> Inspection {
    let options = Options { topics: topics.map(fixture), threads };
    inspect(&fixture("dataset.jsonl"), &options).expect("inspect")
}

fn dist(values: [u64; 7], histogram: &[(u64, u64, u64)]) -> Distribution {
    let [count, sum, min, p50, p90, max, mean_x100] = values;
    Distribution {
        count,
        sum,
        min,
        p50,
        p90,
        max,
        mean: mean_x100 as f64 / 100.0,
        histogram: histogram.iter().map(|&(from, to, count)| Bin { from, to, count }).collect(),
    }
}

#[test]
fn fixture_samples_are_canonical() {
    let text = std::fs::read_to_string(fixture("dataset.jsonl")).expect("read");
    for (i, line) in text.lines().enumerate() {
        let sample: Sample = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        sound(&sample).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
    }
}

#[test]
fn per_sample_distributions() {
    let f = inspected(None, 1).figures;
    assert_eq!(f.samples, 12);
    // Calls per sample 2,3,1,2,3,3,1,4,3,2,0,2: sorted 0,1,1,2,2,2,2,3,3,3,3,4;
    // p50 = 6th, p90 = 11th (nearest rank of 12).
    assert_eq!(
        f.calls,
        dist([12, 26, 0, 2, 3, 4, 217], &[(0, 0, 1), (1, 1, 2), (2, 2, 4), (3, 3, 4), (4, 4, 1)])
    );
    // Turns: sample 5 has two.
    assert_eq!(f.turns, dist([12, 13, 1, 1, 1, 2, 108], &[(1, 1, 11), (2, 2, 1)]));
    // Steps = steps with calls + one answer per turn:
    // 3,4,2,3,4,5,2,4,4,3,1,3 (sample 7 makes two calls in one step).
    assert_eq!(
        f.steps,
        dist([12, 38, 1, 3, 4, 5, 317], &[(1, 1, 1), (2, 2, 2), (3, 3, 4), (4, 4, 4), (5, 5, 1)])
    );
    // Tokens: sample i has 1000 + 100i prompt and 200 + 10i completion, so
    // 1200 + 110i in all; 1211 values wide -> bins of 100 from 1200, and
    // none of the values falls in 2200..=2299.
    assert_eq!((f.tokens.prompt, f.tokens.completion, f.tokens.total), (18_600, 3_060, 21_660));
    let mut bins: Vec<(u64, u64, u64)> = (0..13).map(|b| (1200 + 100 * b, 1299 + 100 * b, 1)).collect();
    bins[10].2 = 0;
    assert_eq!(f.tokens.per_sample, dist([12, 21_660, 1200, 1750, 2300, 2410, 180_500], &bins));
    // Characters of message contents (make.py prints them):
    // 271,290,235,287,336,357,226,314,302,243,202,291.
    assert_eq!(
        f.characters.per_sample,
        dist(
            [12, 3354, 202, 287, 336, 357, 27_950],
            &[
                (200, 209, 1),
                (210, 219, 0),
                (220, 229, 1),
                (230, 239, 1),
                (240, 249, 1),
                (250, 259, 0),
                (260, 269, 0),
                (270, 279, 1),
                (280, 289, 1),
                (290, 299, 2),
                (300, 309, 1),
                (310, 319, 1),
                (320, 329, 0),
                (330, 339, 1),
                (340, 349, 0),
                (350, 359, 1)
            ]
        )
    );
    // Questions: 88,88,92,93,55,56,55,67,67,68,53,85 characters.
    assert_eq!(
        f.characters.request,
        dist(
            [12, 867, 53, 67, 92, 93, 7225],
            &[
                (50, 54, 1),
                (55, 59, 3),
                (60, 64, 0),
                (65, 69, 3),
                (70, 74, 0),
                (75, 79, 0),
                (80, 84, 0),
                (85, 89, 3),
                (90, 94, 2)
            ]
        )
    );
}

#[test]
fn tools_errors_and_recovery() {
    let f = inspected(None, 1).figures;
    // (name, calls, succeeded, invalid arguments, error types)
    type ToolRow<'a> = (&'a str, u64, u64, u64, BTreeMap<String, u64>);
    let tools: Vec<ToolRow<'_>> = f
        .tools
        .iter()
        .map(|t| (t.name.as_str(), t.calls, t.succeeded, t.invalid_arguments, t.error_types.clone()))
        .collect();
    let types =
        |pairs: &[(&str, u64)]| pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>();
    assert_eq!(
        tools,
        [
            // read_file: 0:1, 1:2, 2:1, 3:2, 4:1, 5:1, 11:1.
            ("read_file", 9, 6, 0, types(&[("FileNotFound", 2), ("PermissionDenied", 1)])),
            // list_files: 0, 1, 7 twice, 8 twice (the first with directory: 5).
            ("list_files", 6, 5, 1, types(&[("InvalidArguments", 1)])),
            // write_file: 4 twice (the first without content), 5 twice, 11
            // (its schema is broken: unchecked, not wrong).
            ("write_file", 5, 4, 1, types(&[("InvalidArguments", 1)])),
            // delete_file: 6, 7 twice, 8 (arguments not JSON).
            ("delete_file", 4, 1, 1, types(&[("FileNotFound", 1), ("IOError", 1), ("InvalidArguments", 1)])),
            ("grep_files", 1, 0, 1, types(&[("UnknownTool", 1)])),
            ("search_files", 1, 1, 0, types(&[])),
        ]
    );
    assert_eq!(f.tools[0].success_rate, Some(0.6667));
    // Latencies only on sample 0's calls and sample 2's read: (80 + 100) / 2.
    assert_eq!(f.tools[0].mean_latency_us, Some(90.0));
    assert_eq!(f.tools[1].mean_latency_us, Some(120.0));
    assert_eq!(f.tools[2].mean_latency_us, None);

    let e = &f.errors;
    assert_eq!((e.calls, e.failed_calls, e.samples_with_error), (26, 9, 8));
    // Samples 1, 3, 4, 5, 6, 7, 8, 9 of 12.
    assert_eq!(e.share_of_samples_with_error, Some(0.6667));
    let types: Vec<(&str, u64, u64)> =
        e.types.iter().map(|t| (t.error_type.as_str(), t.calls, t.samples)).collect();
    assert_eq!(
        types,
        [
            ("FileNotFound", 3, 3),
            ("InvalidArguments", 3, 2),
            ("IOError", 1, 1),
            ("PermissionDenied", 1, 1),
            ("UnknownTool", 1, 1)
        ]
    );

    // Recovered: 1 (listing right after a not-found: discovery), 3 (same
    // tool), 4 (same tool), 5 (write to the same path: shared argument),
    // 8's first (same tool), 9 (search for the same pattern: shared
    // argument). Not: 6, 7 (a listing after an IOError), 8's second.
    let r = &f.recovery;
    assert_eq!((r.failed_calls, r.recovered_calls, r.rate), (9, 6, Some(0.6667)));
    assert_eq!((r.by_rule.same_tool, r.by_rule.shared_argument, r.by_rule.discovery), (3, 2, 1));
    // Fully: 1, 3, 4, 5, 9. weft's flag: every sample with an error but 6.
    assert_eq!((r.samples_with_error, r.samples_fully_recovered, r.samples_marked_recovered), (8, 5, 7));
}

#[test]
fn argument_validity() {
    let a = inspected(None, 1).figures.arguments;
    // 26 calls: 4's write_file (no content), 8's list_files (directory 5),
    // 8's delete_file (not JSON), 9's grep_files (not offered), 11's
    // write_file (schema not a JSON Schema).
    assert_eq!((a.calls, a.valid, a.invalid, a.not_json, a.unknown_tool, a.unchecked), (26, 21, 2, 1, 1, 1));
    let problems: Vec<(u64, u64, &str, &str)> =
        a.examples.iter().map(|p| (p.sample_index, p.line, p.tool.as_str(), p.kind.as_str())).collect();
    assert_eq!(
        problems,
        [
            (4, 5, "write_file", "invalid"),
            (8, 9, "list_files", "invalid"),
            (8, 9, "delete_file", "not_json"),
            (9, 10, "grep_files", "unknown_tool"),
            (11, 12, "write_file", "unchecked")
        ]
    );
    assert!(a.examples[0].message.starts_with("/: ") && a.examples[0].message.contains("content"));
    assert!(a.examples[1].message.starts_with("/directory: "), "{}", a.examples[1].message);
}

#[test]
fn duplicate_requests() {
    let q = inspected(None, 1).figures.requests;
    // 0 and 1 differ only in case and punctuation; 7 and 8 are the same text.
    assert_eq!(q.distinct, 10);
    let x = &q.exact_duplicates;
    assert_eq!((x.groups, x.samples, x.redundant), (2, 4, 2));
    let groups: Vec<(u64, &[u64])> = x.top.iter().map(|g| (g.samples, &g.sample_indices[..])).collect();
    assert_eq!(groups, [(2, &[0, 1][..]), (2, &[7, 8][..])]);
    assert!(x.top[0].request.starts_with("Could you read config.yaml"));
    // 2 and 3 differ by one letter ("service" / "services"): 5-gram Jaccard
    // 83/92 = 0.90, well above 0.8; no other pair is near (0 and 11 share
    // little but words).
    let n = &q.near_duplicates;
    assert_eq!((n.groups, n.requests, n.samples), (1, 2, 2));
    assert_eq!(n.top[0].sample_indices, [2, 3]);
    assert!(n.top[0].examples[1].contains("which services failed first"));
    assert_eq!((n.jaccard_threshold, n.shingle_chars, n.minhash_size, n.bands, n.rows), (0.8, 5, 64, 12, 5));
}

#[test]
fn topic_coverage_against_a_tree() {
    let t = inspected(Some("topics.jsonl"), 1).figures.topics;
    // Config files: 0, 1, 11; Logs: 2, 3; Reports: 4, 5; Notes: 6, 10;
    // Temporary files: 7, 8; Search › Patterns: 9.
    assert_eq!(t.distinct, 6);
    assert_eq!(t.samples_per_topic, dist([6, 12, 1, 2, 3, 3, 200], &[(1, 1, 1), (2, 2, 4), (3, 3, 1)]));
    let top: Vec<(String, u64)> = t.top.iter().map(|c| (c.path.join("/"), c.samples)).collect();
    let expected = [
        ("Files/Reading/Config files", 3),
        ("Files/Reading/Logs", 2),
        ("Files/Writing/Reports", 2),
        ("Files/Writing/Notes", 2),
        ("Files/Cleanup/Temporary files", 2),
        ("Files/Search/Patterns", 1),
    ];
    assert_eq!(top, expected.map(|(p, n)| (p.to_owned(), n)));
    let file = t.file.expect("topics file");
    // Six paths (the failed_generation line is not one); Old backups unused.
    assert_eq!((file.paths, file.used, file.unused, file.coverage), (6, 5, 1, Some(0.8333)));
    assert_eq!(file.unused_paths, [["Files", "Cleanup", "Old backups"]]);
    assert_eq!(file.samples_off_file, 1);
}

#[test]
fn topic_coverage_against_a_graph() {
    let file = inspected(Some("graph.json"), 1).figures.topics.file.expect("topics file");
    // Root-to-leaf: Reading › {Config files, Logs}, Writing › {Reports,
    // Notes}, Cleanup › {Temporary files, Old backups, Logs}.
    assert_eq!((file.paths, file.used, file.unused), (7, 5, 2));
    assert_eq!(file.unused_paths, [["Files", "Cleanup", "Old backups"], ["Files", "Cleanup", "Logs"]]);
}

#[test]
fn failures_grouped_by_reason() {
    let f = inspected(None, 1).figures.failures;
    assert!(f.present);
    // 12 samples of 15 attempted.
    assert_eq!((f.count, f.yield_rate), (3, Some(0.8)));
    let reasons: Vec<(&str, u64, &[u64])> =
        f.reasons.iter().map(|r| (r.reason.as_str(), r.count, &r.sample_indices[..])).collect();
    assert_eq!(
        reasons,
        [
            ("message # makes # tool calls, over max_per_query #", 2, &[12, 13][..]),
            ("the final answer is empty", 1, &[14][..])
        ]
    );
    assert_eq!(f.reasons[0].example, "message 3 makes 5 tool calls, over max_per_query 4");
}

#[test]
fn consistency_and_examples() {
    let inspection = inspected(None, 1);
    // Sample 11 declares 3 tool calls and makes 2.
    assert_eq!(inspection.figures.consistency.samples_with_mismatched_calls, 1);
    let examples: Vec<(ExampleKind, u64)> = inspection.examples.iter().map(|e| (e.kind, e.line)).collect();
    // First fully recovered: sample 1; first with a wrong argument or an
    // unrecovered error: 4 (its first write has no content); first clean: 0.
    assert_eq!(examples, [(ExampleKind::Recovered, 2), (ExampleKind::Problem, 5), (ExampleKind::Clean, 1)]);
    assert_eq!(inspection.examples[1].sample.metadata.sample_index, 4);
}

#[test]
fn json_shape() {
    let figures = inspected(Some("topics.jsonl"), 1).figures;
    insta::assert_snapshot!("figures", serde_json::to_string_pretty(&figures).expect("json"));
}

#[test]
fn text_and_markdown() {
    let figures = inspected(Some("topics.jsonl"), 1).figures;
    insta::assert_snapshot!("text", figures.to_text());
    insta::assert_snapshot!("markdown", figures.to_markdown());
}

#[test]
fn any_thread_count_gives_the_same_figures() {
    // Enough lines for several batches, folded out of order by 3 workers.
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.jsonl");
    let lines: Vec<String> =
        std::fs::read_to_string(fixture("dataset.jsonl")).expect("read").lines().map(str::to_owned).collect();
    let mut out = String::new();
    for copy in 0..400 {
        for line in &lines {
            // Each copy a different request, so the duplicate index grows.
            out.push_str(&line.replace("\"question\": \"", &format!("\"question\": \"copy {copy}: ")));
            out.push('\n');
        }
    }
    std::fs::write(&big, out).expect("write");
    let one = inspect(&big, &Options { topics: None, threads: 1 }).expect("inspect");
    let three = inspect(&big, &Options { topics: None, threads: 3 }).expect("inspect");
    assert_eq!(one.figures.samples, 4800);
    assert_eq!(one, three);
}

#[test]
fn a_bad_line_is_named() {
    let err = inspect(&fixture("bad.jsonl"), &Options::default()).expect_err("bad line");
    let InspectError::Format { line, .. } = &err else { panic!("{err}") };
    // Line 2 is blank (skipped); line 3 is cut off.
    assert_eq!(*line, 3);
    let shown = err.to_string();
    assert!(shown.contains("bad.jsonl:3: not a weft sample"), "{shown}");
}

#[test]
fn the_first_bad_line_is_named_whatever_the_workers() {
    // Bad lines at 3001 and 4001 of a file of several batches: with any
    // number of workers the report names 3001.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.jsonl");
    let text = std::fs::read_to_string(fixture("dataset.jsonl")).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for n in 1..=5000 {
        out.push_str(if n == 3001 || n == 4001 { "{\"messages\": 5}" } else { lines[n % lines.len()] });
        out.push('\n');
    }
    std::fs::write(&path, out).expect("write");
    for threads in [1, 2, 5] {
        let err = inspect(&path, &Options { topics: None, threads }).expect_err("bad line");
        assert!(matches!(err, InspectError::Format { line: 3001, .. }), "{threads} workers: {err}");
    }
}

#[test]
fn unreadable_inputs() {
    let missing = inspect(Path::new("/nonexistent/data.jsonl"), &Options::default()).expect_err("missing");
    assert!(matches!(missing, InspectError::Io { .. }), "{missing}");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("d.jsonl");
    std::fs::copy(fixture("dataset.jsonl"), &data).expect("copy");
    // No failures file: none counted, every attempt yielded.
    let f = inspect(&data, &Options::default()).expect("inspect").figures.failures;
    assert_eq!((f.present, f.count, f.yield_rate), (false, 0, Some(1.0)));
    std::fs::write(
        dir.path().join("d.jsonl.failures.jsonl"),
        "{\"sample_index\": 1, \"reason\": \"x\"}\nnope\n",
    )
    .expect("write");
    let err = inspect(&data, &Options::default()).expect_err("bad failures line");
    assert!(err.to_string().contains("d.jsonl.failures.jsonl:2: not a failure record"), "{err}");
    let topics = dir.path().join("t.jsonl");
    std::fs::write(&topics, "{\"path\": [\"a\"]}\n{\"path\": []}\n").expect("write");
    let err = inspect(&data, &Options { topics: Some(topics), threads: 1 }).expect_err("bad topics");
    assert!(err.to_string().contains("t.jsonl:2: empty topic path"), "{err}");
}

#[test]
fn an_empty_dataset_has_empty_figures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty.jsonl");
    std::fs::write(&path, "\n  \n").expect("write");
    let inspection = inspect(&path, &Options::default()).expect("inspect");
    let f = &inspection.figures;
    assert_eq!((f.samples, f.calls.count, f.requests.distinct, f.topics.distinct), (0, 0, 0, 0));
    assert_eq!((f.errors.share_of_samples_with_error, f.recovery.rate), (None, None));
    assert!(inspection.examples.is_empty());
    assert!(f.to_text().starts_with("0 samples"));
    let html = inspection.to_html("empty.jsonl");
    assert!(html.contains("no samples") && html.contains("No tool calls."));
}

#[test]
fn the_html_page_stands_alone() {
    let inspection = inspected(Some("topics.jsonl"), 1);
    let html = inspection.to_html("dataset.jsonl");
    for forbidden in ["<script", "http://", "https://", "<link", "@import", "url("] {
        assert!(!html.contains(forbidden), "the page holds {forbidden}");
    }
    for section in
        ["calls", "recovery", "per-sample", "arguments", "requests", "topics", "failures", "examples"]
    {
        assert!(html.contains(&format!("<section id=\"{section}\">")), "no {section} section");
    }
    // Six per-sample histograms and samples per topic, and the examples'
    // conversations with their errors.
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 7);
    assert_eq!(html.matches("<article class=\"sample\">").count(), 3);
    assert!(html.contains("File not found: config.yml"));
    assert!(html.contains("recovered: discovery call next"));
    assert!(html.contains("invalid arguments: /: "));
    // Text from the dataset is escaped.
    assert!(!html.contains("<etc>"));
    let markdown = inspection.figures.to_markdown();
    assert!(markdown.starts_with("| Figure | Value |"));
}
