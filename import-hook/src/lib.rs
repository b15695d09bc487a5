//! `maturin_import_hook._native`: the Python runtime's entry into the maturin-hook library,
//! for what needs the maturin crate (a full develop). The up-to-date check and Rust-only
//! rebuilds are in the light `maturin_import_hook._fast`.

#[cfg(unix)]
mod stdio;

use maturin_hook::develop::hook::{parse_develop_args, HookConfig};
use maturin_hook::develop::{develop, DevelopAction, DevelopRequest};
use maturin_hook::import_hook_cli::{run_for, ImportHookCli, Target};
use maturin_hook_freshness::lock::LockTimeout;
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use std::path::PathBuf;
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
    run_develop(py, show_output, || config.request())
}

/// `maturin develop <args> -m <manifest_path>` into `environment`, as the project importer of
/// `maturin_import_hook.install()` runs it. Returns `(action, reason)`.
#[pyfunction]
#[pyo3(signature = (manifest_path, args, environment, lock_timeout_seconds=None, show_output=true))]
fn develop_project(
    py: Python<'_>,
    manifest_path: PathBuf,
    args: Vec<String>,
    environment: PathBuf,
    lock_timeout_seconds: Option<f64>,
    show_output: bool,
) -> PyResult<(String, Option<String>)> {
    run_develop(py, show_output, || {
        let mut options = parse_develop_args(&args)?;
        options.cargo_options.manifest_path = Some(manifest_path);
        Ok(DevelopRequest {
            options,
            environment,
            upstream_install: false,
            hook_args: None,
            state_dir: None,
            lock_timeout: lock_timeout_seconds.map(|s| Duration::from_secs_f64(s.max(0.0))),
        })
    })
}

/// Develops in-process with the program's stdout pointed at stderr meanwhile (maturin prints
/// progress there; shown when `show_output`); a failure carries what was printed.
fn run_develop(
    py: Python<'_>,
    show_output: bool,
    request: impl FnOnce() -> anyhow::Result<DevelopRequest> + Send,
) -> PyResult<(String, Option<String>)> {
    let run = || request().and_then(develop);
    #[cfg(unix)]
    let (result, output) = py.detach(|| stdio::with_output_on_stderr(show_output, run));
    #[cfg(not(unix))]
    let (result, output) = (py.detach(run), {
        let _ = show_output;
        String::new()
    });
    match result {
        Ok(outcome) => {
            let action = match outcome.action {
                DevelopAction::UpToDate => "up-to-date",
                DevelopAction::Installed { .. } => "installed",
                DevelopAction::Rebuilt => "rebuilt",
                DevelopAction::BuiltOnly => "built",
                DevelopAction::UpstreamInstall => "upstream-install",
            };
            Ok((action.to_string(), outcome.reason))
        }
        Err(error) => {
            if error.downcast_ref::<LockTimeout>().is_some() {
                return Err(PyTimeoutError::new_err(error.to_string()));
            }
            Err(DevelopFailed::new_err((format!("{error:#}"), output)))
        }
    }
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
    module.add_function(wrap_pyfunction!(import_hook_cli, module)?)?;
    module.add("DevelopFailed", module.py().get_type::<DevelopFailed>())?;
    Ok(())
}
