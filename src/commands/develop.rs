//! `maturin develop`

use crate::cli::DevelopCommand;
use crate::develop::{develop as develop_in_process, DevelopAction, DevelopRequest};
use crate::environment::find_target_environment_from_cwd;
use anyhow::Result;

pub fn develop(command: DevelopCommand) -> Result<()> {
    let environment = find_target_environment_from_cwd()?;
    let outcome = develop_in_process(DevelopRequest {
        upstream_install: command.upstream_install,
        hook_args: command.with_hook.then(develop_arguments),
        ..DevelopRequest::new(command.options, environment)
    })?;
    if outcome.action == DevelopAction::UpToDate {
        eprintln!(
            "✅ {}-{} is up to date: nothing changed since the last develop ({} inputs checked in {:.1?})",
            outcome.project_name.as_deref().unwrap_or("project"),
            outcome.version.as_deref().unwrap_or("?"),
            outcome.inputs.len(),
            outcome.timings.freshness_check
        );
    }
    tracing::debug!("develop: {outcome:?}");
    Ok(())
}

/// The arguments given after `develop` (or its alias `dev`), minus `--with-hook`: the settings
/// the import hook rebuilds with.
fn develop_arguments() -> Vec<String> {
    let args: Vec<String> = std::env::args().collect();
    let start = args
        .iter()
        .skip(1)
        .position(|arg| arg == "develop" || arg == "dev")
        .map_or(args.len(), |index| index + 2);
    args[start..]
        .iter()
        .filter(|arg| *arg != "--with-hook")
        .cloned()
        .collect()
}
