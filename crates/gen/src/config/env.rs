//! `${VAR}` and `${VAR:-default}` in string values.
//!
//! Expansion applies to values that name things outside the file (providers,
//! models, URLs, paths, repositories), not to prompts or seeded file contents,
//! which are taken literally because `${...}` is common in code and shell.
//! `$$` writes a literal `$`.

/// Why a value could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EnvError {
    /// `${NAME}` with `NAME` unset and no default.
    Unset(String),
    /// `${` without a closing `}` or with an empty name.
    Malformed,
}

/// Expands `text` using `lookup` for variables.
pub(crate) fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, EnvError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body.find('}').ok_or(EnvError::Malformed)?;
            let inner = &body[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (inner, None),
            };
            let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(EnvError::Malformed);
            }
            match (lookup(name).filter(|v| !v.is_empty() || default.is_none()), default) {
                (Some(value), _) => out.push_str(&value),
                (None, Some(default)) => out.push_str(default),
                (None, None) => return Err(EnvError::Unset(name.to_owned())),
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("gpu-box".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_set_unset_and_default() {
        assert_eq!(expand("http://${HOST}:8000", &env).as_deref(), Ok("http://gpu-box:8000"));
        assert_eq!(expand("${PORT:-3000}", &env).as_deref(), Ok("3000"));
        assert_eq!(expand("${HOST:-x}", &env).as_deref(), Ok("gpu-box"));
        assert_eq!(expand("${EMPTY:-fallback}", &env).as_deref(), Ok("fallback"));
        assert_eq!(expand("cost $5 and $$HOME", &env).as_deref(), Ok("cost $5 and $HOME"));
        assert_eq!(expand("${NOPE}", &env), Err(EnvError::Unset("NOPE".into())));
        assert_eq!(expand("${HOST", &env), Err(EnvError::Malformed));
        assert_eq!(expand("${}", &env), Err(EnvError::Malformed));
    }
}
