//! `maturin_import_hook._native`: the Python runtime's entry into the maturin-hook library,
//! for what needs the maturin crate (a full develop). The up-to-date check and Rust-only
//! rebuilds are in the light `maturin_import_hook._fast`.

mod progress;
#[cfg(unix)]
mod stdio;

use maturin_hook::develop::hook::{parse_develop_args, HookConfig};
use maturin_hook::develop::{develop, DevelopAction, DevelopOutcome, DevelopRequest, Progress};
use maturin_hook::import_hook_cli::{run_for, ImportHookCli, Target};
use maturin_hook::rs_file::{self, RsFileRequest};
use maturin_hook_freshness::cache_location::project_request_key;
use maturin_hook_freshness::lock::LockTimeout;
use progress::{CapturedOutput, HookProgress, Reporting};
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

create_exception!(
    _native,
    DevelopFailed,
    PyRuntimeError,
    "a develop failed; args: (message, output)"
);

/// The versions this runtime is made of: `(maturin-hook, maturin crate)`.
#[pyfunction]
fn versions() -> (&'static str, &'static str) {
    (
        maturin_hook::version::VERSION,
        maturin_hook::version::MATURIN_CRATE_VERSION,
    )
}

/// Runs the develop recorded by `maturin develop --with-hook` (`config` is its JSON).
/// Returns `(action, reason)`.
#[pyfunction]
#[pyo3(signature = (config, show_output=true))]
fn develop_hooked(
    py: Python<'_>,
    config: &str,
    show_output: bool,
) -> PyResult<(String, Option<String>)> {
    let config: HookConfig = serde_json::from_str(config)
        .map_err(|error| PyValueError::new_err(format!("invalid hook configuration: {error}")))?;
    let reporting = Reporting {
        show_output,
        on_wait: None,
        on_build: None,
    };
    run_develop(py, reporting, |progress| {
        Ok(DevelopRequest {
            progress,
            ..config.request()?
        })
    })
}

/// `maturin develop <args> -m <manifest_path>` into `environment`, as the project importer of
/// `maturin_import_hook.install()` runs it, keeping its state in `build_dir` (default: the
/// environment's build cache); `extra_inputs` count as inputs of the build. `on_wait(lock)`
/// and `on_build(reason)` are called when it waits for another build and before it builds.
/// Returns `(action, reason)`.
#[pyfunction]
#[pyo3(signature = (
    manifest_path, args, environment, lock_timeout_seconds=None, show_output=true,
    force_rebuild=false, build_dir=None, extra_inputs=Vec::new(), on_wait=None, on_build=None,
))]
#[allow(clippy::too_many_arguments)]
fn develop_project(
    py: Python<'_>,
    manifest_path: PathBuf,
    args: Vec<String>,
    environment: PathBuf,
    lock_timeout_seconds: Option<f64>,
    show_output: bool,
    force_rebuild: bool,
    build_dir: Option<PathBuf>,
    extra_inputs: Vec<PathBuf>,
    on_wait: Option<Py<PyAny>>,
    on_build: Option<Py<PyAny>>,
) -> PyResult<(String, Option<String>)> {
    let reporting = Reporting {
        show_output,
        on_wait,
        on_build,
    };
    run_develop(py, reporting, |progress| {
        let mut options = parse_develop_args(&args)?;
        options.cargo_options.manifest_path = Some(manifest_path);
        let request_key =
            project_request_key(&environment, build_dir.as_deref(), &args, &extra_inputs);
        Ok(DevelopRequest {
            lock_timeout: lock_timeout_seconds.map(|s| Duration::from_secs_f64(s.max(0.0))),
            force_rebuild,
            request_key: Some(request_key),
            build_dir,
            extra_inputs,
            progress,
            ..DevelopRequest::new(options, environment)
        })
    })
}

/// Develops in-process (see [`in_process`]).
fn run_develop(
    py: Python<'_>,
    reporting: Reporting,
    request: impl FnOnce(Box<dyn Progress>) -> anyhow::Result<DevelopRequest> + Send,
) -> PyResult<(String, Option<String>)> {
    let outcome = in_process(py, reporting, |progress| {
        request(progress).and_then(develop)
    })?;
    Ok((action_name(&outcome).to_string(), outcome.reason))
}

fn action_name(outcome: &DevelopOutcome) -> &'static str {
    match outcome.action {
        DevelopAction::UpToDate => "up-to-date",
        DevelopAction::Installed { .. } => "installed",
        DevelopAction::Rebuilt => "rebuilt",
        DevelopAction::BuiltOnly => "built",
        DevelopAction::UpstreamInstall => "upstream-install",
    }
}

/// Runs `build` without the GIL, reporting as `reporting` asks; from the start of an actual
/// build, the program's stdout points at stderr (maturin prints progress there; shown when
/// `show_output`). A failure raises `DevelopFailed(message, output)` (or `TimeoutError` for
/// the project lock).
fn in_process<T: Send>(
    py: Python<'_>,
    reporting: Reporting,
    build: impl FnOnce(Box<dyn Progress>) -> anyhow::Result<T> + Send,
) -> PyResult<T> {
    let output = CapturedOutput::default();
    let progress = HookProgress::new(reporting, output.clone());
    let result = py.detach(|| {
        let result = build(Box::new(progress));
        (result, output.finish())
    });
    let (result, output) = result;
    result.map_err(|error| {
        if error.downcast_ref::<LockTimeout>().is_some() {
            return PyTimeoutError::new_err(error.to_string());
        }
        DevelopFailed::new_err((format!("{error:#}"), output))
    })
}

/// Builds the standalone Rust file `rs_file` as the pyo3 module `module_name` with the
/// `maturin develop` flags `args`, for the interpreter `python` of the environment
/// `environment`, into the build cache (`build_dir`, else the environment's). Does nothing
/// when nothing changed. `generate(suggested_project_dir) -> project_dir`, when given, makes
/// the project instead of the built-in generator, and is only called when a build is due.
/// With `maturin` (a binary), that binary builds, `args` are `maturin build` flags and
/// `generate` is required. `on_wait` and `on_build` as for `develop_project`. Returns
/// `(action, extension module path, reason)`.
#[pyfunction]
#[pyo3(signature = (
    rs_file, module_name, args, python, environment, build_dir=None, lock_timeout_seconds=None,
    show_output=true, force_rebuild=false, generate=None, maturin=None, on_wait=None,
    on_build=None,
))]
#[allow(clippy::too_many_arguments)]
fn build_rs_file(
    py: Python<'_>,
    rs_file: PathBuf,
    module_name: String,
    args: Vec<String>,
    python: PathBuf,
    environment: PathBuf,
    build_dir: Option<PathBuf>,
    lock_timeout_seconds: Option<f64>,
    show_output: bool,
    force_rebuild: bool,
    generate: Option<Py<PyAny>>,
    maturin: Option<PathBuf>,
    on_wait: Option<Py<PyAny>>,
    on_build: Option<Py<PyAny>>,
) -> PyResult<(String, String, Option<String>)> {
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
    let reporting = Reporting {
        show_output,
        on_wait,
        on_build,
    };
    let request = |progress| RsFileRequest {
        rs_file,
        module_name,
        args,
        python,
        environment,
        build_dir,
        lock_timeout: lock_timeout_seconds.map(|s| Duration::from_secs_f64(s.max(0.0))),
        force_rebuild,
        generate,
        maturin,
        progress,
    };
    let result = in_process(py, reporting, |progress| rs_file::build(request(progress)));
    if let Some(error) = generate_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    {
        return Err(error);
    }
    let built = result?;
    Ok((
        action_name(&built.outcome).to_string(),
        built.extension.to_string_lossy().into_owned(),
        built.outcome.reason,
    ))
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

/// `python -m maturin_import_hook <args>` for the running interpreter (`python`, whose
/// `sys.exec_prefix` is `environment`). Returns the exit status.
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
    match run_for(
        cli.command,
        &Target {
            python,
            environment,
        },
    ) {
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
    // maturin's cargo commands are recorded through tracing (for quick rebuilds); a program
    // that set up its own subscriber keeps it, and its builds are just never replayed.
    let _ = tracing_subscriber::registry()
        .with(maturin_hook::develop::capture_layer())
        .try_init();
    module.add_function(wrap_pyfunction!(versions, module)?)?;
    module.add_function(wrap_pyfunction!(develop_hooked, module)?)?;
    module.add_function(wrap_pyfunction!(develop_project, module)?)?;
    module.add_function(wrap_pyfunction!(build_rs_file, module)?)?;
    module.add_function(wrap_pyfunction!(generate_rs_project, module)?)?;
    module.add_function(wrap_pyfunction!(import_hook_cli, module)?)?;
    module.add("DevelopFailed", module.py().get_type::<DevelopFailed>())?;
    Ok(())
}
