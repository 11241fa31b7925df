//! A dataset file rendered into a format, line by line.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{Format, FormatError, render};
use crate::sample::Sample;

/// What [`render_file`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderReport {
    /// Samples read (non-blank lines).
    pub samples: usize,
    /// Records written.
    pub written: usize,
    /// Samples that could not be rendered, in file order.
    pub failures: Vec<SampleFailure>,
}

/// A sample the format could not render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleFailure {
    /// 1-based line of the input.
    pub line: usize,
    /// The sample's `metadata.sample_index`.
    pub sample_index: u64,
    /// Why (the [`FormatError`]'s message).
    pub reason: String,
}

/// Renders every sample of the JSONL file `input` into `output`, one
/// record per line, in input order.
///
/// The input is streamed; the output is written to a temporary file beside
/// `output` and renamed over it at the end, so `output` is either the old
/// file or the complete new one. A line that is not a sample stops the run
/// with its `file:line` ([`FormatError::BadLine`]) and writes nothing.
/// A sample the format cannot render is skipped and listed in the report's
/// `failures`; the others are written.
pub fn render_file(input: &Path, format: &Format, output: &Path) -> Result<RenderReport, FormatError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FormatError::Io { path, source }
    };
    let reader = BufReader::new(File::open(input).map_err(io(input))?);
    let temporary = temporary_path(output);
    let result = (|| {
        let mut writer = BufWriter::new(File::create(&temporary).map_err(io(&temporary))?);
        let report = render_lines(input, reader, format, &mut writer, &temporary)?;
        let file = writer.into_inner().map_err(|err| io(&temporary)(err.into_error()))?;
        file.sync_all().map_err(io(&temporary))?;
        Ok(report)
    })();
    match result {
        Ok(report) => {
            std::fs::rename(&temporary, output).map_err(io(output))?;
            Ok(report)
        }
        Err(err) => {
            let _ = std::fs::remove_file(&temporary);
            Err(err)
        }
    }
}

fn render_lines(
    input: &Path,
    mut reader: impl BufRead,
    format: &Format,
    writer: &mut impl Write,
    written_to: &Path,
) -> Result<RenderReport, FormatError> {
    let mut report = RenderReport::default();
    let mut line = String::new();
    let mut number = 0;
    let write_error = |source| FormatError::Io { path: written_to.to_path_buf(), source };
    loop {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .map_err(|source| FormatError::Io { path: input.to_path_buf(), source })?;
        if read == 0 {
            break;
        }
        number += 1;
        if line.trim().is_empty() {
            continue;
        }
        let sample: Sample = serde_json::from_str(&line).map_err(|source| FormatError::BadLine {
            path: input.to_path_buf(),
            line: number,
            source,
        })?;
        report.samples += 1;
        match render(&sample, format) {
            Ok(record) => {
                serde_json::to_writer(&mut *writer, &record).map_err(|err| write_error(err.into()))?;
                writer.write_all(b"\n").map_err(write_error)?;
                report.written += 1;
            }
            Err(err) if err.is_sample_error() => report.failures.push(SampleFailure {
                line: number,
                sample_index: sample.metadata.sample_index,
                reason: err.to_string(),
            }),
            Err(err) => return Err(err),
        }
    }
    Ok(report)
}

/// `output`'s temporary sibling: `.<name>.tmp-<pid>`.
fn temporary_path(output: &Path) -> PathBuf {
    let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    output.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}
