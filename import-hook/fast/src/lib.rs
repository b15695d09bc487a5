//! `maturin_import_hook._fast`: what an import of a hooked package runs before the package
//! loads. Small on purpose (no maturin crate): an up-to-date check is a few stats, and a
//! Rust-only change is rebuilt by replaying cargo.
//!
//! A request is the JSON of a `maturin_hook_core::request::BuildRequest`; the environment
//! is the importing interpreter's `sys.prefix`.

use maturin_hook_core::interrupt;
use maturin_hook_core::last_failure;
use maturin_hook_core::outcome::Action;
use maturin_hook_core::pipeline::{self, Options};
use maturin_hook_core::project_discovery;
use maturin_hook_core::python::{
    outcome_to_python, python_interrupted, settings_from_python, settings_to_python, PyReporter,
};
use maturin_hook_core::quick_check;
use maturin_hook_core::record::extension_module;
use maturin_hook_core::request::BuildRequest;
use maturin_hook_core::settings::{HookSettings, SETTINGS};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

fn parse_request(request: &str) -> PyResult<BuildRequest> {
    serde_json::from_str(request)
        .map_err(|error| PyValueError::new_err(format!("invalid build request: {error}")))
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
    parse_request(request).is_ok_and(|request| pipeline::is_up_to_date(&request, &environment))
}

/// A short hash of the stats of the inputs of the last build of `request` in `environment`
/// (see `pipeline::inputs_state`): unchanged, a build that failed would fail again.
#[pyfunction]
fn inputs_state(request: &str, environment: PathBuf) -> Option<String> {
    pipeline::inputs_state(&parse_request(request).ok()?, &environment)
}

/// Keeps a failed build of `request` in `environment` for `maturin import-hook status` (see
/// `last_failure`): what failed in one line, and the compiler's diagnostics.
#[pyfunction]
fn record_failure(request: &str, environment: PathBuf, reason: &str, diagnostics: &str) {
    let Ok(request) = parse_request(request) else {
        return;
    };
    if let Ok(id) = request.id(&environment) {
        last_failure::record(&id.state_dir, reason, diagnostics);
    }
}

/// The extension module of a `.rs` file request when its build is up to date.
#[pyfunction]
fn rs_file_extension_if_fresh(request: &str, environment: PathBuf) -> Option<OsString> {
    let request = parse_request(request).ok()?;
    let BuildRequest::RsFile { module, .. } = &request else {
        return None;
    };
    let record = pipeline::up_to_date(&request, &environment)?;
    extension_module(&record.output_paths(), module).map(PathBuf::into_os_string)
}

/// The import's pipeline for `request` (see `maturin_hook_core::pipeline`), reporting to
/// `reporter`: a `maturin_import_hook._outcome.Outcome`, whose action is `full_build_needed`
/// when `_native` must take over. A failure raises the exception the reporter makes of it.
#[pyfunction]
#[pyo3(signature = (request, environment, reporter, lock_timeout_seconds=None, force=false))]
fn run(
    py: Python<'_>,
    request: &str,
    environment: PathBuf,
    reporter: Py<PyAny>,
    lock_timeout_seconds: Option<f64>,
    force: bool,
) -> PyResult<Py<PyAny>> {
    let request = parse_request(request)?;
    let options = Options {
        lock_timeout: lock_timeout_seconds.map(|seconds| Duration::from_secs_f64(seconds.max(0.0))),
        force,
    };
    let reporter = PyReporter(reporter);
    let outcome = py
        .detach(|| {
            interrupt::run_interruptibly(&reporter, python_interrupted, |forwarded| {
                pipeline::run(&request, &environment, options, forwarded)
            })
        })
        .map_err(|error| reporter.error(py, error))?;
    let extension = match &request {
        BuildRequest::RsFile { module, .. } => extension_module(&outcome.outputs, module),
        _ => None,
    };
    outcome_to_python(py, &outcome, extension.as_deref())
}

/// Parses maturin flags into the fields of `MaturinSettings` (a dict), with the one grammar of
/// the hook's settings (`maturin_hook_core::settings`). Raises ValueError.
#[pyfunction]
fn parse_maturin_settings(py: Python<'_>, args: Vec<String>) -> PyResult<Bound<'_, PyDict>> {
    let settings = HookSettings::from_words(&args)
        .map_err(|error| PyValueError::new_err(format!("argument parser error: {error}")))?;
    settings_to_python(py, &settings)
}

/// The flags of `maturin develop` (`develop`) or `maturin build` for `settings` (a
/// `MaturinSettings`).
#[pyfunction]
fn settings_to_args(settings: &Bound<'_, PyAny>, develop: bool) -> PyResult<Vec<String>> {
    Ok(settings_from_python(settings)?.to_args(develop))
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
    module.add_function(wrap_pyfunction!(inputs_state, module)?)?;
    module.add_function(wrap_pyfunction!(record_failure, module)?)?;
    module.add_function(wrap_pyfunction!(rs_file_extension_if_fresh, module)?)?;
    module.add_function(wrap_pyfunction!(run, module)?)?;
    module.add_function(wrap_pyfunction!(parse_maturin_settings, module)?)?;
    module.add_function(wrap_pyfunction!(settings_to_args, module)?)?;
    // what `MaturinSettings` must have as fields (a test compares them)
    let fields: Vec<&str> = SETTINGS.iter().map(|setting| setting.field).collect();
    module.add("SETTING_FIELDS", fields)?;
    module.add_function(wrap_pyfunction!(find_projects, module)?)?;
    module.add_function(wrap_pyfunction!(path_dependencies, module)?)?;
    // what `maturin_import_hook._outcome.Action` must spell (a test compares them)
    module.add("ACTIONS", Action::NAMES)?;
    // what `maturin_import_hook._finder.QUICK_CHECK_HEADER` must be (a test compares them)
    module.add("QUICK_CHECK_HEADER", quick_check::header())?;
    Ok(())
}
