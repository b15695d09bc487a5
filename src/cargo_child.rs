//! cargo, when an import starts a full build in-process. The importing program's working
//! directory is not the project's, but cargo finds its configuration (`.cargo/config.toml`)
//! and rustup its toolchain (`rust-toolchain.toml`) from the working directory; a cargo the
//! import starts must not outlive the program (a killed importer would leave a cargo holding
//! the target directory's lock); and cargo's output must reach the import's reporter without
//! passing through the program's own file descriptors (see `_native`'s output capture). maturin
//! spawns cargo itself, as the program named by `CARGO`: for the duration of such a build,
//! `CARGO` names this runtime's `maturin` binary, which sees [`RUN_CARGO_ENV`] at its start,
//! moves to the directory, points its stderr at the build's log, arms the parent-death signal
//! and becomes the real cargo. The program's own working directory is never changed.
//!
//! Programs that the build runs inherit `CARGO` too (maturin runs `uniffi-bindgen`, which runs
//! `$CARGO metadata`): the binary then becomes cargo for them just the same, whatever its
//! parent is.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The cargo program the `maturin` binary acting as cargo becomes.
pub const RUN_CARGO_ENV: &str = "MATURIN_HOOK_RUN_CARGO";
/// The directory it runs cargo in.
pub const CARGO_DIR_ENV: &str = "MATURIN_HOOK_CARGO_DIR";
/// The process it dies with.
pub const PARENT_ENV: &str = "MATURIN_HOOK_CARGO_PARENT";
/// `CARGO_TERM_COLOR` for it, when the reporter wants colour decided (see
/// `maturin_hook_core::report::cargo_colour`).
pub const COLOUR_ENV: &str = "MATURIN_HOOK_CARGO_COLOR";
/// The file its stderr is appended to (see [`maturin_hook_core::report::BuildStart`]).
pub const LOG_ENV: &str = "MATURIN_HOOK_CARGO_LOG";

const SHIM_VARIABLES: [&str; 5] = [
    RUN_CARGO_ENV,
    CARGO_DIR_ENV,
    PARENT_ENV,
    COLOUR_ENV,
    LOG_ENV,
];

/// The process environment is shared: one such build at a time per process.
static ENVIRONMENT: Mutex<()> = Mutex::new(());

/// While alive, cargo started by maturin runs through `maturin_binary`, in `directory`.
pub struct CargoInDirectory {
    binary: PathBuf,
    directory: PathBuf,
    real_cargo: OsString,
    previous_cargo: Option<OsString>,
    _exclusive: MutexGuard<'static, ()>,
}

impl CargoInDirectory {
    /// `log`: the file cargo's stderr goes to, instead of this process's stderr.
    pub fn new(
        maturin_binary: &Path,
        directory: &Path,
        colour: Option<&str>,
        log: Option<&Path>,
    ) -> CargoInDirectory {
        let exclusive = ENVIRONMENT.lock().unwrap_or_else(|e| e.into_inner());
        let previous_cargo = std::env::var_os("CARGO");
        let real_cargo = previous_cargo.clone().unwrap_or_else(|| "cargo".into());
        // Only maturin reads these in-process, when it makes its commands; in edition 2021
        // setting the environment is safe to call.
        std::env::set_var(RUN_CARGO_ENV, &real_cargo);
        std::env::set_var(CARGO_DIR_ENV, directory);
        std::env::set_var(PARENT_ENV, std::process::id().to_string());
        if let Some(colour) = colour {
            std::env::set_var(COLOUR_ENV, colour);
        }
        if let Some(log) = log {
            std::env::set_var(LOG_ENV, log);
        }
        std::env::set_var("CARGO", maturin_binary);
        CargoInDirectory {
            binary: maturin_binary.to_path_buf(),
            directory: directory.to_path_buf(),
            real_cargo,
            previous_cargo,
            _exclusive: exclusive,
        }
    }

    /// What a command recorded meanwhile really ran, when its program is the binary: the
    /// cargo program and the directory (a replay runs that, there, itself).
    pub fn unwrap(&self, program: &str) -> Option<(String, PathBuf)> {
        (Path::new(program) == self.binary).then(|| {
            (
                self.real_cargo.to_string_lossy().into_owned(),
                self.directory.clone(),
            )
        })
    }
}

impl Drop for CargoInDirectory {
    fn drop(&mut self) {
        for name in SHIM_VARIABLES {
            std::env::remove_var(name);
        }
        match &self.previous_cargo {
            Some(cargo) => std::env::set_var("CARGO", cargo),
            None => std::env::remove_var("CARGO"),
        }
    }
}

/// The `maturin` binary of this runtime in `environment`, when it is this very version (whose
/// start honours [`RUN_CARGO_ENV`]): our distribution's dist-info is in the environment.
pub fn runtime_binary(environment: &Path) -> Option<PathBuf> {
    let binary =
        crate::environment::environment_python(environment).with_file_name(if cfg!(windows) {
            "maturin.exe"
        } else {
            "maturin"
        });
    let ours = format!(
        "maturin-{}+hook.{}.dist-info",
        crate::version::MATURIN_CRATE_VERSION,
        crate::version::VERSION
    );
    let has_our_dist_info = ["lib", "Lib"].iter().any(|lib| {
        std::fs::read_dir(environment.join(lib))
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| {
                entry.path().join("site-packages").join(&ours).is_dir()
                    || entry.path().join(&ours).is_dir()
            })
    });
    (has_our_dist_info && binary.is_file()).then_some(binary)
}

/// Called first by the `maturin` binary: when it is started as cargo (see the module), it
/// becomes cargo and does not return.
pub fn exec_if_asked() {
    let Some(cargo) = std::env::var_os(RUN_CARGO_ENV) else {
        return;
    };
    let directory = std::env::var_os(CARGO_DIR_ENV).map(PathBuf::from);
    let parent: Option<u32> = std::env::var(PARENT_ENV)
        .ok()
        .and_then(|pid| pid.parse().ok());
    let colour = std::env::var_os(COLOUR_ENV);
    let log = std::env::var_os(LOG_ENV).map(PathBuf::from);
    // cargo and what it runs (build scripts) must not take these for themselves
    for name in SHIM_VARIABLES {
        std::env::remove_var(name);
    }
    let mut command = std::process::Command::new(&cargo);
    command.args(std::env::args_os().skip(1));
    if let Some(directory) = &directory {
        command.current_dir(directory);
    }
    if let Some(colour) = colour {
        command.env("CARGO_TERM_COLOR", colour);
    }
    if let Some(log) = &log {
        // A log that cannot be opened leaves cargo's output where it was: on our stderr.
        match std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(log)
        {
            Ok(file) => {
                command.stderr(file);
            }
            Err(error) => eprintln!(
                "⚠️  maturin: cannot write cargo's output to {}: {error}",
                log.display()
            ),
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if let Some(parent) = parent {
            command.env(maturin_hook_core::interrupt::MARK_ENV, parent.to_string());
            if !die_with(parent) {
                eprintln!(
                    "💥 maturin (acting as cargo for a build of process {parent}): that process \
                     is gone, so its build is not run"
                );
                std::process::exit(101);
            }
        }
        let error = command.exec();
        eprintln!(
            "💥 maturin (acting as cargo) failed to run {} in {}: {error}",
            Path::new(&cargo).display(),
            directory.as_deref().unwrap_or(Path::new(".")).display()
        );
        std::process::exit(101);
    }
    #[cfg(not(unix))]
    {
        let _ = parent;
        let status = command.status().map(|status| status.code().unwrap_or(1));
        std::process::exit(status.unwrap_or(101));
    }
}

/// Dies (killed by the kernel) with its parent, whichever process that is (the importing
/// program, or a tool of the build that runs `$CARGO`); false when the process that started
/// the build, `build_process`, is already gone.
#[cfg(target_os = "linux")]
fn die_with(build_process: u32) -> bool {
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    let Some(pid) = rustix::process::Pid::from_raw(build_process as i32) else {
        return true;
    };
    // signal 0 only asks whether the process exists
    rustix::process::test_kill_process(pid).is_ok()
}

#[cfg(all(unix, not(target_os = "linux")))]
fn die_with(_build_process: u32) -> bool {
    true
}
