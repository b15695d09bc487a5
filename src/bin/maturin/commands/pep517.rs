//! `maturin pep517 …`: the native half of the PEP 517 backend in the `maturin` Python module.
//! Each command prints its result (a path or a file name) as the last line of stdout.

use crate::cli::Pep517Command;
use anyhow::{bail, Context, Result};
use ignore::overrides::Override;
use maturin::{BuildOptions, BuildOrchestrator, PathWriter, VirtualWriter};
use maturin_hook::build_options::release_unless_a_profile_was_chosen;
use std::collections::HashSet;

pub fn pep517(command: Pep517Command) -> Result<()> {
    match command {
        Pep517Command::WriteDistInfo {
            mut build_options,
            metadata_directory,
            strip,
            pgo,
        } => {
            keep_single_interpreter(&mut build_options, "write-dist-info")?;
            let mut context = build_options
                .into_build_context()
                .strip(strip.strip)
                .editable(false)
                .pgo(pgo.pgo)
                .build()?;
            release_unless_a_profile_was_chosen(&mut context);
            let tags = BuildOrchestrator::new(&context).tags_from_bridge()?;
            let mut writer =
                VirtualWriter::new(PathWriter::from_path(metadata_directory), Override::empty());
            let dist_info_dir = maturin::write_dist_info(
                &mut writer,
                &context.project.project_layout.project_root,
                &context.project.metadata24,
                &tags,
            )?;
            writer.finish()?;
            println!("{}", dist_info_dir.display());
        }
        Pep517Command::BuildWheel(mut options) => {
            keep_single_interpreter(&mut options.build_options, "build-wheel")?;
            let mut context = options
                .build_options
                .clone()
                .into_build_context()
                .strip(options.strip.strip)
                .editable(options.editable)
                .pgo(options.pgo.pgo)
                .build()?;
            release_unless_a_profile_was_chosen(&mut context);
            let wheel = if options.with_hook {
                maturin_hook::develop::editable::build_wheel(
                    &context,
                    &options,
                    &build_wheel_args(),
                )?
            } else {
                let wheels = BuildOrchestrator::new(&context).build_wheels()?;
                let [wheel] = wheels.as_slice() else {
                    let paths: Vec<_> = wheels
                        .iter()
                        .map(|w| w.path.display().to_string())
                        .collect();
                    bail!(
                        "expected exactly one wheel to be built, got {}: {paths:?}",
                        wheels.len()
                    );
                };
                if options.editable {
                    let ascii = maturin_hook::wheel_install::ascii_pth_files(&wheel.path)?;
                    if !ascii.is_empty() {
                        maturin_hook::wheel_install::put_files(&wheel.path, &ascii)?;
                    }
                }
                wheel.clone()
            };
            let path = wheel.path.to_str().with_context(|| {
                format!("wheel path is not valid UTF-8: {}", wheel.path.display())
            })?;
            println!("{path}");
        }
        Pep517Command::WriteSDist {
            sdist_directory,
            manifest_path,
        } => {
            // all features, so that optional path dependencies are packaged too
            let sdist = super::sdist::write_sdist(manifest_path, Some(sdist_directory), true)?;
            let file_name = sdist
                .file_name()
                .and_then(|name| name.to_str())
                .with_context(|| {
                    format!("sdist path has no UTF-8 file name: {}", sdist.display())
                })?;
            println!("{file_name}");
        }
    }
    Ok(())
}

/// The arguments after `build-wheel`, as the backend gave them (the hook's rebuilds parse them
/// again).
fn build_wheel_args() -> Vec<String> {
    let args: Vec<String> = std::env::args().collect();
    let start = args
        .iter()
        .position(|arg| arg == "build-wheel")
        .map_or(args.len(), |index| index + 1);
    args[start..]
        .iter()
        .filter(|arg| *arg != "--with-hook")
        .cloned()
        .collect()
}

/// A PEP 517 hook builds for the one interpreter running the frontend. The same interpreter
/// can arrive twice (from `MATURIN_PEP517_ARGS` and from the backend), which is fine.
fn keep_single_interpreter(options: &mut BuildOptions, command: &str) -> Result<()> {
    let mut seen = HashSet::new();
    options
        .python
        .interpreter
        .retain(|path| seen.insert(path.clone()));
    if options.python.interpreter.len() > 1 {
        bail!(
            "`maturin pep517 {command}` expects exactly one --interpreter, got {}: {:?}",
            options.python.interpreter.len(),
            options.python.interpreter
        );
    }
    Ok(())
}
