//! What the runtime's two pyo3 modules (`_fast` and `_native`) share: the [`Reporter`] that
//! hands a build's events to a Python object, and the one way a failure becomes a Python
//! exception.

use crate::lock::LockTimeout;
use crate::report::{BuildKind, BuildStart, OutputLine, Reporter};
use pyo3::exceptions::{PyRuntimeError, PyTimeoutError};
use pyo3::prelude::*;
use std::path::Path;

pyo3::create_exception!(
    maturin_import_hook,
    BuildFailed,
    PyRuntimeError,
    "A build failed; the one argument says what failed (the compiler's output went to the \
     reporter)."
);

/// Calls the methods of a Python reporter object (see `maturin_import_hook._build.Reporter`):
/// `waiting_for_lock(path)`, `building(project, reason, kind)`, `step(message)`,
/// `warning(message)` and `output(line, is_diagnostic)`, and its attribute `colour`. Its output
/// is always captured: a build inside a Python program must not write to the program's streams
/// on its own.
pub struct PyReporter(pub Py<PyAny>);

impl PyReporter {
    fn call<A: for<'py> pyo3::call::PyCallArgs<'py>>(&self, method: &str, args: A) {
        Python::attach(|py| {
            if let Err(error) = self.0.call_method1(py, method, args) {
                error.write_unraisable(py, Some(self.0.bind(py)));
            }
        });
    }
}

impl Reporter for PyReporter {
    fn waiting_for_lock(&self, lock: &Path) {
        self.call("waiting_for_lock", (lock.to_path_buf(),));
    }

    fn building(&self, build: &BuildStart<'_>) {
        let kind = match build.kind {
            BuildKind::Replay => "replay",
            BuildKind::Full => "full",
        };
        self.call("building", (build.project, build.reason, kind));
    }

    fn step(&self, message: &str) {
        self.call("step", (message,));
    }

    fn warning(&self, message: &str) {
        self.call("warning", (message,));
    }

    fn captures_output(&self) -> bool {
        true
    }

    fn colour(&self) -> Option<bool> {
        Python::attach(|py| {
            self.0
                .getattr(py, "colour")
                .and_then(|colour| colour.extract::<bool>(py))
                .ok()
        })
    }

    fn output(&self, line: OutputLine<'_>) {
        let (text, diagnostic) = match line {
            OutputLine::Progress(text) => (text, false),
            OutputLine::Diagnostic(text) => (text, true),
        };
        self.call("output", (text, diagnostic));
    }
}

/// A failure of the pipeline as Python sees it: `TimeoutError` for the project lock, else
/// `BuildFailed` with the causes in one message.
pub fn to_python_error(error: anyhow::Error) -> PyErr {
    if error.downcast_ref::<LockTimeout>().is_some() {
        return PyTimeoutError::new_err(error.to_string());
    }
    BuildFailed::new_err(format!("{error:#}"))
}
