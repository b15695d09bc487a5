//! Python string literals, written the one way and read back: the managed sitecustomize block
//! shows settings as `repr()` would, and a `.pth` line must be pure ASCII whatever the paths it
//! names (`site` reads `.pth` files in the locale's encoding, ASCII under `LC_ALL=C`).

use std::fmt::Write;

/// How characters outside printable ASCII are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// As `repr()` writes them: printable characters as they are.
    Unicode,
    /// Every one as an escape: the literal is pure ASCII.
    Ascii,
}

/// `text` as a Python string literal: in single quotes unless it holds `'` and no `"`, as
/// `repr()` chooses; always a valid literal of the same string.
pub fn literal(text: &str, charset: Charset) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            c if charset == Charset::Unicode
                && !c.is_control()
                && !(c.is_whitespace() && c != ' ') =>
            {
                out.push(c)
            }
            c => {
                let code = u32::from(c);
                let _ = if code < 0x100 {
                    write!(out, "\\x{code:02x}")
                } else if code < 0x10000 {
                    write!(out, "\\u{code:04x}")
                } else {
                    write!(out, "\\U{code:08x}")
                };
            }
        }
    }
    out.push(quote);
    out
}

/// The string of a literal that [`literal`] wrote, at the start of `text`, and what follows.
pub fn read(text: &str) -> Option<(String, &str)> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &text[1..];
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            c if c == quote => return Some((value, &body[index + 1..])),
            '\\' => {
                let (_, escaped) = chars.next()?;
                let mut hex = |digits: usize| {
                    let code: String = (0..digits)
                        .filter_map(|_| chars.next().map(|(_, c)| c))
                        .collect();
                    char::from_u32(u32::from_str_radix(&code, 16).ok()?)
                };
                value.push(match escaped {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'x' => hex(2)?,
                    'u' => hex(4)?,
                    'U' => hex(8)?,
                    other => other,
                });
            }
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_as_repr_would() {
        let repr = |text: &str| literal(text, Charset::Unicode);
        assert_eq!(repr("plain"), "'plain'");
        assert_eq!(repr("it's"), "\"it's\"");
        assert_eq!(repr("both ' and \""), "'both \\' and \"'");
        assert_eq!(repr("a\\b\nc\td\u{7}"), "'a\\\\b\\nc\\td\\x07'");
        assert_eq!(repr("é\u{2028}"), "'é\\u2028'");
    }

    #[test]
    fn ascii_literals_read_back() {
        for text in ["a \"b\" \\ \u{e9} \u{1f600}\n", "it's", "\u{2028}'\""] {
            let written = literal(text, Charset::Ascii);
            assert!(written.is_ascii(), "{written}");
            assert_eq!(read(&written), Some((text.to_string(), "")));
            let written = literal(text, Charset::Unicode);
            assert_eq!(
                read(&format!("{written}, rest")),
                Some((text.to_string(), ", rest"))
            );
        }
    }
}
