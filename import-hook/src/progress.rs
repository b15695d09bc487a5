//! How a build started from Python reports: waits and the start of a build go to Python
//! callbacks (the importers log them), and what the build prints is captured from its start
//! (see `stdio`), so that an up-to-date check touches no file descriptor.

#[cfg(unix)]
use crate::stdio::Capture;
use maturin_hook::develop::{PrintProgress, Progress};
use pyo3::prelude::*;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// What the caller asked for.
pub struct Reporting {
    /// Pass the build's output on to stderr (it is kept for the error either way).
    pub show_output: bool,
    /// `on_wait(lock_path)`, else a line on stderr.
    pub on_wait: Option<Py<PyAny>>,
    /// `on_build(reason)`, called before the build starts.
    pub on_build: Option<Py<PyAny>>,
}

/// The output of a build, from its start to its end.
#[derive(Clone, Default)]
pub struct CapturedOutput {
    #[cfg(unix)]
    capture: Arc<Mutex<Option<Capture>>>,
}

impl CapturedOutput {
    /// Ends the capture, if a build started one; what the build printed.
    pub fn finish(&self) -> String {
        #[cfg(unix)]
        if let Some(capture) = self.lock().take() {
            return capture.finish();
        }
        String::new()
    }

    #[cfg(unix)]
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Capture>> {
        self.capture.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The [`Progress`] of a develop run for Python.
pub struct HookProgress {
    reporting: Reporting,
    output: CapturedOutput,
}

impl HookProgress {
    pub fn new(reporting: Reporting, output: CapturedOutput) -> Self {
        HookProgress { reporting, output }
    }
}

fn call(callback: &Py<PyAny>, argument: impl for<'py> IntoPyObject<'py> + Send) {
    Python::attach(|py| {
        if let Err(error) = callback.call1(py, (argument,)) {
            error.write_unraisable(py, Some(callback.bind(py)));
        }
    });
}

impl Progress for HookProgress {
    fn waiting_for_lock(&mut self, lock: &Path) {
        match &self.reporting.on_wait {
            Some(callback) => call(callback, lock.to_path_buf()),
            None => PrintProgress.waiting_for_lock(lock),
        }
    }

    fn building(&mut self, reason: &str) {
        if let Some(callback) = &self.reporting.on_build {
            call(callback, reason.to_string());
        }
        #[cfg(unix)]
        {
            let mut capture = self.output.lock();
            if capture.is_none() {
                *capture = Capture::start(self.reporting.show_output);
            }
        }
    }
}
