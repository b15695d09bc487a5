//! Builds of a `.rs` file with a maturin binary the user chose (an override of
//! `MaturinRustFileImporter.find_maturin()`), as upstream maturin-import-hook runs them:
//! `maturin build --interpreter <python> --out <dir>` of the generated project, then the
//! wheel's modules into the cache. The project, the output directory, the lock and the shared
//! target directory are those of in-process builds.
//!
//! Our develop state is captured from an in-process build, so the freshness of these builds is
//! upstream's: one is due when there is no extension yet or the command changed, and (decided
//! by the Python side, which knows `get_source_files()`) when a source is newer than the
//! extension.

use super::{seed_lock, RsFileBuilt, RsFileLayout, RsFileRequest};
use crate::wheel_install;
use anyhow::{anyhow, bail, Context, Result};
use maturin_hook_core::lock::ProjectLock;
use maturin_hook_core::outcome::{Action, Outcome};
use maturin_hook_core::record::extension_module;
use maturin_hook_core::report::{self, BuildKind, BuildStart, Reporter};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const RECORD_FILE: &str = "binary_build.json";

/// What the last build ran, to tell whether the next one may reuse its output.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct BinaryBuild {
    command: Vec<String>,
    outputs: Vec<PathBuf>,
}

/// Builds `request.rs_file` (as laid out in `layout`) with `maturin`; `request.args` are
/// `maturin build` flags and `request.generate` makes the project.
pub(super) fn build(
    request: RsFileRequest,
    layout: RsFileLayout,
    maturin: &Path,
    reporter: &dyn Reporter,
) -> Result<RsFileBuilt> {
    let started = Instant::now();
    let module = request.module_name.as_str();
    let _lock = ProjectLock::acquire(&layout.state_dir, request.lock_timeout, |wait| {
        reporter.waiting_for_lock(wait)
    })?;
    let wheel_dir = layout.entry.join("wheel");
    let command_for = |manifest: &Path| {
        let mut command: Vec<String> = [
            maturin.as_os_str(),
            "build".as_ref(),
            "--manifest-path".as_ref(),
            manifest.as_os_str(),
            "--interpreter".as_ref(),
            request.python.as_os_str(),
            "--out".as_ref(),
            wheel_dir.as_os_str(),
            "--target-dir".as_ref(),
            layout.target_dir.as_os_str(),
        ]
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
        command.extend(request.args.iter().cloned());
        command
    };
    // What the record compares: the command for the suggested project (a generator may put the
    // project elsewhere, and anew each time).
    let command = command_for(&layout.project_dir.join("Cargo.toml"));
    let record_path = layout.state_dir.join(RECORD_FILE);
    let previous: Option<BinaryBuild> = match maturin_hook_core::trust::check(&record_path) {
        Ok(()) => std::fs::read(&record_path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok()),
        Err(untrusted) => {
            reporter.warning(&untrusted.to_string());
            None
        }
    };
    let reason = match &previous {
        _ if request.force_rebuild => "a rebuild was forced",
        None => "no previous build",
        Some(record) if record.command != command => "the build command changed",
        Some(record) => match extension_module(&record.outputs, module) {
            Some(extension) if record.outputs.iter().all(|path| path.is_file()) => {
                return Ok(built(
                    layout,
                    extension,
                    Action::UpToDate,
                    None,
                    record,
                    started,
                ));
            }
            _ => "the built module is missing",
        },
    };

    let generate = request
        .generate
        .ok_or_else(|| anyhow!("a build with a maturin binary needs a project generator"))?;
    let project_dir = generate(&layout.project_dir)?;
    let run = command_for(&project_dir.join("Cargo.toml"));
    seed_lock(&project_dir, &layout.lock_seed);
    reporter.building(&BuildStart {
        project: module,
        reason,
        kind: BuildKind::Full,
        cargo_log: None,
        output_log: &layout.state_dir.join(report::OUTPUT_LOG),
    });
    if wheel_dir.exists() {
        std::fs::remove_dir_all(&wheel_dir)
            .with_context(|| format!("cannot empty {}", wheel_dir.display()))?;
    }
    reporter.step(&format!(
        "🔨 Building {} with {}",
        request.rs_file.display(),
        maturin.display()
    ));
    run_maturin(&run, reporter).with_context(|| format!("`{}` failed", run.join(" ")))?;
    let wheel = single_wheel(&wheel_dir)?;
    let previous_outputs = previous.map(|record| record.outputs).unwrap_or_default();
    let report = wheel_install::extract_modules(&wheel, &layout.output_dir, true)?;
    let outputs: Vec<PathBuf> = report
        .written
        .iter()
        .chain(&report.unchanged)
        .cloned()
        .collect();
    wheel_install::remove_stale_modules(&layout.output_dir, &previous_outputs, &outputs);
    let extension = extension_module(&outputs, module).ok_or_else(|| {
        anyhow!(
            "the wheel {} has no extension module named {module}; does {} define \
             `#[pymodule] fn {module}`?",
            wheel.display(),
            request.rs_file.display()
        )
    })?;
    let record = BinaryBuild { command, outputs };
    maturin_hook_core::write_json_atomically(&record_path, &record)?;
    let action = Action::Built {
        metadata_changed: false,
    };
    Ok(built(
        layout,
        extension,
        action,
        Some(reason.to_string()),
        &record,
        started,
    ))
}

/// Runs the user's maturin; its output goes to the reporter when it captures (the program's
/// stdout is not the place for it).
fn run_maturin(run: &[String], reporter: &dyn Reporter) -> Result<()> {
    let mut command = Command::new(&run[0]);
    command.args(&run[1..]);
    let status = if reporter.captures_output() {
        // maturin prints its steps on stdout and cargo's output on stderr: read both as one
        let (reader, writer) = std::io::pipe()?;
        let mut child = command
            .stdout(writer.try_clone()?)
            .stderr(writer)
            .spawn()
            .with_context(|| format!("cannot run {}", run[0]))?;
        drop(command);
        let mut sorter = maturin_hook_core::report::OutputSorter::default();
        let mut kept = String::new();
        for line in BufReader::new(reader).lines().map_while(Result::ok) {
            reporter.output(sorter.sort(&line));
            kept.push_str(&line);
            kept.push('\n');
        }
        let status = child.wait()?;
        if !status.success() {
            bail!("{status}:\n{kept}");
        }
        status
    } else {
        command
            .status()
            .with_context(|| format!("cannot run {}", run[0]))?
    };
    if !status.success() {
        bail!("{status}");
    }
    Ok(())
}

fn single_wheel(dir: &Path) -> Result<PathBuf> {
    let wheels: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("maturin wrote no wheel into {}", dir.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "whl"))
        .collect();
    match wheels.as_slice() {
        [wheel] => Ok(wheel.clone()),
        _ => bail!("expected one wheel in {}, found {wheels:?}", dir.display()),
    }
}

fn built(
    layout: RsFileLayout,
    extension: PathBuf,
    action: Action,
    reason: Option<String>,
    record: &BinaryBuild,
    started: Instant,
) -> RsFileBuilt {
    let mut outcome = Outcome::new(action);
    if action.built() {
        outcome.written = record.outputs.clone();
    }
    outcome.reason = reason;
    outcome.outputs = record.outputs.clone();
    outcome.timings.total = started.elapsed();
    RsFileBuilt {
        outcome,
        extension,
        layout,
    }
}
