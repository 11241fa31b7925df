//! The HTML report as a person sees it: real headless Chromium renders the
//! report of the fixture dataset and takes a screenshot, and the test reads
//! the PNG. It fails if the page is blank or broken, or if the charts do not
//! show the fixture's figures in their proportions.
//!
//! Chromium comes from `.ci/chromium.sh` (`WEFT_CHROMIUM`). Without it the
//! test says SKIPPED, except under `CI=true`, where it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use weft_dataset::inspect::{Options, inspect};

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 2000;
// The report's chart colours (src/inspect/html/svg.rs).
const GREEN: [u8; 3] = [0x2f, 0x9e, 0x6b];
const GREEN_MID: [u8; 3] = [0x51, 0xcf, 0x66];
const GREEN_LIGHT: [u8; 3] = [0x96, 0xe2, 0xa8];
const RED: [u8; 3] = [0xd6, 0x45, 0x45];
const BLUE: [u8; 3] = [0x42, 0x63, 0xeb];

fn chromium() -> Option<String> {
    match std::env::var("WEFT_CHROMIUM") {
        Ok(path) => {
            assert!(Path::new(&path).is_file(), "WEFT_CHROMIUM={path} is not a file");
            Some(path)
        }
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "WEFT_CHROMIUM is unset: source .ci/chromium.sh"
            );
            eprintln!("SKIPPED: WEFT_CHROMIUM is unset; source .ci/chromium.sh to run this test");
            None
        }
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inspect").join(name)
}

/// A decoded screenshot, RGB.
struct Shot {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Shot {
    fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Pixels of row `y` that are `colour`.
    fn count_in_row(&self, y: usize, colour: [u8; 3]) -> usize {
        (0..self.width).filter(|&x| is(self.pixel(x, y), colour)).count()
    }
}

fn is(pixel: [u8; 3], colour: [u8; 3]) -> bool {
    pixel.iter().zip(colour).all(|(p, c)| p.abs_diff(c) <= 6)
}

/// Renders `html` in Chromium and decodes the screenshot.
fn screenshot(chromium: &str, html: &Path, dir: &Path) -> Shot {
    let png = dir.join("shot.png");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--window-size={WIDTH},{HEIGHT}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium took over 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "chromium failed: {status}");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).expect("screenshot")));
    let mut reader = decoder.read_info().expect("png header");
    let mut buffer = vec![0; reader.output_buffer_size().expect("png size")];
    let frame = reader.next_frame(&mut buffer).expect("png frame");
    let channels = match frame.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("screenshot in {other:?}"),
    };
    assert_eq!(frame.bit_depth, png::BitDepth::Eight);
    let rgb = buffer[..frame.buffer_size()].chunks(channels).flat_map(|p| [p[0], p[1], p[2]]).collect();
    Shot { width: frame.width as usize, height: frame.height as usize, rgb }
}

/// Runs of consecutive rows in which more than `min` pixels are one of
/// `colours`: the full-width split bars. (first row, last row)
fn bands(shot: &Shot, colours: &[[u8; 3]], min: usize) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for y in 0..shot.height {
        let n: usize = colours.iter().map(|&c| shot.count_in_row(y, c)).sum();
        if n <= min {
            continue;
        }
        match out.last_mut() {
            Some((_, last)) if *last + 1 == y => *last = y,
            _ => out.push((y, y)),
        }
    }
    out
}

/// Each colour's share of the coloured pixels of row `y`.
fn shares(shot: &Shot, y: usize, colours: &[[u8; 3]]) -> Vec<f64> {
    let counts: Vec<usize> = colours.iter().map(|&c| shot.count_in_row(y, c)).collect();
    let total: usize = counts.iter().sum();
    counts.iter().map(|&n| n as f64 / total as f64).collect()
}

fn assert_close(got: &[f64], want: &[f64], what: &str) {
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 0.01, "{what}: shares {got:?}, expected {want:?}");
    }
}

/// Heights of the blue bars in the first row of histograms below `top`,
/// left to right: per bar, its tallest column of blue pixels.
fn histogram_bars(shot: &Shot, top: usize) -> Vec<usize> {
    let blue_rows: Vec<usize> = (top..shot.height).filter(|&y| shot.count_in_row(y, BLUE) > 0).collect();
    let first = *blue_rows.first().expect("no blue below the recovery bar");
    // The first row of cards: blue rows from the first one on, without a gap.
    let last =
        blue_rows.windows(2).find(|w| w[1] != w[0] + 1).map_or(*blue_rows.last().unwrap_or(&first), |w| w[0]);
    let columns: Vec<usize> =
        (0..shot.width).map(|x| (first..=last).filter(|&y| is(shot.pixel(x, y), BLUE)).count()).collect();
    let mut bars = Vec::new();
    let mut x = 0;
    while x < columns.len() {
        if columns[x] == 0 {
            x += 1;
            continue;
        }
        let start = x;
        while x < columns.len() && columns[x] > 0 {
            x += 1;
        }
        bars.push(*columns[start..x].iter().max().unwrap_or(&0));
    }
    bars
}

#[test]
fn a_blank_page_fails_these_checks() {
    // What the checks below would see if the report were empty.
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("blank.html");
    std::fs::write(&html, "<!DOCTYPE html><html><body><p>nothing</p></body></html>").expect("write");
    let shot = screenshot(&chromium, &html, dir.path());
    assert_eq!((shot.width, shot.height), (WIDTH as usize, HEIGHT as usize));
    assert!(bands(&shot, &[GREEN, GREEN_MID, GREEN_LIGHT, RED], 800).is_empty());
    assert!((0..shot.height).all(|y| shot.count_in_row(y, BLUE) == 0));
    assert!(inked_share(&shot) < 0.01);
}

/// The share of pixels with a dark channel: text, rules and charts.
fn inked_share(shot: &Shot) -> f64 {
    let inked = shot.rgb.chunks(3).filter(|p| p.iter().any(|&c| c < 200)).count();
    inked as f64 / (shot.width * shot.height) as f64
}

#[test]
fn the_report_renders_in_chromium() {
    let Some(chromium) = chromium() else { return };
    let options = Options { topics: Some(fixture("topics.jsonl")), threads: 1 };
    let inspection = inspect(&fixture("dataset.jsonl"), &options).expect("inspect");
    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("report.html");
    std::fs::write(&html, inspection.to_html("dataset.jsonl")).expect("write report");
    let shot = screenshot(&chromium, &html, dir.path());
    assert_eq!((shot.width, shot.height), (WIDTH as usize, HEIGHT as usize));

    // Not blank: text and charts cover a fair part of the page.
    let share = inked_share(&shot);
    assert!(share > 0.05, "only {:.1}% of the page is drawn", share * 100.0);

    // The two full-width split bars, top to bottom: calls (17 succeeded,
    // 9 failed), then recovery (same tool 3, shared argument 2, discovery
    // 1, not recovered 3 of 9 failed calls).
    let found = bands(&shot, &[GREEN, GREEN_MID, GREEN_LIGHT, RED], 800);
    assert!(found.len() >= 2, "split bars found at rows {found:?}");
    let (calls, recovery) = (found[0], found[1]);
    for (first, last) in [calls, recovery] {
        // 26 px tall bars, whatever the rounding of the edges.
        assert!((20..=30).contains(&(last - first + 1)), "a bar {} px tall", last - first + 1);
    }
    let middle = |(first, last): (usize, usize)| (first + last) / 2;
    assert_close(&shares(&shot, middle(calls), &[GREEN, RED]), &[17.0 / 26.0, 9.0 / 26.0], "calls bar");
    assert_close(
        &shares(&shot, middle(recovery), &[GREEN, GREEN_MID, GREEN_LIGHT, RED]),
        &[3.0 / 9.0, 2.0 / 9.0, 1.0 / 9.0, 3.0 / 9.0],
        "recovery bar",
    );

    // The first row of histograms: calls per sample (1, 2, 4, 4, 1
    // samples), steps (1, 2, 4, 4, 1), turns (11, 1), each bar's height in
    // proportion to its count.
    let bars = histogram_bars(&shot, recovery.1 + 1);
    let expected: [&[f64]; 3] = [&[1.0, 2.0, 4.0, 4.0, 1.0], &[1.0, 2.0, 4.0, 4.0, 1.0], &[11.0, 1.0]];
    assert_eq!(bars.len(), 12, "histogram bars {bars:?}");
    let mut at = 0;
    for counts in expected {
        let chart = &bars[at..at + counts.len()];
        let tallest = *chart.iter().max().unwrap_or(&1) as f64;
        let peak = counts.iter().cloned().fold(0.0, f64::max);
        assert!(tallest >= 100.0, "bars {chart:?} too short");
        for (height, count) in chart.iter().zip(counts) {
            let (got, want) = (*height as f64 / tallest, count / peak);
            assert!((got - want).abs() < 0.04, "bars {chart:?} for counts {counts:?}");
        }
        at += counts.len();
    }
}
