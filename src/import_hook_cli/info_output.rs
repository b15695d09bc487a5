//! The `key: value` / JSON output of `site info`, `cache info` and `version`, in the format of
//! `python -m maturin_import_hook`: text is one `key: value` line per key with Python's
//! spelling of `True`, `False` and `None`; JSON is one line, as `json.dumps` writes it.

use super::OutputFormat;
use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Bool(bool),
    None,
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Str(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Str(value.to_string())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::None, Into::into)
    }
}

/// Keys and values in the order they are printed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    entries: Vec<(&'static str, Value)>,
}

impl Report {
    pub fn push(&mut self, key: &'static str, value: impl Into<Value>) {
        self.entries.push((key, value.into()));
    }

    /// The report, ending with a line break.
    pub fn render(&self, format: OutputFormat) -> String {
        match format {
            OutputFormat::Text => self.text(),
            OutputFormat::Json => self.json(),
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for (key, value) in &self.entries {
            let value = match value {
                Value::Str(text) => text.as_str(),
                Value::Bool(true) => "True",
                Value::Bool(false) => "False",
                Value::None => "None",
            };
            let _ = writeln!(out, "{key}: {value}");
        }
        out
    }

    fn json(&self) -> String {
        let entries: Vec<String> = self
            .entries
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    Value::Str(text) => json_string(text),
                    Value::Bool(true) => "true".to_string(),
                    Value::Bool(false) => "false".to_string(),
                    Value::None => "null".to_string(),
                };
                format!("{}: {value}", json_string(key))
            })
            .collect();
        format!("{{{}}}\n", entries.join(", "))
    }
}

/// A JSON string with non-ASCII characters escaped, as Python's `json.dumps` writes it.
fn json_string(text: &str) -> String {
    let encoded = serde_json::to_string(text).expect("a string always serializes");
    let mut out = String::with_capacity(encoded.len());
    for c in encoded.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut report = Report::default();
        report.push("path", "/tmp/é");
        report.push("exists", true);
        report.push("size", None::<String>);
        report
    }

    #[test]
    fn text_uses_python_spellings() {
        assert_eq!(
            report().render(OutputFormat::Text),
            "path: /tmp/é\nexists: True\nsize: None\n"
        );
    }

    #[test]
    fn json_is_one_line_like_json_dumps() {
        assert_eq!(
            report().render(OutputFormat::Json),
            "{\"path\": \"/tmp/\\u00e9\", \"exists\": true, \"size\": null}\n"
        );
        let mut emoji = Report::default();
        emoji.push("x", "🦀");
        assert_eq!(
            emoji.render(OutputFormat::Json),
            "{\"x\": \"\\ud83e\\udd80\"}\n"
        );
    }
}
