//! The Jinja environment a chat template runs in: minijinja set up to
//! render as Python's jinja2 does under transformers' `apply_chat_template`
//! (an `ImmutableSandboxedEnvironment` with `trim_blocks`, `lstrip_blocks`,
//! loop controls, transformers' `tojson`, `raise_exception` and
//! `strftime_now`).
//!
//! What differs between the engines, and what is done about it (each found
//! by rendering real templates through both; see `tests/test_chat_templates.rs`):
//!
//! | jinja2 / transformers | minijinja alone | here |
//! |---|---|---|
//! | `tojson` is `json.dumps(ensure_ascii=False)`, kwargs `ensure_ascii indent separators sort_keys`, no HTML escaping | HTML-escapes `<>&'`, only `indent` | [`super::tojson`] |
//! | `{% generation %}` (transformers' tag) | unknown tag | rewritten to `{% if true %}` before compiling, keeping its whitespace control |
//! | `indent` keeps a trailing newline | drops it | jinja2's `indent` |
//! | `none is iterable` is false; `'ab' is sequence`, `{} is sequence` are true | the opposite | jinja2's tests |
//! | prints `True`, `None`, floats as `repr` (`1e-07`), containers as `repr` | `true`, `none`, `0.0000001` | a formatter printing Python's `str()` |
//! | `x|string` is `str(x)` | minijinja's display | Python's `str()` |
//! | `str.strip()`, `.split()`, `dict.items()`... | unknown methods | minijinja-contrib's pycompat |
//!
//! Left as they are (no template among those tested depends on them):
//! `~` concatenation and `join` print values minijinja's way (`true`), and
//! `Markup + str` escaping (jinja2 escapes the right side) is not copied.

use minijinja::value::{Kwargs, Rest, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind, State, Value};

use super::clock::Date;
use super::tojson;
use crate::format::pyjson::py_float_repr;

/// The template's name inside the environment.
pub(super) const TEMPLATE: &str = "chat_template";

/// An environment holding `source`, compiled, with every addition above.
pub(super) fn environment(source: &str, date: Date) -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    env.set_syntax(minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).build()?);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.set_formatter(python_formatter);
    env.add_filter("tojson", tojson::filter);
    env.add_filter("indent", indent);
    env.add_filter("string", |value: Value| python_str(&value));
    env.add_test("iterable", is_iterable);
    env.add_test("sequence", is_sequence);
    env.add_function("raise_exception", raise_exception);
    env.add_function("strftime_now", move |format: &str| date.strftime(format));
    env.add_template_owned(TEMPLATE, rewrite_generation_tags(source))?;
    Ok(env)
}

/// `raise_exception(message)`: the template refuses the conversation.
fn raise_exception(message: Value) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, format!("raise_exception: {}", python_str(&message))))
}

/// transformers' `{% generation %}...{% endgeneration %}` marks the
/// assistant's tokens and renders its body as is: the same as
/// `{% if true %}...{% endif %}`, whose whitespace control (`-`,
/// `trim_blocks`, `lstrip_blocks`) jinja2's lexer applies identically.
pub(super) fn rewrite_generation_tags(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let inner = tag[2..].strip_prefix(['-', '+']).unwrap_or(&tag[2..]);
        let control_len = tag.len() - 2 - inner.len();
        let word = inner.trim_start();
        let keyword = ["endgeneration", "generation"].into_iter().find(|k| {
            word.starts_with(k) && !word[k.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
        });
        match keyword {
            Some(keyword) => {
                let spaces = inner.len() - word.len();
                out.push_str(&tag[..2 + control_len + spaces]);
                out.push_str(if keyword == "generation" { "if true" } else { "endif" });
                rest = &word[keyword.len()..];
            }
            None => {
                out.push_str("{%");
                rest = &tag[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// How `{{ value }}` prints: Python's `str(value)` (`True`, `None`,
/// `1e-07`, `{'a': 1}`); strings and undefined as minijinja prints them.
fn python_formatter(out: &mut minijinja::Output, state: &mut State, value: &Value) -> Result<(), Error> {
    match value.kind() {
        ValueKind::None | ValueKind::Bool | ValueKind::Number | ValueKind::Seq | ValueKind::Map => {
            out.write_str(&python_str(value)).map_err(|_| Error::from(ErrorKind::WriteFailure))
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// Python's `str(value)`.
pub(super) fn python_str(value: &Value) -> String {
    match value.kind() {
        ValueKind::String => value.as_str().unwrap_or_default().to_owned(),
        ValueKind::Undefined => String::new(),
        _ => {
            let mut out = String::new();
            python_repr(value, &mut out);
            out
        }
    }
}

/// Python's `repr(value)` for what JSON data holds.
fn python_repr(value: &Value, out: &mut String) {
    match value.kind() {
        ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if value.is_true() { "True" } else { "False" }),
        ValueKind::Number if !value.is_integer() => match f64::try_from(value.clone()) {
            Ok(f) => py_float_repr(f, out),
            Err(_) => out.push_str(&value.to_string()),
        },
        ValueKind::String => string_repr(value.as_str().unwrap_or_default(), out),
        ValueKind::Seq => {
            out.push('[');
            for (index, item) in value.try_iter().into_iter().flatten().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                python_repr(&item, out);
            }
            out.push(']');
        }
        ValueKind::Map => {
            out.push('{');
            for (index, key) in value.try_iter().into_iter().flatten().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                python_repr(&key, out);
                out.push_str(": ");
                python_repr(&value.get_item(&key).unwrap_or_default(), out);
            }
            out.push('}');
        }
        _ => out.push_str(&value.to_string()),
    }
}

/// Python's `repr(str)`: single quotes unless the text has `'` and no `"`.
fn string_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// jinja2's `indent(s, width=4, first=False, blank=False)`: unlike
/// minijinja's, a trailing newline stays.
fn indent(value: Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    let mut positional: Vec<Value> = Vec::new();
    let mut kwargs = None;
    for arg in args.into_values() {
        if arg.is_kwargs() {
            kwargs = Some(Kwargs::try_from(arg)?);
        } else {
            positional.push(arg);
        }
    }
    let named = |name: &str, index: usize| -> Result<Option<Value>, Error> {
        match kwargs.as_ref() {
            Some(kwargs) if kwargs.has(name) => Ok(Some(kwargs.get::<Value>(name)?)),
            _ => Ok(positional.get(index).cloned()),
        }
    };
    let pad = match named("width", 0)? {
        Some(width) if width.kind() == ValueKind::String => width.as_str().unwrap_or_default().to_owned(),
        Some(width) => " ".repeat(usize::try_from(width)?),
        None => "    ".to_owned(),
    };
    let first = named("first", 1)?.is_some_and(|v| v.is_true());
    let blank = named("blank", 2)?.is_some_and(|v| v.is_true());
    if let Some(kwargs) = &kwargs {
        kwargs.assert_all_used()?;
    }
    let text = python_str(&value) + "\n";
    let lines: Vec<&str> = python_splitlines(&text);
    let mut out = String::new();
    if blank {
        out = lines.join(&format!("\n{pad}"));
    } else if let Some((head, rest)) = lines.split_first() {
        out.push_str(head);
        for line in rest {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
            }
            out.push_str(line);
        }
    }
    Ok(if first { format!("{pad}{out}") } else { out })
}

/// Python's `str.splitlines()` for `\n`, `\r\n` and `\r` (the line breaks
/// chat templates meet), without the breaks.
fn python_splitlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.find(['\n', '\r']) {
            Some(at) => {
                lines.push(&rest[..at]);
                let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[at + skip..];
            }
            None => {
                lines.push(rest);
                break;
            }
        }
    }
    lines
}

/// jinja2's `iterable`: anything `iter()` accepts; `none` is not.
fn is_iterable(value: Value) -> bool {
    matches!(value.kind(), ValueKind::String | ValueKind::Seq | ValueKind::Map | ValueKind::Iterable)
}

/// jinja2's `sequence`: anything with a length and item access, strings
/// and mappings included.
fn is_sequence(value: Value) -> bool {
    matches!(value.kind(), ValueKind::String | ValueKind::Seq | ValueKind::Map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str) -> String {
        let env = environment(source, Date::new(2025, 1, 15).unwrap()).unwrap();
        env.get_template(TEMPLATE).unwrap().render(()).unwrap()
    }

    #[test]
    fn generation_tags_become_if_blocks_keeping_whitespace_control() {
        assert_eq!(
            rewrite_generation_tags("a{%- generation -%} b {%+endgeneration %}{% generations %}"),
            "a{%- if true -%} b {%+endif %}{% generations %}"
        );
        assert_eq!(render("x\n  {% generation %}\nbody\n{% endgeneration %}\ny"), "x\nbody\ny");
    }

    #[test]
    fn prints_values_as_python_str() {
        assert_eq!(render("{{ true }} {{ none }} {{ 1e-7 }} {{ 3.0 }} {{ 12 }}"), "True None 1e-07 3.0 12");
        assert_eq!(render(r#"{{ {"a": [1, 2.5, "it's", none]} }}"#), r#"{'a': [1, 2.5, "it's", None]}"#);
        assert_eq!(render("{{ true|string }}-{{ 'x'|string }}"), "True-x");
    }

    #[test]
    fn indent_keeps_the_trailing_newline_as_jinja2() {
        assert_eq!(render(r#"{{ "{\n"|indent(4, first=true) }}|"#), "    {\n|");
        assert_eq!(render(r#"{{ "a\n\nb"|indent(2) }}"#), "a\n\n  b");
        assert_eq!(render(r#"{{ "a\n\nb"|indent("> ", blank=true) }}"#), "a\n> \n> b");
    }

    #[test]
    fn iterable_and_sequence_tests_follow_jinja2() {
        assert_eq!(
            render(
                "{{ none is iterable }} {{ 'ab' is iterable }} {{ 'ab' is sequence }} {{ {} is sequence }} {{ 1 is sequence }}"
            ),
            "False True True True False"
        );
    }

    #[test]
    fn raise_exception_fails_the_render_with_its_message() {
        let env = environment("{{ raise_exception('no parallel calls') }}", Date::new(2025, 1, 15).unwrap())
            .unwrap();
        let err = env.get_template(TEMPLATE).unwrap().render(()).unwrap_err();
        assert_eq!(err.detail(), Some("raise_exception: no parallel calls"));
    }

    #[test]
    fn pycompat_methods_and_loop_controls_work() {
        assert_eq!(
            render(
                "{% for x in ' a,b '.strip().split(',') %}{% if x == 'b' %}{% break %}{% endif %}{{ x }}{% endfor %}"
            ),
            "a"
        );
    }
}
