//! What we need to know about a target environment's interpreter: where a wheel's files go and
//! the values of PEP 508 markers. Probing spawns the interpreter once; the answer is cached,
//! keyed on the interpreter's path and its file's metadata, so later runs spawn nothing.

use crate::build_cache::BuildCache;
use crate::wheel_install::EnvironmentPaths;
use anyhow::{bail, Context, Result};
use maturin_hook_core::fingerprint::FileStamp;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;

const PROBE_SCRIPT: &str = r#"
import json, os, platform, sys, sysconfig
paths = sysconfig.get_paths()
print(json.dumps({
    "executable": sys.executable,
    "version": "%d.%d" % sys.version_info[:2],
    "purelib": paths["purelib"], "platlib": paths["platlib"], "scripts": paths["scripts"],
    "data": paths["data"],
    "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX") or "",
    # pip puts a venv's wheel headers in the venv, not in the base interpreter's include dir
    "include": os.path.join(sys.prefix, "include", "site", "python%d.%d" % sys.version_info[:2])
        if sys.prefix != sys.base_prefix else paths["include"],
    "markers": {
        "implementation_name": sys.implementation.name,
        "implementation_version": "%d.%d.%d" % sys.implementation.version[:3],
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "python_version": "%d.%d" % sys.version_info[:2],
        "sys_platform": sys.platform,
    },
}))
"#;

/// Bumped when the probe's output changes shape, so old cache entries are ignored.
const PROBE_FORMAT: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MarkerValues {
    pub implementation_name: String,
    pub implementation_version: String,
    pub os_name: String,
    pub platform_machine: String,
    pub platform_python_implementation: String,
    pub platform_release: String,
    pub platform_system: String,
    pub platform_version: String,
    pub python_full_version: String,
    pub python_version: String,
    pub sys_platform: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InterpreterFacts {
    pub executable: PathBuf,
    pub version: String,
    pub purelib: PathBuf,
    pub platlib: PathBuf,
    pub scripts: PathBuf,
    pub data: PathBuf,
    pub include: PathBuf,
    /// `sysconfig`'s `EXT_SUFFIX` (`.cpython-311-x86_64-linux-gnu.so`): the ABI of the
    /// extension modules built for it.
    pub ext_suffix: String,
    pub markers: MarkerValues,
}

impl InterpreterFacts {
    pub fn environment_paths(&self, python: &Path) -> EnvironmentPaths {
        EnvironmentPaths {
            python: python.to_path_buf(),
            purelib: self.purelib.clone(),
            platlib: self.platlib.clone(),
            scripts: self.scripts.clone(),
            data: self.data.clone(),
            include: self.include.clone(),
        }
    }

    pub fn marker_environment(&self) -> Result<MarkerEnvironment> {
        let m = &self.markers;
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: &m.implementation_name,
            implementation_version: &m.implementation_version,
            os_name: &m.os_name,
            platform_machine: &m.platform_machine,
            platform_python_implementation: &m.platform_python_implementation,
            platform_release: &m.platform_release,
            platform_system: &m.platform_system,
            platform_version: &m.platform_version,
            python_full_version: &m.python_full_version,
            python_version: &m.python_version,
            sys_platform: &m.sys_platform,
        })
        .context("the interpreter reported a version that is not PEP 440")
    }
}

#[derive(Serialize, Deserialize)]
struct CachedProbe {
    format: u32,
    python: PathBuf,
    stamp: FileStamp,
    facts: InterpreterFacts,
}

/// The facts of `python`, from the cache when the interpreter file is unchanged.
pub fn probe(python: &Path, cache: &BuildCache) -> Result<InterpreterFacts> {
    let stamp = FileStamp::of(python)
        .with_context(|| format!("no Python interpreter at {}", python.display()))?;
    let cache_file = cache.interpreter_file(python);
    if let Some(cached) = read_cached(&cache_file) {
        if cached.format == PROBE_FORMAT && cached.python == python && cached.stamp == stamp {
            return Ok(cached.facts);
        }
    }
    let facts = run_probe(python)?;
    let entry = CachedProbe {
        format: PROBE_FORMAT,
        python: python.to_path_buf(),
        stamp,
        facts: facts.clone(),
    };
    // A cache that cannot be written only costs the next run a probe.
    if let Err(error) = maturin_hook_core::write_json_atomically(&cache_file, &entry) {
        tracing::debug!("not caching the interpreter probe: {error:#}");
    }
    Ok(facts)
}

fn read_cached(path: &Path) -> Option<CachedProbe> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn run_probe(python: &Path) -> Result<InterpreterFacts> {
    tracing::debug!("probing {}", python.display());
    let output = Command::new(python)
        .args(["-I", "-c", PROBE_SCRIPT])
        .output()
        .with_context(|| format!("failed to run {}", python.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed to describe itself ({}):\n{}",
            python.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "{} printed an unexpected description of itself: {}",
            python.display(),
            String::from_utf8_lossy(&output.stdout).trim()
        )
    })
}
