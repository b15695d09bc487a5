//! maturin with the import hook built in: the library behind the `maturin` binary and the
//! `maturin_import_hook` runtime (through its pyo3 modules).
//!
//! The build machinery is the crates.io `maturin` crate; the command line lives in the binary
//! (`src/bin/maturin`), not here.
//!
//! # The pipeline
//!
//! Every way a project is brought up to date runs one pipeline: check the recorded inputs →
//! decide (up to date / replay cargo / full develop) → build → install → record.
//!
//! - [`develop`]: the pipeline itself ([`develop::develop`] with a [`develop::DevelopRequest`]);
//! - [`freshness`] (the light crate): build records and their check, the replay of cargo, the
//!   project lock, the [`freshness::report::Reporter`] each front end implements, and the
//!   import's own half of the pipeline ([`freshness::refresh`]), which runs without the
//!   maturin crate.
//!
//! # Front ends
//!
//! - `maturin develop` (the binary) and [`hook`], the `.pth` finder of `--with-hook`;
//! - [`rs_file`]: builds of standalone `.rs` files for the `.rs` file importer;
//! - the project importer of `install()`, which asks for [`freshness::request::BuildRequest`]s;
//! - [`import_hook_cli`]: `maturin import-hook …` and `python -m maturin_import_hook …`.
//!
//! # Pieces
//!
//! - [`wheel_install`]: installing a wheel without pip;
//! - [`environment`], [`interpreter`]: the target environment and its interpreter's facts;
//! - [`build_cache`]: what the cache holds; [`site_customize`]: the managed sitecustomize block
//!   and the one grammar of the hook's maturin settings;
//! - [`cargo_child`]: cargo of an import-started build runs in the project's directory and dies
//!   with the importing process.

pub mod build_cache;
pub mod build_options;
pub mod cargo_child;
pub mod develop;
pub mod environment;
pub mod hook;
pub mod import_hook_cli;
pub mod interpreter;
pub mod pth;
pub mod rs_file;
pub mod shared_store;
pub mod site_customize;
pub mod version;
pub mod watch;
pub mod wheel_install;

pub use maturin;
pub use maturin_hook_core as hook_core;
