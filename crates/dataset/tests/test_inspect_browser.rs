//! The HTML report as a person sees it: real headless Chromium renders the
//! report of the fixture dataset and takes a screenshot, and the test reads
//! the PNG. It fails if the page is blank or broken, or if the charts do not
//! show the fixture's figures in their proportions.
//!
//! Chromium comes from `.ci/chromium.sh` (`WEFT_CHROMIUM`). Without it the
//! test says SKIPPED, except under `CI=true`, where it fails.

use std::path::{Path, PathBuf};

use weft_dataset::inspect::{Options, inspect};

use crate::browser::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inspect").join(name)
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
