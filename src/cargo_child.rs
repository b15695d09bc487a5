//! cargo, when an import starts a full build in-process. The importing program's working
//! directory is not the project's, but cargo finds its configuration (`.cargo/config.toml`)
//! and rustup its toolchain (`rust-toolchain.toml`) from the working directory; and a cargo the
//! import starts must not outlive the program (a killed importer would leave a cargo holding
//! the target directory's lock). maturin spawns cargo itself, as the program named by `CARGO`:
//! for the duration of such a build, `CARGO` names this runtime's `maturin` binary, which sees
//! [`RUN_CARGO_ENV`] at its start, moves to the directory, arms the parent-death signal and
//! becomes the real cargo. The program's own working directory is never changed.

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
/// `freshness::report::cargo_colour`).
pub const COLOUR_ENV: &str = "MATURIN_HOOK_CARGO_COLOR";

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
    pub fn new(maturin_binary: &Path, directory: &Path, colour: Option<&str>) -> CargoInDirectory {
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
        for name in [RUN_CARGO_ENV, CARGO_DIR_ENV, PARENT_ENV, COLOUR_ENV] {
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
    let directory = PathBuf::from(std::env::var_os(CARGO_DIR_ENV).unwrap_or_default());
    let parent: u32 = std::env::var(PARENT_ENV)
        .ok()
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_default();
    let colour = std::env::var_os(COLOUR_ENV);
    for name in [RUN_CARGO_ENV, CARGO_DIR_ENV, PARENT_ENV, COLOUR_ENV] {
        std::env::remove_var(name);
    }
    let mut command = std::process::Command::new(cargo);
    command
        .args(std::env::args_os().skip(1))
        .current_dir(&directory);
    if let Some(colour) = colour {
        command.env("CARGO_TERM_COLOR", colour);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        die_with_parent(parent);
        let error = command.exec();
        eprintln!(
            "💥 maturin failed to run cargo in {}: {error}",
            directory.display()
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

/// Dies (killed by the kernel) with `parent`, the importing process; exits at once when that
/// is already gone.
#[cfg(target_os = "linux")]
fn die_with_parent(parent: u32) {
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    if std::os::unix::process::parent_id() != parent {
        std::process::exit(101);
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn die_with_parent(_parent: u32) {}
