//! `maturin generate-stubs`

use anyhow::Result;
use maturin::{BuildOptions, BuildOrchestrator, CargoOptions, OutputOptions, PythonOptions};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

pub fn generate_stubs(out: PathBuf, python: PythonOptions, cargo: CargoOptions) -> Result<()> {
    let wheel_dir = tempfile::TempDir::new()?;
    let context = BuildOptions {
        python,
        cargo,
        generate_stubs: true,
        output: OutputOptions {
            out: Some(wheel_dir.path().to_path_buf()),
            ..Default::default()
        },
        ..Default::default()
    }
    .into_build_context()
    .build()?;
    let mut stubs = BuildOrchestrator::new(&context).generate_stubs()?;

    // Lay the stubs out as `--generate-stubs` does inside a wheel, so that `out` can be copied
    // over the Python source tree as it is.
    let layout = &context.project.project_layout;
    let module_dir = out.join(layout.module_dir());
    let extension_name = &layout.extension_name;
    if layout.python_module.is_none() {
        // A pure Rust project: the stubs describe the package maturin generates around it.
        return replace_stub_dir(&module_dir, &stubs);
    }
    match (stubs.len(), stubs.remove(Path::new("__init__.pyi"))) {
        // The extension is one module of an existing package: `<extension>.pyi`.
        (1, Some(stub)) => write_file(&module_dir.join(format!("{extension_name}.pyi")), &stub),
        (_, removed) => {
            if let Some(stub) = removed {
                stubs.insert(PathBuf::from("__init__.pyi"), stub);
            }
            replace_stub_dir(&module_dir.join(extension_name), &stubs)
        }
    }
}

fn write_file(path: &Path, content: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, content)?;
    Ok(())
}

fn replace_stub_dir(dir: &Path, stubs: &HashMap<PathBuf, String>) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    fs::create_dir_all(dir)?;
    for (path, content) in stubs {
        write_file(&dir.join(path), content)?;
    }
    Ok(())
}
