//! An in-process build started by an import must not write to the program's stdout, and its
//! error must carry cargo's diagnostics. maturin prints progress with `println!` and cargo
//! inherits our stderr, so from the start of a build to its end, file descriptors 1 and 2 both
//! point at a pipe whose content is passed on to the real stderr and kept.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Output being captured: started by [`Capture::start`], ended by [`Capture::finish`].
pub struct Capture {
    saved_stdout: OwnedFd,
    saved_stderr: OwnedFd,
    forwarder: std::thread::JoinHandle<String>,
}

fn dup(fd: i32) -> Option<OwnedFd> {
    // SAFETY: dup returns a new descriptor that we own, or -1.
    let new = unsafe { libc::dup(fd) };
    // SAFETY: `new` is a fresh, open descriptor.
    (new >= 0).then(|| unsafe { OwnedFd::from_raw_fd(new) })
}

impl Capture {
    /// Points stdout and stderr at the pipe (passed on to stderr only when `show`); `None`
    /// when the descriptors cannot be redirected (the build then prints as it is).
    pub fn start(show: bool) -> Option<Capture> {
        let (reader, writer) = std::io::pipe().ok()?;
        let saved_stdout = dup(1)?;
        let saved_stderr = dup(2)?;
        let mut real_stderr = File::from(dup(2)?);
        // SAFETY: plain descriptor duplication onto 1 and 2, both of which we restore.
        unsafe {
            libc::dup2(writer.as_raw_fd(), 1);
            libc::dup2(writer.as_raw_fd(), 2);
        }
        drop(writer);
        let forwarder = std::thread::spawn(move || {
            let mut reader = reader;
            let mut kept = Vec::new();
            let mut buffer = [0; 8192];
            while let Ok(read) = reader.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                if show {
                    let _ = real_stderr.write_all(&buffer[..read]);
                }
                kept.extend_from_slice(&buffer[..read]);
            }
            String::from_utf8_lossy(&kept).into_owned()
        });
        Some(Capture {
            saved_stdout,
            saved_stderr,
            forwarder,
        })
    }

    /// Restores stdout and stderr; returns what was written meanwhile.
    pub fn finish(self) -> String {
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // SAFETY: restores the descriptors saved in `start`; the pipe's last writers close,
        // so the forwarder sees the end of it.
        unsafe {
            libc::dup2(self.saved_stdout.as_raw_fd(), 1);
            libc::dup2(self.saved_stderr.as_raw_fd(), 2);
        }
        self.forwarder.join().unwrap_or_default()
    }
}
