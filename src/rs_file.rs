//! Builds for the `.rs` file importer (`maturin_import_hook.rust_file_importer`): a standalone
//! `my_script.rs` that defines the pyo3 module `my_script` gets a generated project in the
//! build cache, and is built by our in-process develop into a directory of the cache.
//!
//! Layout, in the build cache of the environment:
//!
//! ```text
//! rs_files/
//!     target/                      one cargo target directory for every generated project
//!     Cargo.lock                   a copy of the last built project's lock, for new projects
//!     <module>_<hash of the path>/
//!         project/                 Cargo.toml, pyproject.toml, Cargo.lock
//!         ext/<module>/            the built extension module (and maturin's __init__.py)
//!         state/                   the develop state and the lock of this file's builds
//! ```
//!
//! The generated Cargo.toml names the `.rs` file itself as the library's root (`[lib] path`),
//! so cargo's dep-info lists the user's file (and the `mod` files next to it, and what it
//! `include_str!`s): freshness, Rust-only replays and `crate::` paths work as in any project.
//! The crate is named `<module>_<hash>`, so two `.rs` files with the same name in different
//! directories never write the same artifact in the shared target directory; the module
//! (`tool.maturin.module-name`) is still `<module>`. All projects compile their dependencies
//! in one target directory with the same environment and flags, so pyo3 is compiled once, not
//! once per file; a new project starts from the last built one's Cargo.lock, so it locks the
//! same pyo3 as the others (and needs no registry lookup).

mod with_binary;

use crate::build_cache::{short_hash, BuildCache};
use crate::develop::{develop, parse_develop_args, DevelopRequest, InstallTarget, Prepare};
use anyhow::{anyhow, bail, Context, Result};
use maturin_hook_core::atomic_write;
use maturin_hook_core::cache_location;
use maturin_hook_core::outcome::{Action, Outcome};
use maturin_hook_core::pipeline;
use maturin_hook_core::record::{extension_module, Checking};
use maturin_hook_core::report::Reporter;
use maturin_hook_core::request::BuildRequest;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The pyo3 the generated projects depend on (0.27 still supports Python 3.8).
const PYO3_REQUIREMENT: &str = r#"{ version = "0.27", features = ["extension-module"] }"#;

/// Where one `.rs` file's build lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsFileLayout {
    /// `<cache>/rs_files/<module>_<hash>`
    pub entry: PathBuf,
    /// The generated project.
    pub project_dir: PathBuf,
    /// Where the built modules are put.
    pub output_dir: PathBuf,
    /// The develop state and lock.
    pub state_dir: PathBuf,
    /// The cargo target directory shared by all generated projects.
    pub target_dir: PathBuf,
    /// The Cargo.lock a new project starts from: a copy of the last one built.
    pub lock_seed: PathBuf,
}

impl RsFileLayout {
    /// The layout for `rs_file` (an absolute, canonical path) imported as `module`.
    pub fn new(cache: &BuildCache, rs_file: &Path, module: &str) -> RsFileLayout {
        let root = cache.root().join(cache_location::RS_FILES_DIR);
        let entry = cache_location::rs_file_entry(cache.root(), rs_file, module);
        RsFileLayout {
            project_dir: entry.join("project"),
            output_dir: entry.join("ext"),
            state_dir: cache_location::rs_file_state_dir(&entry),
            target_dir: root.join("target"),
            lock_seed: root.join("Cargo.lock"),
            entry,
        }
    }
}

fn path_hash(path: &Path) -> String {
    short_hash(path.as_os_str().as_encoded_bytes())
}

/// Makes a `.rs` file's project in place of [`generate_project`]: given the suggested project
/// directory, returns the project's directory.
pub type GenerateProject = Box<dyn FnOnce(&Path) -> Result<PathBuf> + Send>;

/// A build of one `.rs` file.
pub struct RsFileRequest {
    pub rs_file: PathBuf,
    /// The last component of the import name: the pyo3 module the file defines.
    pub module_name: String,
    /// `maturin develop` flags (flags that only concern installing into an environment, such
    /// as `--extras`, `--uv` or `--skip-install`, are ignored).
    pub args: Vec<String>,
    /// The interpreter to build for.
    pub python: PathBuf,
    /// Its environment (`sys.exec_prefix`), whose build cache is used.
    pub environment: PathBuf,
    /// The build cache to use instead of the environment's.
    pub build_dir: Option<PathBuf>,
    pub lock_timeout: Option<Duration>,
    pub force_rebuild: bool,
    /// Makes the project instead of [`generate_project`], only when a build is due.
    pub generate: Option<GenerateProject>,
    /// Build with this maturin binary instead of in-process (`args` are then `maturin build`
    /// flags, and `generate` is required); see [`with_binary`].
    pub maturin: Option<PathBuf>,
}

/// What a build of a `.rs` file did, and where its extension module is.
#[derive(Debug)]
pub struct RsFileBuilt {
    pub outcome: Outcome,
    pub extension: PathBuf,
    pub layout: RsFileLayout,
}

/// Makes the extension module of a `.rs` file match the file: generates (or refreshes) its
/// project, then runs our develop on it into the cache, which does nothing when nothing
/// changed and replays cargo after a change of Rust sources only.
pub fn build(request: RsFileRequest, reporter: &dyn Reporter) -> Result<RsFileBuilt> {
    let rs_file = request
        .rs_file
        .canonicalize()
        .with_context(|| format!("cannot find the Rust file {}", request.rs_file.display()))?;
    let module = request.module_name.as_str();
    check_module_name(module)?;
    let cache = BuildCache::at(cache_location::cache_root(
        &request.environment,
        request.build_dir.as_deref(),
    ));
    let layout = RsFileLayout::new(&cache, &rs_file, module);
    if let Some(maturin) = request.maturin.clone() {
        return with_binary::build(request, layout, &maturin, reporter);
    }
    let build_request = BuildRequest::RsFile {
        rs_file: rs_file.clone(),
        module: module.to_string(),
        args: request.args.clone(),
        python: request.python.clone(),
        build_dir: request.build_dir.clone(),
    };
    let mut options = develop_options(&request.args, &layout)?;
    let prepare: Option<Prepare> = match request.generate {
        None => {
            // Before the freshness check: writes only what changed, so this is no rebuild.
            generate_project(
                &rs_file,
                module,
                &options.cargo_options.features,
                &layout.project_dir,
                Some(&layout.lock_seed),
            )?;
            options.cargo_options.manifest_path = Some(layout.project_dir.join("Cargo.toml"));
            None
        }
        Some(generate) => {
            let suggested = layout.project_dir.clone();
            let lock_seed = layout.lock_seed.clone();
            Some(Box::new(move |options: &mut maturin::DevelopOptions| {
                let project_dir = generate(&suggested)?;
                let manifest = project_dir.join("Cargo.toml");
                if !manifest.is_file() {
                    bail!(
                        "the project generated for the Rust file has no Cargo.toml at {}",
                        manifest.display()
                    );
                }
                seed_lock(&project_dir, &lock_seed);
                options.cargo_options.manifest_path = Some(manifest);
                Ok(())
            }))
        }
    };
    let own_project = prepare.is_none();
    let outcome = develop(
        DevelopRequest {
            prepare,
            // a project made by a caller's generator is not what the light check assumes
            request: own_project.then_some(build_request),
            ..develop_request(options, &layout, request.python, request.environment)
        },
        pipeline::Options {
            lock_timeout: request.lock_timeout,
            force: request.force_rebuild,
        },
        reporter,
    )?;
    if own_project && matches!(outcome.action, Action::Built { .. }) {
        // the lock the next new project starts from (written whole, so never read half-way)
        if let Ok(lock) = std::fs::read(layout.project_dir.join("Cargo.lock")) {
            let _ = atomic_write::write_if_changed(&layout.lock_seed, &lock);
        }
    }
    let extension = extension_module(&outcome.outputs, module).ok_or_else(|| {
        anyhow!(
            "the build of {} made no extension module named {module} (it made: {}); does the \
             file define `#[pymodule] fn {module}`?",
            rs_file.display(),
            outcome
                .outputs
                .iter()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    Ok(RsFileBuilt {
        outcome,
        extension,
        layout,
    })
}

/// The `maturin develop` options of a `.rs` file's build: its flags, without those that only
/// concern installing into an environment, and the shared target directory.
fn develop_options(args: &[String], layout: &RsFileLayout) -> Result<maturin::DevelopOptions> {
    let mut options = parse_develop_args(args)?;
    // Nothing is installed into the environment: no dependencies, no pip.
    options.extras.clear();
    options.group.clear();
    options.uv = false;
    options.skip_install = false;
    options.pip_path = None;
    options.cargo_options.target_dir = Some(layout.target_dir.clone());
    Ok(options)
}

fn develop_request(
    options: maturin::DevelopOptions,
    layout: &RsFileLayout,
    python: PathBuf,
    environment: PathBuf,
) -> DevelopRequest {
    DevelopRequest {
        state_dir: Some(layout.state_dir.clone()),
        install_target: InstallTarget::Directory(layout.output_dir.clone()),
        python: Some(python),
        checking: Checking::Import,
        ..DevelopRequest::new(options, environment)
    }
}

/// The develop that a build of `request` (a `.rs` file's) runs, as far as it decides: what
/// `maturin import-hook status` compares with the record.
pub fn planned_develop(request: &BuildRequest, environment: &Path) -> Result<DevelopRequest> {
    let BuildRequest::RsFile {
        rs_file,
        module,
        args,
        python,
        build_dir,
    } = request
    else {
        bail!("not the build request of a .rs file");
    };
    let cache = BuildCache::at(cache_location::cache_root(
        environment,
        build_dir.as_deref(),
    ));
    let layout = RsFileLayout::new(&cache, rs_file, module);
    let options = develop_options(args, &layout)?;
    Ok(DevelopRequest {
        request: Some(request.clone()),
        ..develop_request(options, &layout, python.clone(), environment.to_path_buf())
    })
}

/// A module name we can make a crate of: an ASCII identifier (pyo3 exports `PyInit_<name>`).
fn check_module_name(module: &str) -> Result<()> {
    let mut chars = module.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        bail!(
            "cannot build a Rust file as the module {module:?}: the file name must be an ASCII \
             identifier (letters, digits and underscores)"
        );
    }
    Ok(())
}

/// The feature names of `--features` values (`a,b`, `a b`), without those of dependencies
/// (`pyo3/abi3`), which the generated manifest cannot declare.
fn features_of(values: &[String]) -> Vec<String> {
    let mut features: Vec<String> = Vec::new();
    for feature in values
        .iter()
        .flat_map(|value| value.split([',', ' ']))
        .filter(|feature| !feature.is_empty() && !feature.contains('/'))
    {
        if !features.iter().any(|known| known == feature) {
            features.push(feature.to_string());
        }
    }
    features
}

/// Writes the project that builds `rs_file` as the pyo3 module `module` into `project_dir`:
/// each file only when its content changes, so regenerating an unchanged project is no
/// rebuild. `features` (`--features` values: `a,b`, `a b`) are declared as empty features, so
/// `#[cfg(feature = "…")]` in the file can be switched from the settings (features of
/// dependencies, `pyo3/abi3`, are left out). A project without a Cargo.lock gets a copy of
/// `lock_seed` (the lock of another generated project), so that all of them lock the same
/// dependency versions and share their compiled code.
pub fn generate_project(
    rs_file: &Path,
    module: &str,
    features: &[String],
    project_dir: &Path,
    lock_seed: Option<&Path>,
) -> Result<PathBuf> {
    check_module_name(module)?;
    let rs_file = std::path::absolute(rs_file)
        .with_context(|| format!("cannot resolve the path {}", rs_file.display()))?;
    let crate_name = format!("{module}_{}", path_hash(&rs_file));
    let features = features_of(features);
    let toml_string = |text: &str| serde_json::to_string(text).expect("strings serialize");
    let mut cargo_toml = format!(
        "# Generated by the maturin import hook for {source}; rewritten when needed.\n\
         [package]\n\
         name = {name}\n\
         version = \"0.1.0\"\n\
         edition = \"2021\"\n\
         publish = false\n\
         \n\
         [lib]\n\
         name = {name}\n\
         path = {path}\n\
         crate-type = [\"cdylib\"]\n\
         \n\
         [dependencies]\n\
         pyo3 = {PYO3_REQUIREMENT}\n",
        source = rs_file.display(),
        name = toml_string(&crate_name),
        path = toml_string(&rs_file.to_string_lossy()),
    );
    if !features.is_empty() {
        cargo_toml.push_str("\n[features]\n");
        for feature in &features {
            cargo_toml.push_str(&format!("{} = []\n", toml_string(feature)));
        }
    }
    // Not a member of a workspace that happens to enclose the build cache.
    cargo_toml.push_str("\n[workspace]\n");
    let pyproject_toml = format!(
        "[build-system]\n\
         requires = [\"maturin>=1.0,<2.0\"]\n\
         build-backend = \"maturin\"\n\
         \n\
         [project]\n\
         name = {module_string}\n\
         version = \"0.1.0\"\n\
         \n\
         [tool.maturin]\n\
         module-name = {module_string}\n",
        module_string = toml_string(module),
    );
    for (name, content) in [
        ("Cargo.toml", cargo_toml),
        ("pyproject.toml", pyproject_toml),
    ] {
        let path = project_dir.join(name);
        atomic_write::write_if_changed(&path, content.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(seed) = lock_seed {
        seed_lock(project_dir, seed);
    }
    Ok(project_dir.to_path_buf())
}

/// Gives a project without a Cargo.lock a copy of `seed`. Best effort: without it cargo
/// resolves the dependencies itself.
fn seed_lock(project_dir: &Path, seed: &Path) {
    let lock = project_dir.join("Cargo.lock");
    if lock.exists() {
        return;
    }
    if let Ok(content) = std::fs::read(seed) {
        let _ = atomic_write::write_if_changed(&lock, &content);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_without_dependency_features() {
        let values = vec![
            "a,b".to_string(),
            "pyo3/abi3 c".to_string(),
            "a".to_string(),
        ];
        assert_eq!(features_of(&values), vec!["a", "b", "c"]);
    }

    #[test]
    fn module_names_must_be_identifiers() {
        assert!(check_module_name("my_script").is_ok());
        assert!(check_module_name("_x1").is_ok());
        assert!(check_module_name("1x").is_err());
        assert!(check_module_name("my-script").is_err());
        assert!(check_module_name("").is_err());
    }

    #[test]
    fn generating_again_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let rs_file = dir.path().join("my_script.rs");
        std::fs::write(&rs_file, "").unwrap();
        let project = dir.path().join("project");
        generate_project(&rs_file, "my_script", &["extra".into()], &project, None).unwrap();
        let cargo_toml = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
        assert!(cargo_toml.contains("\n[features]\n\"extra\" = []\n"));
        assert!(cargo_toml.contains(&format!("path = {:?}", rs_file.to_string_lossy())));
        let pyproject = std::fs::read_to_string(project.join("pyproject.toml")).unwrap();
        assert!(pyproject.contains("module-name = \"my_script\""));
        let stamp = |name: &str| {
            let meta = std::fs::metadata(project.join(name)).unwrap();
            (meta.modified().unwrap(), meta.len())
        };
        let before = (stamp("Cargo.toml"), stamp("pyproject.toml"));
        std::thread::sleep(Duration::from_millis(20));
        generate_project(&rs_file, "my_script", &["extra".into()], &project, None).unwrap();
        assert_eq!(before, (stamp("Cargo.toml"), stamp("pyproject.toml")));
    }

    #[test]
    fn a_new_project_starts_from_the_seed_lock() {
        let root = tempfile::tempdir().unwrap();
        let seed = root.path().join("Cargo.lock");
        std::fs::write(&seed, "# locked\n").unwrap();
        let rs_file = root.path().join("b.rs");
        std::fs::write(&rs_file, "").unwrap();
        let second = root.path().join("b_2").join("project");
        generate_project(&rs_file, "b", &[], &second, Some(&seed)).unwrap();
        assert_eq!(
            std::fs::read_to_string(second.join("Cargo.lock")).unwrap(),
            "# locked\n"
        );
    }

    #[test]
    fn the_extension_module_among_the_outputs() {
        let outputs = vec![
            PathBuf::from("/c/ext/m/__init__.py"),
            PathBuf::from("/c/ext/m/m.cpython-312-x86_64-linux-gnu.so"),
        ];
        assert_eq!(extension_module(&outputs, "m"), Some(outputs[1].clone()));
        assert_eq!(extension_module(&outputs, "n"), None);
    }
}
