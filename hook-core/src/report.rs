//! How a build tells its front end what happens. The library never prints: the command line,
//! the import hook's logger, the watcher, the notebook extension and the pytest plugin each
//! implement [`Reporter`] and decide how to show it.

use crate::lock::LockWait;
use std::path::Path;

/// What kind of build runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildKind {
    /// Only Rust sources changed: cargo runs again as the last build ran it.
    Replay,
    /// The project is resolved and built by maturin, and installed.
    Full,
}

/// One build about to start.
#[derive(Debug, Clone, Copy)]
pub struct BuildStart<'a> {
    /// The project's name (the import hook names the module being imported instead).
    pub project: &'a str,
    /// Why it builds: the first changed input, or what else made it necessary.
    pub reason: &'a str,
    pub kind: BuildKind,
    /// The file cargo writes its output to as this build runs, instead of this process's
    /// stderr: a reporter that [captures output](Reporter::captures_output) follows it.
    pub cargo_log: Option<&'a Path>,
    /// Where a reporter that shows only part of a long output keeps all of it (in the build's
    /// state directory: see [`OUTPUT_LOG`]).
    pub output_log: &'a Path,
}

/// The file of a build's state directory that keeps all of a long build output.
pub const OUTPUT_LOG: &str = "build-output.log";

/// A line of what a build printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputLine<'a> {
    /// cargo's progress (`   Compiling foo v0.1.0`, `    Finished …`) and maturin's own steps.
    Progress(&'a str),
    /// Compiler diagnostics (warnings, errors, and the lines that belong to them).
    Diagnostic(&'a str),
}

/// Receives what a build reports. Every method has a default that shows nothing.
pub trait Reporter: Sync {
    /// Another process builds this project; this one waits for its lock first (called when the
    /// wait starts, then every [`crate::lock::PROGRESS_EVERY`]).
    fn waiting_for_lock(&self, _wait: &LockWait<'_>) {}

    /// A build starts.
    fn building(&self, _build: &BuildStart<'_>) {}

    /// A step of ours worth a line (installing dependencies, the install itself).
    fn step(&self, _message: &str) {}

    /// Something went wrong that does not stop the build.
    fn warning(&self, _message: &str) {}

    /// `true`: cargo's output is piped and passed to [`Reporter::output`] line by line (and
    /// kept for the error of a failed build); `false`: cargo writes to our stderr directly,
    /// as on a terminal, with its colours and progress bar.
    fn captures_output(&self) -> bool {
        false
    }

    /// A line of the build's output, when [`Reporter::captures_output`].
    fn output(&self, _line: OutputLine<'_>) {}

    /// Whether cargo should colour its output when the build's settings leave it to cargo (no
    /// `--color`); `None`: cargo decides from its own stderr (a terminal, or not).
    fn colour(&self) -> Option<bool> {
        None
    }
}

/// The value of `CARGO_TERM_COLOR` for a cargo run with `args`, when the reporter has a
/// preference and neither the arguments nor the environment decide already.
pub fn cargo_colour(reporter: &dyn Reporter, args: &[String]) -> Option<&'static str> {
    let decided = args
        .iter()
        .any(|arg| arg == "--color" || arg.starts_with("--color="))
        || std::env::var_os("CARGO_TERM_COLOR").is_some();
    if decided {
        return None;
    }
    reporter
        .colour()
        .map(|colour| if colour { "always" } else { "never" })
}

/// Sorts a build's output into progress and diagnostics, line by line: a diagnostic starts
/// with `warning`/`error`/`note`/`help` and runs until the next progress line.
#[derive(Debug, Default)]
pub struct OutputSorter {
    in_diagnostic: bool,
}

impl OutputSorter {
    pub fn sort<'a>(&mut self, line: &'a str) -> OutputLine<'a> {
        let plain = strip_ansi(line);
        if is_progress(&plain) {
            self.in_diagnostic = false;
            return OutputLine::Progress(line);
        }
        let starts_diagnostic = ["warning", "error", "note", "help"]
            .iter()
            .any(|word| plain.starts_with(word));
        if starts_diagnostic {
            self.in_diagnostic = true;
        }
        if self.in_diagnostic {
            OutputLine::Diagnostic(line)
        } else {
            OutputLine::Progress(line)
        }
    }
}

/// cargo's status lines: a capitalised verb right-aligned in twelve columns
/// (`   Compiling`, `    Finished`), and maturin's emoji-led steps.
fn is_progress(plain: &str) -> bool {
    let trimmed = plain.trim_start();
    let indent = plain.len() - trimmed.len();
    let verb = trimmed.split(' ').next().unwrap_or_default();
    let cargo_status = indent > 0
        && indent + verb.len() == 12
        && verb.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && verb.chars().all(|c| c.is_ascii_alphabetic());
    cargo_status
        || plain
            .chars()
            .next()
            .is_some_and(|c| !c.is_ascii() && !c.is_alphabetic())
}

/// `text` without ANSI escape sequences (colours).
pub fn strip_ansi(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_and_diagnostics_are_told_apart() {
        let output = "   Compiling pyo3 v0.27.2\n\
                      \u{1b}[1m\u{1b}[92m   Compiling\u{1b}[0m p v0.1.0 (/p)\n\
                      warning: unused variable: `x`\n \
                      --> src/lib.rs:3:9\n  \
                      |\n\
                      \n\
                      warning: `p` (lib) generated 1 warning\n\
                      🔗 Found pyo3 bindings\n\
                      \u{20}   Finished `dev` profile [unoptimized + debuginfo] target(s) in 1.02s\n\
                      error[E0308]: mismatched types\n";
        let mut sorter = OutputSorter::default();
        let sorted: Vec<bool> = output
            .lines()
            .map(|line| matches!(sorter.sort(line), OutputLine::Diagnostic(_)))
            .collect();
        assert_eq!(
            sorted,
            [false, false, true, true, true, true, true, false, false, true]
        );
    }

    #[test]
    fn colours_are_stripped() {
        assert_eq!(strip_ansi("\u{1b}[1m\u{1b}[92mok\u{1b}[0m!"), "ok!");
    }
}
