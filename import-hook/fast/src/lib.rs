//! `maturin_import_hook._fast`: what an import of a hooked package runs before the package
//! loads. Small on purpose (no maturin crate): an up-to-date check is a few stats, and a
//! Rust-only change is rebuilt by replaying cargo.
//!
//! A request is the JSON of a `maturin_hook_freshness::request::BuildRequest`; the environment
//! is the importing interpreter's `sys.prefix`.

use maturin_hook_freshness::project_discovery;
use maturin_hook_freshness::python::{to_python_error, BuildFailed, PyReporter};
use maturin_hook_freshness::record::extension_module;
use maturin_hook_freshness::refresh::{fresh_record, refresh as run_refresh, Refreshed};
use maturin_hook_freshness::request::{BuildRequest, RequestId};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

fn request_id(request: &str, environment: PathBuf) -> PyResult<RequestId> {
    let request: BuildRequest = serde_json::from_str(request)
        .map_err(|error| PyValueError::new_err(format!("invalid build request: {error}")))?;
    request
        .id(&environment)
        .map_err(|error| PyValueError::new_err(format!("{error:#}")))
}

/// The build request (JSON) of the project importer for the project of `manifest_path`.
#[pyfunction]
#[pyo3(signature = (manifest_path, args, build_dir=None, extra_inputs=Vec::new()))]
fn project_request(
    manifest_path: PathBuf,
    args: Vec<String>,
    build_dir: Option<PathBuf>,
    extra_inputs: Vec<PathBuf>,
) -> PyResult<String> {
    to_json(&BuildRequest::ProjectImporter {
        manifest_path,
        args,
        build_dir,
        extra_inputs,
    })
}

/// The build request (JSON) of the `.rs` file importer for `rs_file` (a canonical path) built
/// as `module` for the interpreter `python`.
#[pyfunction]
#[pyo3(signature = (rs_file, module, args, python, build_dir=None))]
fn rs_file_request(
    rs_file: PathBuf,
    module: String,
    args: Vec<String>,
    python: PathBuf,
    build_dir: Option<PathBuf>,
) -> PyResult<String> {
    to_json(&BuildRequest::RsFile {
        rs_file,
        module,
        args,
        python,
        build_dir,
    })
}

fn to_json(request: &BuildRequest) -> PyResult<String> {
    serde_json::to_string(request).map_err(|error| PyValueError::new_err(error.to_string()))
}

/// Whether the last build of `request` in `environment` is up to date and this request's: the
/// whole cost of an import of an unchanged project.
#[pyfunction]
fn is_fresh(request: &str, environment: PathBuf) -> bool {
    request_id(request, environment)
        .ok()
        .and_then(|id| fresh_record(&id))
        .is_some_and(|fresh| fresh.is_ok())
}

/// The extension module of a `.rs` file request when its build is up to date.
#[pyfunction]
fn rs_file_extension_if_fresh(request: &str, environment: PathBuf) -> Option<OsString> {
    let module = match serde_json::from_str::<BuildRequest>(request).ok()? {
        BuildRequest::RsFile { module, .. } => module,
        _ => return None,
    };
    let record = fresh_record(&request_id(request, environment).ok()?)?.ok()?;
    extension_module(&record.output_paths(), &module).map(PathBuf::into_os_string)
}

/// Checks the last build of `request` and replays cargo after a Rust-only change, reporting to
/// `reporter`. Returns `(status, detail)`: `("fresh", None)`, `("found-rebuilt", None)` (another
/// process built it while this one waited), `("replayed", reason)`, `("full", reason)` (a full
/// develop is due), `("sources-gone", project_dir)`. A failed build raises `BuildFailed`.
#[pyfunction]
#[pyo3(signature = (request, environment, reporter, lock_timeout_seconds=None, force=false))]
fn refresh(
    py: Python<'_>,
    request: &str,
    environment: PathBuf,
    reporter: Py<PyAny>,
    lock_timeout_seconds: Option<f64>,
    force: bool,
) -> PyResult<(&'static str, Option<OsString>)> {
    let request: BuildRequest = serde_json::from_str(request)
        .map_err(|error| PyValueError::new_err(format!("invalid build request: {error}")))?;
    let timeout = lock_timeout_seconds.map(|seconds| Duration::from_secs_f64(seconds.max(0.0)));
    let reporter = PyReporter(reporter);
    let refreshed = py
        .detach(|| run_refresh(&request, &environment, timeout, force, &reporter))
        .map_err(to_python_error)?;
    Ok(match refreshed {
        Refreshed::Fresh => ("fresh", None),
        Refreshed::FoundRebuilt => ("found-rebuilt", None),
        Refreshed::Replayed { reason } => ("replayed", Some(reason.into())),
        Refreshed::NeedsFull { reason } => ("full", Some(reason.into())),
        Refreshed::SourcesGone { project_dir } => {
            ("sources-gone", Some(project_dir.into_os_string()))
        }
    })
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

#[pymodule]
fn _fast(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(project_request, module)?)?;
    module.add_function(wrap_pyfunction!(rs_file_request, module)?)?;
    module.add_function(wrap_pyfunction!(is_fresh, module)?)?;
    module.add_function(wrap_pyfunction!(rs_file_extension_if_fresh, module)?)?;
    module.add_function(wrap_pyfunction!(refresh, module)?)?;
    module.add_function(wrap_pyfunction!(find_projects, module)?)?;
    module.add_function(wrap_pyfunction!(path_dependencies, module)?)?;
    module.add("BuildFailed", module.py().get_type::<BuildFailed>())?;
    Ok(())
}
