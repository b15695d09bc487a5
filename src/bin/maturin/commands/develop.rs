//! `maturin develop`

use crate::cli::DevelopCommand;
use crate::terminal::TerminalReporter;
use anyhow::{Context, Result};
use maturin_hook::develop::{
    develop as run_pipeline, parse_develop_args, DevelopRequest, HookInstall,
};
use maturin_hook::environment::Environment;
use maturin_hook::hook_core::outcome::{Action, Outcome};
use maturin_hook::hook_core::pipeline::Options;
use maturin_hook::watch::{watch, WatchControl, WatchEnd};
use std::sync::Arc;

pub fn develop(command: DevelopCommand) -> Result<()> {
    let environment = Environment::find_from_cwd()?;
    let args = develop_arguments();
    let hook = match command.with_hook {
        true => Some(HookInstall::Develop {
            args: args.clone(),
            cwd: std::env::current_dir().context("Failed to detect the current directory")?,
        }),
        false => None,
    };
    let request = |options| DevelopRequest {
        upstream_install: command.upstream_install,
        hook: hook.clone(),
        ..DevelopRequest::new(options, environment.root.clone())
    };
    let outcome = run_pipeline(
        request(command.options),
        Options::default(),
        &TerminalReporter,
    )?;
    report(&outcome, hook.as_ref());
    if command.watch {
        let control = Arc::new(WatchControl::default());
        let handler_control = Arc::clone(&control);
        ctrlc::set_handler(move || {
            handler_control.stop();
            // a build in progress stops now, whether or not its cargo got the signal too: cargo
            // gets the signal of its parent's death, and every file a build writes is renamed
            // into place, so nothing is left half-written
            if handler_control.is_building() {
                std::thread::sleep(std::time::Duration::from_millis(100));
                interrupted();
            }
        })
        .context("cannot handle Ctrl-C")?;
        let end = watch(
            &outcome,
            &|| Ok(request(parse_develop_args(&args)?)),
            &TerminalReporter,
            &control,
        )?;
        if end == WatchEnd::Interrupted {
            interrupted();
        }
        eprintln!("\n👋 Stopped watching");
    }
    Ok(())
}

fn interrupted() -> ! {
    eprintln!("\n👋 Stopped watching (the build in progress was interrupted)");
    std::process::exit(130);
}

/// What a develop on the command line says when it is done.
fn report(outcome: &Outcome, hook: Option<&HookInstall>) {
    let name = outcome.project_name.as_deref().unwrap_or("project");
    let version = outcome.version.as_deref().unwrap_or("?");
    match outcome.action {
        Action::UpToDate | Action::FoundRebuilt | Action::Adopted => eprintln!(
            "✅ {name}-{version} is up to date: nothing changed since the last develop ({} inputs \
             checked in {:.1?})",
            outcome.inputs.len(),
            outcome.timings.freshness_check
        ),
        Action::Replayed => {
            eprintln!("🛠 Replaced the compiled module of {name}-{version}")
        }
        Action::Restored => eprintln!(
            "📦 Restored {name}-{version} from the store, without cargo ({})",
            outcome.source.as_deref().unwrap_or("a stored build")
        ),
        _ => {}
    }
    if let Some(HookInstall::Develop { args, .. }) = hook {
        if outcome.action != Action::UpstreamInstall {
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
}

/// The arguments given after `develop` (or its alias `dev`), minus `--with-hook` and `--watch`:
/// the settings the import hook, and the watcher, rebuild with.
fn develop_arguments() -> Vec<String> {
    let args: Vec<String> = std::env::args().collect();
    let start = args
        .iter()
        .skip(1)
        .position(|arg| arg == "develop" || arg == "dev")
        .map_or(args.len(), |index| index + 2);
    args[start..]
        .iter()
        .filter(|arg| *arg != "--with-hook" && *arg != "--watch")
        .cloned()
        .collect()
}
