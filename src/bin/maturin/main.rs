//! The `maturin` binary: parse, set up logging, dispatch. The command line (`cli`) and the
//! commands that turn it into library calls (`commands`) live here, not in the library.

mod cli;
mod commands;
mod logging;
mod terminal;

use clap::Parser;
use cli::Cli;

fn main() {
    maturin_hook::cargo_child::exec_if_asked();
    #[cfg(not(debug_assertions))]
    install_panic_message();

    let cli = match wild_args() {
        Some(args) => Cli::parse_from(args),
        None => Cli::parse(),
    };
    let result = logging::init(cli.verbose).and_then(|()| commands::run(cli));
    if let Err(error) = result {
        eprintln!("💥 maturin failed");
        for cause in error.chain() {
            eprintln!("  Caused by: {cause}");
        }
        std::process::exit(1);
    }
}

/// On Windows, `upload` takes globs that the shell does not expand.
#[cfg(feature = "upload")]
fn wild_args() -> Option<Vec<std::ffi::OsString>> {
    Some(wild::args_os().collect())
}

#[cfg(not(feature = "upload"))]
fn wild_args() -> Option<Vec<std::ffi::OsString>> {
    None
}

#[cfg(not(debug_assertions))]
fn install_panic_message() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        eprintln!("\n===================================================================");
        eprintln!("maturin has panicked. This is a bug in maturin-hook, please report it");
        eprintln!("with the steps to reproduce it and RUST_BACKTRACE=1 set.");
        eprintln!(
            "Version: {}, platform: {} {}",
            maturin_hook::version::LONG_VERSION,
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        eprintln!("Args: {}", std::env::args().collect::<Vec<_>>().join(" "));
        eprintln!();
        default_hook(info);
        std::process::exit(101);
    }));
}
