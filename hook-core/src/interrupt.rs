//! Ctrl-C during a build, and the processes a build leaves behind.
//!
//! A build runs on a thread of its own while the thread that asked for it watches for an
//! interrupt (for Python: a pending `SIGINT`, which Jupyter's "interrupt kernel" sends to the
//! process alone and a terminal to its whole process group). On an interrupt, every process of
//! this process's builds is killed, the build fails at once, its locks are released as it
//! unwinds, and the caller raises the interrupt (`KeyboardInterrupt`), not a build error.
//!
//! The processes of a build are recognised by [`MARK_ENV`] in their environment, which every
//! cargo the hook starts gets and which cargo passes on to everything it runs (rustc, build
//! scripts, linkers). So the processes of a build whose process is gone (a `SIGKILL`ed
//! importer: cargo dies with it, but its rustc would be re-parented and keep writing into the
//! target directory) are found and killed by the next build.

use crate::lock::{Holder, LockWait};
use crate::report::{BuildKind, BuildStart, OutputLine, Reporter};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

/// `MATURIN_HOOK_BUILD_OF=<pid>`: the process whose build this process belongs to.
pub const MARK_ENV: &str = "MATURIN_HOOK_BUILD_OF";

/// How often a running build looks for an interrupt.
const POLL: Duration = Duration::from_millis(50);

/// Set while an interrupted build unwinds: waits (for another process's lock) give up.
static REQUESTED: AtomicBool = AtomicBool::new(false);

/// The build was interrupted (Ctrl-C).
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the build was interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Marks `command` (a cargo) and everything it starts as a build of this process.
pub fn mark(command: &mut Command) {
    command.env(MARK_ENV, std::process::id().to_string());
}

/// Whether the running builds of this process are being interrupted.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// What a build thread tells the reporter of the thread that started the build (see
/// [`Forwarded`]).
enum Event {
    WaitingForLock {
        lock: PathBuf,
        holder: Option<Holder>,
        waited: Duration,
    },
    Building {
        project: String,
        reason: String,
        kind: BuildKind,
        cargo_log: Option<PathBuf>,
        output_log: PathBuf,
    },
    Step(String),
    Warning(String),
    Output {
        line: String,
        diagnostic: bool,
    },
    Call(Box<dyn FnOnce() + Send>),
    Done,
}

/// The reporter of a build that runs on a thread of its own: every event goes to the thread
/// that started the build, which hands it to its reporter. That thread may hold locks the
/// build thread must not wait for: an import runs under Python's import lock, and a reporter
/// that imports a module (a logging handler's formatter, an exception class) from another
/// thread would wait for it forever.
#[derive(Clone)]
pub struct Forwarded {
    sender: Sender<Event>,
    captures: bool,
    colour: Option<bool>,
}

impl Forwarded {
    fn send(&self, event: Event) {
        let _ = self.sender.send(event);
    }

    /// Runs `call` on the thread that started the build and waits for it: Python code (a
    /// user's override called back during the build) must run there, for the same reason as
    /// the reporter. `None` when that thread no longer takes calls.
    pub fn on_starting_thread<R: Send + 'static>(
        &self,
        call: impl FnOnce() -> R + Send + 'static,
    ) -> Option<R> {
        let (reply, answer) = mpsc::channel();
        self.send(Event::Call(Box::new(move || {
            let _ = reply.send(call());
        })));
        answer.recv().ok()
    }
}

impl Reporter for Forwarded {
    fn waiting_for_lock(&self, wait: &LockWait<'_>) {
        self.send(Event::WaitingForLock {
            lock: wait.lock.to_path_buf(),
            holder: wait.holder.clone(),
            waited: wait.waited,
        });
    }

    fn building(&self, build: &BuildStart<'_>) {
        self.send(Event::Building {
            project: build.project.to_string(),
            reason: build.reason.to_string(),
            kind: build.kind,
            cargo_log: build.cargo_log.map(Path::to_path_buf),
            output_log: build.output_log.to_path_buf(),
        });
    }

    fn step(&self, message: &str) {
        self.send(Event::Step(message.to_string()));
    }

    fn warning(&self, message: &str) {
        self.send(Event::Warning(message.to_string()));
    }

    fn captures_output(&self) -> bool {
        self.captures
    }

    fn output(&self, line: OutputLine<'_>) {
        let (line, diagnostic) = match line {
            OutputLine::Progress(line) => (line, false),
            OutputLine::Diagnostic(line) => (line, true),
        };
        self.send(Event::Output {
            line: line.to_string(),
            diagnostic,
        });
    }

    fn colour(&self) -> Option<bool> {
        self.colour
    }
}

fn deliver(reporter: &dyn Reporter, event: Event) {
    match event {
        Event::WaitingForLock {
            lock,
            holder,
            waited,
        } => reporter.waiting_for_lock(&LockWait {
            lock: &lock,
            holder,
            waited,
        }),
        Event::Building {
            project,
            reason,
            kind,
            cargo_log,
            output_log,
        } => reporter.building(&BuildStart {
            project: &project,
            reason: &reason,
            kind,
            cargo_log: cargo_log.as_deref(),
            output_log: &output_log,
        }),
        Event::Step(message) => reporter.step(&message),
        Event::Warning(message) => reporter.warning(&message),
        Event::Output { line, diagnostic } => reporter.output(if diagnostic {
            OutputLine::Diagnostic(&line)
        } else {
            OutputLine::Progress(&line)
        }),
        Event::Call(call) => call(),
        Event::Done => {}
    }
}

/// Runs `work` on another thread, reporting to `reporter` on this one (see [`Forwarded`]) and
/// asking `interrupted` every [`POLL`] until it is done; when `interrupted` says so, kills the
/// build's processes and returns [`Interrupted`] once `work` has unwound.
pub fn run_interruptibly<T: Send>(
    reporter: &dyn Reporter,
    interrupted: impl Fn() -> bool,
    work: impl FnOnce(&Forwarded) -> Result<T> + Send,
) -> Result<T> {
    let (sender, events) = mpsc::channel();
    let forwarded = Forwarded {
        sender,
        captures: reporter.captures_output(),
        colour: reporter.colour(),
    };
    std::thread::scope(|scope| {
        let build = scope.spawn(move || {
            let result = work(&forwarded);
            forwarded.send(Event::Done);
            result
        });
        let mut was_interrupted = false;
        loop {
            match events.recv_timeout(POLL) {
                Ok(Event::Done) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Ok(event) => deliver(reporter, event),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if !was_interrupted && interrupted() {
                        was_interrupted = true;
                        REQUESTED.store(true, Ordering::Relaxed);
                        kill_marked(|owner| owner == std::process::id());
                    }
                }
            }
        }
        let result = build
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        if was_interrupted {
            REQUESTED.store(false, Ordering::Relaxed);
            return Err(Interrupted.into());
        }
        result
    })
}

/// Kills what is left of builds whose process is gone.
pub fn kill_orphans() {
    kill_marked(|owner| !process_exists(owner));
}

#[cfg(target_os = "linux")]
fn kill_marked(whose: impl Fn(u32) -> bool) {
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return;
    };
    let us = std::process::id();
    for entry in processes.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == us {
            continue;
        }
        // another user's processes cannot be read, nor killed
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let owner = environ.split(|byte| *byte == 0).find_map(|variable| {
            let value = variable
                .strip_prefix(MARK_ENV.as_bytes())?
                .strip_prefix(b"=")?;
            std::str::from_utf8(value).ok()?.parse::<u32>().ok()
        });
        if owner.is_some_and(&whose) {
            if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn kill_marked(_whose: impl Fn(u32) -> bool) {}

#[cfg(unix)]
fn process_exists(pid: u32) -> bool {
    rustix::process::Pid::from_raw(pid as i32)
        .is_none_or(|pid| rustix::process::test_kill_process(pid).is_ok())
}

#[cfg(not(unix))]
fn process_exists(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn an_interrupt_kills_the_builds_processes_and_ends_the_build() {
        let started = std::time::Instant::now();
        let asked = std::sync::atomic::AtomicU32::new(0);
        let result: Result<()> = run_interruptibly(
            &Quiet,
            || asked.fetch_add(1, Ordering::Relaxed) >= 2,
            |_| {
                let mut sleep = Command::new("sleep");
                sleep.arg("60");
                mark(&mut sleep);
                let status = sleep.status()?;
                anyhow::bail!("sleep ended: {status}")
            },
        );
        assert!(result.unwrap_err().downcast_ref::<Interrupted>().is_some());
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(!requested());
    }

    #[test]
    fn a_build_that_ends_is_not_interrupted() {
        let result = run_interruptibly(&Quiet, || false, |_| Ok(7));
        assert_eq!(result.unwrap(), 7);
    }

    struct Quiet;
    impl Reporter for Quiet {}

    struct Steps(std::sync::Mutex<Vec<(String, std::thread::ThreadId)>>);
    impl Reporter for Steps {
        fn step(&self, message: &str) {
            let mut steps = self.0.lock().unwrap();
            steps.push((message.to_string(), std::thread::current().id()));
        }
    }

    #[test]
    fn the_reporter_hears_the_build_on_the_thread_that_started_it() {
        let steps = Steps(Default::default());
        run_interruptibly(
            &steps,
            || false,
            |reporter| {
                reporter.step("one");
                reporter.step("two");
                Ok(())
            },
        )
        .unwrap();
        let here = std::thread::current().id();
        let heard = steps.0.into_inner().unwrap();
        assert_eq!(
            heard,
            vec![("one".to_string(), here), ("two".to_string(), here)]
        );
    }
}
