//! `maturin publish`

use crate::commands::build::{build_from_own_sdist, wheel_build_context};
use anyhow::Result;
use maturin::{BuildOptions, BuildOrchestrator, PublishOpt};

pub fn publish(
    mut options: BuildOptions,
    mut publish: PublishOpt,
    debug: bool,
    no_strip: bool,
    no_sdist: bool,
    pgo: bool,
) -> Result<()> {
    // Set before the build context reads pyproject.toml, so that `--debug` wins over it.
    if debug {
        options.cargo.profile = Some("dev".to_string());
    }
    let strip = Some(!no_strip);
    let unpacked = if no_sdist {
        None
    } else {
        Some(build_from_own_sdist(&mut options, strip)?)
    };
    let mut context = wheel_build_context(options, strip, unpacked.as_ref(), pgo)?;
    let profile = context
        .project
        .cargo_options
        .profile
        .get_or_insert_with(|| "release".to_string());
    if profile == "dev" {
        eprintln!("⚠️  Warning: You're publishing debug wheels");
    }

    let mut files: Vec<_> = BuildOrchestrator::new(&context)
        .build_wheels()?
        .into_iter()
        .map(|wheel| wheel.path)
        .collect();
    files.extend(unpacked.map(|u| u.sdist_path));
    publish.non_interactive_on_ci();
    maturin::upload_ui(&files, &publish)?;
    Ok(())
}
