//! `maturin_import_hook._native`: the Python runtime's entry into the maturin-hook library.

use pyo3::prelude::*;

/// The versions this runtime is made of: `(maturin-hook, maturin crate)`.
#[pyfunction]
fn versions() -> (&'static str, &'static str) {
    (
        maturin_hook::version::VERSION,
        maturin_hook::version::MATURIN_CRATE_VERSION,
    )
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(versions, module)?)?;
    Ok(())
}
