//! A project's declared Python dependencies: installed with pip or uv as upstream does, but
//! only when the environment does not already satisfy them, so a repeat develop spawns nothing.

use anyhow::{bail, Context, Result};
use maturin::BuildContext;
use pep440_rs::Version;
use pep508_rs::{ExtraName, MarkerEnvironment, PackageName, Requirement, VersionOrUrl};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

/// The distributions installed in some site-packages directories, by normalized name.
pub struct InstalledDistributions(HashMap<PackageName, Version>);

impl InstalledDistributions {
    /// Reads `<name>-<version>.dist-info` directory names: no file is opened.
    pub fn scan(site_dirs: &[&Path]) -> Self {
        let mut found = HashMap::new();
        for dir in site_dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let file_name = entry.file_name();
                let Some(stem) = file_name
                    .to_str()
                    .and_then(|n| n.strip_suffix(".dist-info"))
                else {
                    continue;
                };
                let Some((name, version)) = stem.rsplit_once('-') else {
                    continue;
                };
                if let (Ok(name), Ok(version)) = (
                    PackageName::new(name.to_string()),
                    Version::from_str(version),
                ) {
                    found.insert(name, version);
                }
            }
        }
        InstalledDistributions(found)
    }

    /// Whether `requirement` (already applicable to this environment) is met. Requirements
    /// with extras or URLs cannot be judged from names and versions alone: not met.
    fn satisfies(&self, requirement: &Requirement) -> bool {
        if !requirement.extras.is_empty() {
            return false;
        }
        let Some(installed) = self.0.get(&requirement.name) else {
            return false;
        };
        match &requirement.version_or_url {
            None => true,
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers.contains(installed),
            Some(VersionOrUrl::Url(_)) => false,
        }
    }
}

/// What `develop` has to install besides the project itself.
pub struct DependencyPlan {
    /// `requires-dist` entries for the requested extras that are not yet met.
    pub missing_requirements: Vec<String>,
    /// Dependency groups (PEP 735) to install, as `<pyproject path>:<group>` (empty when met).
    pub groups: Vec<String>,
}

impl DependencyPlan {
    pub fn is_empty(&self) -> bool {
        self.missing_requirements.is_empty() && self.groups.is_empty()
    }
}

pub fn plan(
    context: &BuildContext,
    extras: &[String],
    groups: &[String],
    markers: &MarkerEnvironment,
    installed: &InstalledDistributions,
) -> Result<DependencyPlan> {
    let extra_names = extras
        .iter()
        .map(|extra| {
            ExtraName::new(extra.clone()).with_context(|| format!("invalid extra name: {extra}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let missing_requirements = context
        .project
        .metadata24
        .requires_dist
        .iter()
        .filter_map(|requirement| {
            let mut requirement = requirement.clone();
            requirement.marker = requirement.marker.simplify_extras(&extra_names);
            let applies = requirement.marker.evaluate(markers, &[]);
            (applies && !installed.satisfies(&requirement)).then(|| requirement.to_string())
        })
        .collect();

    let pyproject = context.project.pyproject_toml.as_ref();
    let declared = pyproject.and_then(|p| p.dependency_groups.as_ref());
    // Like upstream: without --group, the `dev` group is installed when it exists.
    let wanted: Vec<String> = if groups.is_empty() {
        declared
            .filter(|d| d.contains_key("dev"))
            .map(|_| vec!["dev".to_string()])
            .unwrap_or_default()
    } else {
        groups.to_vec()
    };
    let pyproject_path = context.project.pyproject_toml_path.display().to_string();
    let groups = wanted
        .into_iter()
        .filter(|group| {
            // A group is skipped only when each of its plain requirements is met.
            let met = declared
                .and_then(|d| d.get(group.as_str()))
                .and_then(|specifiers| group_requirements(specifiers))
                .is_some_and(|requirements| {
                    requirements
                        .iter()
                        .all(|r| !r.marker.evaluate(markers, &[]) || installed.satisfies(r))
                });
            !met
        })
        .map(|group| {
            if group.contains(':') {
                group
            } else {
                format!("{pyproject_path}:{group}")
            }
        })
        .collect();
    Ok(DependencyPlan {
        missing_requirements,
        groups,
    })
}

/// The plain requirements of a group, or None when it includes other groups (pip decides).
fn group_requirements(
    specifiers: &[pyproject_toml::DependencyGroupSpecifier],
) -> Option<Vec<Requirement>> {
    specifiers
        .iter()
        .map(|specifier| match specifier {
            pyproject_toml::DependencyGroupSpecifier::String(requirement) => {
                Requirement::from_str(&requirement.to_string()).ok()
            }
            _ => None,
        })
        .collect()
}

/// How develop installs dependencies: pip (the environment's, or `--pip-path`), or uv.
pub enum Installer {
    Pip { pip_path: Option<PathBuf> },
    Uv { uv: PathBuf },
}

impl Installer {
    /// uv when asked for or when the environment was made by uv (as upstream decides), else pip.
    pub fn choose(
        explicit_uv: bool,
        pip_path: Option<PathBuf>,
        environment: &Path,
    ) -> Result<Self> {
        let uv_venv = std::fs::read_to_string(environment.join("pyvenv.cfg"))
            .is_ok_and(|cfg| cfg.lines().any(|line| line.trim_start().starts_with("uv ")));
        if explicit_uv || (uv_venv && pip_path.is_none()) {
            match find_on_path("uv") {
                Some(uv) => return Ok(Installer::Uv { uv }),
                None if explicit_uv => {
                    bail!("--uv was given, but there is no `uv` executable on PATH")
                }
                None => {}
            }
        }
        Ok(Installer::Pip { pip_path })
    }

    pub fn install(&self, python: &Path, environment: &Path, plan: &DependencyPlan) -> Result<()> {
        let mut args: Vec<String> = plan.missing_requirements.clone();
        for group in &plan.groups {
            args.push("--group".to_string());
            args.push(group.clone());
        }
        let (mut command, name) = match self {
            Installer::Pip {
                pip_path: Some(pip),
            } => (Command::new(pip), "pip"),
            Installer::Pip { pip_path: None } => {
                let mut command = Command::new(python);
                command.args(["-m", "pip"]);
                (command, "pip")
            }
            Installer::Uv { uv } => {
                let mut command = Command::new(uv);
                command.arg("pip");
                (command, "uv")
            }
        };
        command
            .arg("install")
            .args(&args)
            .env("VIRTUAL_ENV", environment);
        if let Installer::Uv { .. } = self {
            command.arg("--python").arg(python);
        }
        eprintln!("📦 Installing dependencies with {name}: {}", args.join(" "));
        let status = command.status().with_context(|| {
            format!("failed to run {name} to install the project's dependencies")
        })?;
        if !status.success() {
            let hint = if plan.groups.is_empty() {
                ""
            } else {
                " (installing dependency groups needs pip >= 25.1 or uv: \
                 `python -m pip install -U pip`, or `maturin develop --uv`)"
            };
            bail!(
                "{name} install of the project's dependencies failed ({status}): {}{hint}",
                args.join(" ")
            );
        }
        Ok(())
    }
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}
