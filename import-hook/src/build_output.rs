//! What a full build started by an import writes, kept off the program's streams without ever
//! making the import wait on them.
//!
//! The maturin crate prints its steps on the process's stdout and stderr (`println!`,
//! `eprintln!`), and what it runs inherits them. From the start of such a build to its end:
//!
//! - file descriptors 1 and 2 point at a file of their own ([`Collected`]): a regular file, so
//!   no write to it ever blocks. What it holds is handed on when the build is over and the
//!   descriptors point where they did before, never earlier: whatever the program writes
//!   meanwhile (a logging handler holding the process's stderr, another thread, C code) may
//!   land in it, but nothing handed on can come back into it, so there is no loop;
//! - cargo writes its output to a log of its own (see `BuildStart::cargo_log`), which is
//!   [followed](Follower) as it grows, so a long compile shows its progress as it goes: only
//!   cargo's processes write to that file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::Duration;

/// How long the end of a build waits for the last lines of cargo's log to be handed on: a
/// reporter that blocks (a logging handler writing to a pipe nobody reads) must not keep the
/// import from returning.
const HAND_ON_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a followed log is read while it does not grow.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(25);

fn dup(fd: i32) -> Option<OwnedFd> {
    // SAFETY: dup returns a new descriptor that we own, or -1.
    let new = unsafe { libc::dup(fd) };
    // SAFETY: `new` is a fresh, open descriptor.
    (new >= 0).then(|| unsafe { OwnedFd::from_raw_fd(new) })
}

/// File descriptors 1 and 2 pointed at an unnamed file until [`Collected::finish`].
pub struct Collected {
    saved_stdout: OwnedFd,
    saved_stderr: OwnedFd,
    file: File,
}

impl Collected {
    /// `None` when the descriptors cannot be redirected (the build then prints as it is).
    pub fn start() -> Option<Collected> {
        let file = tempfile::tempfile().ok()?;
        let saved_stdout = dup(1)?;
        let saved_stderr = dup(2)?;
        let _ = std::io::stdout().flush();
        // SAFETY: plain descriptor duplication onto 1 and 2, both of which `finish` restores.
        // Both share the file's offset, so their writes follow each other.
        unsafe {
            libc::dup2(file.as_raw_fd(), 1);
            libc::dup2(file.as_raw_fd(), 2);
        }
        Some(Collected {
            saved_stdout,
            saved_stderr,
            file,
        })
    }

    /// Points stdout and stderr where they were, and returns what was written meanwhile.
    pub fn finish(mut self) -> String {
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // SAFETY: restores the descriptors saved in `start`.
        unsafe {
            libc::dup2(self.saved_stdout.as_raw_fd(), 1);
            libc::dup2(self.saved_stderr.as_raw_fd(), 2);
        }
        let mut written = Vec::new();
        if self.file.seek(SeekFrom::Start(0)).is_ok() {
            let _ = self.file.read_to_end(&mut written);
        }
        String::from_utf8_lossy(&written).into_owned()
    }
}

/// Hands each line of a growing file on as it is written, until [`Follower::finish`].
pub struct Follower {
    stop: Arc<AtomicBool>,
    done: Receiver<()>,
}

impl Follower {
    pub fn start(path: &Path, mut on_line: impl FnMut(&str) + Send + 'static) -> Option<Follower> {
        let mut file = File::open(path).ok()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (finished, done) = mpsc::channel::<()>();
        let stopping = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut pending: Vec<u8> = Vec::new();
            let mut chunk = [0u8; 64 * 1024];
            loop {
                // read the flag before the file: what was written before `finish` is read
                let last_round = stopping.load(Ordering::Acquire);
                let read = file.read(&mut chunk).unwrap_or(0);
                pending.extend_from_slice(&chunk[..read]);
                while let Some(end) = pending.iter().position(|&byte| byte == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    on_line(String::from_utf8_lossy(&line).trim_end_matches(['\n', '\r']));
                }
                if read == 0 {
                    if last_round {
                        break;
                    }
                    std::thread::sleep(FOLLOW_INTERVAL);
                }
            }
            if !pending.is_empty() {
                on_line(String::from_utf8_lossy(&pending).trim_end_matches('\r'));
            }
            drop(finished);
        });
        Some(Follower { stop, done })
    }

    /// Hands on the rest of the file (waiting a bounded time for that).
    pub fn finish(self) {
        self.stop.store(true, Ordering::Release);
        let _ = self.done.recv_timeout(HAND_ON_TIMEOUT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn a_followed_file_is_handed_on_line_by_line_to_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("cargo.log");
        std::fs::write(&log, "").unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&lines);
        let follower = Follower::start(&log, move |line| {
            seen.lock().unwrap().push(line.to_string())
        })
        .unwrap();
        let mut writer = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        writer.write_all(b"   Compiling a\r\nwarn").unwrap();
        std::thread::sleep(FOLLOW_INTERVAL * 3);
        writer.write_all(b"ing: x\nno newline at the end").unwrap();
        follower.finish();
        assert_eq!(
            *lines.lock().unwrap(),
            ["   Compiling a", "warning: x", "no newline at the end"]
        );
    }
}
