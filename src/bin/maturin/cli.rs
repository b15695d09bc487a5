//! The command line: every upstream maturin command, plus `import-hook`.
//!
//! Option groups come from the maturin crate's own clap structs (`BuildOptions`,
//! `DevelopOptions`, `CargoOptions`, `PublishOpt`, …) so that our flags cannot drift from
//! upstream's. Only the handful of options that upstream defines in its binary rather than its
//! library (`--release`, `--strip`, `--sdist`, `--pgo`, the pep517 arguments) are declared here.

use cargo_options::heading;
use clap::{Args, Parser, Subcommand};
use maturin::{BuildOptions, CargoOptions, DevelopOptions, PythonOptions, TargetTriple};
use maturin_hook::build_options::{BuildWheelOptions, PgoOption, StripOption};
use maturin_hook::import_hook_cli::ImportHookCommand;
use maturin_hook::version::LONG_VERSION;
use std::path::PathBuf;

/// Build and publish crates with pyo3, cffi and uniffi bindings as well
/// as rust binaries as python packages
#[derive(Debug, Parser)]
#[command(
    name = "maturin",
    version = LONG_VERSION,
    display_order = 1,
    after_help = "Visit https://maturin.rs to learn more about maturin.",
    styles = cargo_options::styles(),
)]
pub struct Cli {
    /// Use verbose output.
    ///
    /// * Default: Show build information and `cargo build` output.
    /// * `-v`: Use `cargo build -v`.
    /// * `-vv`: Show debug logging and use `cargo build -vv`.
    /// * `-vvv`: Show trace logging.
    ///
    /// You can configure fine-grained logging using the `RUST_LOG` environment variable.
    /// (<https://docs.rs/tracing-subscriber/latest/tracing_subscriber/filter/struct.EnvFilter.html#directives>)
    #[arg(global = true, action = clap::ArgAction::Count, long, short)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// `maturin develop`: upstream's options plus ours.
#[derive(Debug, Args)]
pub struct DevelopCommand {
    #[command(flatten)]
    pub options: DevelopOptions,
    /// Install the built wheel with pip (or uv) as upstream maturin does, instead of writing
    /// it into the environment directly. Slower; for comparison and as an escape hatch.
    #[arg(long, conflicts_with = "with_hook")]
    pub upstream_install: bool,
    /// Also install an import hook for this project: from then on, importing it rebuilds it
    /// first (in-process, with these same flags) when a Rust input changed. A develop without
    /// this flag removes the hook again.
    #[arg(long)]
    pub with_hook: bool,
    /// Keep running after the develop and bring the install up to date whenever an input of the
    /// build changes (the files cargo read, manifests, pyproject.toml, cargo configuration), as
    /// an import with the hook would: the next import finds it built. Ctrl-C stops.
    #[arg(long, conflicts_with = "upstream_install")]
    pub watch: bool,
}

#[cfg(test)]
#[path = "cli_parity.rs"]
mod cli_parity;

/// `--with-hook` of `new` and `init`.
#[derive(Debug, Args, Clone, Copy)]
pub struct ImportHookOption {
    /// Opt the project into editable installs that carry the import hook
    /// (`[tool.maturin] import-hook = true`): `pip install -e .` and `uv sync` then give an
    /// install that rebuilds on import, as `maturin develop --with-hook` does
    #[arg(long)]
    pub with_hook: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the crate into python packages
    #[command(name = "build", alias = "b")]
    Build {
        /// Build artifacts in release mode, with optimizations
        #[arg(short = 'r', long, help_heading = heading::COMPILATION_OPTIONS, conflicts_with = "profile")]
        release: bool,
        #[command(flatten)]
        strip: StripOption,
        /// Build a source distribution and build wheels from it.
        ///
        /// This verifies that the source distribution is complete and can be
        /// used to build the project from source.
        #[arg(long)]
        sdist: bool,
        #[command(flatten)]
        pgo: PgoOption,
        #[command(flatten)]
        build: BuildOptions,
    },
    /// Build and publish the crate as python packages to pypi
    #[cfg(feature = "upload")]
    #[command(name = "publish")]
    Publish {
        /// Do not pass --release to cargo
        #[arg(long, conflicts_with = "profile")]
        debug: bool,
        /// Do not strip the library for minimum file size
        #[arg(long = "no-strip")]
        no_strip: bool,
        /// Don't build a source distribution
        #[arg(long = "no-sdist")]
        no_sdist: bool,
        #[command(flatten)]
        pgo: PgoOption,
        #[command(flatten)]
        publish: maturin::PublishOpt,
        #[command(flatten)]
        build: BuildOptions,
    },
    /// Search and list the available python installations
    #[command(name = "list-python")]
    ListPython {
        #[arg(long)]
        target: Option<TargetTriple>,
    },
    /// Install the crate as module in the current virtualenv
    #[command(name = "develop", alias = "dev")]
    Develop(DevelopCommand),
    /// Build only a source distribution (sdist) without compiling.
    ///
    /// Building a source distribution requires a pyproject.toml with a `[build-system]` table.
    ///
    /// This command is a workaround for [pypa/pip#6041](https://github.com/pypa/pip/issues/6041)
    #[command(name = "sdist")]
    SDist {
        /// The path to the Cargo.toml
        #[arg(short = 'm', long = "manifest-path")]
        manifest_path: Option<PathBuf>,
        /// The directory to store the built wheels in. Defaults to a new "wheels"
        /// directory in the project's target directory
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Create a new cargo project in an existing directory
    #[cfg(feature = "scaffolding")]
    #[command(name = "init")]
    InitProject {
        /// Project path
        path: Option<String>,
        #[command(flatten)]
        options: maturin::GenerateProjectOptions,
        #[command(flatten)]
        hook: ImportHookOption,
    },
    /// Create a new cargo project
    #[cfg(feature = "scaffolding")]
    #[command(name = "new")]
    NewProject {
        /// Project path
        path: String,
        #[command(flatten)]
        options: maturin::GenerateProjectOptions,
        #[command(flatten)]
        hook: ImportHookOption,
    },
    #[cfg(feature = "scaffolding")]
    #[command(name = "generate-ci")]
    GenerateCI(maturin::ci::GenerateCI),
    /// Upload python packages to pypi
    ///
    /// It is mostly similar to `twine upload`, but can only upload python wheels
    /// and source distributions.
    #[cfg(feature = "upload")]
    #[command(name = "upload")]
    Upload {
        #[command(flatten)]
        publish: maturin::PublishOpt,
        /// The python packages to upload
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Autogenerate type stubs
    #[command(name = "generate-stubs")]
    GenerateStubs {
        /// The directory to store the type stubs in
        #[arg(short, long)]
        out: PathBuf,
        /// Python and bindings options
        #[command(flatten)]
        python: PythonOptions,
        /// Cargo build options
        #[command(flatten)]
        cargo: CargoOptions,
    },
    /// Backend for the PEP 517 integration. Not for human consumption
    ///
    /// The commands are meant to be called from the python PEP 517
    #[command(subcommand)]
    Pep517(Pep517Command),
    /// Generate shell completions
    #[cfg(feature = "cli-completion")]
    #[command(name = "completions", hide = true)]
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete_command::Shell,
    },
    /// Zig linker wrapper
    #[cfg(feature = "zig")]
    #[command(subcommand, hide = true)]
    Zig(cargo_zigbuild::Zig),
    /// Manage the import hook: site install, build cache, versions
    #[command(subcommand, name = "import-hook")]
    ImportHook(ImportHookCommand),
}

/// Backend for the PEP 517 integration. Not for human consumption
///
/// The commands are meant to be called from the python PEP 517
#[derive(Debug, Subcommand)]
#[command(name = "pep517", hide = true)]
pub enum Pep517Command {
    /// The implementation of prepare_metadata_for_build_wheel
    #[command(name = "write-dist-info")]
    WriteDistInfo {
        #[command(flatten)]
        build_options: BuildOptions,
        /// The metadata_directory argument to prepare_metadata_for_build_wheel
        #[arg(long = "metadata-directory")]
        metadata_directory: PathBuf,
        #[command(flatten)]
        strip: StripOption,
        #[command(flatten)]
        pgo: PgoOption,
    },
    /// Implementation of build_wheel
    #[command(name = "build-wheel")]
    BuildWheel(BuildWheelOptions),
    /// The implementation of build_sdist
    #[command(name = "write-sdist")]
    WriteSDist {
        /// The sdist_directory argument to build_sdist
        #[arg(long = "sdist-directory")]
        sdist_directory: PathBuf,
        /// The path to the Cargo.toml
        #[arg(short = 'm', long = "manifest-path", value_name = "PATH")]
        manifest_path: Option<PathBuf>,
    },
}
