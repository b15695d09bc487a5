//! `maturin new --with-hook` and `maturin init --with-hook`: the project opts into editable
//! installs that carry the import hook.

use anyhow::{Context, Result};
use std::path::Path;

/// Sets `[tool.maturin] import-hook = true` in the pyproject.toml of the project just made in
/// `project_dir`, when `with_hook`.
pub fn opt_into_the_hook(project_dir: &Path, with_hook: bool) -> Result<()> {
    if !with_hook {
        return Ok(());
    }
    let path = project_dir.join("pyproject.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let setting = "import-hook = true";
    let edited = match text.find("[tool.maturin]\n") {
        Some(at) => {
            let after = at + "[tool.maturin]\n".len();
            format!("{}{setting}\n{}", &text[..after], &text[after..])
        }
        None => format!("{}\n[tool.maturin]\n{setting}\n", text.trim_end()),
    };
    std::fs::write(&path, edited).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "🪝 {} opts into the import hook: `pip install -e .` and `uv sync` give an install that \
         rebuilds on import",
        path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_goes_into_tool_maturin() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pyproject.toml");
        std::fs::write(
            &path,
            "[project]\nname = \"p\"\n\n[tool.maturin]\nfeatures = []\n",
        )
        .unwrap();
        opt_into_the_hook(dir.path(), true).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[project]\nname = \"p\"\n\n[tool.maturin]\nimport-hook = true\nfeatures = []\n"
        );
        std::fs::write(&path, "[project]\nname = \"p\"\n").unwrap();
        opt_into_the_hook(dir.path(), true).unwrap();
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .ends_with("\n[tool.maturin]\nimport-hook = true\n"));
    }
}
