//! The managed import hook block in `sitecustomize.py` / `usercustomize.py`: its text, and
//! the edits that add, replace and remove it. Pure functions on the file's text; the command
//! layer reads and writes the file.
//!
//! The block sits between two marker lines, the same as maturin_import_hook 0.3.0 writes, so
//! that either tool finds and removes the other's block. Everything outside the block is the
//! user's and is kept byte for byte: installing appends the block (after one separating line
//! break), uninstalling removes the block and that line break again.

use maturin_hook_core::settings::{HookSettings, Value};
use std::ops::Range;

/// The first line of a managed block.
pub const START_MARKER: &str = "# <maturin_import_hook>";
/// The last line of a managed block.
pub const END_MARKER: &str = "# </maturin_import_hook>";

/// What a managed block does at interpreter start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockOptions {
    pub settings: HookSettings,
    pub enable_project_importer: bool,
    pub enable_rs_file_importer: bool,
    /// The block lives in usercustomize.py (it names `--user` in its uninstall hint).
    pub user: bool,
}

impl BlockOptions {
    /// The block for `site install`: `args` is the `--args` string (`None`: no arguments).
    /// Like upstream, the settings always carry a colour choice (`color=True` unless the
    /// arguments say `--color never`): the hook's build output goes to a terminal.
    pub fn new(
        args: Option<&str>,
        enable_project_importer: bool,
        enable_rs_file_importer: bool,
        user: bool,
    ) -> Result<BlockOptions, String> {
        let mut settings = match args {
            Some(args) => HookSettings::from_args(args)?,
            None => HookSettings::default(),
        };
        if settings.get("color") == Some(&Value::Colour(None)) {
            settings.set("color", Value::Colour(Some(true)))?;
        }
        Ok(BlockOptions {
            settings,
            enable_project_importer,
            enable_rs_file_importer,
            user,
        })
    }
}

/// The managed block, markers included, every line ending with `newline`.
///
/// At start-up the block never stops the interpreter: when `maturin_import_hook` is not
/// installed for the interpreter it does nothing (usercustomize.py is shared by every
/// environment of a Python version, most of which do not have it), and when activating the hook
/// fails it raises, which Python's `site` module reports on stderr as "Error in
/// sitecustomize" before carrying on, with the command that removes the block.
pub fn render_block(options: &BlockOptions, newline: &str) -> String {
    let python = |value: bool| if value { "True" } else { "False" };
    let user = if options.user { " --user" } else { "" };
    let kwargs = options.settings.python_kwargs();
    let settings = if kwargs.is_empty() {
        String::new()
    } else {
        format!("                {}\n", kwargs.join(",\n                "))
    };
    let text = format!(
        "{START_MARKER}
# the following installs the maturin import hook during startup.
# see: `maturin import-hook site --help` or `python -m maturin_import_hook site`
try:
    import maturin_import_hook
except ImportError:
    # maturin_import_hook is not installed for this interpreter: nothing to activate
    pass
else:
    try:
        from maturin_import_hook.settings import MaturinSettings
        maturin_import_hook.install(
            settings=MaturinSettings(
{settings}            ),
            enable_project_importer={project},
            enable_rs_file_importer={rs_file},
        )
    except Exception as e:
        raise RuntimeError(
            f\"{{e}}\\n>> ERROR in managed maturin_import_hook installation. \"
            \"Remove with `python -m maturin_import_hook site uninstall{user}` \"
            \"or `maturin import-hook site uninstall{user}`\\n\",
        )
{END_MARKER}
",
        project = python(options.enable_project_importer),
        rs_file = python(options.enable_rs_file_importer),
    );
    if newline == "\n" {
        text
    } else {
        text.replace('\n', newline)
    }
}

/// A complete managed block: byte range from the start of its start marker line to the end of
/// its end marker line (line break included), and its 1-based line numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub range: Range<usize>,
    pub first_line: usize,
    pub last_line: usize,
    /// `enable_project_importer=False` is not in the block.
    pub project_importer: bool,
    /// `enable_rs_file_importer=False` is not in the block.
    pub rs_file_importer: bool,
}

/// A start marker without an end marker after it. `range` covers the start marker line and the
/// lines after it that look like a managed block's (comments of the block, `try:`/`except`/
/// `else:` and indented lines), up to the first line that does not: that is what a repair
/// removes. User code that follows is left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenBlock {
    pub range: Range<usize>,
    pub first_line: usize,
    pub last_line: usize,
}

impl BrokenBlock {
    /// What is wrong, for messages: "line N starts … but …".
    pub fn describe(&self) -> String {
        format!(
            "line {} has the start marker `{START_MARKER}` of a managed maturin_import_hook \
             block, but no end marker `{END_MARKER}` follows",
            self.first_line
        )
    }
}

/// The managed blocks of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    pub blocks: Vec<Block>,
    pub broken: Vec<BrokenBlock>,
}

impl Scan {
    /// A complete block is present (what `site info` reports as installed).
    pub fn is_installed(&self) -> bool {
        !self.blocks.is_empty()
    }

    /// Any block, complete or broken, is present.
    pub fn has_any_block(&self) -> bool {
        !self.blocks.is_empty() || !self.broken.is_empty()
    }

    /// Every block's range, complete or broken, in file order.
    fn ranges(&self) -> Vec<Range<usize>> {
        let mut ranges: Vec<Range<usize>> = self
            .blocks
            .iter()
            .map(|block| block.range.clone())
            .chain(self.broken.iter().map(|broken| broken.range.clone()))
            .collect();
        ranges.sort_by_key(|range| range.start);
        // blocks that touch are removed or replaced as one
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
        for range in ranges {
            match merged.last_mut() {
                Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => merged.push(range),
            }
        }
        merged
    }
}

struct Line<'t> {
    /// Byte range, line break included.
    range: Range<usize>,
    /// The line without its line break and trailing whitespace.
    content: &'t str,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = text[start..]
            .find('\n')
            .map_or(text.len(), |offset| start + offset + 1);
        lines.push(Line {
            range: start..end,
            content: text[start..end].trim_end(),
        });
        start = end;
    }
    lines
}

/// Finds the managed blocks of `text`. Markers count only as whole lines (trailing whitespace
/// and `\r` ignored).
pub fn scan(text: &str) -> Scan {
    let lines = lines(text);
    let mut scan = Scan::default();
    let mut index = 0;
    while index < lines.len() {
        if lines[index].content != START_MARKER {
            index += 1;
            continue;
        }
        let start = index;
        let end = lines[start + 1..]
            .iter()
            .position(|line| line.content == END_MARKER || line.content == START_MARKER)
            .map(|offset| start + 1 + offset);
        match end {
            Some(end) if lines[end].content == END_MARKER => {
                let body = &text[lines[start].range.start..lines[end].range.end];
                scan.blocks.push(Block {
                    range: lines[start].range.start..lines[end].range.end,
                    first_line: start + 1,
                    last_line: end + 1,
                    project_importer: !body.contains("enable_project_importer=False"),
                    rs_file_importer: !body.contains("enable_rs_file_importer=False"),
                });
                index = end + 1;
            }
            _ => {
                let mut last = start;
                while last + 1 < lines.len() && looks_like_block_line(lines[last + 1].content) {
                    last += 1;
                }
                scan.broken.push(BrokenBlock {
                    range: lines[start].range.start..lines[last].range.end,
                    first_line: start + 1,
                    last_line: last + 1,
                });
                index = last + 1;
            }
        }
    }
    scan
}

/// A line that can be part of a managed block (ours or upstream's): its comments, its
/// `try:`/`except …:`/`else:` lines, and indented lines. Blank lines and anything else at the
/// start of a line end the block.
fn looks_like_block_line(line: &str) -> bool {
    if line.starts_with([' ', '\t']) {
        return !line.trim().is_empty();
    }
    line == "try:"
        || line == "else:"
        || (line.starts_with("except") && line.ends_with(':'))
        || line.starts_with("# the following installs the maturin import hook")
        || line.starts_with("# see: `")
}

/// The line break the file uses: `\r\n` when its first line ends so, else `\n`.
pub fn newline_of(text: &str) -> &'static str {
    match text.find('\n') {
        Some(index) if text[..index].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

/// The result of [`install`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallEdit {
    /// A complete block is there and `force` was not given: nothing to do.
    AlreadyInstalled,
    /// Only broken blocks are there and `force` was not given: refuse, say how to repair.
    Broken(BrokenBlock),
    /// The new text of the file.
    Write {
        text: String,
        /// An existing block (complete or broken) was replaced.
        replaced: bool,
        /// Broken blocks that were replaced or removed.
        repaired: Vec<BrokenBlock>,
    },
}

/// Adds the managed block to `existing` (`None`: the file does not exist). With `force`, the
/// first existing block (complete or broken) is replaced in place and any further ones are
/// removed; the rest of the file is kept byte for byte.
pub fn install(existing: Option<&str>, options: &BlockOptions, force: bool) -> InstallEdit {
    let existing = existing.unwrap_or("");
    let newline = newline_of(existing);
    let block = render_block(options, newline);
    let scan = scan(existing);
    if !scan.has_any_block() {
        let mut text = String::with_capacity(existing.len() + newline.len() + block.len());
        text.push_str(existing);
        if !existing.is_empty() {
            text.push_str(newline);
        }
        text.push_str(&block);
        return InstallEdit::Write {
            text,
            replaced: false,
            repaired: Vec::new(),
        };
    }
    if !force {
        return match scan.broken.first() {
            Some(broken) if !scan.is_installed() => InstallEdit::Broken(broken.clone()),
            _ => InstallEdit::AlreadyInstalled,
        };
    }
    let ranges = scan.ranges();
    let first = ranges[0].clone();
    let mut text = existing.to_string();
    for range in ranges[1..].iter().rev() {
        text = remove_range(&text, range.clone());
    }
    text.replace_range(first, &block);
    InstallEdit::Write {
        text,
        replaced: true,
        repaired: scan.broken,
    }
}

/// The result of [`uninstall`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UninstallEdit {
    /// No managed block: nothing to do.
    NotInstalled,
    /// The new text of the file.
    Write {
        text: String,
        removed: usize,
        repaired: Vec<BrokenBlock>,
    },
    /// Nothing is left: remove the file.
    Delete {
        removed: usize,
        repaired: Vec<BrokenBlock>,
    },
}

/// Removes every managed block (complete, or broken as far as it can be recognised) and the
/// line break that `install` put before it. A file left with zero bytes is to be deleted.
pub fn uninstall(existing: &str) -> UninstallEdit {
    let scan = scan(existing);
    if !scan.has_any_block() {
        return UninstallEdit::NotInstalled;
    }
    let mut text = existing.to_string();
    for range in scan.ranges().into_iter().rev() {
        text = remove_range(&text, range);
    }
    let removed = scan.blocks.len() + scan.broken.len();
    if text.is_empty() {
        UninstallEdit::Delete {
            removed,
            repaired: scan.broken,
        }
    } else {
        UninstallEdit::Write {
            text,
            removed,
            repaired: scan.broken,
        }
    }
}

/// `text` without `range` (whole lines) and without the line break `install` added before it:
/// the one ending the line just before, when that line is blank (the separator after a file
/// that ended with a line break) or when nothing follows the block (the line break added to a
/// file that did not end with one). Otherwise lines would be joined, so it stays.
fn remove_range(text: &str, range: Range<usize>) -> String {
    let before = &text[..range.start];
    let after = &text[range.end..];
    let before = match line_break_at_end(before) {
        Some(length) => {
            let shorter = &before[..before.len() - length];
            let blank_line_before = shorter.is_empty() || line_break_at_end(shorter).is_some();
            if blank_line_before || after.is_empty() {
                shorter
            } else {
                before
            }
        }
        None => before,
    };
    let mut out = String::with_capacity(before.len() + after.len());
    out.push_str(before);
    out.push_str(after);
    out
}

fn line_break_at_end(text: &str) -> Option<usize> {
    if text.ends_with("\r\n") {
        Some(2)
    } else if text.ends_with('\n') {
        Some(1)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> BlockOptions {
        BlockOptions::new(None, true, true, false).unwrap()
    }

    fn block() -> String {
        render_block(&options(), "\n")
    }

    fn installed(existing: Option<&str>) -> String {
        match install(existing, &options(), false) {
            InstallEdit::Write { text, .. } => text,
            other => panic!("expected a write, got {other:?}"),
        }
    }

    fn uninstalled(text: &str) -> Option<String> {
        match uninstall(text) {
            UninstallEdit::Write { text, .. } => Some(text),
            UninstallEdit::Delete { .. } => None,
            UninstallEdit::NotInstalled => panic!("nothing to uninstall in {text:?}"),
        }
    }

    #[test]
    fn the_default_block_passes_color_and_both_importers() {
        let block = block();
        assert!(block.starts_with("# <maturin_import_hook>\n"));
        assert!(block.ends_with("# </maturin_import_hook>\n"));
        assert!(block.contains(
            "            settings=MaturinSettings(\n                color=True\n            ),\n"
        ));
        assert!(block.contains("enable_project_importer=True,"));
        assert!(block.contains("enable_rs_file_importer=True,"));
        assert!(block.contains("except ImportError:"));
        assert!(block.contains("site uninstall` "));
    }

    #[test]
    fn args_and_flags_are_written_into_the_block() {
        let options = BlockOptions::new(Some("--release -F a,b"), false, true, true).unwrap();
        let block = render_block(&options, "\n");
        assert!(block.contains(
            "                release=True,\n                features=['a', 'b'],\n                color=True\n"
        ));
        assert!(block.contains("enable_project_importer=False,"));
        assert!(block.contains("site uninstall --user`"));
        let never = BlockOptions::new(Some("--color never"), true, true, false).unwrap();
        assert!(render_block(&never, "\n").contains("color=False\n"));
        assert!(BlockOptions::new(Some("--bogus"), true, true, false).is_err());
    }

    #[test]
    fn scan_reports_what_the_block_enables() {
        let options = BlockOptions::new(None, false, true, false).unwrap();
        let text = format!("x = 1\n\n{}", render_block(&options, "\n"));
        let scan = scan(&text);
        assert_eq!(scan.blocks.len(), 1);
        let block = &scan.blocks[0];
        assert_eq!(
            (
                block.first_line,
                block.project_importer,
                block.rs_file_importer
            ),
            (3, false, true)
        );
        assert!(scan.broken.is_empty());
    }

    #[test]
    fn install_into_a_missing_or_empty_file_writes_the_block_only() {
        assert_eq!(installed(None), block());
        assert_eq!(installed(Some("")), block());
    }

    #[test]
    fn install_appends_after_user_content_with_one_line_break() {
        assert_eq!(
            installed(Some("import os\n")),
            format!("import os\n\n{}", block())
        );
        assert_eq!(
            installed(Some("import os")),
            format!("import os\n{}", block())
        );
    }

    #[test]
    fn install_keeps_crlf_files_crlf() {
        let text = installed(Some("import os\r\n"));
        assert_eq!(
            text,
            format!("import os\r\n\r\n{}", block().replace('\n', "\r\n"))
        );
        assert_eq!(uninstalled(&text).unwrap(), "import os\r\n");
    }

    #[test]
    fn install_round_trips_user_content_byte_for_byte() {
        for original in [
            "import os\n",
            "import os",
            "import os\n\n\n",
            "\n",
            "  \n\t",
            "\u{feff}# coding: utf-8\nprint('hi')\r\n",
            "x = '''\n# not a marker\n'''\n",
        ] {
            let text = installed(Some(original));
            assert!(scan(&text).is_installed(), "{original:?}");
            assert_eq!(
                uninstalled(&text).as_deref(),
                Some(original),
                "{original:?}"
            );
        }
    }

    #[test]
    fn uninstall_of_a_block_alone_deletes_the_file() {
        assert_eq!(
            uninstall(&block()),
            UninstallEdit::Delete {
                removed: 1,
                repaired: vec![]
            }
        );
    }

    #[test]
    fn uninstall_without_a_block_does_nothing() {
        assert_eq!(uninstall("import os\n"), UninstallEdit::NotInstalled);
        assert_eq!(uninstall(""), UninstallEdit::NotInstalled);
        // a marker inside a line is not a marker
        assert_eq!(
            uninstall("x = 1  # <maturin_import_hook>\n"),
            UninstallEdit::NotInstalled
        );
    }

    #[test]
    fn uninstall_keeps_user_content_after_the_block() {
        let text = format!("a = 1\n\n{}b = 2\n", block());
        assert_eq!(uninstalled(&text).unwrap(), "a = 1\nb = 2\n");
        // a block the user pasted between two lines: the lines are not joined
        let text = format!("a = 1\n{}b = 2\n", block());
        assert_eq!(uninstalled(&text).unwrap(), "a = 1\nb = 2\n");
        let text = format!("{}b = 2\n", block());
        assert_eq!(uninstalled(&text).unwrap(), "b = 2\n");
    }

    #[test]
    fn uninstall_removes_upstreams_block_too() {
        let upstream = "# <maturin_import_hook>\n# the following installs the maturin import hook during startup.\n\
            try:\n    import maturin_import_hook\nexcept Exception as e:\n    raise RuntimeError(e)\n\
            # </maturin_import_hook>\n";
        assert_eq!(
            uninstalled(&format!("import os\n\n{upstream}")).unwrap(),
            "import os\n"
        );
    }

    #[test]
    fn an_end_marker_without_line_break_at_the_end_of_the_file_counts() {
        let text = format!("import os\n\n{}", block().trim_end());
        assert!(scan(&text).is_installed());
        assert_eq!(uninstalled(&text).unwrap(), "import os\n");
    }

    #[test]
    fn already_installed_is_left_alone_without_force() {
        let text = installed(Some("import os\n"));
        assert_eq!(
            install(Some(&text), &options(), false),
            InstallEdit::AlreadyInstalled
        );
    }

    #[test]
    fn force_replaces_only_the_block() {
        let text = format!("import os\n\n{}print('after')\n", block());
        let release = BlockOptions::new(Some("--release"), true, false, false).unwrap();
        let InstallEdit::Write {
            text: new,
            replaced,
            repaired,
        } = install(Some(&text), &release, true)
        else {
            panic!("expected a write");
        };
        assert!(replaced && repaired.is_empty());
        assert_eq!(
            new,
            format!(
                "import os\n\n{}print('after')\n",
                render_block(&release, "\n")
            )
        );
        assert_eq!(scan(&new).blocks.len(), 1);
        assert_eq!(uninstalled(&new).unwrap(), "import os\nprint('after')\n");
    }

    #[test]
    fn force_collapses_duplicate_blocks_into_one() {
        let text = format!("import os\n\n{}\n{}", block(), block());
        let InstallEdit::Write { text, .. } = install(Some(&text), &options(), true) else {
            panic!("expected a write");
        };
        assert_eq!(text, format!("import os\n\n{}", block()));
    }

    fn broken_text() -> String {
        // the end marker was deleted by hand; the user's code follows the block
        let block = block();
        let without_end = block.replace("# </maturin_import_hook>\n", "");
        format!("import os\n\n{without_end}print('user code')\n")
    }

    #[test]
    fn a_start_marker_without_end_marker_is_reported_as_broken() {
        let text = broken_text();
        let scan = scan(&text);
        assert!(!scan.is_installed());
        assert_eq!(scan.broken.len(), 1);
        let broken = &scan.broken[0];
        assert_eq!(broken.first_line, 3);
        assert_eq!(&text[broken.range.end..], "print('user code')\n");
        assert!(broken.describe().contains("line 3"));
    }

    #[test]
    fn install_refuses_a_broken_block_without_force_and_repairs_it_with_force() {
        let text = broken_text();
        assert!(matches!(
            install(Some(&text), &options(), false),
            InstallEdit::Broken(_)
        ));
        let InstallEdit::Write {
            text: repaired_text,
            repaired,
            ..
        } = install(Some(&text), &options(), true)
        else {
            panic!("expected a write");
        };
        assert_eq!(repaired.len(), 1);
        assert_eq!(
            repaired_text,
            format!("import os\n\n{}print('user code')\n", block())
        );
    }

    #[test]
    fn uninstall_removes_a_broken_block_but_not_the_code_after_it() {
        let UninstallEdit::Write {
            text,
            removed,
            repaired,
        } = uninstall(&broken_text())
        else {
            panic!("expected a write");
        };
        assert_eq!((removed, repaired.len()), (1, 1));
        assert_eq!(text, "import os\nprint('user code')\n");
    }

    #[test]
    fn a_second_start_marker_ends_a_broken_block() {
        let text = format!("# <maturin_import_hook>\n\n{}", block());
        let scan = scan(&text);
        assert_eq!((scan.broken.len(), scan.blocks.len()), (1, 1));
        assert_eq!(scan.broken[0].last_line, 1);
        assert_eq!(
            uninstall(&text),
            UninstallEdit::Delete {
                removed: 2,
                repaired: scan.broken
            }
        );
    }

    #[test]
    fn blocks_that_touch_are_removed_together() {
        let text = format!("import os\n{}{}", block(), block());
        assert_eq!(uninstalled(&text).unwrap(), "import os");
        let InstallEdit::Write { text, .. } = install(Some(&text), &options(), true) else {
            panic!("expected a write");
        };
        assert_eq!(text, format!("import os\n{}", block()));
    }
}
