//! Where cargo writes what maturin's build asked of it: the profile directory, each target's
//! artifact and its dep-info file.

use maturin::BuildContext;
use std::path::PathBuf;

/// The directory of this build's profile in the target directory.
pub fn profile_dir(context: &BuildContext) -> PathBuf {
    let options = &context.project.cargo_options;
    let profile = match options.profile.as_deref() {
        None | Some("dev") | Some("test") => "debug",
        Some("bench") => "release",
        Some(other) => other,
    };
    let mut dir = context.project.target_dir.clone();
    if let Some(maturin::TargetTriple::Regular(triple)) = &options.target {
        dir.push(triple);
    }
    dir.join(profile)
}

/// cargo's dep-info file of each compiled target: everything the compiler read for it (its
/// sources, path dependencies and workspace members, `include_str!` files, build scripts and
/// their rerun-if-changed files).
pub fn dep_info_files(context: &BuildContext) -> Vec<PathBuf> {
    let profile_dir = profile_dir(context);
    context
        .project
        .compile_targets
        .iter()
        .map(|target| profile_dir.join(format!("{}.d", artifact_stem(target))))
        .collect()
}

/// The file cargo writes into the profile directory for `target`, as maturin builds it (a
/// library target as a cdylib).
pub fn artifact(context: &BuildContext, target: &cargo_metadata::Target) -> PathBuf {
    use std::env::consts::{DLL_SUFFIX, EXE_SUFFIX};
    let name = if target.is_bin() {
        format!("{}{EXE_SUFFIX}", artifact_stem(target))
    } else {
        format!("{}{DLL_SUFFIX}", artifact_stem(target))
    };
    profile_dir(context).join(name)
}

fn artifact_stem(target: &cargo_metadata::Target) -> String {
    if target.is_bin() {
        target.name.clone()
    } else {
        format!(
            "{}{}",
            std::env::consts::DLL_PREFIX,
            target.name.replace('-', "_")
        )
    }
}
