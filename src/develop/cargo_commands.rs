//! Recording what a full build ran, so that a change of Rust sources only can be rebuilt by
//! replaying cargo (see `maturin_hook_core::replay`) instead of resolving the project
//! again.
//!
//! maturin logs each cargo command it spawns (`Running <Command as Debug>`, target
//! `maturin::compile`, level DEBUG). [`command_recorder`] collects those events while
//! [`capture`] runs; [`parse_command`] turns one back into a [`RecordedCommand`] and accepts
//! it only if that command prints exactly as the original did, so a change of the format
//! costs the quick path, never correctness.

use super::cargo_paths;
use crate::cargo_child::CargoInDirectory;
use maturin::{BridgeModel, BuildContext};
use maturin_hook_core::fingerprint;
use maturin_hook_core::replay::{CargoStep, RebuildPlan, RecordedCommand};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer};

const COMMAND_TARGET: &str = "maturin::compile";
const COMMAND_PREFIX: &str = "Running ";

thread_local! {
    /// `Some` while [`capture`] runs on this thread (maturin compiles on the calling thread).
    static CAPTURED: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// The tracing layer that sees maturin's cargo commands; part of every subscriber we install.
pub fn command_recorder<S>() -> impl Layer<S>
where
    S: Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    CommandCapture.with_filter(Targets::new().with_target(COMMAND_TARGET, Level::DEBUG))
}

struct CommandCapture;

impl<S: Subscriber> Layer<S> for CommandCapture {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        CAPTURED.with(|captured| {
            if let Some(commands) = captured.borrow_mut().as_mut() {
                let mut message = MessageVisitor(None);
                event.record(&mut message);
                if let Some(command) = message
                    .0
                    .and_then(|m| m.strip_prefix(COMMAND_PREFIX).map(str::to_string))
                {
                    commands.push(command);
                }
            }
        });
    }
}

struct MessageVisitor(Option<String>);

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

/// Runs `build`, returning its result and the cargo commands maturin logged meanwhile.
pub fn recording<T>(build: impl FnOnce() -> T) -> (T, Vec<String>) {
    CAPTURED.with(|captured| *captured.borrow_mut() = Some(Vec::new()));
    let result = build();
    let commands = CAPTURED.with(|captured| captured.borrow_mut().take().unwrap_or_default());
    (result, commands)
}

/// What a build installed, as far as it knows.
pub enum Installed<'a> {
    /// Every installed file.
    All(&'a [PathBuf]),
    /// Some of them: the rest is installed by someone else later (a PEP 517 frontend), and
    /// the destinations found there are added then (`maturin_hook_core::adopt`).
    Partly(&'a [PathBuf]),
}

/// The plan to replay `commands` (as [`capture`] returned them for `context`'s build), or
/// `None` when this build cannot be replayed: bindings generated from the compiled library
/// (cffi, uniffi), stubs, PGO, universal2, or anything that does not look as expected.
/// The copies of each artifact among `installed` become its destinations.
pub fn plan(
    context: &BuildContext,
    commands: &[String],
    cargo_in_directory: Option<&CargoInDirectory>,
    installed: Installed<'_>,
    dep_info: Vec<PathBuf>,
    excluded_roots: Vec<PathBuf>,
) -> Option<RebuildPlan> {
    let project = &context.project;
    let replayable_bindings =
        matches!(project.bridge(), BridgeModel::PyO3(_) | BridgeModel::Bin(_));
    if !replayable_bindings
        || context.artifact.generate_stubs
        || context.artifact.pgo_phase.is_some()
        || project.universal2
        || commands.len() != project.compile_targets.len()
    {
        tracing::debug!("no quick rebuild plan for this build");
        return None;
    }
    let (files, complete) = match installed {
        Installed::All(files) => (files, true),
        Installed::Partly(files) => (files, false),
    };
    let mut by_hash: HashMap<String, Vec<PathBuf>> = HashMap::new();
    for file in files {
        if let Ok(hash) = fingerprint::sha256_file(file) {
            by_hash.entry(hash).or_default().push(file.clone());
        }
    }
    let mut steps = Vec::new();
    for (target, command) in project.compile_targets.iter().zip(commands) {
        let mut command = parse_command(command)?;
        if let Some((cargo, dir)) = cargo_in_directory.and_then(|run| run.unwrap(&command.program))
        {
            command.program = cargo;
            command.current_dir = Some(dir);
        }
        // cargo finds its configuration (`.cargo/config.toml`) from its working directory: a
        // replay from an importing process runs where this develop ran.
        if command.current_dir.is_none() {
            command.current_dir = std::env::current_dir().ok();
        }
        let artifact = cargo_paths::artifact(context, target);
        let destinations = match by_hash.get(&fingerprint::sha256_file(&artifact).ok()?) {
            Some(copies) => copies.clone(),
            // an artifact that was not installed cannot be replayed into place
            None if complete => return None,
            None => Vec::new(),
        };
        steps.push(CargoStep {
            command,
            artifact,
            destinations,
        });
    }
    Some(RebuildPlan {
        steps,
        dep_info,
        excluded_roots,
    })
}

/// Reads back a `std::process::Command` printed with `{:?}`:
/// `[cd "dir" && ][env -u NAME ...]NAME="value" ... "program" "arg" ...`.
pub fn parse_command(printed: &str) -> Option<RecordedCommand> {
    let mut rest = printed;
    let mut current_dir = None;
    if let Some(after) = rest.strip_prefix("cd ") {
        let (dir, after) = debug_string(after)?;
        current_dir = Some(PathBuf::from(dir));
        rest = after.strip_prefix(" && ")?;
    }
    let mut removed_env = Vec::new();
    if let Some(after) = rest.strip_prefix("env ") {
        rest = after;
        while let Some(after) = rest.strip_prefix("-u ") {
            let (name, after) = after.split_once(' ')?;
            removed_env.push(name.to_string());
            rest = after;
        }
    }
    let mut set_env = Vec::new();
    while !rest.starts_with('"') {
        let (name, after) = rest.split_once('=')?;
        let (value, after) = debug_string(after)?;
        set_env.push((name.to_string(), value));
        rest = after.strip_prefix(' ')?;
    }
    let mut words = Vec::new();
    loop {
        let (word, after) = debug_string(rest)?;
        words.push(word);
        if after.is_empty() {
            break;
        }
        rest = after.strip_prefix(' ')?;
    }
    let program = words.remove(0);
    let recorded = RecordedCommand {
        program,
        args: words,
        set_env,
        removed_env,
        current_dir,
    };
    (format!("{:?}", recorded.to_command()) == printed).then_some(recorded)
}

/// One string in Rust's `Debug` form at the start of `text`, and what follows it.
fn debug_string(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('"')?.char_indices();
    let mut value = String::new();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[index + 2..])),
            '\\' => {
                let (_, escaped) = chars.next()?;
                value.push(match escaped {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    '0' => '\0',
                    '\\' | '"' | '\'' => escaped,
                    'u' => {
                        let digits: String = chars
                            .by_ref()
                            .map(|(_, c)| c)
                            .skip_while(|&c| c == '{')
                            .take_while(|&c| c != '}')
                            .collect();
                        char::from_u32(u32::from_str_radix(&digits, 16).ok()?)?
                    }
                    // `\x..`: a byte that is not UTF-8, which a String cannot carry
                    _ => return None,
                });
            }
            _ => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    #[test]
    fn printed_commands_read_back_exactly() {
        let mut command = Command::new("cargo");
        command
            .args(["rustc", "--manifest-path", "/p/with space/Cargo.toml"])
            .arg("quote\"back\\slash\ttab\u{7f}é")
            .env("PYO3_PYTHON", "/venv/bin/python")
            .env("EMPTY", "")
            .env_remove("CARGO");
        let printed = format!("{command:?}");
        let recorded = parse_command(&printed).expect("a cargo command reads back");
        assert_eq!(recorded.program, "cargo");
        assert_eq!(recorded.args[3], "quote\"back\\slash\ttab\u{7f}é");
        assert_eq!(recorded.removed_env, vec!["CARGO".to_string()]);
        assert!(recorded
            .set_env
            .contains(&("PYO3_PYTHON".to_string(), "/venv/bin/python".to_string())));
        assert_eq!(format!("{:?}", recorded.to_command()), printed);

        command.current_dir("/tmp/x");
        let recorded = parse_command(&format!("{command:?}")).unwrap();
        assert_eq!(recorded.current_dir.as_deref(), Some(Path::new("/tmp/x")));
    }

    #[test]
    fn unreadable_commands_are_refused() {
        assert!(parse_command("").is_none());
        assert!(parse_command("cargo rustc").is_none());
        assert!(parse_command("\"cargo\" \"unterminated").is_none());
        assert!(parse_command("\"cargo\" \"a\\xff\"").is_none());
    }
}
