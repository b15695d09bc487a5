//! The Python environment a command works on: its root (a venv or conda prefix, what the
//! interpreter calls `sys.prefix`) and its interpreter.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub root: PathBuf,
    pub python: PathBuf,
}

impl Environment {
    /// The environment rooted at `root`, with its usual interpreter.
    pub fn at(root: PathBuf) -> Environment {
        Environment {
            python: environment_python(&root),
            root,
        }
    }

    /// The environment `maturin develop` installs into, found from the current directory (see
    /// [`find_target_environment`]).
    pub fn find_from_cwd() -> Result<Environment> {
        let cwd = std::env::current_dir().context("Failed to detect the current directory")?;
        find_target_environment(&cwd).map(Environment::at)
    }

    /// The interpreter, which must exist.
    pub fn python(&self) -> Result<&Path> {
        if !self.python.is_file() {
            bail!(
                "{} is not a Python environment: there is no interpreter at {}",
                self.root.display(),
                self.python.display()
            );
        }
        Ok(&self.python)
    }
}

/// The interpreter of an environment, without asking `rustc` for the target.
pub fn environment_python(root: &Path) -> PathBuf {
    if cfg!(windows) {
        root.join("Scripts").join("python.exe")
    } else {
        root.join("bin").join("python")
    }
}

/// Finds the target environment the way upstream maturin does: `VIRTUAL_ENV`, then
/// `CONDA_PREFIX`, then a `.venv` directory in `start_dir` or one of its parents; and, where
/// upstream gives up, the virtual environment this `maturin` binary is installed in (so that
/// `venv/bin/maturin` works without activating the venv).
pub fn find_target_environment(start_dir: &Path) -> Result<PathBuf> {
    let virtual_env = std::env::var_os("VIRTUAL_ENV").map(PathBuf::from);
    let conda_prefix = std::env::var_os("CONDA_PREFIX").map(PathBuf::from);
    match (virtual_env, conda_prefix) {
        (Some(venv), Some(conda)) if venv != conda => bail!(
            "Both VIRTUAL_ENV ({}) and CONDA_PREFIX ({}) are set. Please unset one of them",
            venv.display(),
            conda.display()
        ),
        (Some(dir), _) | (None, Some(dir)) => return Ok(dir),
        (None, None) => {}
    }

    for dir in start_dir.ancestors() {
        let dot_venv = dir.join(".venv");
        if !dot_venv.is_dir() {
            continue;
        }
        if !dot_venv.join("pyvenv.cfg").is_file() {
            bail!(
                "Expected {} to be a virtual environment, but pyvenv.cfg is missing",
                dot_venv.display()
            );
        }
        let python = environment_python(&dot_venv);
        if !python.is_file() {
            bail!(
                "Your virtualenv at {} is broken. It contains a pyvenv.cfg but no python at {}",
                dot_venv.display(),
                python.display()
            );
        }
        tracing::debug!("Found a virtualenv named .venv at {}", dot_venv.display());
        return Ok(dot_venv);
    }

    if let Some(own) = own_virtual_environment() {
        tracing::debug!("Using the virtualenv of this maturin, {}", own.display());
        return Ok(own);
    }

    bail!(
        "Couldn't find a virtualenv or conda environment, but you need one to use this command. \
         For maturin to find your virtualenv you need to either set VIRTUAL_ENV (through activate), \
         set CONDA_PREFIX (through conda activate) or have a virtualenv called .venv in the current \
         or any parent folder. \
         See https://virtualenv.pypa.io/en/latest/index.html on how to use virtualenv or \
         use `maturin build` and `pip install <path/to/wheel>` instead."
    )
}

/// The virtual environment whose scripts directory holds the running executable.
fn own_virtual_environment() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let root = exe.parent()?.parent()?;
    (root.join("pyvenv.cfg").is_file() && environment_python(root).is_file())
        .then(|| root.to_path_buf())
}
