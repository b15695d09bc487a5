//! `maturin_import_hook._fast`: what an import of a hooked package runs before the package
//! loads. Small on purpose (no maturin crate): an up-to-date check is a few stats.

use maturin_hook_freshness::cache_location;
use maturin_hook_freshness::project_discovery;
use maturin_hook_freshness::quick_rebuild::{self, CargoFailed, Refresh};
use maturin_hook_freshness::state::extension_module;
use pyo3::create_exception;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use std::ffi::OsString;
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

/// Whether the project importer's build of the project of `manifest_path` (its arguments as
/// given to `_native.develop_project`) is up to date, without resolving its settings: only a
/// state that a develop with these very arguments recorded counts (else the full develop
/// decides).
#[pyfunction]
#[pyo3(signature = (manifest_path, args, environment, build_dir=None, extra_inputs=Vec::new()))]
fn project_is_fresh(
    manifest_path: PathBuf,
    args: Vec<String>,
    environment: PathBuf,
    build_dir: Option<PathBuf>,
    extra_inputs: Vec<PathBuf>,
) -> bool {
    let Ok(project) = cache_location::project_key(Some(&manifest_path)) else {
        return false;
    };
    let root = cache_location::cache_root(&environment, build_dir.as_deref());
    let key = cache_location::project_request_key(
        &environment,
        build_dir.as_deref(),
        &args,
        &extra_inputs,
    );
    quick_rebuild::fresh_state(
        &cache_location::develop_state_dir(&root, &project),
        Some(&key),
    )
    .is_some()
}

/// The extension module built from the Rust file `rs_file` as `module_name` by the `.rs` file
/// importer (arguments as given to `_native.build_rs_file`), when that build is up to date.
#[pyfunction]
#[pyo3(signature = (rs_file, module_name, args, python, environment, build_dir=None))]
fn rs_file_extension_if_fresh(
    rs_file: PathBuf,
    module_name: &str,
    args: Vec<String>,
    python: PathBuf,
    environment: PathBuf,
    build_dir: Option<PathBuf>,
) -> Option<OsString> {
    let rs_file = rs_file.canonicalize().ok()?;
    let root = cache_location::cache_root(&environment, build_dir.as_deref());
    let entry = cache_location::rs_file_entry(&root, &rs_file, module_name);
    let key =
        cache_location::rs_file_request_key(&python, &environment, build_dir.as_deref(), &args);
    let state = quick_rebuild::fresh_state(&cache_location::rs_file_state_dir(&entry), Some(&key))?;
    let outputs: Vec<PathBuf> = state
        .outputs
        .iter()
        .map(|output| output.path.clone())
        .collect();
    extension_module(&outputs, module_name).map(PathBuf::into_os_string)
}

/// The maturin projects the entries of `search_path` lead to (see
/// `project_discovery::find_projects`): `([(import name, project dir, manifest, installed)],
/// [(dir, error)])`.
#[pyfunction]
fn find_projects(search_path: Vec<PathBuf>) -> FoundProjects {
    let (found, errors) = project_discovery::find_projects(&search_path);
    let found = found
        .into_iter()
        .map(|found| {
            let project = found.project;
            (
                project.import_name,
                project.project_dir.into_os_string(),
                project.manifest_path.into_os_string(),
                found.installed,
            )
        })
        .collect();
    let errors = errors
        .into_iter()
        .map(|(dir, error)| (dir.into_os_string(), error))
        .collect();
    (found, errors)
}

type FoundProjects = (
    Vec<(String, OsString, OsString, bool)>,
    Vec<(OsString, String)>,
);

/// The directories of the local crates the crate of `manifest_path` depends on, transitively.
#[pyfunction]
fn path_dependencies(manifest_path: PathBuf) -> PyResult<Vec<OsString>> {
    let dirs = project_discovery::path_dependencies(&manifest_path)
        .map_err(|error| PyValueError::new_err(format!("{error:#}")))?;
    Ok(dirs.into_iter().map(PathBuf::into_os_string).collect())
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
    module.add_function(wrap_pyfunction!(project_is_fresh, module)?)?;
    module.add_function(wrap_pyfunction!(find_projects, module)?)?;
    module.add_function(wrap_pyfunction!(path_dependencies, module)?)?;
    module.add_function(wrap_pyfunction!(rs_file_extension_if_fresh, module)?)?;
    module.add(
        "CargoBuildFailed",
        module.py().get_type::<CargoBuildFailed>(),
    )?;
    Ok(())
}
