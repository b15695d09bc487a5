//! `maturin develop --with-hook`: a `.pth` file, installed with the project (so it is listed in
//! RECORD and `pip uninstall` removes it), whose one line registers
//! `maturin_import_hook._finder` for the project's top-level modules. An import then checks the
//! recorded build and rebuilds in-process when a Rust input changed.
//!
//! The line carries the [`BuildRequest`] of the develop (its arguments, its directory and the
//! project's manifest), not the environment: the environment is the one of the interpreter
//! that imports, so a copied or moved venv builds into itself. It is pure ASCII whatever the
//! paths and arguments hold, because `site` reads `.pth` files in the locale's encoding, and a
//! line it cannot decode stops the interpreter from starting.

use crate::pth::python_literal;
use anyhow::{bail, Context, Result};
use maturin_hook_core::dist_info;
use maturin_hook_core::python_literal::read as read_python_literal;
use maturin_hook_core::request::BuildRequest;
use std::path::{Path, PathBuf};

/// The `.pth` file (name, content) that watches `modules` of the distribution
/// `distribution` (its escaped name) and rebuilds them as `request` asks. Its finder reads
/// the quick check at `quick_check` (relative to the environment's prefix) first.
pub fn pth_file(
    distribution: &str,
    modules: &[String],
    request: &BuildRequest,
    quick_check: &Path,
) -> Result<(String, Vec<u8>)> {
    let request_json = serde_json::to_string(request)
        .with_context(|| format!("cannot write the import hook's configuration for {request:?}"))?;
    let names: String = modules
        .iter()
        .map(|module| format!("{}, ", python_literal(module)))
        .collect();
    let shown_names = modules.join(", ");
    let without_hook = match request {
        BuildRequest::Editable { .. } => "install the project again with `-C import-hook=false`",
        _ => "run `maturin develop` without --with-hook",
    };
    // A broken or missing runtime costs one line on stderr, once per process (a venv's lib64
    // symlink makes site.py read its .pth files twice), and the package imports as last built.
    let code = format!(
        "try:\n    from maturin_import_hook._finder import watch\n    watch(({names}), {request}, {quick_check})\n\
         except Exception as error:\n    warned = sys.__dict__.setdefault(\"_maturin_import_hook_warned\", set())\n    \
         if {key} not in warned:\n        warned.add({key})\n        \
         sys.stderr.write(\"maturin_import_hook: not watching {shown} for changes (%s: %s); it \
         imports as last built. Install this maturin in this environment, or {without_hook}\\n\" \
         % (type(error).__name__, error))\n",
        request = python_literal(&request_json),
        quick_check = python_literal(&quick_check.to_string_lossy()),
        key = python_literal(&shown_names),
        shown = ascii_text(&shown_names),
    );
    let line = format!("import sys; exec({})\n", python_literal(&code));
    debug_assert!(line.is_ascii());
    Ok((
        format!("maturin_hook-{distribution}.pth"),
        line.into_bytes(),
    ))
}

/// The module names and the request of a `.pth` line that [`pth_file`] wrote, `None` for any
/// other line.
pub fn read_pth(line: &str) -> Option<(Vec<String>, BuildRequest)> {
    let code = line.trim_end().strip_prefix("import sys; exec(")?;
    let (code, _) = read_python_literal(code)?;
    let mut rest = code.split_once("watch((")?.1;
    let mut names = Vec::new();
    while let Some((name, after)) = read_python_literal(rest) {
        names.push(name);
        rest = after.strip_prefix(", ")?;
    }
    let (request, _) = read_python_literal(rest.strip_prefix("), ")?)?;
    Some((names, serde_json::from_str(&request).ok()?))
}

/// `text` with what is not printable ASCII replaced, for a message inside a literal.
fn ascii_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if (' '..='~').contains(&c) && c != '"' && c != '\\' && c != '%' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// The manifest path as the hook's request names it: absolute and canonical, so that the
/// develop that installs the hook and the import that uses it compute the same request key.
pub fn canonical_manifest(manifest_path: &Path) -> PathBuf {
    manifest_path
        .canonicalize()
        .unwrap_or_else(|_| manifest_path.to_path_buf())
}

/// `--with-hook` writes a `.pth` that imports `maturin_import_hook`: refuse when the target
/// environment does not have it, rather than leave a `.pth` that warns at every start-up.
pub fn require_runtime(site_dirs: &[&Path], environment: &Path) -> Result<()> {
    let installed = site_dirs
        .iter()
        .any(|dir| dir.join("maturin_import_hook").join("_finder.py").is_file());
    if installed {
        return Ok(());
    }
    let python = crate::environment::environment_python(environment);
    if let Some(version) = upstream_runtime(site_dirs) {
        bail!(
            "`--with-hook` needs the import hook runtime that comes with this maturin in {}, \
             and the upstream maturin_import_hook {version} (from PyPI) is installed there \
             instead. This maturin's wheel replaces it (the same API, with the hook built \
             in): uninstall it, install this maturin, then run the command again:\n    \
             {} -m pip uninstall -y maturin-import-hook\n    {}",
            environment.display(),
            python.display(),
            install_suggestion(&python)
        )
    }
    bail!(
        "`--with-hook` needs the import hook runtime (the Python package maturin_import_hook, \
         which comes with this maturin) in {}, and it is not installed there.\n\
         Install this maturin into that environment, then run the command again:\n    {}",
        environment.display(),
        install_suggestion(&python)
    )
}

/// The version of PyPI's `maturin-import-hook` distribution when it is installed in one of
/// `site_dirs` (its package has the same name as our runtime's).
fn upstream_runtime(site_dirs: &[&Path]) -> Option<String> {
    site_dirs.iter().find_map(|dir| {
        std::fs::read_dir(dir).ok()?.flatten().find_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version = name
                .strip_prefix("maturin_import_hook-")?
                .strip_suffix(".dist-info")?;
            Some(version.to_string())
        })
    })
}

/// The quickest way to install this maturin into the environment of `python`: a wheel of it
/// when one is at hand (the one it was installed from, or one built in its repository), else
/// its repository (a source build, several minutes).
fn install_suggestion(python: &Path) -> String {
    let pip = format!("{} -m pip install", python.display());
    match own_source() {
        Some(Source::Wheel(wheel)) => format!("{pip} {}", wheel.display()),
        Some(Source::Directory(repo)) => match built_wheel_in(&repo) {
            Some(wheel) => format!("{pip} {}", wheel.display()),
            None => format!(
                "{pip} {}    (a source build: several minutes; `pip wheel {} -w dist` once \
                 gives a wheel every environment can install in seconds)",
                repo.display(),
                repo.display()
            ),
        },
        None => format!("{pip} <a wheel of this maturin, or the path to its repository>"),
    }
}

enum Source {
    Wheel(PathBuf),
    Directory(PathBuf),
}

/// Where the running `maturin` was installed from, when pip recorded it (`direct_url.json`
/// next to the distribution: a local wheel file or directory).
fn own_source() -> Option<Source> {
    let exe = std::env::current_exe().ok()?;
    let prefix = exe.parent()?.parent()?;
    for lib in ["lib", "Lib"] {
        for entry in std::fs::read_dir(prefix.join(lib))
            .into_iter()
            .flatten()
            .flatten()
        {
            for dist in std::fs::read_dir(entry.path().join("site-packages"))
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = dist.file_name().to_string_lossy().into_owned();
                if name.starts_with("maturin-")
                    && name.contains("+hook")
                    && name.ends_with(".dist-info")
                {
                    let text = std::fs::read_to_string(dist.path().join("direct_url.json")).ok()?;
                    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
                    let path = dist_info::file_url_path(value.get("url")?.as_str()?)?;
                    return if path.is_file() {
                        Some(Source::Wheel(path))
                    } else {
                        path.is_dir().then_some(Source::Directory(path))
                    };
                }
            }
        }
    }
    None
}

/// A wheel of this maturin version built in its repository (`pip wheel . -w dist`, or the
/// test suite's `target/test-wheel`).
fn built_wheel_in(repo: &Path) -> Option<PathBuf> {
    let prefix = format!(
        "maturin-{}+hook.{}-",
        crate::version::MATURIN_CRATE_VERSION,
        crate::version::VERSION
    );
    ["dist", "target/wheels", "target/test-wheel"]
        .iter()
        .flat_map(|dir| {
            std::fs::read_dir(repo.join(dir))
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .map(|name| name.to_string_lossy())
                .is_some_and(|name| name.starts_with(&prefix) && name.ends_with(".whl"))
        })
        .max_by_key(|path| {
            std::fs::metadata(path)
                .and_then(|meta| meta.modified())
                .ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_ascii_and_mean_the_text() {
        let text = "prøject 'q\"\\ ü 😀 # x\nnext\u{7f}";
        let literal = python_literal(text);
        assert_eq!(read_python_literal(&literal), Some((text.to_string(), "")));
        assert!(literal.is_ascii() && !literal.contains('\n'), "{literal}");
        assert_eq!(
            literal,
            "'pr\\xf8ject \\'q\"\\\\ \\xfc \\U0001f600 # x\\nnext\\x7f'"
        );
    }

    #[test]
    fn the_pth_line_is_one_ascii_line() {
        let request = BuildRequest::Hook {
            args: vec!["--config".into(), "env.X=\"a # b\nc\"".into()],
            cwd: PathBuf::from("/tmp/Prøjekt mit Leerzeichen"),
            manifest_path: PathBuf::from("/tmp/Prøjekt mit Leerzeichen/Cargo.toml"),
        };
        let quick_check = maturin_hook_core::quick_check::relative_path("my-dist");
        let (name, content) = pth_file(
            "my_dist",
            &["müdule".into(), "b".into()],
            &request,
            &quick_check,
        )
        .unwrap();
        assert_eq!(name, "maturin_hook-my_dist.pth");
        let line = String::from_utf8(content).unwrap();
        assert!(line.is_ascii());
        assert_eq!(line.matches('\n').count(), 1);
        assert!(line.ends_with('\n') && line.starts_with("import sys; exec("));
        assert!(
            line.contains("share/maturin-hook/my_dist.quick-check"),
            "{line}"
        );
        assert_eq!(
            read_pth(&line),
            Some((vec!["müdule".to_string(), "b".to_string()], request))
        );
        assert_eq!(read_pth("import os"), None);
    }
}
