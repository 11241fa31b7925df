//! JSON text exactly as Python's `json.dumps` writes it.
//!
//! Python-trained tooling reads and writes JSON with `json.dumps`: ", " and
//! ": " between items (or "," and a newline with `indent`), non-ASCII kept
//! (`ensure_ascii=False`, what transformers' `tojson` does) or escaped as
//! `\uXXXX` with surrogate pairs, floats in `repr` form (`1e-07`, `1e+16`,
//! `3.0`). Chat templates print tool schemas and arguments with it, so a
//! Rust rendering that differs in one space differs from the text the model
//! is trained on at inference. The text formats (hermes, sharegpt, xlam) use
//! it too, so their JSON reads the way those projects' Python writes it.
//!
//! One writer serves two value types ([`Node`]): `serde_json::Value` and the
//! template engine's values.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `json.dumps` options.
#[derive(Debug, Clone)]
pub(crate) struct Dumps {
    /// Escape everything outside ASCII as `\uXXXX`.
    pub ensure_ascii: bool,
    /// One level of indentation; `None` writes one line.
    pub indent: Option<String>,
    /// Between items.
    pub item_separator: String,
    /// Between a key and its value.
    pub key_separator: String,
    /// Objects' keys sorted.
    pub sort_keys: bool,
}

impl Default for Dumps {
    /// `json.dumps(x, ensure_ascii=False)`.
    fn default() -> Self {
        Dumps {
            ensure_ascii: false,
            indent: None,
            item_separator: ", ".to_owned(),
            key_separator: ": ".to_owned(),
            sort_keys: false,
        }
    }
}

/// What a value looks like to the writer.
pub(crate) enum View<'a, C> {
    Null,
    Bool(bool),
    /// An integer, already as digits.
    Int(Cow<'a, str>),
    Float(f64),
    Str(Cow<'a, str>),
    Seq(Vec<C>),
    /// Keys already in Python's key form (`json.dumps` turns `True` into
    /// `"true"`, `1` into `"1"`).
    Map(Vec<(Cow<'a, str>, C)>),
}

/// A value the writer can walk.
pub(crate) trait Node: Sized {
    /// Why a value cannot be written (Python raises `TypeError`).
    type Error;
    /// The value's shape.
    fn view(&self) -> Result<View<'_, Self>, Self::Error>;
}

impl Dumps {
    /// `value` as `json.dumps(value, **self)` writes it.
    pub fn dumps<N: Node>(&self, value: &N) -> Result<String, N::Error> {
        let mut out = String::new();
        self.write(value, 0, &mut out)?;
        Ok(out)
    }

    fn write<N: Node>(&self, value: &N, level: usize, out: &mut String) -> Result<(), N::Error> {
        match value.view()? {
            View::Null => out.push_str("null"),
            View::Bool(true) => out.push_str("true"),
            View::Bool(false) => out.push_str("false"),
            View::Int(digits) => out.push_str(&digits),
            View::Float(f) => json_float(f, out),
            View::Str(s) => write_str(&s, self.ensure_ascii, out),
            View::Seq(items) => {
                if items.is_empty() {
                    out.push_str("[]");
                    return Ok(());
                }
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    self.separate(index, level + 1, out);
                    self.write(item, level + 1, out)?;
                }
                self.end(level, out);
                out.push(']');
            }
            View::Map(mut entries) => {
                if entries.is_empty() {
                    out.push_str("{}");
                    return Ok(());
                }
                if self.sort_keys {
                    entries.sort_by(|a, b| a.0.cmp(&b.0));
                }
                out.push('{');
                for (index, (key, item)) in entries.iter().enumerate() {
                    self.separate(index, level + 1, out);
                    write_str(key, self.ensure_ascii, out);
                    out.push_str(&self.key_separator);
                    self.write(item, level + 1, out)?;
                }
                self.end(level, out);
                out.push('}');
            }
        }
        Ok(())
    }

    /// Before item `index` of a container at `level`.
    fn separate(&self, index: usize, level: usize, out: &mut String) {
        if index > 0 {
            out.push_str(&self.item_separator);
        }
        if let Some(indent) = &self.indent {
            out.push('\n');
            for _ in 0..level {
                out.push_str(indent);
            }
        }
    }

    /// After the last item of a container at `level`.
    fn end(&self, level: usize, out: &mut String) {
        if let Some(indent) = &self.indent {
            out.push('\n');
            for _ in 0..level {
                out.push_str(indent);
            }
        }
    }
}

impl Node for &serde_json::Value {
    type Error = std::convert::Infallible;

    fn view(&self) -> Result<View<'_, Self>, Self::Error> {
        use serde_json::Value;
        Ok(match *self {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Number(n) if n.is_f64() => View::Float(n.as_f64().unwrap_or(f64::NAN)),
            Value::Number(n) => View::Int(Cow::Owned(n.to_string())),
            Value::String(s) => View::Str(Cow::Borrowed(s)),
            Value::Array(items) => View::Seq(items.iter().collect()),
            Value::Object(map) => {
                View::Map(map.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), v)).collect())
            }
        })
    }
}

/// `json.dumps(value, ensure_ascii=False)`: the default the text formats use.
pub(crate) fn dumps(value: &serde_json::Value) -> String {
    match Dumps::default().dumps(&value) {
        Ok(text) => text,
        Err(never) => match never {},
    }
}

/// A JSON string literal as Python writes it: `"` `\` and the control
/// characters escaped (`\n \r \t \b \f`, others `\u00XX`); with
/// `ensure_ascii`, also DEL and everything beyond ASCII (`\uXXXX`, surrogate
/// pairs above the BMP).
pub(crate) fn write_str(s: &str, ensure_ascii: bool, out: &mut String) {
    out.push('"');
    let mut plain = 0;
    for (index, c) in s.char_indices() {
        let escape: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            _ => None,
        };
        let needs_code = c < ' ' || (ensure_ascii && c > '~');
        if escape.is_none() && !needs_code {
            continue;
        }
        out.push_str(&s[plain..index]);
        plain = index + c.len_utf8();
        match escape {
            Some(text) => out.push_str(text),
            None => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

/// A float as `json.dumps` writes it (`NaN`, `Infinity` for the
/// non-finite ones, `repr` otherwise).
pub(crate) fn json_float(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        py_float_repr(f, out);
    }
}

/// Python's `repr(float)` (and `str`): the shortest digits that read back
/// as the same float, positional when the exponent is in -4..16, else
/// `d.ddde±XX` with at least two exponent digits; `.0` on whole numbers;
/// `nan`, `inf`, `-inf`.
pub(crate) fn py_float_repr(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("nan");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "inf" } else { "-inf" });
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.2345e-7", "3e0".
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    out.push_str(sign);
    if (-4..16).contains(&exponent) {
        if exponent < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
            out.push_str(&digits);
        } else {
            let point = exponent as usize + 1;
            if digits.len() <= point {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', point - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exponent < 0 { '-' } else { '+' }, exponent.abs());
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn repr(f: f64) -> String {
        let mut out = String::new();
        py_float_repr(f, &mut out);
        out
    }

    #[test]
    fn floats_read_as_python_repr() {
        // Each expected text is what CPython's repr() prints.
        let cases = [
            (3.0, "3.0"),
            (12.5, "12.5"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (1e-7, "1e-07"),
            (2.5e-5, "2.5e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (-1.5e-10, "-1.5e-10"),
        ];
        for (f, expected) in cases {
            assert_eq!(repr(f), expected, "{f:?}");
        }
    }

    #[test]
    fn default_dumps_spaces_items_and_keeps_unicode() {
        let value = json!({"b": [1, 2.0, "é"], "a": {"x": null, "y": true}, "e": [], "o": {}});
        assert_eq!(dumps(&value), r#"{"b": [1, 2.0, "é"], "a": {"x": null, "y": true}, "e": [], "o": {}}"#);
    }

    #[test]
    fn ensure_ascii_escapes_like_python() {
        let mut out = String::new();
        write_str("é😀\u{7f}<&>'\"\\\n\u{1}\u{2028}", true, &mut out);
        assert_eq!(out, r#""\u00e9\ud83d\ude00\u007f<&>'\"\\\n\u0001\u2028""#);
        out.clear();
        write_str("é😀\u{7f}\u{1f}\u{2028}", false, &mut out);
        assert_eq!(out, "\"é😀\u{7f}\\u001f\u{2028}\"");
    }

    #[test]
    fn indent_and_separators_and_sort_keys() {
        let value = json!({"b": [1, {"c": []}], "a": "x"});
        let dumps = Dumps {
            indent: Some("  ".into()),
            item_separator: ",".into(),
            sort_keys: true,
            ..Dumps::default()
        };
        assert_eq!(
            dumps.dumps(&&value).unwrap(),
            "{\n  \"a\": \"x\",\n  \"b\": [\n    1,\n    {\n      \"c\": []\n    }\n  ]\n}"
        );
        let compact = Dumps { item_separator: ",".into(), key_separator: ":".into(), ..Dumps::default() };
        assert_eq!(compact.dumps(&&value).unwrap(), r#"{"b":[1,{"c":[]}],"a":"x"}"#);
    }
}
