//! `maturin_import_hook._native`: the Python runtime's entry into the maturin-hook library,
//! for what needs the maturin crate: a full develop of a request that `_fast` could not bring
//! up to date by itself, builds of `.rs` files, and the `python -m maturin_import_hook` commands.

#[cfg(unix)]
mod build_output;

use maturin_hook::develop::{develop, develop_request, DevelopAction, DevelopOutcome};
use maturin_hook::environment::Environment;
use maturin_hook::freshness::python::{to_python_error, BuildFailed, PyReporter};
use maturin_hook::freshness::report::{BuildKind, BuildStart, OutputLine, OutputSorter, Reporter};
use maturin_hook::freshness::request::BuildRequest;
use maturin_hook::import_hook_cli::{run_for, ImportHookCli};
use maturin_hook::rs_file::{self, RsFileRequest};
use maturin_hook::site_customize::settings::HookSettings;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The versions this runtime is made of: `(maturin-hook, maturin crate)`.
#[pyfunction]
fn versions() -> (&'static str, &'static str) {
    (
        maturin_hook::version::VERSION,
        maturin_hook::version::MATURIN_CRATE_VERSION,
    )
}

fn parse_request(request: &str) -> PyResult<BuildRequest> {
    serde_json::from_str(request)
        .map_err(|error| PyValueError::new_err(format!("invalid build request: {error}")))
}

fn timeout(seconds: Option<f64>) -> Option<Duration> {
    seconds.map(|seconds| Duration::from_secs_f64(seconds.max(0.0)))
}

/// The full pipeline for `request` (the JSON of a `BuildRequest` of the hook or the project
/// importer) into `environment` (`sys.prefix`), reporting to `reporter`. Returns
/// `(action, reason, waited, modules)`.
#[pyfunction]
#[pyo3(signature = (request, environment, reporter, lock_timeout_seconds=None, force=false))]
fn develop_project(
    py: Python<'_>,
    request: &str,
    environment: PathBuf,
    reporter: Py<PyAny>,
    lock_timeout_seconds: Option<f64>,
    force: bool,
) -> PyResult<(&'static str, Option<String>, bool, Vec<String>)> {
    let build = parse_request(request)?;
    let outcome = in_process(py, reporter, |reporter| {
        let mut request = develop_request(&build, &environment)?;
        request.lock_timeout = timeout(lock_timeout_seconds);
        request.force_rebuild = force;
        develop(request, reporter)
    })?;
    Ok((
        action_name(&outcome),
        outcome.reason,
        outcome.waited,
        outcome.modules,
    ))
}

/// Builds the `.rs` file of `request` (a `BuildRequest` of the `.rs` file importer) for
/// `environment`, into the build cache. Does nothing when nothing changed.
/// `generate(suggested_project_dir) -> project_dir`, when given, makes the project instead of
/// the built-in generator, and is only called when a build is due. With `maturin` (a binary),
/// that binary builds, the request's arguments are `maturin build` flags and `generate` is
/// required. Returns `(action, extension module path, reason, waited)`.
#[pyfunction]
#[pyo3(signature = (
    request, environment, reporter, lock_timeout_seconds=None, force=false, generate=None,
    maturin=None,
))]
#[allow(clippy::too_many_arguments)]
fn build_rs_file(
    py: Python<'_>,
    request: &str,
    environment: PathBuf,
    reporter: Py<PyAny>,
    lock_timeout_seconds: Option<f64>,
    force: bool,
    generate: Option<Py<PyAny>>,
    maturin: Option<PathBuf>,
) -> PyResult<(&'static str, PathBuf, Option<String>, bool)> {
    let BuildRequest::RsFile {
        rs_file,
        module,
        args,
        python,
        build_dir,
    } = parse_request(request)?
    else {
        return Err(PyValueError::new_err("not the build request of a .rs file"));
    };
    // An exception of `generate` is raised as it is, not as a failed build.
    let generate_error: Arc<Mutex<Option<PyErr>>> = Arc::default();
    let generate = generate.map(|callback| {
        let slot = Arc::clone(&generate_error);
        Box::new(move |suggested: &Path| {
            Python::attach(|py| {
                let result = callback
                    .call1(py, (suggested.as_os_str(),))
                    .and_then(|dir| dir.extract::<PathBuf>(py));
                result.map_err(|error| {
                    let message = format!("generating the project failed: {error}");
                    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
                    anyhow::anyhow!(message)
                })
            })
        }) as rs_file::GenerateProject
    });
    let request = RsFileRequest {
        rs_file,
        module_name: module,
        args,
        python,
        environment,
        build_dir,
        lock_timeout: timeout(lock_timeout_seconds),
        force_rebuild: force,
        generate,
        maturin,
    };
    let result = in_process(py, reporter, |reporter| rs_file::build(request, reporter));
    if let Some(error) = generate_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    {
        return Err(error);
    }
    let built = result?;
    Ok((
        action_name(&built.outcome),
        built.extension,
        built.outcome.reason,
        built.outcome.waited,
    ))
}

fn action_name(outcome: &DevelopOutcome) -> &'static str {
    match outcome.action() {
        DevelopAction::UpToDate if outcome.waited => "found-rebuilt",
        DevelopAction::UpToDate => "fresh",
        DevelopAction::Installed { .. } => "installed",
        DevelopAction::Replayed => "replayed",
        DevelopAction::BuiltOnly => "built",
        DevelopAction::UpstreamInstall => "upstream-install",
        DevelopAction::SourcesGone => "sources-gone",
    }
}

/// Runs `build` without the GIL, reporting to the Python `reporter`; a full build's output is
/// captured (see [`CapturingReporter`]). A failure raises `BuildFailed` (or `TimeoutError`
/// for the project lock).
fn in_process<T: Send>(
    py: Python<'_>,
    reporter: Py<PyAny>,
    build: impl FnOnce(&dyn Reporter) -> anyhow::Result<T> + Send,
) -> PyResult<T> {
    let reporter = CapturingReporter {
        inner: Arc::new(PyReporter(reporter)),
        #[cfg(unix)]
        capture: Mutex::new(None),
    };
    let result = py.detach(|| {
        let result = build(&reporter);
        reporter.finish();
        result
    });
    result.map_err(to_python_error)
}

/// A [`PyReporter`] that keeps a full build's output off the program's streams (see
/// [`build_output`]) and reports it line by line: cargo's as it comes, maturin's own when the
/// build is over.
struct CapturingReporter {
    inner: Arc<PyReporter>,
    #[cfg(unix)]
    capture: Mutex<Option<Capture>>,
}

#[cfg(unix)]
struct Capture {
    collected: Option<build_output::Collected>,
    cargo: Option<build_output::Follower>,
}

impl CapturingReporter {
    fn finish(&self) {
        #[cfg(unix)]
        if let Some(capture) = self
            .capture
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            if let Some(cargo) = capture.cargo {
                cargo.finish();
            }
            if let Some(collected) = capture.collected {
                let mut sorter = OutputSorter::default();
                for line in collected.finish().lines() {
                    self.inner.output(sorter.sort(line.trim_end_matches('\r')));
                }
            }
        }
    }
}

impl Reporter for CapturingReporter {
    fn waiting_for_lock(&self, lock: &Path) {
        self.inner.waiting_for_lock(lock);
    }

    fn building(&self, build: &BuildStart<'_>) {
        self.inner.building(build);
        #[cfg(unix)]
        if build.kind == BuildKind::Full {
            let mut capture = self.capture.lock().unwrap_or_else(|e| e.into_inner());
            if capture.is_none() {
                let cargo = build.cargo_log.and_then(|log| {
                    let reporter = Arc::clone(&self.inner);
                    let mut sorter = OutputSorter::default();
                    build_output::Follower::start(log, move |line| {
                        reporter.output(sorter.sort(line));
                    })
                });
                *capture = Some(Capture {
                    collected: build_output::Collected::start(),
                    cargo,
                });
            }
        }
    }

    fn step(&self, message: &str) {
        self.inner.step(message);
    }

    fn warning(&self, message: &str) {
        self.inner.warning(message);
    }

    fn captures_output(&self) -> bool {
        true
    }

    fn output(&self, line: OutputLine<'_>) {
        self.inner.output(line);
    }

    fn colour(&self) -> Option<bool> {
        self.inner.colour()
    }
}

/// Writes the project that builds `rs_file` as the pyo3 module `module_name` into
/// `project_dir` (each file only when its content changes), declaring `features`; returns the
/// project directory.
#[pyfunction]
fn generate_rs_project(
    rs_file: PathBuf,
    module_name: &str,
    features: Vec<String>,
    project_dir: PathBuf,
) -> PyResult<std::ffi::OsString> {
    rs_file::generate_project(&rs_file, module_name, &features, &project_dir, None)
        .map(PathBuf::into_os_string)
        .map_err(|error| PyValueError::new_err(format!("{error:#}")))
}

/// Parses maturin flags into the fields of `MaturinSettings` (a dict), with the one grammar of
/// the hook's settings (`maturin_hook::site_customize::settings`). Raises ValueError.
#[pyfunction]
fn parse_maturin_settings(py: Python<'_>, args: Vec<String>) -> PyResult<Bound<'_, PyDict>> {
    let settings = HookSettings::from_words(&args)
        .map_err(|error| PyValueError::new_err(format!("argument parser error: {error}")))?;
    let HookSettings {
        release,
        strip,
        quiet,
        jobs,
        profile,
        features,
        all_features,
        no_default_features,
        target,
        ignore_rust_version,
        color,
        frozen,
        locked,
        offline,
        config,
        unstable_flags,
        verbose,
        rustc_flags,
        auditwheel,
        zig,
        extras,
        uv,
        skip_install,
        group,
        generate_stubs,
    } = settings;
    let fields = PyDict::new(py);
    fields.set_item("release", release)?;
    fields.set_item("strip", strip)?;
    fields.set_item("quiet", quiet)?;
    fields.set_item("jobs", jobs)?;
    fields.set_item("profile", profile)?;
    fields.set_item("features", features)?;
    fields.set_item("all_features", all_features)?;
    fields.set_item("no_default_features", no_default_features)?;
    fields.set_item("target", target)?;
    fields.set_item("ignore_rust_version", ignore_rust_version)?;
    fields.set_item("color", color)?;
    fields.set_item("frozen", frozen)?;
    fields.set_item("locked", locked)?;
    fields.set_item("offline", offline)?;
    let config = match config {
        Some(pairs) => {
            let dict = PyDict::new(py);
            for (key, value) in pairs {
                dict.set_item(key, value)?;
            }
            Some(dict)
        }
        None => None,
    };
    fields.set_item("config", config)?;
    fields.set_item("unstable_flags", unstable_flags)?;
    fields.set_item("verbose", verbose)?;
    fields.set_item("rustc_flags", rustc_flags)?;
    fields.set_item("auditwheel", auditwheel)?;
    fields.set_item("zig", zig)?;
    fields.set_item("extras", extras)?;
    fields.set_item("uv", uv)?;
    fields.set_item("skip_install", skip_install)?;
    fields.set_item("group", group)?;
    fields.set_item("generate_stubs", generate_stubs)?;
    Ok(fields)
}

/// `python -m maturin_import_hook <args>` for the running interpreter `python` of the
/// environment `environment` (`sys.prefix`). Returns the exit status.
#[pyfunction]
fn import_hook_cli(args: Vec<String>, python: PathBuf, environment: PathBuf) -> i32 {
    use clap::Parser;
    let cli = match ImportHookCli::try_parse_from(
        std::iter::once("python -m maturin_import_hook".to_string()).chain(args),
    ) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return error.exit_code();
        }
    };
    let environment = Environment {
        root: environment,
        python,
    };
    match run_for(cli.command, &environment) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("💥 maturin failed");
            for cause in error.chain() {
                eprintln!("  Caused by: {cause}");
            }
            1
        }
    }
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // maturin's cargo commands are recorded through tracing (for replays); a program that set
    // up its own subscriber keeps it, and its builds are just never replayed.
    let _ = tracing_subscriber::registry()
        .with(maturin_hook::develop::capture_layer())
        .try_init();
    module.add_function(wrap_pyfunction!(versions, module)?)?;
    module.add_function(wrap_pyfunction!(develop_project, module)?)?;
    module.add_function(wrap_pyfunction!(build_rs_file, module)?)?;
    module.add_function(wrap_pyfunction!(generate_rs_project, module)?)?;
    module.add_function(wrap_pyfunction!(import_hook_cli, module)?)?;
    module.add_function(wrap_pyfunction!(parse_maturin_settings, module)?)?;
    module.add("BuildFailed", module.py().get_type::<BuildFailed>())?;
    Ok(())
}
