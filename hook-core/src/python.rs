//! What the runtime's two pyo3 modules (`_fast` and `_native`) share: the [`Reporter`] that
//! hands a build's events to a Python object, the one conversion of an [`Outcome`] into
//! Python's `maturin_import_hook._outcome.Outcome`, and the one way a failure becomes the import
//! hook's exception. Both modules compile this code, so neither defines a Python type of its
//! own: the types live in the Python package.

use crate::interrupt::Interrupted;
use crate::lock::{Holder, LockTimeout, LockWait};
use crate::outcome::Outcome;
use crate::report::{BuildKind, BuildStart, OutputLine, Reporter};
use crate::settings::{HookSettings, Value};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::Path;
use std::sync::Mutex;

/// The exception of the signal handler that interrupted a build (see [`python_interrupted`]).
static INTERRUPTION: Mutex<Option<PyErr>> = Mutex::new(None);

/// Whether a signal handler of the program raised (Ctrl-C: `KeyboardInterrupt`): for
/// [`crate::interrupt::run_interruptibly`]. Python runs its handlers on the main thread only.
pub fn python_interrupted() -> bool {
    Python::attach(|py| match py.check_signals() {
        Ok(()) => false,
        Err(error) => {
            *INTERRUPTION.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
            true
        }
    })
}

/// Calls the methods of a Python reporter object (see `maturin_import_hook._pipeline.Reporter`):
/// `waiting_for_lock(path, holder, waited_seconds)`, `building(project, reason, is_full)`, `step(message)`,
/// `warning(message)`, `output(line, is_diagnostic)`, its attribute `colour`, and, for a
/// failure, `build_failed(reason)` and `lock_timed_out(message)`, which return the exception to
/// raise. Its output is always captured: a build inside a Python program must not write to the
/// program's streams on its own.
pub struct PyReporter(pub Py<PyAny>);

impl PyReporter {
    fn call<A: for<'py> pyo3::call::PyCallArgs<'py>>(&self, method: &str, args: A) {
        Python::attach(|py| {
            if let Err(error) = self.0.call_method1(py, method, args) {
                error.write_unraisable(py, Some(self.0.bind(py)));
            }
        });
    }

    /// A failure of the pipeline, as the exception the import hook raises: the reporter's
    /// `lock_timed_out(message)` for the project lock, else its `build_failed(reason)` (a
    /// `BuildError` with the diagnostics the reporter kept).
    /// An interrupted build raises what the signal handler raised.
    pub fn error(&self, py: Python<'_>, error: anyhow::Error) -> PyErr {
        if error.downcast_ref::<Interrupted>().is_some() {
            let raised = INTERRUPTION
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            return raised.unwrap_or_else(|| {
                pyo3::exceptions::PyKeyboardInterrupt::new_err(error.to_string())
            });
        }
        let (method, message) = match error.downcast_ref::<LockTimeout>() {
            Some(timeout) => ("lock_timed_out", timeout.to_string()),
            None => ("build_failed", format!("{error:#}")),
        };
        match self.0.call_method1(py, method, (message,)) {
            Ok(exception) => PyErr::from_value(exception.into_bound(py)),
            Err(error) => error,
        }
    }
}

impl Reporter for PyReporter {
    fn waiting_for_lock(&self, wait: &LockWait<'_>) {
        let holder = wait.holder.as_ref().map(Holder::describe);
        self.call(
            "waiting_for_lock",
            (wait.lock.to_path_buf(), holder, wait.waited.as_secs_f64()),
        );
    }

    fn building(&self, build: &BuildStart<'_>) {
        self.call(
            "building",
            (
                build.project,
                build.reason,
                build.kind == BuildKind::Full,
                build.output_log,
            ),
        );
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

/// `outcome` as `maturin_import_hook._outcome.Outcome`; `extension`: the extension module a
/// `.rs` file was built into.
pub fn outcome_to_python(
    py: Python<'_>,
    outcome: &Outcome,
    extension: Option<&Path>,
) -> PyResult<Py<PyAny>> {
    let class = py
        .import("maturin_import_hook._outcome")?
        .getattr("Outcome")?;
    let outcome = class.call1((
        outcome.action.name(),
        outcome.reason.as_deref(),
        outcome.waited,
        outcome.modules.clone(),
        extension.map(|path| path.as_os_str().to_os_string()),
        outcome.source.as_deref(),
    ))?;
    Ok(outcome.unbind())
}

/// `settings` as the keyword arguments of `MaturinSettings(...)`: every field, by name.
pub fn settings_to_python<'py>(
    py: Python<'py>,
    settings: &HookSettings,
) -> PyResult<Bound<'py, PyDict>> {
    let fields = PyDict::new(py);
    for (setting, value) in settings.fields() {
        let value = match value {
            Value::Flag(set) => set.into_pyobject(py)?.to_owned().into_any(),
            Value::Count(count) => count.into_pyobject(py)?.into_any(),
            Value::Integer(number) => number.into_pyobject(py)?,
            Value::Text(text) => text.into_pyobject(py)?,
            Value::Colour(colour) => colour.into_pyobject(py)?,
            Value::List(items) => items.into_pyobject(py)?,
            Value::KeyValues(pairs) => match pairs {
                Some(pairs) => {
                    let dict = PyDict::new(py);
                    for (key, value) in pairs {
                        dict.set_item(key, value)?;
                    }
                    dict.into_any()
                }
                None => py.None().into_bound(py),
            },
        };
        fields.set_item(setting.field, value)?;
    }
    Ok(fields)
}

/// The settings whose fields `object` (a `MaturinSettings`) holds as attributes.
pub fn settings_from_python(object: &Bound<'_, PyAny>) -> PyResult<HookSettings> {
    let mut settings = HookSettings::default();
    for (setting, default) in HookSettings::default().fields() {
        let field = object.getattr(setting.field)?;
        let value = match default {
            Value::Flag(_) => Value::Flag(field.is_truthy()?),
            Value::Count(_) => Value::Count(field.extract()?),
            Value::Integer(_) => Value::Integer(field.extract()?),
            Value::Text(_) => Value::Text(field.extract()?),
            Value::Colour(_) => Value::Colour(field.extract()?),
            Value::List(_) => Value::List(field.extract()?),
            // in the dict's order, which is the order of the flags
            Value::KeyValues(_) if field.is_none() => Value::KeyValues(None),
            Value::KeyValues(_) => Value::KeyValues(Some(
                field
                    .cast::<PyDict>()?
                    .iter()
                    .map(|(key, value)| Ok((key.extract()?, value.extract()?)))
                    .collect::<PyResult<_>>()?,
            )),
        };
        settings
            .set(setting.field, value)
            .map_err(pyo3::exceptions::PyValueError::new_err)?;
    }
    Ok(settings)
}
