//! transformers' `tojson` filter: `json.dumps(x, ensure_ascii=False,
//! indent=None, separators=None, sort_keys=False)`, every option also a
//! positional argument in that order (so `x|tojson(2)` is
//! `ensure_ascii=2`, as in transformers). No HTML escaping. Values JSON
//! cannot hold fail as `json.dumps` fails: undefined, generators (a
//! `namespace()` serializes as the mapping it is in minijinja).

use std::borrow::Cow;

use minijinja::value::{Kwargs, Rest, ValueKind, ValueOrKwargs};
use minijinja::{Error, ErrorKind, Value};

use crate::format::pyjson::{Dumps, Node, View};

/// `value|tojson(...)`.
pub(super) fn filter(args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let mut positional: Vec<Value> = Vec::new();
    let mut kwargs = None;
    for arg in args.into_values() {
        if arg.is_kwargs() {
            kwargs = Some(Kwargs::try_from(arg)?);
        } else {
            positional.push(arg);
        }
    }
    let Some((value, options)) = positional.split_first() else {
        return Err(Error::from(ErrorKind::MissingArgument));
    };
    if options.len() > 4 {
        return Err(Error::from(ErrorKind::TooManyArguments));
    }
    let option = |name: &str, index: usize| -> Result<Value, Error> {
        match kwargs.as_ref() {
            Some(kwargs) if kwargs.has(name) => kwargs.get::<Value>(name),
            _ => Ok(options.get(index).cloned().unwrap_or(Value::from(()))),
        }
    };
    let dumps = dumps_options(
        option("ensure_ascii", 0)?,
        option("indent", 1)?,
        option("separators", 2)?,
        option("sort_keys", 3)?,
    )?;
    if let Some(kwargs) = &kwargs {
        kwargs.assert_all_used()?;
    }
    Ok(Value::from(dumps.dumps(value)?))
}

fn dumps_options(
    ensure_ascii: Value,
    indent: Value,
    separators: Value,
    sort_keys: Value,
) -> Result<Dumps, Error> {
    let indent = match indent.kind() {
        ValueKind::None | ValueKind::Undefined => None,
        ValueKind::String => Some(indent.as_str().unwrap_or_default().to_owned()),
        ValueKind::Number => Some(" ".repeat(usize::try_from(indent.clone()).unwrap_or(0))),
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "tojson: indent must be a number or a string",
            ));
        }
    };
    let (item_separator, key_separator) = match separators.kind() {
        ValueKind::None | ValueKind::Undefined => {
            (if indent.is_some() { "," } else { ", " }.to_owned(), ": ".to_owned())
        }
        _ => {
            let parts: Vec<Value> = separators.try_iter()?.collect();
            match parts.as_slice() {
                [item, key] if item.as_str().is_some() && key.as_str().is_some() => (
                    item.as_str().unwrap_or_default().to_owned(),
                    key.as_str().unwrap_or_default().to_owned(),
                ),
                _ => {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "tojson: separators must be two strings",
                    ));
                }
            }
        }
    };
    Ok(Dumps {
        ensure_ascii: ensure_ascii.is_true(),
        indent,
        item_separator,
        key_separator,
        sort_keys: sort_keys.is_true(),
    })
}

impl Node for Value {
    type Error = Error;

    fn view(&self) -> Result<View<'_, Self>, Error> {
        Ok(match self.kind() {
            ValueKind::None => View::Null,
            ValueKind::Bool => View::Bool(self.is_true()),
            ValueKind::Number if self.is_integer() => View::Int(Cow::Owned(self.to_string())),
            ValueKind::Number => View::Float(f64::try_from(self.clone())?),
            ValueKind::String => View::Str(Cow::Borrowed(self.as_str().unwrap_or_default())),
            ValueKind::Seq => View::Seq(self.try_iter()?.collect()),
            ValueKind::Map => {
                let mut entries = Vec::new();
                for key in self.try_iter()? {
                    let item = self.get_item(&key)?;
                    entries.push((key_text(&key)?, item));
                }
                View::Map(entries)
            }
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("tojson: a value of type {other} is not JSON serializable"),
                ));
            }
        })
    }
}

/// A key as `json.dumps` writes it: strings as they are, `true`, `null`,
/// numbers as digits (floats as `repr`).
fn key_text(key: &Value) -> Result<Cow<'static, str>, Error> {
    Ok(Cow::Owned(match key.kind() {
        ValueKind::String => key.as_str().unwrap_or_default().to_owned(),
        ValueKind::Bool => if key.is_true() { "true" } else { "false" }.to_owned(),
        ValueKind::None => "null".to_owned(),
        ValueKind::Number if key.is_integer() => key.to_string(),
        ValueKind::Number => {
            let mut out = String::new();
            crate::format::pyjson::py_float_repr(f64::try_from(key.clone())?, &mut out);
            out
        }
        other => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("tojson: keys must be str, not {other}"),
            ));
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::super::clock::Date;
    use super::super::jinja::{TEMPLATE, environment};

    fn render(source: &str, ctx: serde_json::Value) -> Result<String, minijinja::Error> {
        let env = environment(source, Date::new(2025, 1, 15).unwrap()).unwrap();
        env.get_template(TEMPLATE).unwrap().render(minijinja::Value::from(minijinja::value::Serde(&ctx)))
    }

    #[test]
    fn writes_json_dumps_text_without_html_escaping() {
        let ctx = serde_json::json!({"x": {"q": "cats & dogs <b> it's", "n": [1, 2.5, 1e-7, true, null], "é": "°"}});
        assert_eq!(
            render("{{ x|tojson }}", ctx).unwrap(),
            r#"{"q": "cats & dogs <b> it's", "n": [1, 2.5, 1e-07, true, null], "é": "°"}"#
        );
    }

    #[test]
    fn takes_json_dumps_options_by_name_and_position() {
        let ctx = serde_json::json!({"x": {"b": "é", "a": [1]}});
        assert_eq!(
            render("{{ x|tojson(ensure_ascii=true) }}", ctx.clone()).unwrap(),
            r#"{"b": "\u00e9", "a": [1]}"#
        );
        assert_eq!(render("{{ x|tojson(true) }}", ctx.clone()).unwrap(), r#"{"b": "\u00e9", "a": [1]}"#);
        assert_eq!(render("{{ x|tojson(sort_keys=true) }}", ctx.clone()).unwrap(), r#"{"a": [1], "b": "é"}"#);
        assert_eq!(
            render("{{ x|tojson(separators=(',', ':')) }}", ctx.clone()).unwrap(),
            r#"{"b":"é","a":[1]}"#
        );
        assert_eq!(
            render("{{ x|tojson(indent=2) }}", ctx.clone()).unwrap(),
            "{\n  \"b\": \"é\",\n  \"a\": [\n    1\n  ]\n}"
        );
        assert_eq!(
            render("{{ x|tojson(indent='\t') }}", serde_json::json!({"x": [1]})).unwrap(),
            "[\n\t1\n]"
        );
        assert!(render("{{ x|tojson(colour=1) }}", ctx).is_err());
    }

    #[test]
    fn fails_where_json_dumps_fails() {
        let err = render("{{ missing|tojson }}", serde_json::json!({})).unwrap_err();
        assert!(err.to_string().contains("not JSON serializable"), "{err}");
    }
}
