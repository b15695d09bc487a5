//! `maturin_import_hook._native`: the Python runtime's entry into the maturin-hook library,
//! for what needs the maturin crate (a full develop). The up-to-date check and Rust-only
//! rebuilds are in the light `maturin_import_hook._fast`.

#[cfg(unix)]
mod stdio;

use maturin_hook::develop::{develop, hook::HookConfig, DevelopAction};
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

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

/// Runs the develop recorded by `maturin develop --with-hook` (`config` is its JSON), with
/// the program's stdout pointed at stderr meanwhile. Returns `(action, reason)`.
#[pyfunction]
fn develop_hooked(py: Python<'_>, config: &str) -> PyResult<(String, Option<String>)> {
    let config: HookConfig = serde_json::from_str(config)
        .map_err(|error| PyValueError::new_err(format!("invalid hook configuration: {error}")))?;
    let run = || config.request().and_then(develop);
    #[cfg(unix)]
    let (result, output) = py.detach(|| stdio::with_output_on_stderr(run));
    #[cfg(not(unix))]
    let (result, output) = (py.detach(run), String::new());
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
        Err(error) => Err(DevelopFailed::new_err((format!("{error:#}"), output))),
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
    module.add("DevelopFailed", module.py().get_type::<DevelopFailed>())?;
    Ok(())
}
