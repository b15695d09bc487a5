//! Which Python environment `maturin develop` installs into.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// Finds the target environment the way upstream maturin does: `VIRTUAL_ENV`, then
/// `CONDA_PREFIX`, then a `.venv` directory in `start_dir` or one of its parents.
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
        let python = crate::develop::environment_python(&dot_venv);
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

    bail!(
        "Couldn't find a virtualenv or conda environment, but you need one to use this command. \
         For maturin to find your virtualenv you need to either set VIRTUAL_ENV (through activate), \
         set CONDA_PREFIX (through conda activate) or have a virtualenv called .venv in the current \
         or any parent folder. \
         See https://virtualenv.pypa.io/en/latest/index.html on how to use virtualenv or \
         use `maturin build` and `pip install <path/to/wheel>` instead."
    )
}

/// [`find_target_environment`] from the current directory.
pub fn find_target_environment_from_cwd() -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("Failed to detect the current directory")?;
    find_target_environment(&cwd)
}
