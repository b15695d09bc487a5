//! Executable scripts: launchers for `console_scripts`/`gui_scripts` entry points, and the
//! `#!python` shebang of files in `.data/scripts/`.
//!
//! On Unix a launcher is a small Python script run by the environment's interpreter: it
//! imports the entry point's object and exits with what calling it returns. Windows needs
//! `.exe` launchers, which this installer does not make.

use anyhow::{bail, Result};
use std::path::Path;

/// Shebang lines longer than this are cut by the kernel (Linux reads 128 bytes of `#!…`).
const MAX_SHEBANG_LENGTH: usize = 127;

/// A `console_scripts` or `gui_scripts` entry point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryPoint {
    /// The script's file name.
    pub name: String,
    /// The dotted module to import.
    pub module: String,
    /// The dotted attribute path inside the module (`obj` or `obj.attr`).
    pub attr: String,
    /// Whether it came from `[gui_scripts]` (installed the same way on Unix).
    pub gui: bool,
}

/// Reads the script entry points of an `entry_points.txt` (INI-like: `[section]` headers,
/// `name = module:attr [extras]` lines, `#`/`;` comments). Other sections are ignored.
/// A later definition of the same script name replaces an earlier one.
pub(crate) fn parse_entry_points(text: &str) -> Result<Vec<EntryPoint>> {
    let mut section: Option<&str> = None;
    let mut entry_points: Vec<EntryPoint> = Vec::new();
    for (number, raw_line) in text.lines().enumerate() {
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                bail!("line {}: bad section header {line:?}", number + 1);
            };
            section = Some(name.trim());
            continue;
        }
        let gui = match section {
            Some("console_scripts") => false,
            Some("gui_scripts") => true,
            _ => continue,
        };
        let Some((name, value)) = line.split_once('=') else {
            bail!(
                "line {}: expected `name = module:attr`, found {line:?}",
                number + 1
            );
        };
        let name = name.trim();
        let (module, attr) = parse_object_reference(value)
            .map_err(|err| anyhow::anyhow!("line {}: script {name:?}: {err}", number + 1))?;
        check_script_name(name).map_err(|err| anyhow::anyhow!("line {}: {err}", number + 1))?;
        entry_points.retain(|existing| existing.name != name);
        entry_points.push(EntryPoint {
            name: name.to_string(),
            module,
            attr,
            gui,
        });
    }
    Ok(entry_points)
}

/// Splits `module.sub:obj.attr [extra1, extra2]` into module and attribute path.
fn parse_object_reference(value: &str) -> Result<(String, String)> {
    let mut value = value.trim();
    if let Some(start) = value.find('[') {
        if !value.ends_with(']') {
            bail!("bad extras in {value:?}");
        }
        value = value[..start].trim();
    }
    let Some((module, attr)) = value.split_once(':') else {
        bail!("{value:?} names no callable (expected `module:attr`)");
    };
    let (module, attr) = (module.trim(), attr.trim());
    if !is_dotted_identifier(module) {
        bail!("{module:?} is not a module path");
    }
    if !is_dotted_identifier(attr) {
        bail!("{attr:?} is not an attribute path");
    }
    Ok((module.to_string(), attr.to_string()))
}

fn is_dotted_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|first| first == '_' || first.is_alphabetic())
                && chars.all(|ch| ch == '_' || ch.is_alphanumeric())
        })
}

/// Script names become file names in the scripts directory.
fn check_script_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\', '\0'])
        || name.trim() != name
    {
        bail!("{name:?} is not a valid script name");
    }
    Ok(())
}

/// The `#!` line(s) that run a script with `python`, ending in a newline. When the path has a
/// space or would make the line too long for the kernel, a `/bin/sh` trampoline re-executes
/// the file with Python (the shell runs the first line as `exec`, Python sees one string).
pub(crate) fn shebang(python: &Path, args: &str) -> Vec<u8> {
    let python = path_bytes(python);
    let args = args.trim();
    let simple_length = 2 + python.len() + if args.is_empty() { 0 } else { 1 + args.len() } + 1;
    if !python.contains(&b' ') && simple_length <= MAX_SHEBANG_LENGTH {
        let mut line = b"#!".to_vec();
        line.extend_from_slice(&python);
        if !args.is_empty() {
            line.push(b' ');
            line.extend_from_slice(args.as_bytes());
        }
        line.push(b'\n');
        return line;
    }
    let mut out = b"#!/bin/sh\n'''exec' \"".to_vec();
    for &byte in &python {
        if matches!(byte, b'"' | b'\\' | b'$' | b'`') {
            out.push(b'\\');
        }
        out.push(byte);
    }
    out.push(b'"');
    if !args.is_empty() {
        out.push(b' ');
        out.extend_from_slice(args.as_bytes());
    }
    out.extend_from_slice(b" \"$0\" \"$@\"\n' '''\n");
    out
}

/// The launcher for an entry point, run by `python`.
pub(crate) fn launcher(python: &Path, entry_point: &EntryPoint) -> Vec<u8> {
    let root = entry_point
        .attr
        .split('.')
        .next()
        .unwrap_or(&entry_point.attr);
    let mut out = shebang(python, "");
    out.extend_from_slice(
        format!(
            "# -*- coding: utf-8 -*-\n\
             import sys\n\
             from {module} import {root}\n\
             if __name__ == \"__main__\":\n    \
             sys.exit({attr}())\n",
            module = entry_point.module,
            attr = entry_point.attr,
        )
        .as_bytes(),
    );
    out
}

/// For a `.data/scripts/` file whose first line is `#!python` or `#!pythonw` (optionally
/// followed by arguments), the content with that line pointing at `python`. Other files:
/// `None` (installed as they are).
pub(crate) fn rewrite_shebang(content: &[u8], python: &Path) -> Option<Vec<u8>> {
    let rest = content.strip_prefix(b"#!python")?;
    let line_end = rest.iter().position(|&byte| byte == b'\n');
    let (first_line, body) = match line_end {
        Some(end) => (&rest[..end], &rest[end + 1..]),
        None => (rest, &[][..]),
    };
    let first_line = first_line.strip_suffix(b"\r").unwrap_or(first_line);
    // `#!python`, `#!pythonw`, `#!python3`… : the interpreter word ends at the first blank.
    let word_end = first_line
        .iter()
        .position(|byte| byte.is_ascii_whitespace())
        .unwrap_or(first_line.len());
    let args = String::from_utf8_lossy(&first_line[word_end..]);
    let mut out = shebang(python, &args);
    out.extend_from_slice(body);
    Some(out)
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entry_points() {
        let text = "[console_scripts]\n\
                    tool = pkg.cli:main\n\
                    other=pkg:App.run [extra1, extra2]\n\
                    # comment\n\
                    [gui_scripts]\n\
                    gui = pkg.gui:start\n\
                    [other.plugins]\n\
                    ignored = x:y\n";
        let entry_points = parse_entry_points(text).unwrap();
        assert_eq!(entry_points.len(), 3);
        assert_eq!(entry_points[0].module, "pkg.cli");
        assert_eq!(entry_points[1].attr, "App.run");
        assert!(entry_points[2].gui);
        assert!(parse_entry_points("[console_scripts]\nx = module_only\n").is_err());
        assert!(parse_entry_points("[console_scripts]\n../x = a:b\n").is_err());
        assert!(parse_entry_points("[console_scripts]\nx = a;import os:b\n").is_err());
    }

    #[test]
    fn launcher_content() {
        let entry_point = EntryPoint {
            name: "tool".into(),
            module: "pkg.cli".into(),
            attr: "App.run".into(),
            gui: false,
        };
        let text = String::from_utf8(launcher(Path::new("/v/bin/python"), &entry_point)).unwrap();
        assert_eq!(
            text,
            "#!/v/bin/python\n# -*- coding: utf-8 -*-\nimport sys\nfrom pkg.cli import App\n\
             if __name__ == \"__main__\":\n    sys.exit(App.run())\n"
        );
    }

    #[test]
    fn long_or_spaced_python_uses_sh() {
        let text = String::from_utf8(shebang(Path::new("/my env/bin/python"), "")).unwrap();
        assert_eq!(
            text,
            "#!/bin/sh\n'''exec' \"/my env/bin/python\" \"$0\" \"$@\"\n' '''\n"
        );
        let long = format!("/{}/python", "x".repeat(130));
        assert!(shebang(Path::new(&long), "").starts_with(b"#!/bin/sh\n"));
    }

    #[test]
    fn rewrites_python_shebang() {
        let python = Path::new("/v/bin/python");
        assert_eq!(
            rewrite_shebang(b"#!python\nprint(1)\n", python).unwrap(),
            b"#!/v/bin/python\nprint(1)\n"
        );
        assert_eq!(
            rewrite_shebang(b"#!pythonw -u\r\nx\r\n", python).unwrap(),
            b"#!/v/bin/python -u\nx\r\n"
        );
        assert!(rewrite_shebang(b"#!/bin/sh\necho\n", python).is_none());
    }
}
