//! Our flags are exactly the flags of the maturin crate's option structs.
//!
//! For every upstream command, the expected set of long flags is computed from the crate's
//! own clap structs; only the options upstream declares in its binary (not its library) are
//! named here, because there is no struct to take them from.

use super::Cli;
use clap::{Args, CommandFactory};
use maturin::{BuildOptions, CargoOptions, DevelopOptions, PythonOptions};
use std::collections::BTreeSet;

fn long_flags(command: &clap::Command) -> BTreeSet<String> {
    command
        .get_arguments()
        .filter(|arg| !arg.is_global_set())
        .map(|arg| {
            arg.get_long()
                .map(|long| format!("--{long}"))
                .unwrap_or_else(|| format!("<{}>", arg.get_id()))
        })
        .filter(|flag| flag != "--help" && flag != "--version")
        .collect()
}

fn flags_of<T: Args>() -> BTreeSet<String> {
    long_flags(&T::augment_args(clap::Command::new("probe")))
}

fn with(mut flags: BTreeSet<String>, extra: &[&str]) -> BTreeSet<String> {
    flags.extend(extra.iter().map(|flag| flag.to_string()));
    flags
}

fn union(sets: &[BTreeSet<String>]) -> BTreeSet<String> {
    sets.iter().flatten().cloned().collect()
}

fn our_subcommand(path: &[&str]) -> clap::Command {
    let mut command = Cli::command();
    command.build();
    for name in path {
        command = command
            .find_subcommand(name)
            .unwrap_or_else(|| panic!("`maturin {}` is missing", path.join(" ")))
            .clone();
    }
    command
}

fn assert_flags(path: &[&str], expected: BTreeSet<String>) {
    let ours = long_flags(&our_subcommand(path));
    assert_eq!(
        ours,
        expected,
        "flags of `maturin {}` differ from upstream's option structs",
        path.join(" ")
    );
}

#[test]
fn build_flags_are_build_options_plus_binary_flags() {
    let expected = with(
        flags_of::<BuildOptions>(),
        &["--release", "--strip", "--sdist", "--pgo"],
    );
    assert_flags(&["build"], expected);
}

#[test]
fn develop_flags_are_develop_options_plus_ours() {
    assert_flags(
        &["develop"],
        with(
            flags_of::<DevelopOptions>(),
            &["--upstream-install", "--with-hook", "--watch"],
        ),
    );
}

#[test]
fn generate_stubs_flags_are_python_and_cargo_options() {
    let expected = with(
        union(&[flags_of::<PythonOptions>(), flags_of::<CargoOptions>()]),
        &["--out"],
    );
    assert_flags(&["generate-stubs"], expected);
}

#[test]
fn pep517_flags_follow_build_options() {
    let build = flags_of::<BuildOptions>();
    assert_flags(
        &["pep517", "build-wheel"],
        // ours: --with-hook (hidden), an editable wheel that carries the import hook
        with(
            build.clone(),
            &["--strip", "--pgo", "--editable", "--with-hook"],
        ),
    );
    assert_flags(
        &["pep517", "write-dist-info"],
        with(build, &["--strip", "--pgo", "--metadata-directory"]),
    );
    assert_flags(
        &["pep517", "write-sdist"],
        ["--sdist-directory", "--manifest-path"]
            .map(String::from)
            .into(),
    );
}

#[test]
fn sdist_and_list_python_flags() {
    assert_flags(
        &["sdist"],
        ["--manifest-path", "--out"].map(String::from).into(),
    );
    assert_flags(&["list-python"], ["--target"].map(String::from).into());
}

#[cfg(feature = "scaffolding")]
#[test]
fn scaffolding_flags_are_generate_project_options() {
    let options = flags_of::<maturin::GenerateProjectOptions>();
    // ours: --with-hook (the project opts into editable installs that carry the import hook)
    assert_flags(&["new"], with(options.clone(), &["<path>", "--with-hook"]));
    assert_flags(&["init"], with(options, &["<path>", "--with-hook"]));
    assert_flags(&["generate-ci"], flags_of::<maturin::ci::GenerateCI>());
}

#[cfg(feature = "upload")]
#[test]
fn upload_and_publish_flags_are_publish_options() {
    let publish = flags_of::<maturin::PublishOpt>();
    assert_flags(&["upload"], with(publish.clone(), &["<files>"]));
    assert_flags(
        &["publish"],
        with(
            union(&[publish, flags_of::<BuildOptions>()]),
            &["--debug", "--no-strip", "--no-sdist", "--pgo"],
        ),
    );
}

/// `python -m maturin_import_hook` of maturin-import-hook 0.3.0 (argparse, so there is no
/// struct to take them from; see notes/upstream-maturin-import-hook-0.3.0.md), plus ours.
#[test]
fn import_hook_flags_are_upstream_import_hooks() {
    let flags =
        |names: &[&str]| -> BTreeSet<String> { names.iter().map(|f| f.to_string()).collect() };
    let format = flags(&["--format"]);
    assert_flags(&["import-hook", "site", "info"], format.clone());
    assert_flags(
        &["import-hook", "site", "install"],
        flags(&[
            "--force",
            "--project-importer",
            "--no-project-importer",
            "--rs-file-importer",
            "--no-rs-file-importer",
            "--args",
            "--user",
        ]),
    );
    assert_flags(&["import-hook", "site", "uninstall"], flags(&["--user"]));
    assert_flags(&["import-hook", "cache", "info"], format.clone());
    // ours: --force clears the cache even while a build holds one of its locks
    assert_flags(
        &["import-hook", "cache", "clear"],
        with(flags(&["--yes"]), &["--force"]),
    );
    assert_flags(&["import-hook", "version"], format);
}

#[test]
fn import_hook_short_flags_are_upstream_import_hooks() {
    for (path, expected) in [
        (&["import-hook", "site", "info"][..], &["-f"][..]),
        (&["import-hook", "site", "install"], &["-f"]),
        (&["import-hook", "site", "uninstall"], &[]),
        (&["import-hook", "cache", "info"], &["-f"]),
        (&["import-hook", "cache", "clear"], &["-y"]),
        (&["import-hook", "version"], &["-f"]),
    ] {
        let shorts: BTreeSet<String> = our_subcommand(path)
            .get_arguments()
            .filter(|arg| !arg.is_global_set())
            .filter_map(|arg| arg.get_short())
            .filter(|short| *short != 'h')
            .map(|short| format!("-{short}"))
            .collect();
        let expected: BTreeSet<String> = expected.iter().map(|f| f.to_string()).collect();
        assert_eq!(
            shorts,
            expected,
            "short flags of `maturin {}`",
            path.join(" ")
        );
    }
}

#[test]
fn every_upstream_command_exists_with_its_alias() {
    let cli = Cli::command();
    for name in [
        "build",
        "develop",
        "sdist",
        "pep517",
        "list-python",
        "generate-stubs",
        #[cfg(feature = "scaffolding")]
        "new",
        #[cfg(feature = "scaffolding")]
        "init",
        #[cfg(feature = "scaffolding")]
        "generate-ci",
        #[cfg(feature = "upload")]
        "upload",
        #[cfg(feature = "upload")]
        "publish",
        #[cfg(feature = "cli-completion")]
        "completions",
        #[cfg(feature = "zig")]
        "zig",
    ] {
        assert!(
            cli.find_subcommand(name).is_some(),
            "`maturin {name}` missing"
        );
    }
    assert!(cli.find_subcommand("b").is_some(), "alias `b` for build");
    assert!(
        cli.find_subcommand("dev").is_some(),
        "alias `dev` for develop"
    );
}

#[test]
fn cli_definition_is_consistent() {
    Cli::command().debug_assert();
}
