//! One function per CLI command. Each turns parsed options into calls of the maturin library.

pub mod build;
pub mod develop;
pub mod generate_stubs;
pub mod pep517;
#[cfg(feature = "upload")]
pub mod publish;
pub mod sdist;

use anyhow::Result;
use maturin::{BridgeModel, PythonInterpreter, Target, TargetTriple};

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
