//! A project's declared Python dependencies: installed with pip or uv as upstream does, but
//! only when the environment does not already satisfy them, so a repeat develop spawns nothing.

use anyhow::{bail, Context, Result};
use maturin::BuildContext;
use maturin_hook_core::report::{OutputLine, Reporter};
use pep440_rs::Version;
use pep508_rs::{ExtraName, MarkerEnvironment, PackageName, Requirement, VersionOrUrl};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;

/// The distributions installed in some site-packages directories, by normalized name.
pub struct InstalledDistributions(HashMap<PackageName, Installed>);

struct Installed {
    version: Version,
    dist_info: PathBuf,
}

/// How deep extras are followed into the requirements of installed distributions.
const EXTRA_DEPTH: usize = 4;

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
                    let dist_info = entry.path();
                    found.insert(name, Installed { version, dist_info });
                }
            }
        }
        InstalledDistributions(found)
    }

    /// Whether `requirement` (already applicable to this environment) is met: a satisfying
    /// version is installed and, for each extra it asks for, so is what the installed
    /// distribution's metadata requires for that extra. URL requirements cannot be judged: not
    /// met.
    fn satisfies(&self, requirement: &Requirement, markers: &MarkerEnvironment) -> bool {
        self.satisfies_within(requirement, markers, EXTRA_DEPTH)
    }

    fn satisfies_within(
        &self,
        requirement: &Requirement,
        markers: &MarkerEnvironment,
        depth: usize,
    ) -> bool {
        let Some(installed) = self.0.get(&requirement.name) else {
            return false;
        };
        let version_met = match &requirement.version_or_url {
            None => true,
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                specifiers.contains(&installed.version)
            }
            Some(VersionOrUrl::Url(_)) => false,
        };
        if !version_met {
            return false;
        }
        if requirement.extras.is_empty() {
            return true;
        }
        if depth == 0 {
            return false;
        }
        let Ok(metadata) = std::fs::read_to_string(installed.dist_info.join("METADATA")) else {
            return false;
        };
        metadata
            .lines()
            .take_while(|line| !line.is_empty())
            .filter_map(|line| line.strip_prefix("Requires-Dist:"))
            .filter_map(|text| Requirement::from_str(text.trim()).ok())
            .filter(|needed| {
                // what the extras add: requirements that apply with them and not without
                needed.marker.evaluate(markers, &requirement.extras)
                    && !needed.marker.evaluate(markers, &[])
            })
            .all(|needed| self.satisfies_within(&needed, markers, depth - 1))
    }
}

/// What `develop` has to install besides the project itself.
pub struct DependencyPlan {
    /// Requirements not yet met: `requires-dist` entries for the requested extras, then those
    /// of the dependency groups (PEP 735, resolved here so that any pip installs them).
    pub missing_requirements: Vec<String>,
    /// Dependency groups left to the installer's `--group` (`<pyproject path>:<group>`): those
    /// of another file, and those that do not resolve (pip or uv says why).
    pub groups: Vec<String>,
}

impl DependencyPlan {
    pub fn is_empty(&self) -> bool {
        self.missing_requirements.is_empty() && self.groups.is_empty()
    }
}

/// What a project declares: its requirements, and the dependency groups of its pyproject.toml.
pub struct Declared<'a> {
    pub requires_dist: &'a [Requirement],
    pub pyproject: Option<&'a maturin::PyProjectToml>,
    pub pyproject_path: &'a Path,
}

impl<'a> Declared<'a> {
    pub fn of(context: &'a BuildContext) -> Declared<'a> {
        Declared {
            requires_dist: &context.project.metadata24.requires_dist,
            pyproject: context.project.pyproject_toml.as_ref(),
            pyproject_path: &context.project.pyproject_toml_path,
        }
    }
}

pub fn plan(
    declared: &Declared<'_>,
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
    let mut missing_requirements: Vec<String> = declared
        .requires_dist
        .iter()
        .filter_map(|requirement| {
            let mut requirement = requirement.clone();
            requirement.marker = requirement.marker.simplify_extras(&extra_names);
            let applies = requirement.marker.evaluate(markers, &[]);
            (applies && !installed.satisfies(&requirement, markers))
                .then(|| requirement.to_string())
        })
        .collect();

    let pyproject_path = declared.pyproject_path.display().to_string();
    let declared = declared
        .pyproject
        .and_then(|pyproject| pyproject.dependency_groups.as_ref());
    // Like upstream: without --group, the `dev` group is installed when it exists.
    let wanted: Vec<String> = if groups.is_empty() {
        declared
            .filter(|d| d.contains_key("dev"))
            .map(|_| vec!["dev".to_string()])
            .unwrap_or_default()
    } else {
        groups.to_vec()
    };
    let mut left_to_installer = Vec::new();
    for group in wanted {
        if group.contains(':') {
            left_to_installer.push(group);
            continue;
        }
        let resolved =
            declared.and_then(|declared| group_requirements(declared, &group, &mut Vec::new()));
        let Some(requirements) = resolved else {
            left_to_installer.push(format!("{pyproject_path}:{group}"));
            continue;
        };
        for requirement in requirements {
            let text = requirement.to_string();
            if requirement.marker.evaluate(markers, &[])
                && !installed.satisfies(&requirement, markers)
                && !missing_requirements.contains(&text)
            {
                missing_requirements.push(text);
            }
        }
    }
    Ok(DependencyPlan {
        missing_requirements,
        groups: left_to_installer,
    })
}

/// The requirements of the dependency group `name`, with the groups it includes (PEP 735),
/// or `None` when it cannot be resolved.
fn group_requirements(
    groups: &pyproject_toml::DependencyGroups,
    name: &str,
    including: &mut Vec<String>,
) -> Option<Vec<Requirement>> {
    let normalize = |name: &str| name.to_lowercase().replace(['_', '.'], "-");
    let wanted = normalize(name);
    if including.contains(&wanted) {
        return None;
    }
    let (_, specifiers) = groups
        .iter()
        .find(|(group, _)| normalize(group) == wanted)?;
    including.push(wanted);
    let mut requirements = Vec::new();
    for specifier in specifiers {
        match specifier {
            // the pyproject crate has its own pep508 types: read the text again
            pyproject_toml::DependencyGroupSpecifier::String(requirement) => {
                requirements.push(Requirement::from_str(&requirement.to_string()).ok()?)
            }
            pyproject_toml::DependencyGroupSpecifier::Table { include_group } => {
                requirements.extend(group_requirements(groups, include_group, including)?)
            }
        }
    }
    including.pop();
    Some(requirements)
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

    /// Installs what `plan` lists into `environment`. What pip or uv prints goes to the
    /// reporter when it captures output (an import must not print on the program's stdout).
    pub fn install(
        &self,
        python: &Path,
        environment: &Path,
        plan: &DependencyPlan,
        reporter: &dyn Reporter,
    ) -> Result<()> {
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
        reporter.step(&format!(
            "📦 Installing dependencies with {name}: {}",
            args.join(" ")
        ));
        let status = if reporter.captures_output() {
            let mut child = command
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .with_context(|| {
                    format!("failed to run {name} to install the project's dependencies")
                })?;
            let stdout = child.stdout.take().expect("stdout is piped");
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                reporter.output(OutputLine::Progress(&line));
            }
            child.wait()
        } else {
            command.status()
        }
        .with_context(|| format!("failed to run {name} to install the project's dependencies"))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn markers() -> MarkerEnvironment {
        MarkerEnvironment::try_from(pep508_rs::MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: "3.11.7",
            os_name: "posix",
            platform_machine: "x86_64",
            platform_python_implementation: "CPython",
            platform_release: "6.1",
            platform_system: "Linux",
            platform_version: "#1",
            python_full_version: "3.11.7",
            python_version: "3.11",
            sys_platform: "linux",
        })
        .unwrap()
    }

    fn requirement(text: &str) -> Requirement {
        Requirement::from_str(text).unwrap()
    }

    #[test]
    fn extras_are_met_when_what_they_add_is_installed() {
        let site = tempfile::tempdir().unwrap();
        let dist_info = |name: &str, metadata: &str| {
            let dir = site.path().join(format!("{name}.dist-info"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("METADATA"), metadata).unwrap();
        };
        dist_info(
            "coverage-7.6.0",
            "Metadata-Version: 2.1\nName: coverage\nRequires-Dist: tomli; python_full_version <= \"3.11.0a6\" and extra == \"toml\"\nRequires-Dist: colorama; extra == \"win\"\n\nbody\nRequires-Dist: not-metadata\n",
        );
        let installed = InstalledDistributions::scan(&[site.path()]);
        let markers = markers();
        assert!(installed.satisfies(&requirement("coverage[toml]>=7"), &markers));
        assert!(!installed.satisfies(&requirement("coverage[win]"), &markers));
        assert!(!installed.satisfies(&requirement("coverage>=8"), &markers));
        dist_info(
            "colorama-0.4.6",
            "Metadata-Version: 2.1\nName: colorama\n\n",
        );
        let installed = InstalledDistributions::scan(&[site.path()]);
        assert!(installed.satisfies(&requirement("coverage[win,toml]"), &markers));
    }

    #[test]
    fn included_groups_are_followed_and_cycles_are_not_resolved() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pyproject.toml");
        std::fs::write(
            &path,
            "[build-system]\nrequires = []\n\
             [dependency-groups]\ndev = [{include-group = \"Test_Tools\"}, \"ruff\"]\n\
             test-tools = [\"pytest>=8\"]\nloop = [{include-group = \"loop\"}]\n",
        )
        .unwrap();
        let pyproject = maturin::PyProjectToml::new(&path).unwrap();
        let groups = pyproject.dependency_groups.as_ref().unwrap();
        let names = |group: &str| {
            group_requirements(groups, group, &mut Vec::new()).map(|requirements| {
                requirements
                    .iter()
                    .map(|r| r.name.to_string())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            names("dev"),
            Some(vec!["pytest".to_string(), "ruff".to_string()])
        );
        assert_eq!(names("loop"), None);
        assert_eq!(names("missing"), None);
    }
}
