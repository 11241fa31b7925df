//! Real headless Chromium for the tests of HTML reports: a page is
//! rendered, screenshotted and read back as pixels (`weft inspect`'s report
//! here, `weft eval`'s in the CLI's tests, which include this file).
//!
//! Chromium comes from `.ci/chromium.sh` (`WEFT_CHROMIUM`). Without it a
//! test says SKIPPED, except under `CI=true`, where it fails.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const WIDTH: u32 = 1280;
pub const HEIGHT: u32 = 2000;
// The report's chart colours (src/inspect/html/svg.rs).
pub const GREEN: [u8; 3] = [0x2f, 0x9e, 0x6b];
pub const GREEN_MID: [u8; 3] = [0x51, 0xcf, 0x66];
pub const GREEN_LIGHT: [u8; 3] = [0x96, 0xe2, 0xa8];
pub const RED: [u8; 3] = [0xd6, 0x45, 0x45];
pub const BLUE: [u8; 3] = [0x42, 0x63, 0xeb];
pub const AMBER: [u8; 3] = [0xf0, 0x8c, 0x00];

pub fn chromium() -> Option<String> {
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

/// A decoded screenshot, RGB.
pub struct Shot {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

impl Shot {
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Pixels of row `y` that are `colour`.
    pub fn count_in_row(&self, y: usize, colour: [u8; 3]) -> usize {
        (0..self.width).filter(|&x| is(self.pixel(x, y), colour)).count()
    }
}

pub fn is(pixel: [u8; 3], colour: [u8; 3]) -> bool {
    pixel.iter().zip(colour).all(|(p, c)| p.abs_diff(c) <= 6)
}

/// Renders `html` in Chromium and decodes the screenshot.
pub fn screenshot(chromium: &str, html: &Path, dir: &Path) -> Shot {
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
pub fn bands(shot: &Shot, colours: &[[u8; 3]], min: usize) -> Vec<(usize, usize)> {
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
pub fn shares(shot: &Shot, y: usize, colours: &[[u8; 3]]) -> Vec<f64> {
    let counts: Vec<usize> = colours.iter().map(|&c| shot.count_in_row(y, c)).collect();
    let total: usize = counts.iter().sum();
    counts.iter().map(|&n| n as f64 / total as f64).collect()
}

pub fn assert_close(got: &[f64], want: &[f64], what: &str) {
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 0.01, "{what}: shares {got:?}, expected {want:?}");
    }
}

/// The share of pixels with a dark channel: text, rules and charts.
pub fn inked_share(shot: &Shot) -> f64 {
    let inked = shot.rgb.chunks(3).filter(|p| p.iter().any(|&c| c < 200)).count();
    inked as f64 / (shot.width * shot.height) as f64
}
