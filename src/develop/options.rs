//! The settings of a develop: the grammar of `maturin develop` flags (maturin's own option
//! struct, so that the hook and the importers accept exactly what the command line accepts),
//! and the fingerprint of the settings that decide what a build produces.

use anyhow::Result;
use clap::Parser;
use maturin::DevelopOptions;
use maturin_hook_core::build_environment::BuildEnvironment;
use std::path::{Path, PathBuf};

/// `maturin develop` arguments (without the command name) as options.
pub fn parse_develop_args(args: &[String]) -> Result<DevelopOptions> {
    #[derive(Parser)]
    struct Develop {
        #[command(flatten)]
        options: DevelopOptions,
    }
    let parsed = Develop::try_parse_from(
        std::iter::once("maturin develop".to_string()).chain(args.iter().cloned()),
    )?;
    Ok(parsed.options)
}

/// What goes into [`fingerprint`].
pub struct Fingerprinted<'a> {
    pub options: &'a DevelopOptions,
    /// The interpreter the build is for.
    pub python: &'a Path,
    pub with_hook: bool,
    pub release_by_default: bool,
    pub extra_inputs: &'a [PathBuf],
}

/// The fingerprint of the settings that decide what a build produces, besides file contents
/// and the environment variables (which the record keeps on its own).
pub fn fingerprint(settings: &Fingerprinted<'_>) -> String {
    let Fingerprinted {
        options,
        python,
        with_hook,
        release_by_default,
        extra_inputs,
    } = settings;
    // Destructured so that a new upstream option cannot be forgotten here.
    let DevelopOptions {
        bindings,
        release,
        pgo,
        strip,
        extras,
        group,
        skip_install: _,
        pip_path: _,
        cargo_options,
        uv: _,
        compression,
        generate_stubs,
    } = options;
    // How chatty cargo is does not change what it builds; the manifest path names the
    // project, whose record this is (the import hook names it absolutely, the command line
    // may not name it at all).
    let mut cargo = cargo_options.clone();
    cargo.manifest_path = None;
    // A venv's interpreter is the base interpreter it links to: the same build. So are an
    // isolated build environment's (a PEP 517 frontend's) and the venv that installs its wheel.
    let python = python
        .canonicalize()
        .unwrap_or_else(|_| python.to_path_buf());
    cargo.verbose = 0;
    cargo.quiet = false;
    cargo.color = None;
    let key = format!(
        "maturin-hook {}\npython {}\nhook {with_hook}\nrelease by default {release_by_default}\n{cargo:?}\n\
         {bindings:?} {release} {strip} {pgo} {extras:?} {group:?} {compression:?} {generate_stubs}\n\
         {extra_inputs:?}\n",
        crate::version::VERSION,
        python.display(),
    );
    maturin_hook_core::short_hash(key.as_bytes())
}

/// What a build's artifacts depend on besides the contents of its inputs, spelled the same
/// wherever the project, the environment and the target directory are: it names the shelf of
/// the store (see `maturin_hook_core::store`) that the build goes on. It is known before the
/// build (a clone without cargo looks its build up with it): the interpreter by its extension
/// suffix, the target by `--target` or this platform, and what pyproject.toml adds to the
/// settings by pyproject.toml's content, which is an input of every entry.
pub struct Shelved<'a> {
    pub options: &'a DevelopOptions,
    pub release_by_default: bool,
    /// The interpreter's extension suffix (`.cpython-311-x86_64-linux-gnu.so`): its ABI.
    pub ext_suffix: &'a str,
}

pub fn store_shelf(shelved: &Shelved<'_>) -> String {
    let Shelved {
        options,
        release_by_default,
        ext_suffix,
    } = shelved;
    let mut cargo = options.cargo_options.clone();
    cargo.manifest_path = None;
    cargo.target_dir = None;
    cargo.verbose = 0;
    cargo.quiet = false;
    cargo.color = None;
    let target = match &cargo.target {
        Some(target) => format!("{target:?}"),
        None => format!(
            "{}-{}-{}",
            std::env::consts::ARCH,
            std::env::consts::OS,
            if cfg!(target_env = "musl") {
                "musl"
            } else {
                ""
            }
        ),
    };
    let environment = BuildEnvironment::current();
    let key = format!(
        "maturin-hook {} maturin {}\n{ext_suffix} {target} {release_by_default}\n{cargo:?}\n\
         {:?} {} {} {}\n{:?}\n",
        crate::version::VERSION,
        crate::version::MATURIN_CRATE_VERSION,
        options.bindings,
        options.release,
        options.strip,
        options.pgo,
        environment.without_locations(),
    );
    maturin_hook_core::short_hash(key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_and_colour_do_not_change_the_settings() {
        let python = Path::new("/venv/bin/python");
        let print = |args: &[&str]| {
            let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
            fingerprint(&Fingerprinted {
                options: &parse_develop_args(&args).unwrap(),
                python,
                with_hook: false,
                release_by_default: false,
                extra_inputs: &[],
            })
        };
        assert_eq!(print(&[]), print(&["-v", "--color", "always", "-q"]));
        assert_ne!(print(&[]), print(&["--release"]));
        assert_ne!(print(&[]), print(&["--features", "x"]));
        assert!(parse_develop_args(&["--no-such-flag".to_string()]).is_err());
    }
}
