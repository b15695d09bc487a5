//! `maturin import-hook version`: the versions of what the import hook is made of and works
//! with, under the keys `python -m maturin_import_hook version` uses.

use super::info_output::Report;
use super::OutputFormat;
use crate::build_cache::BuildCache;
use crate::environment::Environment;
use crate::interpreter::{self, InterpreterFacts};
use crate::version::{MATURIN_CRATE_VERSION, VERSION};
use anyhow::Result;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

pub fn version(target: &Environment, format: OutputFormat, out: &mut dyn Write) -> Result<()> {
    let python = target.python()?;
    let cache = BuildCache::for_environment(&target.root);
    let facts = interpreter::probe(python, &cache)?;
    let markers = &facts.markers;
    let mut report = Report::default();
    report.push(
        "OS",
        format!(
            "{}-{}-{}",
            markers.platform_system, markers.platform_release, markers.platform_machine
        ),
    );
    report.push(
        "Python",
        format!(
            "{} {}",
            markers.platform_python_implementation, markers.python_full_version
        ),
    );
    report.push("maturin-import-hook", format!("maturin-hook {VERSION}"));
    report.push(
        "maturin",
        format!("maturin {MATURIN_CRATE_VERSION} (maturin-hook {VERSION})"),
    );
    report.push(
        "rustc",
        rustc_version().unwrap_or_else(|| "not found".into()),
    );
    report.push(
        "pip",
        pip_version(&facts).unwrap_or_else(|| "not installed".into()),
    );
    out.write_all(report.render(format).as_bytes())?;
    Ok(())
}

/// `rustc -V` of the `rustc` on PATH (what cargo runs unless `RUSTC` says otherwise).
fn rustc_version() -> Option<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .arg("-V")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (output.status.success() && !text.is_empty()).then_some(text)
}

/// The version of pip installed in the environment, from its dist-info (no pip process).
fn pip_version(facts: &InterpreterFacts) -> Option<String> {
    [&facts.purelib, &facts.platlib]
        .into_iter()
        .find_map(|dir| pip_in(dir))
}

fn pip_in(site_packages: &Path) -> Option<String> {
    let mut found: Vec<_> = fs::read_dir(site_packages)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let version = name.strip_prefix("pip-")?.strip_suffix(".dist-info")?;
            Some((entry.path(), version.to_string()))
        })
        .collect();
    found.sort();
    let (dist_info, name_version) = found.pop()?;
    let from_metadata = fs::read_to_string(dist_info.join("METADATA"))
        .ok()
        .and_then(|metadata| {
            metadata
                .lines()
                .take_while(|line| !line.is_empty())
                .find_map(|line| line.strip_prefix("Version:"))
                .map(|version| version.trim().to_string())
        });
    Some(from_metadata.unwrap_or(name_version))
}
