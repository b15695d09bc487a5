//! `maturin develop --with-hook`: a `.pth` file, installed with the project (so it is listed in
//! RECORD and `pip uninstall` removes it), whose one line registers
//! `maturin_import_hook._finder` for the project's top-level module. An import then checks the
//! recorded build and rebuilds in-process when a Rust input changed.

use super::DevelopRequest;
use crate::cli::DevelopCommand;
use crate::interpreter::InterpreterFacts;
use anyhow::{bail, Context, Result};
use clap::Parser;
use maturin::{BuildContext, DevelopOptions};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the hook needs to run a full develop again, exactly as `develop --with-hook` ran.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HookConfig {
    /// The develop arguments (without `--with-hook`): the settings every rebuild uses.
    pub args: Vec<String>,
    /// The directory develop ran in (relative paths in `args` are relative to it).
    pub cwd: PathBuf,
    /// The project's Cargo.toml as maturin resolved it.
    pub manifest_path: PathBuf,
    pub environment: PathBuf,
    pub state_dir: PathBuf,
}

impl HookConfig {
    /// The develop this hook runs when a full build is due.
    pub fn request(&self) -> Result<DevelopRequest> {
        let mut options = parse_develop_args(&self.args).with_context(|| {
            format!(
                "the develop arguments recorded by `maturin develop --with-hook` ({}) no longer \
                 parse; run `maturin develop --with-hook` again",
                self.args.join(" ")
            )
        })?;
        options.cargo_options.manifest_path = Some(self.manifest_path.clone());
        if let Some(dir) = &mut options.cargo_options.target_dir {
            *dir = self.cwd.join(&*dir);
        }
        if let Some(pip) = &mut options.pip_path {
            *pip = self.cwd.join(&*pip);
        }
        Ok(DevelopRequest {
            hook_args: Some(self.args.clone()),
            state_dir: Some(self.state_dir.clone()),
            ..DevelopRequest::new(options, self.environment.clone())
        })
    }
}

/// `maturin develop` arguments (without the command name) as options.
pub fn parse_develop_args(args: &[String]) -> Result<DevelopOptions> {
    #[derive(Parser)]
    struct Develop {
        #[command(flatten)]
        command: DevelopCommand,
    }
    let parsed = Develop::try_parse_from(
        std::iter::once("maturin develop".to_string()).chain(args.iter().cloned()),
    )?;
    Ok(parsed.command.options)
}

/// The `.pth` file (name, content) that watches `context`'s project.
pub fn pth_file(
    context: &BuildContext,
    facts: &InterpreterFacts,
    config: &HookConfig,
) -> Result<(String, Vec<u8>)> {
    require_runtime(facts, &config.environment)?;
    let module = context
        .project
        .module_name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_string();
    let literal = |text: &str| serde_json::to_string(text).expect("strings serialize");
    // A broken runtime costs one line on stderr, once per process (a venv's lib64 symlink
    // makes site.py read its .pth files twice).
    let code = format!(
        "try:\n    from maturin_import_hook._finder import watch\n    watch(({module},), {state_dir}, {config})\n\
         except Exception as error:\n    warned = sys.__dict__.setdefault(\"_maturin_import_hook_warned\", set())\n    \
         if {module} not in warned:\n        warned.add({module})\n        \
         sys.stderr.write(\"maturin_import_hook: not watching {name} for changes (%s: %s); \
         it imports as last built\\n\" % (type(error).__name__, error))\n",
        module = literal(&module),
        state_dir = literal(&config.state_dir.to_string_lossy()),
        config = literal(&serde_json::to_string(config)?),
        name = module,
    );
    let line = format!("import sys; exec({})\n", literal(&code));
    let name = format!(
        "maturin_hook-{}.pth",
        context.project.metadata24.get_distribution_escaped()
    );
    Ok((name, line.into_bytes()))
}

/// `--with-hook` writes a `.pth` that imports `maturin_import_hook`: refuse when the target
/// environment does not have it, rather than leave a `.pth` that warns at every start-up.
fn require_runtime(facts: &InterpreterFacts, environment: &Path) -> Result<()> {
    let installed = [&facts.purelib, &facts.platlib]
        .iter()
        .any(|dir| dir.join("maturin_import_hook").join("_finder.py").is_file());
    if installed {
        return Ok(());
    }
    let python = super::environment_python(environment);
    bail!(
        "`--with-hook` needs the import hook runtime (the Python package maturin_import_hook, \
         which comes with this maturin) in {}, and it is not installed there.\n\
         Install this maturin into that environment, then run the command again:\n    \
         {} -m pip install {}",
        environment.display(),
        python.display(),
        own_source().unwrap_or_else(|| "<path to the maturin-hook repository>".to_string())
    )
}

/// Where the running `maturin` was installed from, when pip recorded it (`pip install <dir>`
/// writes a `direct_url.json` next to the distribution).
fn own_source() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let prefix = exe.parent()?.parent()?;
    for lib in ["lib", "Lib"] {
        for entry in std::fs::read_dir(prefix.join(lib))
            .into_iter()
            .flatten()
            .flatten()
        {
            let site_packages = entry.path().join("site-packages");
            for dist in std::fs::read_dir(&site_packages)
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
                    let url = value.get("url")?.as_str()?;
                    return Some(url.strip_prefix("file://").unwrap_or(url).to_string());
                }
            }
        }
    }
    None
}
