//! One streaming pass over a dataset. A reader cuts the file into batches
//! of whole lines (about 1 MiB, read straight into the batch's buffer);
//! each worker parses and measures the batches it takes and folds them
//! into its own [`Tally`]; the tallies are merged at the end. Whatever
//! the number of workers, the figures are the same ([`Tally::merge`]).
//! Memory: the batches in flight, the workers' tallies.
//!
//! A bad line ends the pass with the first bad line of the file: once one
//! is found the reader stops, and workers skip batches that start after
//! the earliest bad line seen, but finish every batch that starts before.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use super::InspectError;
use super::arguments::SchemaCache;
use super::observe::{LineAt, observe};
use super::tally::Tally;

/// A batch ends at the first line break past this many bytes.
const BATCH_BYTES: usize = 1 << 20;

/// Whole lines read from the file.
struct Batch {
    data: Vec<u8>,
    /// (start, end) in `data`, and where the line is in the file.
    lines: Vec<(usize, usize, LineAt)>,
}

impl Batch {
    fn first_line(&self) -> u64 {
        self.lines.first().map_or(0, |(_, _, at)| at.number)
    }
}

/// A bad line: its number and what is wrong.
type BadLine = (u64, String);

/// Reads `path` with `threads` workers (1: on the calling thread) into one tally.
pub(crate) fn scan(path: &Path, threads: usize) -> Result<Tally, InspectError> {
    let file = File::open(path).map_err(|source| InspectError::Io { path: path.to_owned(), source })?;
    let mut reader = Lines { file, carry: Vec::new(), number: 0, offset: 0, done: false };
    let io = |source| InspectError::Io { path: path.to_owned(), source };
    let bad_line = |(line, message): BadLine| InspectError::Format { path: path.to_owned(), line, message };
    if threads <= 1 {
        let (mut part, mut spare) = (Part::default(), Vec::new());
        while let Some(batch) = reader.next_batch(spare).map_err(io)? {
            part.measure(&batch).map_err(bad_line)?;
            spare = batch.data;
        }
        return Ok(part.tally);
    }
    let earliest_bad = AtomicU64::new(u64::MAX);
    let (batches, work) = sync_channel::<Batch>(threads * 2);
    let (spent, recycled) = sync_channel::<Vec<u8>>(threads * 2);
    // Only the workers hold the queue's receiving end: should they all
    // stop, the reader's next send fails instead of waiting forever.
    let work = Arc::new(Mutex::new(work));
    let (parts, read) = std::thread::scope(|scope| {
        let earliest_bad = &earliest_bad;
        // The reader owns the queue's sending end: when it stops, the
        // workers finish what is queued and stop too.
        let reading = scope.spawn(move || read_all(&mut reader, &batches, &recycled, earliest_bad));
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (work, spent) = (Arc::clone(&work), spent.clone());
                scope.spawn(move || work_on(&work, &spent, earliest_bad))
            })
            .collect();
        drop(work);
        let read = reading.join();
        let parts: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
        (parts, read)
    });
    let read = read.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let mut parts: Vec<(Tally, Option<BadLine>)> =
        parts.into_iter().map(|part| part.unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect();
    let first_bad = parts.iter_mut().filter_map(|(_, bad)| bad.take()).min_by_key(|(line, _)| *line);
    // The others fold into the largest part, which is not copied.
    parts.sort_by_key(|(part, _)| std::cmp::Reverse(part.samples()));
    let mut parts = parts.into_iter().map(|(part, _)| part);
    let mut tally = parts.next().unwrap_or_default();
    parts.for_each(|part| tally.merge(part));
    match first_bad {
        Some(bad) => Err(bad_line(bad)),
        None => read.map(|()| tally).map_err(io),
    }
}

fn read_all(
    reader: &mut Lines,
    batches: &SyncSender<Batch>,
    recycled: &Receiver<Vec<u8>>,
    earliest_bad: &AtomicU64,
) -> std::io::Result<()> {
    while earliest_bad.load(Ordering::Relaxed) == u64::MAX {
        let buffer = recycled.try_recv().unwrap_or_default();
        let Some(batch) = reader.next_batch(buffer)? else { return Ok(()) };
        if batches.send(batch).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

fn work_on(
    work: &Mutex<Receiver<Batch>>,
    spent: &SyncSender<Vec<u8>>,
    earliest_bad: &AtomicU64,
) -> (Tally, Option<BadLine>) {
    let mut part = Part::default();
    let mut bad = None;
    loop {
        // The lock is held only while waiting for the next batch.
        let next = work.lock().map(|work| work.recv());
        let Ok(Ok(batch)) = next else { break };
        if batch.first_line() < earliest_bad.load(Ordering::Relaxed)
            && let Err(found) = part.measure(&batch)
        {
            earliest_bad.fetch_min(found.0, Ordering::Relaxed);
            if bad.as_ref().is_none_or(|(line, _)| found.0 < *line) {
                bad = Some(found);
            }
        }
        // Hand the buffer back for a later batch (dropped if none is wanted).
        let _ = spent.try_send(batch.data);
    }
    (part.tally, bad)
}

/// What one worker has measured.
#[derive(Default)]
struct Part {
    tally: Tally,
    schemas: SchemaCache,
}

impl Part {
    /// Measures every line of `batch` into the tally, up to its first bad line.
    fn measure(&mut self, batch: &Batch) -> Result<(), BadLine> {
        for &(start, end, at) in &batch.lines {
            let observation =
                observe(&batch.data[start..end], at, &mut self.schemas).map_err(|why| (at.number, why))?;
            self.tally.add(observation);
        }
        Ok(())
    }
}

/// The file, cut into batches of whole, non-blank lines.
struct Lines {
    file: File,
    /// Bytes read past the last line break of the previous batch.
    carry: Vec<u8>,
    /// Lines handed out so far.
    number: u64,
    /// Offset of the first byte of `carry`.
    offset: u64,
    done: bool,
}

impl Lines {
    /// The next batch, read into `buffer` (a spent batch's, or new).
    fn next_batch(&mut self, mut data: Vec<u8>) -> std::io::Result<Option<Batch>> {
        data.clear();
        data.append(&mut self.carry);
        // Read until the batch is full and ends in a line break, or the file ends.
        let mut end = None;
        while !self.done {
            if data.len() >= BATCH_BYTES {
                end = memchr::memrchr(b'\n', &data).map(|i| i + 1);
                if end.is_some() {
                    break;
                }
            }
            // Appends without zeroing the buffer first; retries interrupted reads.
            let read = (&mut self.file).take(BATCH_BYTES as u64 / 4).read_to_end(&mut data)?;
            self.done = read == 0;
        }
        let end = end.unwrap_or(data.len());
        self.carry.extend_from_slice(&data[end..]);
        data.truncate(end);
        let mut lines = Vec::new();
        let mut start = 0;
        while start < data.len() {
            let stop = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i + 1);
            self.number += 1;
            let at = LineAt { number: self.number, offset: self.offset + start as u64 };
            if !data[start..stop].iter().all(u8::is_ascii_whitespace) {
                lines.push((start, stop, at));
            }
            start = stop;
        }
        self.offset += data.len() as u64;
        if lines.is_empty() && self.done && self.carry.is_empty() {
            return Ok(None);
        }
        Ok(Some(Batch { data, lines }))
    }
}
