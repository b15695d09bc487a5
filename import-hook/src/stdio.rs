//! An in-process full build started by an import must not write to the program's streams:
//! maturin prints its steps with `println!` and cargo inherits our stderr. From the start of
//! such a build to its end, file descriptors 1 and 2 point at a pipe whose lines go to the
//! reporter. (The Python side points `sys.stdout` and `sys.stderr` at copies of the original
//! descriptors meanwhile, so the program's own output, from any thread, is not moved.)

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Output being captured: started by [`Capture::start`], ended by [`Capture::finish`].
pub struct Capture {
    saved_stdout: OwnedFd,
    saved_stderr: OwnedFd,
    /// Closed by the forwarder when the pipe has no writer left.
    done: std::sync::mpsc::Receiver<()>,
}

fn dup(fd: i32) -> Option<OwnedFd> {
    // SAFETY: dup returns a new descriptor that we own, or -1.
    let new = unsafe { libc::dup(fd) };
    // SAFETY: `new` is a fresh, open descriptor.
    (new >= 0).then(|| unsafe { OwnedFd::from_raw_fd(new) })
}

impl Capture {
    /// Points stdout and stderr at a pipe whose lines are given to `on_line`; `None` when the
    /// descriptors cannot be redirected (the build then prints as it is).
    pub fn start(on_line: impl Fn(&str) + Send + 'static) -> Option<Capture> {
        let (reader, writer) = std::io::pipe().ok()?;
        let saved_stdout = dup(1)?;
        let saved_stderr = dup(2)?;
        let _ = std::io::stdout().flush();
        // SAFETY: plain descriptor duplication onto 1 and 2, both of which `finish` restores.
        unsafe {
            libc::dup2(writer.as_raw_fd(), 1);
            libc::dup2(writer.as_raw_fd(), 2);
        }
        drop(writer);
        let (finished, done) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).split(b'\n').map_while(Result::ok) {
                on_line(String::from_utf8_lossy(&line).trim_end_matches('\r'));
            }
            drop(finished);
        });
        Some(Capture {
            saved_stdout,
            saved_stderr,
            done,
        })
    }

    /// Restores stdout and stderr, and waits until every captured line was handed on (unless a
    /// process the build started, a compiler cache's server say, still holds the pipe).
    pub fn finish(self) {
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // SAFETY: restores the descriptors saved in `start`; the pipe's last writers close,
        // so the forwarder sees the end of it.
        unsafe {
            libc::dup2(self.saved_stdout.as_raw_fd(), 1);
            libc::dup2(self.saved_stderr.as_raw_fd(), 2);
        }
        let _ = self.done.recv_timeout(std::time::Duration::from_secs(2));
    }
}
