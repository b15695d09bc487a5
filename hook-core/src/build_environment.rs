//! The environment variables that change what cargo, rustc, pyo3 or maturin build. A build
//! records them; an import whose environment differs rebuilds, and says which variable changed
//! from what to what.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Name prefixes of the variables a build reads.
const PREFIXES: &[&str] = &[
    "CARGO_", "RUST", "PYO3_", "MATURIN_", "CC", "CFLAGS", "LDFLAGS",
];

/// Variables with one of those prefixes that do not change what is built.
const IGNORED: &[&str] = &[
    "MATURIN_BUILD_DIR",
    // where a PEP 517 frontend prepared the metadata, and the backend's arguments (recorded as
    // the arguments of the build)
    "MATURIN_PEP517_METADATA_DIR",
    "MATURIN_PEP517_ARGS",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "CARGO_TERM_COLOR",
    "CARGO_TERM_VERBOSE",
    "CARGO_TERM_QUIET",
    "CARGO_TERM_PROGRESS_WHEN",
];

/// The prefixes of the variables that configure the import hook (`MATURIN_IMPORT_HOOK_STORE`,
/// `…_ENABLED`, …) and of those it passes to the processes of its own builds (the binary
/// acting as cargo reads them): how a build runs, not what it builds.
const HOOK_PREFIXES: &[&str] = &["MATURIN_IMPORT_HOOK_", "MATURIN_HOOK_"];

/// Variables that say where things are rather than what is built: a build with another value
/// makes the same artifacts (see [`BuildEnvironment::without_locations`]).
const LOCATIONS: &[&str] = &[
    "CARGO_HOME",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTUP_HOME",
    "PYO3_PYTHON",
    "MATURIN_PEP517_METADATA_DIR",
];

/// Which variables of a process are build-relevant, as data for the quick check (see
/// [`crate::quick_check`]): name prefixes, names left out, name prefixes left out. A variable
/// set to its default (see [`is_default`]) is not told apart there: the usual check says it.
pub fn selection() -> (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
) {
    (PREFIXES, IGNORED, HOOK_PREFIXES)
}

/// Variables set to the value cargo and rustup use when they are unset: what a build sees is
/// the same, so setting one is no change.
fn is_default(name: &str, value: &str) -> bool {
    let default_dir = match name {
        "CARGO_HOME" => ".cargo",
        "RUSTUP_HOME" => ".rustup",
        _ => return false,
    };
    let Some(home) = dirs::home_dir() else {
        return false;
    };
    let default = home.join(default_dir);
    let value = std::path::Path::new(value);
    value == default
        || value
            .canonicalize()
            .is_ok_and(|value| default.canonicalize().is_ok_and(|default| value == default))
}

/// Parts of names whose values are not written into the build record (the record is a file
/// in the environment): only a hash of them is kept.
const SECRET_WORDS: &[&str] = &["TOKEN", "SECRET", "PASSWORD", "CREDENTIAL", "KEY"];

/// The build-relevant variables, by name: their value, or `sha256:<hash>` for a secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildEnvironment(BTreeMap<String, String>);

impl BuildEnvironment {
    /// The build-relevant variables of this process.
    pub fn current() -> BuildEnvironment {
        BuildEnvironment::from_vars(std::env::vars_os().filter_map(|(name, value)| {
            Some((
                name.into_string().ok()?,
                value.to_string_lossy().into_owned(),
            ))
        }))
    }

    fn from_vars(vars: impl Iterator<Item = (String, String)>) -> BuildEnvironment {
        BuildEnvironment(
            vars.filter(|(name, value)| {
                PREFIXES.iter().any(|prefix| name.starts_with(prefix))
                    && !IGNORED.contains(&name.as_str())
                    && !HOOK_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
                    && !is_default(name, value)
            })
            .map(|(name, value)| {
                let secret = SECRET_WORDS.iter().any(|word| name.contains(word));
                let value = if secret {
                    format!("sha256:{}", crate::short_hash(value.as_bytes()))
                } else {
                    value
                };
                (name, value)
            })
            .collect(),
        )
    }

    /// The recorded variables, by name.
    pub fn variables(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The variables that decide what is built wherever the build runs: those that name
    /// locations (the target directory, `CARGO_HOME`, the interpreter's path) left out.
    pub fn without_locations(&self) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .filter(|(name, _)| !LOCATIONS.contains(&name.as_str()))
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    }

    /// What differs from `recorded`, for a person: `RUSTFLAGS changed from "" to "-Copt-level=1"`,
    /// `CARGO_TARGET_DIR was unset, now "/t"`; `None` when nothing does.
    pub fn changes_since(&self, recorded: &BuildEnvironment) -> Option<String> {
        let names: std::collections::BTreeSet<&String> =
            self.0.keys().chain(recorded.0.keys()).collect();
        let changes: Vec<String> = names
            .into_iter()
            .filter_map(|name| {
                let (old, new) = (recorded.0.get(name), self.0.get(name));
                let shown = |value: &String| {
                    if value.starts_with("sha256:") {
                        "<hidden>".to_string()
                    } else {
                        format!("{value:?}")
                    }
                };
                match (old, new) {
                    (Some(old), Some(new)) if old != new => Some(format!(
                        "{name} changed from {} to {}",
                        shown(old),
                        shown(new)
                    )),
                    (None, Some(new)) => Some(format!("{name} was unset, now {}", shown(new))),
                    (Some(old), None) => Some(format!("{name} was {}, now unset", shown(old))),
                    _ => None,
                }
            })
            .collect();
        (!changes.is_empty())
            .then(|| format!("the build environment changed: {}", changes.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environment(vars: &[(&str, &str)]) -> BuildEnvironment {
        BuildEnvironment::from_vars(
            vars.iter()
                .map(|(name, value)| (name.to_string(), value.to_string())),
        )
    }

    #[test]
    fn a_variable_set_to_its_default_is_no_change() {
        let home = dirs::home_dir().unwrap();
        let default = home.join(".cargo").to_string_lossy().into_owned();
        let elsewhere = home.join("other-cargo").to_string_lossy().into_owned();
        assert_eq!(environment(&[("CARGO_HOME", &default)]), environment(&[]));
        assert_ne!(environment(&[("CARGO_HOME", &elsewhere)]), environment(&[]));
    }

    #[test]
    fn names_each_changed_variable_and_hides_secrets() {
        let before = environment(&[
            ("RUSTFLAGS", "-Copt-level=1"),
            ("CARGO_REGISTRY_TOKEN", "hunter2"),
            ("PATH", "/bin"),
            ("RUST_LOG", "debug"),
            ("MATURIN_HOOK_CARGO_LOG", "/state/cargo.log"),
            ("MATURIN_IMPORT_HOOK_STORE", "s3://builds"),
        ]);
        let after = environment(&[
            ("RUSTFLAGS", "-Copt-level=2"),
            ("CARGO_REGISTRY_TOKEN", "hunter3"),
            ("CARGO_TARGET_DIR", "/t"),
        ]);
        assert_eq!(before.changes_since(&before), None);
        let changes = after.changes_since(&before).unwrap();
        assert_eq!(
            changes,
            "the build environment changed: CARGO_REGISTRY_TOKEN changed from <hidden> to \
             <hidden>; CARGO_TARGET_DIR was unset, now \"/t\"; RUSTFLAGS changed from \
             \"-Copt-level=1\" to \"-Copt-level=2\""
        );
        assert!(!serde_json::to_string(&after).unwrap().contains("hunter"));
    }
}
