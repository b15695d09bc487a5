//! `maturin import-hook …`: the same jobs as `python -m maturin_import_hook …`.

use anyhow::{bail, Result};
use clap::{Args, Subcommand, ValueEnum};

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
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Show whether the import hook is installed in sitecustomize.py / usercustomize.py
    Info(FormatOption),
    /// Install the import hook into sitecustomize.py (or usercustomize.py with --user)
    Install {
        /// Replace an existing import hook installation
        #[arg(long)]
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
        /// Install into usercustomize.py instead of sitecustomize.py
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
    fn name(&self) -> &'static str {
        match self {
            ImportHookCommand::Site(SiteCommand::Info(_)) => "site info",
            ImportHookCommand::Site(SiteCommand::Install { .. }) => "site install",
            ImportHookCommand::Site(SiteCommand::Uninstall { .. }) => "site uninstall",
            ImportHookCommand::Cache(CacheCommand::Info(_)) => "cache info",
            ImportHookCommand::Cache(CacheCommand::Clear { .. }) => "cache clear",
            ImportHookCommand::Version(_) => "version",
        }
    }

    /// The import hook runtime is not part of this release yet: say so instead of pretending.
    pub fn run(self) -> Result<()> {
        bail!(
            "`maturin import-hook {}` is not available yet in maturin-hook {}. \
             Use `maturin develop` to rebuild and reinstall the project after a change.",
            self.name(),
            crate::version::VERSION
        )
    }
}
