//! The tools. Each returns the text the model reads, or a [`Failure`].

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use regex_automata::meta::Regex;

use crate::args::{self, Args};
use crate::path::SessionPath;
use crate::weft::tool::session_store::{self, StoreError};
use crate::weft::tool::types::ErrorType;
use crate::{Failure, ToolResult};

/// Files are stored under this key prefix; other prefixes stay free for
/// future per-session state.
const FILE_PREFIX: &str = "f:";
/// At most this many lines come back from `search_files`.
const MAX_SEARCH_LINES: usize = 200;

pub(crate) fn read_file(args: &Args) -> ToolResult {
    let given = args::required(args, "file_path")?;
    let path = SessionPath::file(given, "file_path")?;
    let bytes = load(&path)?.ok_or_else(|| not_found(given))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub(crate) fn write_file(args: &Args) -> ToolResult {
    let given = args::required(args, "file_path")?;
    let content = args::required(args, "content")?;
    let path = SessionPath::file(given, "file_path")?;
    store(&path, content.as_bytes())?;
    Ok(format!("Successfully wrote {} bytes to {given}", content.len()))
}

pub(crate) fn list_files(args: &Args) -> ToolResult {
    let directory = match args::optional(args, "directory")? {
        Some(given) => SessionPath::resolve(given)?,
        None => SessionPath::resolve("")?,
    };
    let files: Vec<String> = file_keys()?.into_iter().filter(|file| directory.contains(file)).collect();
    Ok(serde_json::Value::from(files).to_string())
}

pub(crate) fn delete_file(args: &Args) -> ToolResult {
    let given = args::required(args, "file_path")?;
    let path = SessionPath::file(given, "file_path")?;
    if !exists(&path)? {
        return Err(not_found(given));
    }
    session_store::delete(&key(&path)).map_err(storage)?;
    Ok(format!("Successfully deleted {given}"))
}

pub(crate) fn edit_file(args: &Args) -> ToolResult {
    let given = args::required(args, "file_path")?;
    let old = args::required(args, "old_string")?;
    let new = args::required(args, "new_string")?;
    if old.is_empty() {
        return Err(args::invalid("Argument 'old_string' must not be empty"));
    }
    let path = SessionPath::file(given, "file_path")?;
    let bytes = load(&path)?.ok_or_else(|| not_found(given))?;
    let text = String::from_utf8_lossy(&bytes);
    match text.matches(old).count() {
        0 => Err(args::invalid(format!("old_string not found in {given}"))),
        1 => {
            let edited = text.replacen(old, new, 1);
            store(&path, edited.as_bytes())?;
            Ok(format!("Successfully edited {given}: replaced 1 occurrence"))
        }
        n => Err(args::invalid(format!(
            "old_string appears {n} times in {given}; include more context to make it unique"
        ))),
    }
}

pub(crate) fn search_files(args: &Args) -> ToolResult {
    let pattern = args::required(args, "pattern")?;
    let directory = match args::optional(args, "directory")? {
        Some(given) => SessionPath::resolve(given)?,
        None => SessionPath::resolve("")?,
    };
    // Unicode-aware like a model's grep: `.` is a character, `\w` and `(?i)`
    // know non-ASCII letters.
    let regex = Regex::new(pattern).map_err(|err| {
        // The syntax error says what is wrong and where; the build
        // error around it only says that parsing failed.
        let reason = match err.syntax_error() {
            Some(syntax) => syntax.to_string(),
            None => err.to_string(),
        };
        args::invalid(format!("Invalid regex pattern '{pattern}': {reason}"))
    })?;
    let mut lines = Vec::new();
    'files: for file in file_keys()?.into_iter().filter(|file| directory.contains(file)) {
        let path = SessionPath::resolve(&file)?;
        let Some(bytes) = load(&path)? else { continue };
        for (number, line) in String::from_utf8_lossy(&bytes).lines().enumerate() {
            if regex.is_match(line) {
                if lines.len() == MAX_SEARCH_LINES {
                    lines.push(format!("... (more matches; showing the first {MAX_SEARCH_LINES})"));
                    break 'files;
                }
                lines.push(format!("{file}:{}: {line}", number + 1));
            }
        }
    }
    if lines.is_empty() {
        return Ok(format!("No matches for pattern '{pattern}'"));
    }
    Ok(lines.join("\n"))
}

pub(crate) fn move_file(args: &Args) -> ToolResult {
    let source_given = args::required(args, "source")?;
    let destination_given = args::required(args, "destination")?;
    let source = SessionPath::file(source_given, "source")?;
    let destination = SessionPath::file(destination_given, "destination")?;
    let bytes = load(&source)?.ok_or_else(|| not_found(source_given))?;
    if source != destination {
        store(&destination, &bytes)?;
        session_store::delete(&key(&source)).map_err(storage)?;
    }
    Ok(format!("Successfully moved {source_given} to {destination_given}"))
}

fn key(path: &SessionPath) -> String {
    format!("{FILE_PREFIX}{}", path.as_str())
}

fn load(path: &SessionPath) -> Result<Option<Vec<u8>>, Failure> {
    session_store::get(&key(path)).map_err(storage)
}

fn store(path: &SessionPath, bytes: &[u8]) -> Result<(), Failure> {
    session_store::set(&key(path), bytes).map_err(storage)
}

fn exists(path: &SessionPath) -> Result<bool, Failure> {
    session_store::exists(&key(path)).map_err(storage)
}

/// Every file of the session, sorted.
fn file_keys() -> Result<Vec<String>, Failure> {
    let keys = session_store::list_keys(FILE_PREFIX).map_err(storage)?;
    Ok(keys.into_iter().filter_map(|key| key.strip_prefix(FILE_PREFIX).map(str::to_owned)).collect())
}

fn not_found(given: &str) -> Failure {
    Failure::new(ErrorType::FileNotFound, format!("File not found: {given}"))
}

pub(crate) fn storage(err: StoreError) -> Failure {
    match err {
        StoreError::AccessDenied => {
            Failure::new(ErrorType::NotAllowed, "This component has no key-value store granted")
        }
        StoreError::TooLarge => {
            Failure::new(ErrorType::ResourceExhausted, "The file is larger than the store allows")
        }
        StoreError::Other(message) => Failure::new(ErrorType::IoError, format!("IO error: {message}")),
    }
}
