//! A scenario's files from where a project already lives: a directory, a
//! tarball or zip, or a git repository (on disk or at any URL `git` can
//! reach). Every file keeps its path relative to the project's root; caps on
//! the number of files and their bytes stop a scenario that would not fit a
//! session; a file that is not UTF-8 text (the VFS holds text) is refused by
//! name, or left out with `binary: skip` — never stored altered.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

/// Files a scenario may hold by default.
pub(crate) const DEFAULT_MAX_FILES: u64 = 1000;
/// Bytes a scenario may hold by default (all files together).
pub(crate) const DEFAULT_MAX_BYTES: u64 = 16 << 20;

/// What to do with a file that is not UTF-8 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Binary {
    /// Stop with the file's name (the default).
    Refuse,
    /// Leave it out and count it.
    Skip,
}

/// Files gathered so far, under the caps.
pub(crate) struct Collector {
    pub files: BTreeMap<String, String>,
    /// Binary files left out (`binary: skip`).
    pub skipped: Vec<String>,
    bytes: u64,
    max_files: u64,
    max_bytes: u64,
    binary: Binary,
}

impl Collector {
    pub(crate) fn new(max_files: u64, max_bytes: u64, binary: Binary) -> Self {
        Self { files: BTreeMap::new(), skipped: Vec::new(), bytes: 0, max_files, max_bytes, binary }
    }

    /// Adds one file found at `path` (relative, `/`-separated) in `source`.
    fn add(&mut self, source: &str, path: String, bytes: Vec<u8>) -> Result<(), String> {
        if path.split('/').any(|part| part == ".." || part.is_empty()) || path.starts_with('/') {
            return Err(format!("{source} holds `{path}`, a path outside the project"));
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) if !text.contains('\0') => text,
            _ if self.binary == Binary::Skip => {
                self.skipped.push(path);
                return Ok(());
            }
            _ => {
                return Err(format!(
                    "`{path}` in {source} is binary (not UTF-8 text) and the session's files are text; \
                     set `binary: skip` to leave binary files out"
                ));
            }
        };
        let previous = self.files.get(&path).map_or(0, |old| old.len() as u64);
        let bytes = self.bytes - previous + text.len() as u64;
        if self.files.len() as u64 >= self.max_files && !self.files.contains_key(&path) {
            return Err(format!(
                "{source} holds more than {} files (`max_files`); raise it or pick fewer with `git.paths`",
                self.max_files
            ));
        }
        if bytes > self.max_bytes {
            return Err(format!(
                "{source} holds more than {} bytes (`max_bytes`) by `{path}`; raise it or seed less",
                self.max_bytes
            ));
        }
        self.bytes = bytes;
        self.files.insert(path, text);
        Ok(())
    }
}

/// Every regular file under `dir`, recursively, in path order. `.git` is
/// left out; symbolic links are not followed.
pub(crate) fn directory(dir: &Path, into: &mut Collector) -> Result<(), String> {
    let source = format!("directory {}", dir.display());
    if !dir.is_dir() {
        return Err(format!("no directory at {}", dir.display()));
    }
    let mut pending = vec![dir.to_owned()];
    let mut found = Vec::new();
    while let Some(current) = pending.pop() {
        let entries =
            std::fs::read_dir(&current).map_err(|err| format!("cannot read {}: {err}", current.display()))?;
        for entry in entries {
            let entry = entry.map_err(|err| format!("cannot read {}: {err}", current.display()))?;
            let kind =
                entry.file_type().map_err(|err| format!("cannot read {}: {err}", entry.path().display()))?;
            if kind.is_dir() && entry.file_name() != ".git" {
                pending.push(entry.path());
            } else if kind.is_file() {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    for path in found {
        let relative = path.strip_prefix(dir).map_err(|err| err.to_string())?;
        let name: Vec<String> =
            relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let bytes = std::fs::read(&path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        into.add(&source, name.join("/"), bytes)?;
    }
    Ok(())
}

/// Every regular file of a `.tar`, `.tar.gz`/`.tgz` or `.zip` archive.
pub(crate) fn archive(file: &Path, into: &mut Collector) -> Result<(), String> {
    let source = format!("archive {}", file.display());
    let name = file.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    let opened = std::fs::File::open(file).map_err(|err| format!("cannot read {}: {err}", file.display()))?;
    if name.ends_with(".zip") {
        return zip_files(&source, opened, into);
    }
    if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        return tar_files(&source, flate2::read::GzDecoder::new(opened), into);
    }
    if name.ends_with(".tar") {
        return tar_files(&source, opened, into);
    }
    Err(format!("{} is not a .tar, .tar.gz, .tgz or .zip file", file.display()))
}

fn tar_files(source: &str, reader: impl Read, into: &mut Collector) -> Result<(), String> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive.entries().map_err(|err| format!("{source} is not a readable tar: {err}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|err| format!("{source} is not a readable tar: {err}"))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(|err| format!("{source}: {err}"))?.to_string_lossy().into_owned();
        let path = path.trim_start_matches("./").to_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|err| format!("{source}: cannot read `{path}`: {err}"))?;
        into.add(source, path, bytes)?;
    }
    Ok(())
}

fn zip_files(source: &str, file: std::fs::File, into: &mut Collector) -> Result<(), String> {
    let mut archive =
        zip::ZipArchive::new(file).map_err(|err| format!("{source} is not a readable zip: {err}"))?;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|err| format!("{source}: {err}"))?;
        if !entry.is_file() {
            continue;
        }
        let path = entry.name().to_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|err| format!("{source}: cannot read `{path}`: {err}"))?;
        into.add(source, path, bytes)?;
    }
    Ok(())
}

/// The files of `repo` at `rev` (default `HEAD`), only those under `paths`
/// when given. `repo` is a path (relative to `base`) or a URL; a URL is
/// cloned bare into a temporary directory first.
pub(crate) fn git(
    repo: &str,
    rev: Option<&str>,
    paths: &[String],
    base: &Path,
    into: &mut Collector,
) -> Result<(), String> {
    let rev = rev.unwrap_or("HEAD");
    let source = format!("git repository {repo} at {rev}");
    let url = repo.contains("://") || repo.starts_with("git@");
    let clone = if url {
        Some(tempfile::tempdir().map_err(|err| format!("cannot make a directory: {err}"))?)
    } else {
        None
    };
    let dir = match &clone {
        Some(tmp) => {
            let status = Command::new("git")
                .args(["clone", "--quiet", "--bare", repo])
                .arg(tmp.path())
                .output()
                .map_err(|err| format!("cannot run git: {err}"))?;
            if !status.status.success() {
                return Err(format!(
                    "git cannot clone {repo}: {}",
                    String::from_utf8_lossy(&status.stderr).trim()
                ));
            }
            tmp.path().to_owned()
        }
        None => base.join(repo),
    };
    let output = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["archive", "--format=tar", rev, "--"])
        .args(paths)
        .output()
        .map_err(|err| format!("cannot run git: {err}"))?;
    if !output.status.success() {
        return Err(format!("git cannot read {source}: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    tar_files(&source, output.stdout.as_slice(), into)
}
