//! A dataset file rendered into a format, line by line.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{Format, FormatError, render, render_record};
use crate::sample::{CustomRecord, Sample};

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

/// A chunk of whole input lines ends at the first line break past this
/// many bytes.
const CHUNK_BYTES: usize = 1 << 20;

/// Whole lines of the input, in file order.
struct Chunk {
    /// Position among the chunks.
    seq: u64,
    /// The 1-based line number of its first line.
    first_line: usize,
    /// The lines, each with its line break.
    text: String,
}

/// A chunk rendered: its records' bytes and what happened to its samples,
/// or the error that stops the run (the chunk's first one).
struct Rendered {
    seq: u64,
    out: Vec<u8>,
    report: RenderReport,
    error: Option<FormatError>,
}

/// Streams `reader` through `format` into `writer`. Chunks of lines are
/// rendered by one worker per core and written in input order, so the
/// output and the report are those of one pass, and the error that stops a
/// run is the file's first.
fn render_lines(
    input: &Path,
    reader: impl BufRead + Send,
    format: &Format,
    writer: &mut impl Write,
    written_to: &Path,
) -> Result<RenderReport, FormatError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let read_error = |source| FormatError::Io { path: input.to_path_buf(), source };
    let write_error = |source| FormatError::Io { path: written_to.to_path_buf(), source };
    let mut report = RenderReport::default();
    let mut take = |rendered: Rendered| -> Result<(), FormatError> {
        writer.write_all(&rendered.out).map_err(write_error)?;
        report.samples += rendered.report.samples;
        report.written += rendered.report.written;
        report.failures.extend(rendered.report.failures);
        rendered.error.map_or(Ok(()), Err)
    };
    let mut chunks = Chunks { reader, seq: 0, line: 1 };
    if threads <= 1 {
        while let Some(chunk) = chunks.next_chunk().map_err(read_error)? {
            take(render_chunk(input, &chunk, format))?;
        }
        return Ok(report);
    }
    let (to_workers, work) = std::sync::mpsc::sync_channel::<Chunk>(threads * 2);
    let (to_writer, done) = std::sync::mpsc::sync_channel::<Rendered>(threads * 2);
    let work = std::sync::Arc::new(std::sync::Mutex::new(work));
    std::thread::scope(|scope| {
        // The reader owns the sending end of the work: when it stops (at the
        // end, or because nobody takes work any more) the workers stop too.
        let reading = scope.spawn(move || -> Result<(), std::io::Error> {
            while let Some(chunk) = chunks.next_chunk()? {
                if to_workers.send(chunk).is_err() {
                    break;
                }
            }
            Ok(())
        });
        for _ in 0..threads {
            let (work, to_writer) = (std::sync::Arc::clone(&work), to_writer.clone());
            scope.spawn(move || {
                loop {
                    let next = work.lock().map(|work| work.recv());
                    let Ok(Ok(chunk)) = next else { break };
                    if to_writer.send(render_chunk(input, &chunk, format)).is_err() {
                        break;
                    }
                }
            });
        }
        drop((work, to_writer));
        // Written in order: chunks that finish early wait for their turn.
        let mut waiting = std::collections::BTreeMap::new();
        let mut next = 0u64;
        let written = (|| {
            for rendered in &done {
                waiting.insert(rendered.seq, rendered);
                while let Some(rendered) = waiting.remove(&next) {
                    take(rendered)?;
                    next += 1;
                }
            }
            Ok(())
        })();
        // On an error, dropping the receiver stops the workers, and so the reader.
        drop(done);
        let read = reading.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        written?;
        read.map_err(read_error)
    })?;
    Ok(report)
}

/// Cuts a reader into [`Chunk`]s.
struct Chunks<R> {
    reader: R,
    seq: u64,
    /// The number of the next line.
    line: usize,
}

impl<R: BufRead> Chunks<R> {
    fn next_chunk(&mut self) -> std::io::Result<Option<Chunk>> {
        let mut text = String::new();
        let first_line = self.line;
        while text.len() < CHUNK_BYTES {
            if self.reader.read_line(&mut text)? == 0 {
                break;
            }
            self.line += 1;
        }
        if text.is_empty() {
            return Ok(None);
        }
        self.seq += 1;
        Ok(Some(Chunk { seq: self.seq - 1, first_line, text }))
    }
}

/// Renders the lines of one chunk; stops at its first line that stops the run.
fn render_chunk(input: &Path, chunk: &Chunk, format: &Format) -> Rendered {
    let mut rendered = Rendered {
        seq: chunk.seq,
        out: Vec::with_capacity(chunk.text.len()),
        report: RenderReport::default(),
        error: None,
    };
    for (offset, line) in chunk.text.lines().enumerate() {
        if let Err(err) = render_line(input, line, chunk.first_line + offset, format, &mut rendered) {
            rendered.error = Some(err);
            break;
        }
    }
    rendered
}

/// One input line: its record appended to `into.out`, a failure to its
/// report, or the error that stops the run.
fn render_line(
    input: &Path,
    line: &str,
    number: usize,
    format: &Format,
    into: &mut Rendered,
) -> Result<(), FormatError> {
    if line.trim().is_empty() {
        return Ok(());
    }
    let bad_line = |source| FormatError::BadLine { path: input.to_path_buf(), line: number, source };
    let wrong_kind =
        |source| FormatError::WrongKind { path: input.to_path_buf(), line: number, source: Box::new(source) };
    let (sample_index, rendered) = if matches!(format, Format::Custom) {
        let record: CustomRecord = serde_json::from_str(line).map_err(|err| {
            if serde_json::from_str::<Sample>(line).is_ok() {
                wrong_kind(FormatError::NotCustom)
            } else {
                bad_line(err)
            }
        })?;
        (record.metadata.sample_index, render_record(&record, format))
    } else {
        let sample: Sample = serde_json::from_str(line).map_err(|err| {
            if serde_json::from_str::<CustomRecord>(line).is_ok() {
                wrong_kind(FormatError::NoConversation { format: format.name().to_owned() })
            } else {
                bad_line(err)
            }
        })?;
        // The canonical shape is written straight from the sample.
        if matches!(format, Format::Messages) {
            into.report.samples += 1;
            serde_json::to_writer(&mut into.out, &sample)
                .map_err(|err| FormatError::Malformed(err.to_string()))?;
            into.out.push(b'\n');
            into.report.written += 1;
            return Ok(());
        }
        (sample.metadata.sample_index, render(&sample, format))
    };
    into.report.samples += 1;
    match rendered {
        Ok(record) => {
            serde_json::to_writer(&mut into.out, &record)
                .map_err(|err| FormatError::Malformed(err.to_string()))?;
            into.out.push(b'\n');
            into.report.written += 1;
            Ok(())
        }
        Err(err) if err.is_sample_error() => {
            into.report.failures.push(SampleFailure { line: number, sample_index, reason: err.to_string() });
            Ok(())
        }
        Err(err) => Err(err),
    }
}

/// `output`'s temporary sibling: `.<name>.tmp-<pid>`.
fn temporary_path(output: &Path) -> PathBuf {
    let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    output.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}
