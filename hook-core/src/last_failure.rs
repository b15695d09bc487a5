//! The last failed build of a project, kept in its state directory until a build of it
//! succeeds: `maturin import-hook status` shows it (when, and the first error), so that a failure
//! that scrolled away, or happened in another process (a notebook's kernel, a pytest worker),
//! is not hidden behind "runs a full develop".

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

const FILE: &str = "last-failure.json";

/// What is kept of a failed build.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LastFailure {
    /// When it failed, in seconds since the Unix epoch.
    pub at: u64,
    /// What failed, in one line (`cargo failed (exit status: 101)`).
    pub reason: String,
    /// The compiler's first error, when it gave one (`error[E0308]: mismatched types`).
    pub first_error: Option<String>,
}

impl LastFailure {
    /// `2 min ago: error[E0308]: mismatched types (cargo failed (exit status: 101))`.
    pub fn describe(&self) -> String {
        match &self.first_error {
            Some(error) => format!("{}: {error} ({})", crate::time_ago(self.at), self.reason),
            None => format!("{}: {}", crate::time_ago(self.at), self.reason),
        }
    }
}

/// Keeps the failure of a build in `state_dir`: `reason` in one line, and the compiler's
/// `diagnostics`, whose first error is kept. Best effort: it only informs.
pub fn record(state_dir: &Path, reason: &str, diagnostics: &str) {
    let failure = LastFailure {
        at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|now| now.as_secs())
            .unwrap_or_default(),
        reason: reason.lines().next().unwrap_or_default().to_string(),
        first_error: diagnostics
            .lines()
            .map(crate::report::strip_ansi)
            .find(|line| line.starts_with("error")),
    };
    if let Err(error) = crate::write_json_atomically(&state_dir.join(FILE), &failure) {
        tracing::debug!("not keeping the failure: {error:#}");
    }
}

/// The last failure of the project of `state_dir`, unless a build succeeded since.
pub fn read(state_dir: &Path) -> Option<LastFailure> {
    serde_json::from_slice(&std::fs::read(state_dir.join(FILE)).ok()?).ok()
}

/// A build succeeded.
pub fn clear(state_dir: &Path) {
    let _ = std::fs::remove_file(state_dir.join(FILE));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_error_until_a_build_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let diagnostics = "warning: unused\n\u{1b}[1m\u{1b}[91merror[E0308]\u{1b}[0m: mismatched \
                           types\n --> src/lib.rs:3:20\nerror: aborting";
        record(
            dir.path(),
            "cargo failed (exit status: 101)\nmore",
            diagnostics,
        );
        let failure = read(dir.path()).unwrap();
        assert_eq!(
            failure.first_error.as_deref(),
            Some("error[E0308]: mismatched types")
        );
        assert_eq!(failure.reason, "cargo failed (exit status: 101)");
        assert!(failure
            .describe()
            .ends_with("error[E0308]: mismatched types (cargo failed (exit status: 101))"));
        clear(dir.path());
        assert_eq!(read(dir.path()), None);
    }
}
