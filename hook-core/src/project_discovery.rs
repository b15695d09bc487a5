//! Recognising a maturin project from its files alone (no cargo, no build, no maturin crate:
//! this runs on the import path), for the project importer of `maturin_import_hook.install()`: which directories hold a project, what its
//! top-level import name is, and which local crates it builds from.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A maturin project found in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredProject {
    /// The directory holding pyproject.toml.
    pub project_dir: PathBuf,
    pub manifest_path: PathBuf,
    /// The name `import` uses for it: the first component of its module name.
    pub import_name: String,
}

/// The maturin project whose pyproject.toml is in `dir`, if there is one. A pyproject.toml of
/// another build backend is not one; a broken pyproject.toml or Cargo.toml is an error that
/// names the file.
pub fn project_in(dir: &Path) -> Result<Option<DiscoveredProject>> {
    let pyproject_path = dir.join("pyproject.toml");
    if !pyproject_path.is_file() {
        return Ok(None);
    }
    let pyproject = read_toml(&pyproject_path, "pyproject.toml")?;
    let maturin = pyproject.get("tool").and_then(|tool| tool.get("maturin"));
    let backend = pyproject
        .get("build-system")
        .and_then(|system| system.get("build-backend"))
        .and_then(toml::Value::as_str);
    if maturin.is_none() && backend != Some("maturin") {
        return Ok(None);
    }
    let maturin_str = |key: &str| {
        maturin
            .and_then(|table| table.get(key))
            .and_then(toml::Value::as_str)
    };
    let manifest_path = match maturin_str("manifest-path") {
        Some(path) => dir.join(path),
        None if dir.join("Cargo.toml").is_file() => dir.join("Cargo.toml"),
        None => dir.join("rust").join("Cargo.toml"),
    };
    if !manifest_path.is_file() {
        return Ok(None);
    }
    let module_name = match maturin_str("module-name") {
        Some(name) => name.to_string(),
        None => {
            let manifest = Manifest::read(&manifest_path)?;
            let project_name = pyproject
                .get("project")
                .and_then(|project| project.get("name"))
                .and_then(toml::Value::as_str)
                .map(str::to_string);
            manifest
                .lib
                .and_then(|lib| lib.name)
                .or(project_name)
                .or(manifest.package.map(|package| package.name))
                .with_context(|| {
                    format!(
                        "cannot tell the module name of the project at {}: neither \
                         tool.maturin.module-name, [lib] name, project.name nor package.name is set",
                        dir.display()
                    )
                })?
        }
    };
    let top_level = module_name.split('.').next().unwrap_or(&module_name);
    Ok(Some(DiscoveredProject {
        project_dir: dir.to_path_buf(),
        manifest_path,
        import_name: top_level.replace('-', "_"),
    }))
}

fn read_toml(path: &Path, kind: &str) -> Result<toml::Table> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{} is not a valid {kind}", path.display()))
}

/// A project an import could mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundProject {
    pub project: DiscoveredProject,
    /// An editable install on the search path links to it (else it was found above an entry,
    /// or linked by a non-editable install).
    pub installed: bool,
}

/// The maturin projects the entries of `search_path` (absolute) lead to, as upstream
/// maturin-import-hook finds them: for each entry in order, the projects linked by the
/// `direct_url.json` of a dist-info in it, then the nearest project at or above it. The first
/// project found for an import name wins. Projects whose files cannot be read are skipped and
/// returned as `(directory, error)`.
pub fn find_projects(search_path: &[PathBuf]) -> (Vec<FoundProject>, Vec<(PathBuf, String)>) {
    let linked: Vec<Vec<(PathBuf, bool)>> = search_path
        .iter()
        .map(|entry| crate::dist_info::linked_project_dirs(entry))
        .collect();
    let editable: HashSet<&PathBuf> = linked
        .iter()
        .flatten()
        .filter(|(_, editable)| *editable)
        .map(|(dir, _)| dir)
        .collect();
    let mut resolved: HashMap<PathBuf, Option<DiscoveredProject>> = HashMap::new();
    let mut errors = Vec::new();
    let mut resolve = |dir: &Path| -> Option<DiscoveredProject> {
        if let Some(known) = resolved.get(dir) {
            return known.clone();
        }
        let project = project_in(dir).unwrap_or_else(|error| {
            errors.push((dir.to_path_buf(), format!("{error:#}")));
            None
        });
        resolved.insert(dir.to_path_buf(), project.clone());
        project
    };
    let mut found: Vec<FoundProject> = Vec::new();
    for (entry, links) in search_path.iter().zip(&linked) {
        let mut projects: Vec<DiscoveredProject> =
            links.iter().filter_map(|(dir, _)| resolve(dir)).collect();
        projects.extend(entry.ancestors().find_map(&mut resolve));
        for project in projects {
            if found
                .iter()
                .all(|known| known.project.import_name != project.import_name)
            {
                let installed = editable.contains(&project.project_dir);
                found.push(FoundProject { project, installed });
            }
        }
    }
    (found, errors)
}

/// The directories of the local crates `manifest_path` depends on (`path = ...` in
/// `[dependencies]`), transitively, sorted.
pub fn path_dependencies(manifest_path: &Path) -> Result<Vec<PathBuf>> {
    let mut found = BTreeSet::new();
    let mut pending = vec![manifest_path.to_path_buf()];
    while let Some(manifest_path) = pending.pop() {
        let crate_dir = manifest_path.parent().unwrap_or(Path::new("."));
        for dependency in Manifest::read(&manifest_path)?.dependencies.values() {
            if let Some(path) = dependency.get("path").and_then(toml::Value::as_str) {
                let dir = normalize(&crate_dir.join(path));
                if found.insert(dir.clone()) {
                    pending.push(dir.join("Cargo.toml"));
                }
            }
        }
    }
    Ok(found.into_iter().collect())
}

/// Whether the crate of `manifest_path` enables pyo3's `experimental-inspect` feature in its
/// `[dependencies]` table (`pyo3 = { …, features = [… "experimental-inspect" …] }`), as
/// upstream's main branch detects it: the project importer then builds with
/// `--generate-stubs`. A manifest that cannot be read says no.
pub fn enables_pyo3_inspection(manifest_path: &Path) -> bool {
    let Ok(manifest) = Manifest::read(manifest_path) else {
        return false;
    };
    manifest
        .dependencies
        .get("pyo3")
        .and_then(|pyo3| pyo3.get("features"))
        .and_then(toml::Value::as_array)
        .is_some_and(|features| {
            features
                .iter()
                .any(|feature| feature.as_str() == Some("experimental-inspect"))
        })
}

fn normalize(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// What we read of a Cargo.toml.
#[derive(Deserialize)]
struct Manifest {
    lib: Option<Lib>,
    package: Option<Package>,
    #[serde(default)]
    dependencies: toml::Table,
}

#[derive(Deserialize)]
struct Lib {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
}

impl Manifest {
    fn read(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("{} is not a valid Cargo.toml", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    const MATURIN_BACKEND: &str =
        "[build-system]\nrequires = [\"maturin\"]\nbuild-backend = \"maturin\"\n";

    #[test]
    fn import_name_follows_maturin_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            &root.join("Cargo.toml"),
            "[package]\nname = \"pkg-name\"\n[lib]\nname = \"lib_name\"\n",
        );
        write(
            &root.join("pyproject.toml"),
            &format!("{MATURIN_BACKEND}[project]\nname = \"dist-name\"\n"),
        );
        assert_eq!(project_in(root).unwrap().unwrap().import_name, "lib_name");
        write(
            &root.join("pyproject.toml"),
            &format!("{MATURIN_BACKEND}[tool.maturin]\nmodule-name = \"outer.inner._native\"\n"),
        );
        assert_eq!(project_in(root).unwrap().unwrap().import_name, "outer");
        write(&root.join("Cargo.toml"), "[package]\nname = \"pkg-name\"\n");
        write(&root.join("pyproject.toml"), MATURIN_BACKEND);
        let found = project_in(root).unwrap().unwrap();
        assert_eq!(found.import_name, "pkg_name");
        assert_eq!(found.manifest_path, root.join("Cargo.toml"));
    }

    #[test]
    fn other_backends_and_missing_manifests_are_not_projects() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("pyproject.toml"), MATURIN_BACKEND);
        assert_eq!(project_in(root).unwrap(), None, "no Cargo.toml");
        write(&root.join("rust/Cargo.toml"), "[package]\nname = \"x\"\n");
        assert_eq!(
            project_in(root).unwrap().unwrap().manifest_path,
            root.join("rust/Cargo.toml")
        );
        write(
            &root.join("pyproject.toml"),
            "[tool.black]\nline-length = 100\n",
        );
        assert_eq!(project_in(root).unwrap(), None);
    }

    #[test]
    fn broken_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("pyproject.toml"), "[build-system\n");
        let error = format!("{:#}", project_in(dir.path()).unwrap_err());
        assert!(
            error.contains("pyproject.toml is not a valid pyproject.toml"),
            "{error}"
        );
    }

    #[test]
    fn projects_are_found_through_dist_infos_and_above_entries_first_name_wins() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let project = |name: &str, module: &str| {
            let project_dir = root.join(name);
            write(
                &project_dir.join("Cargo.toml"),
                &format!("[package]\nname = \"{module}\"\n"),
            );
            write(&project_dir.join("pyproject.toml"), MATURIN_BACKEND);
            project_dir
        };
        let installed = project("installed", "alpha");
        let above = project("above", "beta");
        let shadowed = project("shadowed", "alpha");
        let site = root.join("site-packages");
        for (dist, dir, editable) in [("alpha", &installed, true), ("gamma", &shadowed, false)] {
            write(
                &site.join(format!("{dist}-1.dist-info/direct_url.json")),
                &format!(
                    r#"{{"url": "file://{}", "dir_info": {{"editable": {editable}}}}}"#,
                    dir.display()
                ),
            );
        }
        write(&root.join("broken/pyproject.toml"), "[tool.maturin\n");
        std::fs::create_dir_all(above.join("python")).unwrap();
        let search_path = [above.join("python"), site.clone(), root.join("broken")];
        let (found, errors) = find_projects(&search_path);
        let summary: Vec<(&str, &Path, bool)> = found
            .iter()
            .map(|f| {
                (
                    f.project.import_name.as_str(),
                    f.project.project_dir.as_path(),
                    f.installed,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("beta", above.as_path(), false),
                ("alpha", installed.as_path(), true)
            ]
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, root.join("broken"));
    }

    #[test]
    fn pyo3_inspection_is_a_feature_of_the_pyo3_table() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        for (dependencies, enabled) in [
            (
                r#"pyo3 = { version = "0.28", features = ["experimental-inspect"] }"#,
                true,
            ),
            (
                r#"pyo3 = { version = "0.28", features = ["extension-module"] }"#,
                false,
            ),
            (r#"pyo3 = "0.28""#, false),
        ] {
            write(
                &manifest,
                &format!("[package]\nname = \"p\"\n[dependencies]\n{dependencies}\n"),
            );
            assert_eq!(
                enables_pyo3_inspection(&manifest),
                enabled,
                "{dependencies}"
            );
        }
        write(&manifest, "[package\n");
        assert!(!enables_pyo3_inspection(&manifest));
    }

    #[test]
    fn path_dependencies_are_followed_transitively() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("app/Cargo.toml"), "[package]\nname = \"app\"\n[dependencies]\nserde = \"1\"\nmid = { path = \"../mid\" }\n");
        write(&root.join("mid/Cargo.toml"), "[package]\nname = \"mid\"\n[dependencies]\nleaf = { path = \"../leaf\", version = \"1\" }\n");
        write(
            &root.join("leaf/Cargo.toml"),
            "[package]\nname = \"leaf\"\n",
        );
        let root = root.canonicalize().unwrap();
        assert_eq!(
            path_dependencies(&root.join("app/Cargo.toml")).unwrap(),
            vec![root.join("leaf"), root.join("mid")]
        );
    }
}
