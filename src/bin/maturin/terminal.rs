//! How the command line shows what a build reports: its own lines on stderr, cargo's output
//! straight on the terminal (with cargo's colours and progress bar), as upstream maturin does.

use maturin_hook::freshness::report::{BuildKind, BuildStart, Reporter};
use std::path::Path;

pub struct TerminalReporter;

impl Reporter for TerminalReporter {
    fn waiting_for_lock(&self, lock: &Path) {
        eprintln!(
            "⏳ Waiting for another build of this project to finish ({} is locked)",
            lock.display()
        );
    }

    fn building(&self, build: &BuildStart<'_>) {
        match build.kind {
            BuildKind::Replay => eprintln!("🔁 Rebuilding {}: {}", build.project, build.reason),
            // maturin shows the steps of a full build itself
            BuildKind::Full => tracing::debug!("building {}: {}", build.project, build.reason),
        }
    }

    fn step(&self, message: &str) {
        eprintln!("{message}");
    }

    fn warning(&self, message: &str) {
        eprintln!("⚠️  Warning: {message}");
    }
}
