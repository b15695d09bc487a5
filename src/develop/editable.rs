//! Editable installs that carry the import hook: `pip install -e .`, `uv pip install -e .` and
//! `uv sync` through this maturin's PEP 517 backend with `import-hook` on. The backend's
//! `maturin pep517 build-wheel --editable --with-hook` builds the editable wheel as always,
//! then adds the hook's `.pth` to it (the frontend installs it, and uninstalls it, with the
//! project) and records the build, for the first import to take over instead of building
//! again (`maturin_hook_core::adopt`). The hook then rebuilds with the settings of that
//! build (see `build_options::develop_options`).

use super::cargo_commands;
use super::front_ends::settings_fingerprint;
use super::install::top_level_modules;
use super::record_build;
use crate::build_options::BuildWheelOptions;
use crate::hook;
use crate::wheel_install::{self, layout::Wheel};
use anyhow::{bail, Context, Result};
use maturin::{BuildContext, BuildOrchestrator, BuiltWheel};
use maturin_hook_core::adopt::EditableBuild;
use maturin_hook_core::fingerprint::{self, sha256_file, sha256_hex};
use maturin_hook_core::quick_check;
use maturin_hook_core::request::BuildRequest;
use std::path::{Path, PathBuf};

/// Builds the editable wheel of `context` (built as `options`, which `args` spell) with the
/// import hook in it, and records the build.
pub fn build_wheel(
    context: &BuildContext,
    options: &BuildWheelOptions,
    args: &[String],
) -> Result<BuiltWheel> {
    let manifest_path = hook::canonical_manifest(&context.project.manifest_path);
    let record_path = context
        .project
        .target_dir
        .join("maturin-hook")
        .join(format!(
            "editable-{}.json",
            maturin_hook_core::short_hash(manifest_path.as_os_str().as_encoded_bytes())
        ));
    let record_dir = record_path.parent().expect("a file in a directory");
    maturin_hook_core::trust::create_private_dir(record_dir)
        .with_context(|| format!("cannot create {}", record_dir.display()))?;
    let build_started_ns = fingerprint::filesystem_now(record_dir)?;
    let (wheels, commands) =
        cargo_commands::recording(|| BuildOrchestrator::new(context).build_wheels());
    let wheel = match wheels?.into_iter().collect::<Vec<_>>().as_slice() {
        [wheel] => wheel.clone(),
        other => bail!("expected exactly one editable wheel, got {}", other.len()),
    };
    let cwd = std::env::current_dir().context("Failed to detect the current directory")?;
    let request = BuildRequest::Editable {
        args: without_interpreter(args),
        cwd: cwd.clone(),
        manifest_path: manifest_path.clone(),
        adopt: record_path.clone(),
    };
    let distribution = context.project.metadata24.get_distribution_escaped();
    let quick_check = quick_check::relative_path(&distribution);
    let (pth_name, pth) = hook::pth_file(
        &distribution,
        &top_level_modules(context),
        &request,
        &quick_check,
    )?;
    // one rewrite of the wheel: maturin's own `.pth` made ASCII, and the hook's added with
    // its quick check (empty until the import that takes this build over writes it), a data
    // file, which the frontend installs under the environment's prefix
    let data_dir = Wheel::read(&wheel.path)?.data_dir;
    let mut files = wheel_install::ascii_pth_files(&wheel.path)?;
    files.push((pth_name, pth));
    let quick_check_in_wheel = Path::new(&data_dir).join("data").join(&quick_check);
    files.push((
        quick_check_in_wheel.to_string_lossy().replace('\\', "/"),
        Vec::new(),
    ));
    wheel_install::put_files(&wheel.path, &files)?;

    // what an import's develop of this request will compare
    let settings = settings_fingerprint(&request, &built_for(options)?)?;
    let record = record_build::record(record_build::Build {
        context,
        settings,
        environment: Path::new(""),
        build_started_ns,
        cargo_commands: &commands,
        cargo_in_directory: None,
        // installed by the frontend: the record learns its files when an import takes it over
        installation: None,
        extra_inputs: &[],
        cargo_dir: &cwd,
    })?;
    let artifacts = record
        .replay
        .iter()
        .flat_map(|plan| &plan.steps)
        .map(|step| sha256_file(&step.artifact))
        .collect::<std::io::Result<Vec<_>>>()
        .context("cannot read the built artifact")?;
    let built = Wheel::read(&wheel.path)?;
    let root_files = built
        .files
        .iter()
        .filter(|file| {
            !file.name.starts_with(&format!("{}/", built.dist_info))
                && !file.name.starts_with(&format!("{}/", built.data_dir))
        })
        .map(|file| (file.name.clone(), sha256_hex(&file.content)))
        .collect();
    EditableBuild {
        record,
        dist_info: built.dist_info,
        root_files,
        artifacts,
    }
    .save(&record_path)?;
    Ok(wheel)
}

/// `args` without the interpreter: the backend names the one it runs in, which for an isolated
/// build is a temporary environment that is gone before the first import. Rebuilds are for
/// the environment that imports, whose interpreter the settings fingerprint takes for the
/// same one when it is (see `options::fingerprint`).
fn without_interpreter(args: &[String]) -> Vec<String> {
    let mut kept = Vec::new();
    let mut in_values = false;
    for arg in args {
        if arg == "-i" || arg == "--interpreter" {
            in_values = true;
        } else if arg.starts_with("--interpreter=") {
            in_values = false;
        } else if in_values && !arg.starts_with('-') {
            // `--interpreter` takes one or more values
        } else {
            in_values = false;
            kept.push(arg.clone());
        }
    }
    kept
}

/// The interpreter `options` build for (the backend names it).
fn built_for(options: &BuildWheelOptions) -> Result<PathBuf> {
    match options.build_options.python.interpreter.as_slice() {
        [python] => Ok(python.clone()),
        _ => bail!("an editable build with the import hook needs exactly one --interpreter"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_arguments_name_no_interpreter() {
        let args = |text: &str| text.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            without_interpreter(&args(
                "--editable --interpreter /tmp/.tmpX/bin/python --release -i /a /b --profile=dev \
                 --interpreter=/c -F x"
            )),
            args("--editable --release --profile=dev -F x")
        );
    }
}
