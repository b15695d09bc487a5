//! The environment variables that change what cargo, rustc, pyo3 or maturin build. A develop
//! records their fingerprint; an import whose environment differs rebuilds.

/// Name prefixes of the variables a build reads.
const PREFIXES: &[&str] = &[
    "CARGO_", "RUST", "PYO3_", "MATURIN_", "CC", "CFLAGS", "LDFLAGS",
];

/// Variables with one of those prefixes that do not change what is built.
const IGNORED: &[&str] = &[
    "MATURIN_BUILD_DIR",
    "MATURIN_IMPORT_HOOK_ENABLED",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "CARGO_TERM_COLOR",
    "CARGO_TERM_VERBOSE",
    "CARGO_TERM_QUIET",
    "CARGO_TERM_PROGRESS_WHEN",
];

/// A short hash of the build-relevant variables of this process and of this crate's version.
pub fn fingerprint() -> String {
    let mut variables: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value)))
        .filter(|(name, _)| {
            PREFIXES.iter().any(|prefix| name.starts_with(prefix))
                && !IGNORED.contains(&name.as_str())
        })
        .map(|(name, value)| (name, value.to_string_lossy().into_owned()))
        .collect();
    variables.sort();
    let mut text = format!("maturin-hook-freshness {}\n", env!("CARGO_PKG_VERSION"));
    for (name, value) in variables {
        text.push_str(&format!("{name}={value}\n"));
    }
    crate::short_hash(text.as_bytes())
}
