//! A full build: resolve the project with the maturin library, build its editable wheel,
//! install it (into the environment or a directory) and record what the build read and wrote.

use super::install::{self, Installation};
use super::{cargo_commands, record_build, DevelopRequest, InstallTarget};
use crate::build_cache::BuildCache;
use crate::build_options;
use crate::cargo_child::{self, CargoInDirectory};
use crate::environment::environment_python;
use anyhow::{bail, Context as _, Result};
use maturin::{
    BuildContext, BuildOptions, BuildOrchestrator, CargoOptions, DevelopOptions, OutputOptions,
    PlatformOptions, PlatformTag, PythonOptions, Target,
};
use maturin_hook_core::fingerprint;
use maturin_hook_core::outcome::{Action, Outcome};
use maturin_hook_core::pipeline;
use maturin_hook_core::report::{self, BuildKind, BuildStart, Reporter};
use maturin_hook_core::request::KnownRequest;
use maturin_hook_core::store::{Install, Store};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What the pipeline knows when it decides on a full build.
pub struct Context<'a> {
    pub python: &'a Path,
    pub cache: &'a BuildCache,
    pub state_dir: &'a Path,
    /// The fingerprint of the request's settings, to record.
    pub settings: String,
    /// What the last build installed (a directory install removes what it no longer makes).
    pub previous_outputs: &'a [PathBuf],
    /// The front end's request, which the record is to know.
    pub known: Option<&'a KnownRequest>,
    /// Where the build is kept, and on which shelf (see [`super::options::store_shelf`]).
    pub store: Option<&'a Store>,
    pub store_shelf: &'a str,
}

/// The wheels of a full build go here (emptied first), so that the path maturin prints is one
/// that exists after the build, and a killed build leaves nothing in the system's temp dir.
const WHEEL_DIR: &str = "wheels";
/// cargo's output of the last full build that was captured.
const CARGO_LOG: &str = "cargo.log";

pub fn run(
    request: &mut DevelopRequest,
    force: bool,
    context: Context<'_>,
    reason: String,
    reporter: &dyn Reporter,
) -> Result<Outcome> {
    let project = context
        .state_dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let colour = match request.options.cargo_options.color {
        Some(_) => None,
        None => report::cargo_colour(reporter, &[]),
    };
    // cargo runs through the runtime's binary for a build inside a Python program (see
    // `cargo_child`), and where a front end chose its directory
    let runtime_binary = (request.cargo_dir.is_some() || reporter.captures_output())
        .then(|| cargo_child::runtime_binary(&request.environment))
        .flatten();
    // cargo's output goes to a log of its own when the reporter captures, so that it can be
    // followed without reading what the program writes meanwhile
    let cargo_log = match (&runtime_binary, reporter.captures_output()) {
        (Some(_), true) => Some(start_log(context.state_dir)?),
        _ => None,
    };
    reporter.building(&BuildStart {
        project: &project,
        reason: &reason,
        kind: BuildKind::Full,
        cargo_log: cargo_log.as_deref(),
        output_log: &context.state_dir.join(report::OUTPUT_LOG),
    });
    // a killed importer's rustc would still be writing into the target directory
    maturin_hook_core::interrupt::kill_orphans();
    if let Some(prepare) = request.prepare.take() {
        // before the build starts: what it writes is input, not a change during the build
        prepare(&mut request.options)?;
    }
    let build_started_ns = fingerprint::filesystem_now(context.state_dir)?;
    let cargo_dir = match &request.cargo_dir {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().context("Failed to detect the current directory")?,
    };
    let cargo_in_directory = runtime_binary
        .map(|binary| CargoInDirectory::new(&binary, &cargo_dir, colour, cargo_log.as_deref()));
    let wheel_dir = context.state_dir.join(WHEEL_DIR);
    if wheel_dir.exists() {
        std::fs::remove_dir_all(&wheel_dir)
            .with_context(|| format!("cannot empty {}", wheel_dir.display()))?;
    }
    let mut outcome = Outcome::new(Action::BuiltInPlace).because(reason);
    let resolve_started = Instant::now();
    let mut build = build_context(&request.options, context.python, &wheel_dir)?;
    if request.release_by_default {
        build_options::release_unless_a_profile_was_chosen(&mut build);
    }
    outcome.timings.resolve = resolve_started.elapsed();
    let metadata = &build.project.metadata24;
    outcome.project_name = Some(metadata.name.clone());
    outcome.version = Some(metadata.version.to_string());

    if request.options.skip_install {
        build_wheels(&build, &mut outcome.timings.compile)?;
        return Ok(outcome);
    }
    let environment_python = environment_python(&request.environment);
    let compile_time = &mut outcome.timings.compile;
    let build_wheels = || build_wheels(&build, compile_time);
    let installation: Installation = match &request.install_target {
        InstallTarget::Directory(dir) => {
            install::into_directory(dir, force, context.previous_outputs, build_wheels)?
        }
        InstallTarget::Environment => install::into_environment(
            &install::ProjectInstall::of(&build)?,
            install::EnvironmentInstall {
                root: &request.environment,
                python: &environment_python,
                cache: context.cache,
                options: &request.options,
                hook: request.hook.as_ref(),
            },
            reporter,
            build_wheels,
        )?,
    };
    outcome.timings.install = installation.duration;
    let mut record = record_build::record(record_build::Build {
        context: &build,
        settings: context.settings,
        environment: &request.environment,
        build_started_ns,
        cargo_commands: &installation.cargo_commands,
        cargo_in_directory: cargo_in_directory.as_ref(),
        installation: Some(&installation),
        extra_inputs: &request.extra_inputs,
        cargo_dir: &cargo_dir,
    })?;
    drop(cargo_in_directory);
    record.learn(context.known);
    for known in &installation.extra_requests {
        record.learn(Some(known));
    }
    record.store_shelf = Some(context.store_shelf.to_string());
    // what a build where this project was never built installs instead of building it: the
    // editable wheel, and the files the build wrote into the project
    let project_files: Vec<PathBuf> = record
        .outputs
        .iter()
        .map(|output| output.path.clone())
        .filter(|path| !path.starts_with(&request.environment))
        .collect();
    let metadata = &build.project.metadata24;
    let version = metadata.version.to_string();
    let modules = record.modules.clone();
    let install = match (&request.install_target, installation.wheels.as_slice()) {
        (InstallTarget::Environment, [wheel]) => Some(Install {
            name: &metadata.name,
            version: &version,
            modules: &modules,
            wheel,
            project_files: &project_files,
        }),
        _ => None,
    };
    pipeline::keep_in_store(context.store, &mut record, install.as_ref());
    record.save(context.state_dir)?;
    outcome.action = Action::Built {
        metadata_changed: installation.metadata_changed,
    };
    outcome.modules = record.modules.clone();
    outcome.written = installation.written;
    outcome.outputs = record.output_paths();
    outcome.inputs = record.input_paths();
    Ok(outcome)
}

/// The empty log of cargo's output for this build, in the state directory (where it stays
/// until the next build, for a person to read).
fn start_log(state_dir: &Path) -> Result<PathBuf> {
    let log = state_dir.join(CARGO_LOG);
    std::fs::write(&log, "").with_context(|| format!("cannot write {}", log.display()))?;
    Ok(log)
}

/// Builds the wheel(s); also returns the cargo commands maturin ran, for a later replay.
fn build_wheels(
    context: &BuildContext,
    compile_time: &mut Duration,
) -> Result<(Vec<PathBuf>, Vec<String>)> {
    let compile_started = Instant::now();
    let (wheels, commands) =
        cargo_commands::recording(|| BuildOrchestrator::new(context).build_wheels());
    *compile_time = compile_started.elapsed();
    let wheels = wheels?.into_iter().map(|wheel| wheel.path).collect();
    Ok((wheels, commands))
}

/// Settings as upstream develop turns them into a build: the environment's interpreter, the
/// native `linux` tag, no auditwheel, an editable wheel into `wheel_dir`.
fn build_context(
    options: &DevelopOptions,
    python: &Path,
    wheel_dir: &Path,
) -> Result<BuildContext> {
    let mut cargo: CargoOptions = options.cargo_options.clone();
    if options.release || (options.pgo && cargo.profile.is_none()) {
        cargo.profile = Some("release".to_string());
    }
    let target = Target::from_target_triple(cargo.target.as_ref())?;
    let build_options = BuildOptions {
        python: PythonOptions {
            interpreter: vec![python.to_path_buf()],
            find_interpreter: false,
            bindings: options.bindings,
        },
        platform: PlatformOptions {
            platform_tag: vec![PlatformTag::Linux.into()],
            skip_auditwheel: true,
            ..PlatformOptions::default()
        },
        output: OutputOptions {
            out: Some(wheel_dir.to_path_buf()),
            include_debuginfo: !options.strip && target.is_windows(),
            sbom_include: Vec::new(),
        },
        cargo,
        compression: options.compression,
        generate_stubs: options.generate_stubs,
    };
    let context = build_options
        .into_build_context()
        .strip(options.strip.then_some(true))
        .editable(true)
        .pgo(options.pgo)
        .build()?;
    let has_version = context
        .project
        .pyproject_toml
        .as_ref()
        .is_none_or(|pyproject| pyproject.warn_invalid_version_info());
    if !has_version {
        bail!(
            "Cannot build without valid version information. You need to specify either \
             `project.version` or `project.dynamic = [\"version\"]` in pyproject.toml."
        );
    }
    Ok(context)
}
