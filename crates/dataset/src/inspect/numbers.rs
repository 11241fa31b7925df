//! Numbers as a person reads them in the text, markdown and HTML forms.

/// `1234567` as `1,234,567`.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1804.98` as `1,804.98` (two decimals).
pub(crate) fn decimal(value: f64) -> String {
    let text = format!("{:.2}", value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    let sign = if value < 0.0 { "-" } else { "" };
    format!("{sign}{}.{fraction}", count(whole.parse().unwrap_or(0)))
}

/// A rate as a percentage with one decimal, `–` when undefined.
pub(crate) fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// `n` followed by `one` or `many`.
pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(percent(Some(0.6667)), "66.7%");
        assert_eq!(decimal(1804.98), "1,804.98");
        assert_eq!(decimal(2.0), "2.00");
        assert_eq!(percent(None), "–");
        assert_eq!(plural(1, "sample", "samples"), "1 sample");
    }
}
