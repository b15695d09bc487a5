//! How the command line shows what a build reports: its own lines on stderr, cargo's output
//! straight on the terminal (with cargo's colours and progress bar), as upstream maturin does.

use maturin_hook::hook_core::lock::LockWait;
use maturin_hook::hook_core::outcome::Outcome;
use maturin_hook::hook_core::report::{BuildKind, BuildStart, Reporter};
use maturin_hook::import_hook_cli::StderrWarnings;
use maturin_hook::watch::WatchReporter;

pub struct TerminalReporter;

impl Reporter for TerminalReporter {
    fn waiting_for_lock(&self, wait: &LockWait<'_>) {
        let holder = wait
            .holder
            .as_ref()
            .map_or(String::new(), |holder| format!(": {}", holder.describe()));
        if wait.waited.is_zero() {
            eprintln!(
                "⏳ Waiting for another build of this project to finish ({} is locked){holder}",
                wait.lock.display()
            );
        } else {
            eprintln!(
                "⏳ Still waiting ({:.0} s){holder}",
                wait.waited.as_secs_f64()
            );
        }
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
        StderrWarnings.warning(message);
    }
}

impl WatchReporter for TerminalReporter {
    fn watching(&self, project: &str, inputs: usize) {
        eprintln!("👀 Watching the {inputs} inputs of {project} for changes (Ctrl-C to stop)");
    }

    fn rebuilt(&self, outcome: &Outcome) {
        let name = outcome.project_name.as_deref().unwrap_or("project");
        let reason = outcome.reason.as_deref().unwrap_or("an input changed");
        eprintln!(
            "✅ Rebuilt {name} in {:.2}s: {reason}",
            outcome.timings.total.as_secs_f64()
        );
    }

    fn failed(&self, error: &anyhow::Error) {
        eprintln!("💥 The build failed; the last good build stays installed. Watching for the next change.");
        for cause in error.chain() {
            eprintln!("  Caused by: {cause}");
        }
    }
}
