//! One function per CLI command. Each turns parsed options into calls of the maturin library
//! or of ours.

pub mod build;
pub mod develop;
pub mod generate_stubs;
#[cfg(feature = "scaffolding")]
pub mod new;
pub mod pep517;
#[cfg(feature = "upload")]
pub mod publish;
pub mod sdist;

use crate::cli::{Cli, Command};
use anyhow::Result;
use maturin::{BridgeModel, PythonInterpreter, Target, TargetTriple};

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Build {
            release,
            strip,
            sdist,
            pgo,
            build,
        } => build::build(build, release, strip.strip, sdist, pgo.pgo),
        #[cfg(feature = "upload")]
        Command::Publish {
            debug,
            no_strip,
            no_sdist,
            pgo,
            publish,
            build,
        } => publish::publish(build, publish, debug, no_strip, no_sdist, pgo.pgo),
        Command::ListPython { target } => list_python(target),
        Command::Develop(command) => develop::develop(command),
        Command::SDist { manifest_path, out } => sdist::sdist(manifest_path, out),
        #[cfg(feature = "scaffolding")]
        Command::InitProject {
            path,
            options,
            hook,
        } => {
            let dir = path
                .clone()
                .map_or_else(std::env::current_dir, |path| Ok(path.into()))?;
            maturin::init_project(path, options)?;
            new::opt_into_the_hook(&dir, hook.with_hook)
        }
        #[cfg(feature = "scaffolding")]
        Command::NewProject {
            path,
            options,
            hook,
        } => {
            let dir = std::path::PathBuf::from(&path);
            maturin::new_project(path, options)?;
            new::opt_into_the_hook(&dir, hook.with_hook)
        }
        #[cfg(feature = "scaffolding")]
        Command::GenerateCI(generate_ci) => generate_ci.execute(),
        #[cfg(feature = "upload")]
        Command::Upload { publish, files } => upload(publish, files),
        Command::GenerateStubs { out, python, cargo } => {
            generate_stubs::generate_stubs(out, python, cargo)
        }
        Command::Pep517(command) => pep517::pep517(command),
        #[cfg(feature = "cli-completion")]
        Command::Completions { shell } => {
            completions(shell);
            Ok(())
        }
        #[cfg(feature = "zig")]
        Command::Zig(zig) => {
            use anyhow::Context;
            zig.execute().context("Failed to run zig linker wrapper")
        }
        Command::ImportHook(command) => command.run(&crate::terminal::TerminalReporter),
    }
}

/// `maturin list-python`
pub fn list_python(target: Option<TargetTriple>) -> Result<()> {
    let found = match target {
        Some(triple) => {
            let target = Target::from_target_triple(Some(&triple))?;
            PythonInterpreter::lookup_target(&target, None, None)
        }
        None => {
            let target = Target::from_target_triple(None)?;
            // The bindings are unknown here; cffi accepts every interpreter.
            PythonInterpreter::find_all(&target, &BridgeModel::Cffi, None)?
        }
    };
    eprintln!("🐍 {} python interpreter found:", found.len());
    for interpreter in found {
        eprintln!(" - {interpreter}");
    }
    Ok(())
}

/// `maturin upload`
#[cfg(feature = "upload")]
pub fn upload(mut publish: maturin::PublishOpt, files: Vec<std::path::PathBuf>) -> Result<()> {
    if files.is_empty() {
        eprintln!("⚠️  Warning: No files given, exiting.");
        return Ok(());
    }
    publish.non_interactive_on_ci();
    maturin::upload_ui(&files, &publish)?;
    Ok(())
}

/// `maturin completions <SHELL>`
#[cfg(feature = "cli-completion")]
pub fn completions(shell: clap_complete_command::Shell) {
    use clap::CommandFactory;
    shell.generate(&mut crate::cli::Cli::command(), &mut std::io::stdout());
}
