//! `maturin import-hook …`: the same jobs as `python -m maturin_import_hook …`.
//!
//! The binary finds the target environment as `maturin develop` does ([`ImportHookCommand::run`]);
//! the Python package runs the same commands in process for its own interpreter with
//! [`run_for`].

mod cache;
mod info_output;
mod site;
mod status;
mod version;

pub use info_output::{Report, Value};
pub use site::SiteFacts;

use crate::environment::Environment;
use crate::site_customize::BlockOptions;
use anyhow::{anyhow, Result};
use clap::{Args, Subcommand, ValueEnum};
use maturin_hook_core::report::Reporter;
use std::io::Write;

/// `maturin import-hook` as a program of its own: what the Python package's
/// `python -m maturin_import_hook …` can parse its arguments with before [`run_with_python`].
#[derive(Debug, clap::Parser)]
#[command(name = "python -m maturin_import_hook", about = "maturin import hook")]
pub struct ImportHookCli {
    #[command(subcommand)]
    pub command: ImportHookCommand,
}

#[derive(Debug, Subcommand)]
pub enum ImportHookCommand {
    /// Activate or deactivate the import hook for every interpreter of this environment
    #[command(subcommand)]
    Site(SiteCommand),
    /// Inspect or clear the import hook's build cache
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Print the versions of everything the import hook depends on
    Version(FormatOption),
    /// List the projects the import hook builds in this environment, and what the next import
    /// of each will do (without building anything)
    Status(FormatOption),
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Show whether the import hook is installed in sitecustomize.py / usercustomize.py
    Info(FormatOption),
    /// Install the import hook into sitecustomize.py (or usercustomize.py with --user)
    Install {
        /// Replace an existing import hook installation
        #[arg(short, long)]
        force: bool,
        /// Whether the project importer is enabled
        #[arg(long, overrides_with = "no_project_importer")]
        project_importer: bool,
        /// Disable the project importer
        #[arg(long)]
        no_project_importer: bool,
        /// Whether the .rs file importer is enabled
        #[arg(long, overrides_with = "no_rs_file_importer")]
        rs_file_importer: bool,
        /// Disable the .rs file importer
        #[arg(long)]
        no_rs_file_importer: bool,
        /// Arguments given to maturin for every build, as one string (for example "--release")
        #[arg(long, allow_hyphen_values = true)]
        args: Option<String>,
        /// Install into usercustomize.py instead of sitecustomize.py. usercustomize.py is
        /// shared by every environment of the same Python version, and a virtual environment
        /// only reads it when created with --system-site-packages (see `site info`)
        #[arg(long)]
        user: bool,
    },
    /// Remove the import hook from sitecustomize.py (or usercustomize.py with --user)
    Uninstall {
        /// Uninstall from usercustomize.py instead of sitecustomize.py
        #[arg(long)]
        user: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Show where the build cache is and how big it is
    Info(FormatOption),
    /// Delete the build cache
    Clear {
        /// Do not ask for confirmation
        #[arg(short, long)]
        yes: bool,
        /// Clear the cache even while a build holds one of its locks
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct FormatOption {
    /// Output format
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

impl ImportHookCommand {
    /// Runs the command for the environment `maturin develop` would use (`VIRTUAL_ENV`,
    /// `CONDA_PREFIX`, a `.venv` in the current directory or above, or the venv of this
    /// `maturin`).
    pub fn run(self, reporter: &dyn Reporter) -> Result<()> {
        run_for(self, &Environment::find_from_cwd()?, reporter)
    }
}

/// The commands' warnings on stderr, as maturin prints its own: what `python -m
/// maturin_import_hook` and the command line show.
pub struct StderrWarnings;

impl Reporter for StderrWarnings {
    fn warning(&self, message: &str) {
        eprintln!("⚠️  Warning: {message}");
    }
}

/// Runs the command for `target`, printing its output to stdout; its warnings go to `reporter`.
pub fn run_for(
    command: ImportHookCommand,
    target: &Environment,
    reporter: &dyn Reporter,
) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_to(command, target, &mut out, reporter)?;
    out.flush()?;
    Ok(())
}

/// Runs the command for `target`, writing its output to `out` and its warnings to `reporter`.
pub fn run_to(
    command: ImportHookCommand,
    target: &Environment,
    out: &mut dyn Write,
    reporter: &dyn Reporter,
) -> Result<()> {
    match command {
        ImportHookCommand::Site(SiteCommand::Info(FormatOption { format })) => {
            site::info(target, format, out, reporter)
        }
        ImportHookCommand::Site(SiteCommand::Install {
            force,
            project_importer: _,
            no_project_importer,
            rs_file_importer: _,
            no_rs_file_importer,
            args,
            user,
        }) => {
            let options = BlockOptions::new(
                args.as_deref(),
                !no_project_importer,
                !no_rs_file_importer,
                user,
            )
            .map_err(|error| {
                anyhow!(
                    "invalid --args {:?}: {error}. It takes the maturin options the import \
                     hook builds with, for example --args \"--release --features foo\"",
                    args.as_deref().unwrap_or_default()
                )
            })?;
            site::install(target, &options, force, out, reporter)
        }
        ImportHookCommand::Site(SiteCommand::Uninstall { user }) => {
            site::uninstall(target, user, out)
        }
        ImportHookCommand::Cache(CacheCommand::Info(FormatOption { format })) => {
            cache::info(target, format, out)
        }
        ImportHookCommand::Cache(CacheCommand::Clear { yes, force }) => {
            cache::clear(target, yes, force, out, reporter)
        }
        ImportHookCommand::Version(FormatOption { format }) => {
            version::version(target, format, out)
        }
        ImportHookCommand::Status(FormatOption { format }) => status::status(target, format, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commands_parse_as_a_program_of_their_own() {
        use clap::{CommandFactory, Parser};
        ImportHookCli::command().debug_assert();
        let cli = ImportHookCli::try_parse_from([
            "python -m maturin_import_hook",
            "site",
            "install",
            "--args",
            "--release",
            "--no-rs-file-importer",
            "-f",
        ])
        .unwrap();
        let ImportHookCommand::Site(SiteCommand::Install {
            args,
            force,
            no_rs_file_importer,
            no_project_importer,
            ..
        }) = cli.command
        else {
            panic!("parsed as {:?}", cli.command);
        };
        assert_eq!(args.as_deref(), Some("--release"));
        assert!(force && no_rs_file_importer && !no_project_importer);
        let cli = ImportHookCli::try_parse_from(["x", "cache", "clear", "-y", "--force"]).unwrap();
        assert!(matches!(
            cli.command,
            ImportHookCommand::Cache(CacheCommand::Clear {
                yes: true,
                force: true
            })
        ));
    }

    #[test]
    fn a_missing_interpreter_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let target = Environment::at(dir.path().to_path_buf());
        let error = target.python().unwrap_err().to_string();
        assert!(error.contains("is not a Python environment"), "{error}");
        assert!(
            error.contains(&target.python.display().to_string()),
            "{error}"
        );
    }
}
