use pyo3::prelude::*;

/// The greeting, computed in Rust.
#[pyfunction]
fn greet(name: &str) -> String {
    format!("Hello, {name}! (from Rust)")
}

#[pymodule]
fn _hello(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(greet, module)?)?;
    Ok(())
}
