//! `-v`/`-vv`/`-vvv` and `RUST_LOG`, as upstream maturin sets them up.

use anyhow::{Context, Result};
use tracing_subscriber::filter::{Directive, LevelFilter};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

/// Logs to stderr: stdout carries results (the pep517 commands print paths there).
/// `RUST_LOG` takes precedence over the verbosity flag. Also records the cargo commands that
/// maturin runs, whatever the log level (see `develop::command_recorder`).
pub fn init(verbose: u8) -> Result<()> {
    let default_directive: Directive = match verbose {
        // `-v` only makes cargo verbose
        0 | 1 => LevelFilter::OFF.into(),
        2 => LevelFilter::DEBUG.into(),
        _ => LevelFilter::TRACE.into(),
    };
    let filter = EnvFilter::builder()
        .with_default_directive(default_directive)
        .from_env()
        .context("Invalid RUST_LOG directives")?;
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .compact()
        .with_span_events(FmtSpan::CLOSE);
    tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .with(maturin_hook::develop::command_recorder())
        .init();
    Ok(())
}
