//! `maturin develop`

use crate::environment::find_target_environment_from_cwd;
use anyhow::Result;
use maturin::{DevelopOptions, Target};

pub fn develop(options: DevelopOptions) -> Result<()> {
    let target = Target::from_target_triple(options.cargo_options.target.as_ref())?;
    let environment = find_target_environment_from_cwd(&target)?;
    maturin::develop(options, &environment)
}
