//! Reading a call's JSON arguments, with the messages a model can act on.

use serde_json::{Map, Value};

use crate::Failure;

pub(crate) type Args = Map<String, Value>;

pub(crate) fn parse(args_json: &str) -> Result<Args, Failure> {
    match serde_json::from_str(args_json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure::invalid("Arguments must be a JSON object")),
        Err(err) => Err(Failure::invalid(format!("Arguments are not valid JSON: {err}"))),
    }
}

/// A required, non-empty string.
pub(crate) fn required<'a>(args: &'a Args, name: &str) -> Result<&'a str, Failure> {
    match optional(args, name)? {
        Some(text) => Ok(text),
        None => Err(Failure::invalid(format!("Missing required argument '{name}'"))),
    }
}

/// A string that may be absent (an empty string counts as absent).
pub(crate) fn optional<'a>(args: &'a Args, name: &str) -> Result<Option<&'a str>, Failure> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.as_str())),
        Some(_) => Err(Failure::invalid(format!("Argument '{name}' must be a string"))),
    }
}

/// A positive integer, given as a number or a string of digits.
pub(crate) fn number(args: &Args, name: &str) -> Result<Option<u64>, Failure> {
    let bad = || Failure::invalid(format!("Argument '{name}' must be a positive integer"));
    let value = match args.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(number)) => number.as_u64().ok_or_else(bad)?,
        Some(Value::String(text)) => text.trim().parse().map_err(|_| bad())?,
        Some(_) => return Err(bad()),
    };
    if value == 0 {
        return Err(bad());
    }
    Ok(Some(value))
}

/// A required positive integer.
pub(crate) fn required_number(args: &Args, name: &str) -> Result<u64, Failure> {
    number(args, name)?.ok_or_else(|| Failure::invalid(format!("Missing required argument '{name}'")))
}

/// `perPage`, clamped to GitHub's 1..=100.
pub(crate) fn per_page(args: &Args) -> Result<u64, Failure> {
    Ok(number(args, "perPage")?.unwrap_or(20).min(100))
}

/// One of `allowed`, or absent.
pub(crate) fn choice<'a>(args: &'a Args, name: &str, allowed: &[&str]) -> Result<Option<&'a str>, Failure> {
    match optional(args, name)? {
        Some(value) if !allowed.contains(&value) => {
            Err(Failure::invalid(format!("Argument '{name}' must be one of: {}", allowed.join(", "))))
        }
        other => Ok(other),
    }
}

/// An owner or repository name: GitHub's characters only, so that it can
/// never climb out of its place in a URL path.
pub(crate) fn name<'a>(args: &'a Args, arg: &str) -> Result<&'a str, Failure> {
    let value = required(args, arg)?;
    let valid = value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && value != "."
        && value != "..";
    if !valid {
        return Err(Failure::invalid(format!("Argument '{arg}' is not a valid GitHub name: '{value}'")));
    }
    Ok(value)
}
