//! `maturin develop`

use crate::cli::DevelopCommand;
use crate::terminal::TerminalReporter;
use anyhow::{Context, Result};
use maturin_hook::develop::{develop as run_pipeline, DevelopAction, DevelopRequest, HookInstall};
use maturin_hook::environment::Environment;

pub fn develop(command: DevelopCommand) -> Result<()> {
    let environment = Environment::find_from_cwd()?;
    let hook = match command.with_hook {
        true => Some(HookInstall::Develop {
            args: develop_arguments(),
            cwd: std::env::current_dir().context("Failed to detect the current directory")?,
        }),
        false => None,
    };
    let outcome = run_pipeline(
        DevelopRequest {
            upstream_install: command.upstream_install,
            hook: hook.clone(),
            ..DevelopRequest::new(command.options, environment.root)
        },
        &TerminalReporter,
    )?;
    let name = outcome.project_name.as_deref().unwrap_or("project");
    let version = outcome.version.as_deref().unwrap_or("?");
    match outcome.action() {
        DevelopAction::UpToDate => eprintln!(
            "✅ {name}-{version} is up to date: nothing changed since the last develop ({} inputs \
             checked in {:.1?})",
            outcome.inputs.len(),
            outcome.timings.freshness_check
        ),
        DevelopAction::Replayed => {
            eprintln!("🛠 Replaced the compiled module of {name}-{version}")
        }
        _ => {}
    }
    if let Some(HookInstall::Develop { args, .. }) = hook {
        if !matches!(outcome.action(), DevelopAction::UpstreamInstall) {
            let modules = outcome.modules.join("`, `");
            let settings = if args.is_empty() {
                "the default settings".to_string()
            } else {
                format!("the settings `{}`", args.join(" "))
            };
            eprintln!(
                "🪝 Import hook installed: `import {modules}` rebuilds it first when a Rust input \
                 changed, in-process, with {settings}.\n   \
                 `maturin develop` without --with-hook, or `pip uninstall {name}`, removes it."
            );
        }
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
