//! RECORD files: reading them (CSV), writing them, and the hashes they hold.
//!
//! Each row is `path,hash,size`: the path relative to the directory that holds the
//! `.dist-info` directory (using `/`), `sha256=<urlsafe base64 without padding>`, and the size
//! in bytes. RECORD lists itself with empty hash and size.

use anyhow::{bail, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// One row of a RECORD file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordRow {
    /// Path relative to the site-packages directory holding the dist-info, `/`-separated.
    pub path: String,
    /// `sha256=…`, or empty (RECORD itself, or files an installer did not hash).
    pub hash: String,
    /// Size in bytes as text, or empty.
    pub size: String,
}

/// `sha256=<urlsafe base64 without padding>` of `content`.
pub(crate) fn hash(content: &[u8]) -> String {
    format!("sha256={}", URL_SAFE_NO_PAD.encode(Sha256::digest(content)))
}

/// Parses RECORD text as CSV (Python's `csv` dialect: `,` separated, `"` quoted with `""` as an
/// escaped quote, `\n` or `\r\n` line ends). Rows without a path are skipped.
pub(crate) fn parse(text: &str) -> Result<Vec<RecordRow>> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted_field = false;
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    let finish_row = |row: &mut Vec<String>, rows: &mut Vec<RecordRow>| {
        let mut fields = std::mem::take(row).into_iter();
        let path = fields.next().unwrap_or_default();
        if !path.is_empty() {
            rows.push(RecordRow {
                path,
                hash: fields.next().unwrap_or_default(),
                size: fields.next().unwrap_or_default(),
            });
        }
    };
    while let Some(ch) = chars.next() {
        if in_quotes {
            if ch == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(ch);
            }
            continue;
        }
        match ch {
            '"' if field.is_empty() && !quoted_field => {
                in_quotes = true;
                quoted_field = true;
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                quoted_field = false;
            }
            '\r' | '\n' => {
                if ch == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                if !field.is_empty() || quoted_field || !row.is_empty() {
                    row.push(std::mem::take(&mut field));
                }
                quoted_field = false;
                finish_row(&mut row, &mut rows);
            }
            _ => field.push(ch),
        }
    }
    if in_quotes {
        bail!("unterminated quoted field at the end of the file");
    }
    if !field.is_empty() || quoted_field || !row.is_empty() {
        row.push(field);
        finish_row(&mut row, &mut rows);
    }
    Ok(rows)
}

/// Renders rows as RECORD text, one `\n`-terminated line per row, quoting fields that
/// contain `,`, `"`, `\r` or `\n` the way Python's `csv` module does.
pub(crate) fn render(rows: &[RecordRow]) -> String {
    let mut out = String::new();
    for row in rows {
        push_field(&mut out, &row.path);
        out.push(',');
        push_field(&mut out, &row.hash);
        out.push(',');
        push_field(&mut out, &row.size);
        out.push('\n');
    }
    out
}

fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_of_empty_file() {
        assert_eq!(
            hash(b""),
            "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
        );
    }

    #[test]
    fn round_trip_with_quoting() {
        let rows = vec![
            RecordRow {
                path: "a,b/c\"d\".py".into(),
                hash: hash(b"x"),
                size: "1".into(),
            },
            RecordRow {
                path: "x.dist-info/RECORD".into(),
                hash: String::new(),
                size: String::new(),
            },
        ];
        let text = render(&rows);
        assert_eq!(
            text.lines().next().unwrap(),
            format!("\"a,b/c\"\"d\"\".py\",{},1", hash(b"x"))
        );
        assert!(text.ends_with("x.dist-info/RECORD,,\n"));
        assert_eq!(parse(&text).unwrap(), rows);
    }

    #[test]
    fn parses_crlf_and_short_rows() {
        let rows = parse("a.py,sha256=abc,3\r\n\r\nb.py\r\n../../../bin/x,,\r\n").unwrap();
        let paths: Vec<&str> = rows.iter().map(|row| row.path.as_str()).collect();
        assert_eq!(paths, ["a.py", "b.py", "../../../bin/x"]);
        assert_eq!(rows[0].size, "3");
        assert!(parse("\"unterminated").is_err());
    }
}
