//! `maturin_import_hook._native`: the Python runtime's entry into the maturin-hook library,
//! for what needs the maturin crate: a full develop of a request that `_fast` could not bring
//! up to date by itself, builds of `.rs` files, and the `python -m maturin_import_hook` commands.

#[cfg(unix)]
mod build_output;

use maturin_hook::develop::{develop, develop_request};
use maturin_hook::environment::Environment;
use maturin_hook::hook_core::interrupt;
use maturin_hook::hook_core::lock::LockWait;
use maturin_hook::hook_core::pipeline::Options;
use maturin_hook::hook_core::python::{outcome_to_python, python_interrupted, PyReporter};
use maturin_hook::hook_core::report::{BuildKind, BuildStart, OutputLine, OutputSorter, Reporter};
use maturin_hook::hook_core::request::BuildRequest;
use maturin_hook::import_hook_cli::{run_for, ImportHookCli, StderrWarnings};
use maturin_hook::rs_file::{self, RsFileRequest};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
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

/// The full pipeline for `request` (the JSON of a `BuildRequest`) into `environment`
/// (`sys.prefix`), reporting to `reporter`: what `_fast` hands over. Returns a
/// `maturin_import_hook._outcome.Outcome`; a failure raises the exception the reporter makes of
/// it.
///
/// For a `.rs` file: `generate(suggested_project_dir) -> project_dir`, when given, makes the
/// project instead of the built-in generator, and is only called when a build is due. With
/// `maturin` (a binary), that binary builds, the request's arguments are `maturin build` flags
/// and `generate` is required.
#[pyfunction]
#[pyo3(signature = (
    request, environment, reporter, lock_timeout_seconds=None, force=false, generate=None,
    maturin=None,
))]
#[allow(clippy::too_many_arguments)]
fn build(
    py: Python<'_>,
    request: &str,
    environment: PathBuf,
    reporter: Py<PyAny>,
    lock_timeout_seconds: Option<f64>,
    force: bool,
    generate: Option<Py<PyAny>>,
    maturin: Option<PathBuf>,
) -> PyResult<Py<PyAny>> {
    let request: BuildRequest = serde_json::from_str(request)
        .map_err(|error| PyValueError::new_err(format!("invalid build request: {error}")))?;
    let lock_timeout =
        lock_timeout_seconds.map(|seconds| Duration::from_secs_f64(seconds.max(0.0)));
    let reporter = PyReporter(reporter);
    let (outcome, extension) = match request {
        BuildRequest::RsFile {
            rs_file,
            module,
            args,
            python,
            build_dir,
        } => {
            // An exception of `generate` is raised as it is, not as a failed build.
            let generate_error: Arc<Mutex<Option<PyErr>>> = Arc::default();
            let callback = generate.map(Arc::new);
            let result = in_process(py, &reporter, |reporter, forwarded| {
                let generate = callback.map(|callback| {
                    let slot = Arc::clone(&generate_error);
                    let forwarded = forwarded.clone();
                    Box::new(move |suggested: &Path| {
                        let suggested = suggested.to_path_buf();
                        // Python code: on the importing thread, which holds the import lock
                        let generated = forwarded.on_starting_thread(move || {
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
                        });
                        generated.unwrap_or_else(|| Err(interrupt::Interrupted.into()))
                    }) as rs_file::GenerateProject
                });
                let request = RsFileRequest {
                    rs_file,
                    module_name: module,
                    args,
                    python,
                    environment,
                    build_dir,
                    lock_timeout,
                    force_rebuild: force,
                    generate,
                    maturin,
                };
                rs_file::build(request, reporter)
            });
            if let Some(error) = generate_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
            {
                return Err(error);
            }
            let built = result?;
            (built.outcome, Some(built.extension))
        }
        request => {
            let outcome = in_process(py, &reporter, |reporter, _| {
                let options = Options {
                    lock_timeout,
                    force,
                };
                develop(develop_request(&request, &environment)?, options, reporter)
            })?;
            (outcome, None)
        }
    };
    outcome_to_python(py, &outcome, extension.as_deref())
}

/// Runs `build` without the GIL on a thread of its own (Ctrl-C interrupts it: see
/// `interrupt`), reporting to `reporter` on this thread, through a [`CapturingReporter`] that
/// keeps the output of a full build off the program's streams. A failure becomes the
/// exception the reporter makes of it.
fn in_process<T: Send>(
    py: Python<'_>,
    reporter: &PyReporter,
    build: impl FnOnce(&dyn Reporter, &interrupt::Forwarded) -> anyhow::Result<T> + Send,
) -> PyResult<T> {
    let result = py.detach(|| {
        interrupt::run_interruptibly(reporter, python_interrupted, |forwarded| {
            let capturing = CapturingReporter {
                inner: Arc::new(forwarded.clone()),
                #[cfg(unix)]
                capture: Mutex::new(None),
            };
            let result = build(&capturing, forwarded);
            capturing.finish();
            result
        })
    });
    result.map_err(|error| reporter.error(py, error))
}

/// A reporter that keeps a full build's output off the program's streams (see
/// [`build_output`]) and reports it line by line: cargo's as it comes, maturin's own when the
/// build is over.
struct CapturingReporter {
    inner: Arc<interrupt::Forwarded>,
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
    fn waiting_for_lock(&self, wait: &LockWait<'_>) {
        self.inner.waiting_for_lock(wait);
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
    match run_for(cli.command, &environment, &StderrWarnings) {
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
        .with(maturin_hook::develop::command_recorder())
        .try_init();
    module.add_function(wrap_pyfunction!(versions, module)?)?;
    module.add_function(wrap_pyfunction!(build, module)?)?;
    module.add_function(wrap_pyfunction!(generate_rs_project, module)?)?;
    module.add_function(wrap_pyfunction!(import_hook_cli, module)?)?;
    Ok(())
}
