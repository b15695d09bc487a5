//! maturin with the import hook built in.
//!
//! The build machinery is the crates.io `maturin` crate; this library adds the command line
//! (so that the binary stays a thin `main`) and the pieces the import hook runtime shares with
//! it. The Python package `maturin_import_hook` links this library through a pyo3 module.

pub mod build_cache;
pub mod cli;
pub mod commands;
pub mod develop;
pub mod environment;
pub mod import_hook_cli;
pub mod interpreter;
pub mod logging;
pub mod rs_file;
pub mod site_customize;
pub mod version;
pub mod wheel_install;

pub use maturin;
pub use maturin_hook_freshness::fingerprint;

use anyhow::Result;
use cli::{Cli, Command};

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Build {
            release,
            strip,
            sdist,
            pgo,
            build,
        } => commands::build::build(build, release, strip.strip, sdist, pgo.pgo),
        #[cfg(feature = "upload")]
        Command::Publish {
            debug,
            no_strip,
            no_sdist,
            pgo,
            publish,
            build,
        } => commands::publish::publish(build, publish, debug, no_strip, no_sdist, pgo.pgo),
        Command::ListPython { target } => commands::list_python(target),
        Command::Develop(command) => commands::develop::develop(command),
        Command::SDist { manifest_path, out } => commands::sdist::sdist(manifest_path, out),
        #[cfg(feature = "scaffolding")]
        Command::InitProject { path, options } => maturin::init_project(path, options),
        #[cfg(feature = "scaffolding")]
        Command::NewProject { path, options } => maturin::new_project(path, options),
        #[cfg(feature = "scaffolding")]
        Command::GenerateCI(generate_ci) => generate_ci.execute(),
        #[cfg(feature = "upload")]
        Command::Upload { publish, files } => commands::upload(publish, files),
        Command::GenerateStubs { out, python, cargo } => {
            commands::generate_stubs::generate_stubs(out, python, cargo)
        }
        Command::Pep517(command) => commands::pep517::pep517(command),
        #[cfg(feature = "cli-completion")]
        Command::Completions { shell } => {
            commands::completions(shell);
            Ok(())
        }
        #[cfg(feature = "zig")]
        Command::Zig(zig) => {
            use anyhow::Context;
            zig.execute().context("Failed to run zig linker wrapper")
        }
        Command::ImportHook(command) => command.run(),
    }
}
