//! The develop a front end's [`BuildRequest`] asks for, when its light check found that the
//! pipeline must run in full.

use super::{parse_develop_args, DevelopRequest, HookInstall};
use crate::build_options;
use anyhow::{bail, Context, Result};
use maturin_hook_core::project_discovery;
use maturin_hook_core::record::Checking;
use maturin_hook_core::request::BuildRequest;
use std::path::{Path, PathBuf};

/// The develop of `build` into `environment` (`sys.prefix`). `.rs` files are built by
/// [`crate::rs_file::build`], which generates their project first.
pub fn develop_request(build_request: &BuildRequest, environment: &Path) -> Result<DevelopRequest> {
    Ok(DevelopRequest {
        environment: environment.to_path_buf(),
        state_dir: Some(build_request.id(environment)?.state_dir),
        ..configured(build_request)?
    })
}

/// The fingerprint of the settings that `build` asks for, built for `python` (see
/// [`DevelopRequest::settings_fingerprint`]): what a record of its build holds.
pub fn settings_fingerprint(build_request: &BuildRequest, python: &Path) -> Result<String> {
    Ok(configured(build_request)?.settings_fingerprint(python))
}

/// The develop of `build`, into no environment yet.
fn configured(build_request: &BuildRequest) -> Result<DevelopRequest> {
    let environment = PathBuf::new();
    let request = match build_request {
        BuildRequest::Hook {
            args,
            cwd,
            manifest_path,
        } => {
            let mut options = parse_develop_args(args).with_context(|| {
                format!(
                    "the develop arguments recorded by `maturin develop --with-hook` ({}) no \
                     longer parse; run `maturin develop --with-hook` again",
                    args.join(" ")
                )
            })?;
            options.cargo_options.manifest_path = Some(manifest_path.clone());
            if let Some(dir) = &mut options.cargo_options.target_dir {
                *dir = cwd.join(&*dir);
            }
            if let Some(pip) = &mut options.pip_path {
                *pip = cwd.join(&*pip);
            }
            DevelopRequest {
                hook: Some(HookInstall::Develop {
                    args: args.clone(),
                    cwd: cwd.clone(),
                }),
                // where `maturin develop --with-hook` ran, as its replays do
                cargo_dir: Some(cwd.clone()),
                ..DevelopRequest::new(options, environment.clone())
            }
        }
        BuildRequest::Editable {
            args,
            cwd,
            manifest_path,
            ..
        } => {
            let build = build_options::parse_build_wheel_args(args).with_context(|| {
                "the build arguments an editable install recorded no longer parse; install it \
                 again (`pip install -e .`, `uv sync`)"
            })?;
            let mut options = build_options::develop_options(&build);
            options.cargo_options.manifest_path = Some(manifest_path.clone());
            DevelopRequest {
                release_by_default: true,
                hook: Some(HookInstall::Request(build_request.clone())),
                cargo_dir: Some(cwd.clone()),
                ..DevelopRequest::new(options, environment.clone())
            }
        }
        BuildRequest::ProjectImporter {
            manifest_path,
            args,
            build_dir,
            extra_inputs,
        } => {
            let mut options = parse_develop_args(args)?;
            options.cargo_options.manifest_path = Some(manifest_path.clone());
            // as upstream's importer: a crate that enables pyo3's introspection gets its stubs
            options.generate_stubs |= project_discovery::enables_pyo3_inspection(manifest_path);
            DevelopRequest {
                build_dir: build_dir.clone(),
                extra_inputs: extra_inputs.clone(),
                cargo_dir: manifest_path.parent().map(Path::to_path_buf),
                ..DevelopRequest::new(options, environment.clone())
            }
        }
        BuildRequest::RsFile { rs_file, .. } => bail!(
            "{} is a Rust file: it is built by the .rs file importer's build",
            rs_file.display()
        ),
    };
    Ok(DevelopRequest {
        request: Some(build_request.clone()),
        checking: Checking::Import,
        ..request
    })
}
