//! `maturin_import_hook._fast`: what an import of a hooked package runs before the package
//! loads. Small on purpose (no maturin crate): an up-to-date check is a few stats.

use maturin_hook_freshness::quick_rebuild::{self, CargoFailed, Refresh};
use pyo3::create_exception;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTimeoutError};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::time::Duration;

create_exception!(
    _fast,
    CargoBuildFailed,
    PyRuntimeError,
    "cargo failed; args: (message, diagnostics)"
);

/// Checks the recorded build in `state_dir` and rebuilds a Rust-only change by replaying
/// cargo. Returns `(status, reason, diagnostics)` with status `"fresh"`, `"rebuilt"` or
/// `"develop"` (a full develop is needed). `on_wait(lock_path)` is called if another process
/// is building, `on_rebuild(reason)` before cargo runs; cargo's stderr is passed on to ours
/// when `show_output`.
#[pyfunction]
#[pyo3(signature = (state_dir, lock_timeout_seconds, on_wait, on_rebuild, show_output=true))]
fn refresh(
    py: Python<'_>,
    state_dir: PathBuf,
    lock_timeout_seconds: Option<f64>,
    on_wait: Py<PyAny>,
    on_rebuild: Py<PyAny>,
    show_output: bool,
) -> PyResult<(&'static str, Option<String>, String)> {
    let timeout = lock_timeout_seconds.map(|seconds| Duration::from_secs_f64(seconds.max(0.0)));
    let call = |callback: &Py<PyAny>, argument: String| {
        Python::attach(|py| {
            if let Err(error) = callback.call1(py, (argument,)) {
                error.write_unraisable(py, None);
            }
        })
    };
    let result = py.detach(|| {
        quick_rebuild::refresh(
            &state_dir,
            timeout,
            |lock| call(&on_wait, lock.display().to_string()),
            |reason| call(&on_rebuild, reason.to_string()),
            show_output,
        )
    });
    match result {
        Ok(Refresh::Fresh) => Ok(("fresh", None, String::new())),
        Ok(Refresh::Rebuilt { reason, rebuilt }) => {
            Ok(("rebuilt", Some(reason), rebuilt.diagnostics))
        }
        Ok(Refresh::NeedsDevelop { reason }) => Ok(("develop", Some(reason), String::new())),
        Err(error) => Err(to_python_error(error)),
    }
}

/// Whether the build recorded in `state_dir` is up to date: the whole cost of an import of an
/// unchanged hooked project.
#[pyfunction]
fn is_fresh(state_dir: PathBuf) -> bool {
    quick_rebuild::is_fresh(&state_dir)
}

fn to_python_error(error: anyhow::Error) -> PyErr {
    if let Some(failed) = error.downcast_ref::<CargoFailed>() {
        return CargoBuildFailed::new_err((failed.to_string(), failed.diagnostics.clone()));
    }
    if error
        .downcast_ref::<maturin_hook_freshness::lock::LockTimeout>()
        .is_some()
    {
        return PyTimeoutError::new_err(error.to_string());
    }
    PyOSError::new_err(format!("{error:#}"))
}

#[pymodule]
fn _fast(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(refresh, module)?)?;
    module.add_function(wrap_pyfunction!(is_fresh, module)?)?;
    module.add(
        "CargoBuildFailed",
        module.py().get_type::<CargoBuildFailed>(),
    )?;
    Ok(())
}
