//! `.pth` files that every interpreter of an environment can read. `site` reads them in the
//! locale's encoding (ASCII under `LC_ALL=C`), and a line it cannot decode stops the
//! interpreter from starting: pip and python alike. So every `.pth` this maturin installs or
//! puts into a wheel is pure ASCII, whatever the paths it names.

use maturin_hook_core::python_literal::{self, Charset};
use std::fmt::Write;

/// `text` as a Python string literal of printable ASCII characters only.
pub fn python_literal(text: &str) -> String {
    python_literal::literal(text, Charset::Ascii)
}

/// `content` of a `.pth` file with every line that is not ASCII rewritten into an ASCII line
/// that does the same, `None` when it is ASCII already. A path line (maturin's editable
/// installs name the project's Python source directory) becomes an `import` line that adds
/// the directory as `site` would; an `import` line is run through `exec` of its literal. A
/// relative path cannot be resolved without `site`'s directory and is left as it is.
pub fn ascii_pth(content: &[u8]) -> Option<Vec<u8>> {
    if content.is_ascii() {
        return None;
    }
    let text = String::from_utf8_lossy(content);
    let mut rewritten = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let (body, ending) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let path = body.trim_end();
        if body.is_ascii() || path.starts_with('#') {
            rewritten.push_str(line);
            continue;
        }
        if path.starts_with("import ") || path.starts_with("import\t") {
            write!(rewritten, "import sys; exec({})", python_literal(path)).unwrap();
        } else if std::path::Path::new(path).is_absolute() {
            let code = format!(
                "import os, sys\npath = {}\nif os.path.isdir(path) and path not in sys.path:\n    \
                 sys.path.append(path)\n",
                python_literal(path)
            );
            write!(rewritten, "import sys; exec({})", python_literal(&code)).unwrap();
        } else {
            rewritten.push_str(body);
        }
        rewritten.push_str(ending);
    }
    Some(rewritten.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_ascii_path_line_becomes_an_ascii_import_line() {
        let content = "/home/j\u{f6}rg/pr\u{f8}jekt \u{1f600}/python\n".as_bytes();
        let rewritten = String::from_utf8(ascii_pth(content).unwrap()).unwrap();
        assert!(rewritten.is_ascii() && rewritten.starts_with("import sys; exec(\""));
        assert!(
            rewritten.contains("j\\\\xf6rg") && rewritten.ends_with(")\n"),
            "{rewritten}"
        );
        assert_eq!(ascii_pth(b"/plain/path\n"), None);
        let import = ascii_pth("import x; y('\u{fc}')".as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(import).unwrap(),
            "import sys; exec(\"import x; y('\\xfc')\")"
        );
    }
}
