//! What `maturin --version` and the Python runtime report.

/// The version of this fork.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The version of the crates.io `maturin` crate this build is made from. Cargo.toml pins the
/// crate with `=`; a unit test keeps this constant equal to the version in Cargo.lock.
pub const MATURIN_CRATE_VERSION: &str = "1.16.0";

/// The text after `maturin ` in `maturin --version`: upstream's version first, so that scripts
/// parsing `maturin X.Y.Z` keep working, then the fork's own name and version.
pub const LONG_VERSION: &str = concat!("1.16.0 (maturin-hook ", env!("CARGO_PKG_VERSION"), ")");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_version_starts_with_the_maturin_crate_version() {
        assert!(LONG_VERSION.starts_with(&format!("{MATURIN_CRATE_VERSION} ")));
        assert!(LONG_VERSION.contains(VERSION));
    }

    #[test]
    fn maturin_crate_version_matches_cargo_lock() {
        let lock_path = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock");
        let lock = std::fs::read_to_string(lock_path).expect("Cargo.lock next to Cargo.toml");
        let expected = format!("name = \"maturin\"\nversion = \"{MATURIN_CRATE_VERSION}\"");
        assert!(
            lock.contains(&expected),
            "Cargo.lock does not pin maturin {MATURIN_CRATE_VERSION}; update src/version.rs"
        );
    }
}
