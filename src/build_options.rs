//! Command-line options that the library needs to read too: those of `maturin pep517
//! build-wheel`, whose arguments an editable install carrying the hook records, so that its
//! rebuilds are builds with the same settings (see [`develop_options`]). The binary's command
//! line uses these same structs.

use anyhow::{Context, Result};
use clap::{Args, Parser};
use maturin::{BuildContext, BuildOptions, DevelopOptions};

/// `--strip`, which upstream shares between `build` and the pep517 commands.
#[derive(Debug, Args, Clone, Copy)]
pub struct StripOption {
    /// Strip the library for minimum file size.
    /// Can be set to `true` or `false`, or used as a flag (`--strip` implies `true`).
    #[arg(
        long,
        env = "MATURIN_STRIP",
        default_missing_value = "true",
        num_args = 0..=1,
        require_equals = false
    )]
    pub strip: Option<bool>,
}

/// `--pgo`, shared by `build`, `publish` and the pep517 build commands.
#[derive(Debug, Args, Clone, Copy)]
pub struct PgoOption {
    /// Build with Profile-Guided Optimization (PGO).
    ///
    /// Requires `pgo-command` to be set in `[tool.maturin]` in pyproject.toml.
    /// This performs a three-phase build: instrumented build, profile training,
    /// and optimized rebuild.
    ///
    /// Can also be enabled via the MATURIN_PGO environment variable.
    #[arg(long, env = "MATURIN_PGO", value_parser = clap::builder::FalseyValueParser::new())]
    pub pgo: bool,
}

/// The options of `maturin pep517 build-wheel`.
#[derive(Debug, Args)]
pub struct BuildWheelOptions {
    #[command(flatten)]
    pub build_options: BuildOptions,
    #[command(flatten)]
    pub strip: StripOption,
    #[command(flatten)]
    pub pgo: PgoOption,
    /// Build editable wheels
    #[arg(long)]
    pub editable: bool,
    /// Put the import hook into the editable wheel (`import-hook` of the PEP 517 backend)
    #[arg(long, hide = true, requires = "editable")]
    pub with_hook: bool,
}

/// PEP 517 builds are release builds unless a profile was chosen (on the command line or in
/// pyproject.toml); so are the rebuilds of an editable install that carries the hook.
pub fn release_unless_a_profile_was_chosen(context: &mut BuildContext) {
    context
        .project
        .cargo_options
        .profile
        .get_or_insert_with(|| "release".to_string());
}

/// `maturin pep517 build-wheel` arguments (without the command name) as options.
pub fn parse_build_wheel_args(args: &[String]) -> Result<BuildWheelOptions> {
    #[derive(Parser)]
    struct BuildWheel {
        #[command(flatten)]
        options: BuildWheelOptions,
    }
    let parsed = BuildWheel::try_parse_from(
        std::iter::once("maturin pep517 build-wheel".to_string()).chain(args.iter().cloned()),
    )
    .with_context(|| format!("`maturin pep517 build-wheel {}`", args.join(" ")))?;
    Ok(parsed.options)
}

/// The develop that rebuilds what a `build-wheel` with `options` built, in place: the same
/// cargo options and bindings. PEP 517 builds are release builds unless a profile was chosen
/// (here or in pyproject.toml), which the develop request says with `release_by_default`.
pub fn develop_options(options: &BuildWheelOptions) -> DevelopOptions {
    let build = &options.build_options;
    DevelopOptions {
        bindings: build.python.bindings,
        release: false,
        pgo: options.pgo.pgo,
        strip: options.strip.strip.unwrap_or(false),
        extras: Vec::new(),
        group: Vec::new(),
        skip_install: false,
        pip_path: None,
        cargo_options: build.cargo.clone(),
        uv: false,
        compression: build.compression,
        generate_stubs: build.generate_stubs,
    }
}
