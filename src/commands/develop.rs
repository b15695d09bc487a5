//! `maturin develop`

use crate::cli::DevelopCommand;
use crate::develop::{develop as develop_in_process, DevelopAction, DevelopRequest};
use crate::environment::find_target_environment_from_cwd;
use anyhow::Result;

pub fn develop(command: DevelopCommand) -> Result<()> {
    let environment = find_target_environment_from_cwd()?;
    let outcome = develop_in_process(DevelopRequest {
        options: command.options,
        environment,
        upstream_install: command.upstream_install,
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
