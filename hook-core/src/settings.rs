//! The import hook's maturin settings, in one table: the fields of
//! `maturin_import_hook.settings.MaturinSettings` (in its field order), the flag each one is, and
//! for which command. From [`SETTINGS`] alone follow the grammar that `site install --args "…"`
//! and `MaturinSettings.from_args()` accept (that of maturin_import_hook 0.3.0's argparse
//! parser, with this fork's `--group` and `--generate-stubs`), `MaturinSettings.to_args()`, and
//! the `MaturinSettings(...)` of the managed sitecustomize block.
//!
//! A new setting is one row here and one field of the dataclass, which a test keeps equal.

use crate::python_literal::{self, Charset};

/// How a setting is written on the command line, and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `--release`: `False` or `True`.
    Flag,
    /// `-v`, repeatable: how often (`-vv` is 2).
    Count,
    /// `--jobs 4`: a whole number or `None`.
    Integer,
    /// `--profile dev`: a string or `None`.
    Text,
    /// `--auditwheel repair`: one of these or `None`.
    Choice(&'static [&'static str]),
    /// `--color always|never`: `True`, `False`, or `None` (any other value).
    Colour,
    /// `--features a,b`, repeatable: a list (split at these characters when parsed) or `None`.
    /// `to_args` leaves out an empty list, unless `empty_is_written` (`--extras ""`).
    List {
        separators: &'static [char],
        empty_is_written: bool,
    },
    /// `-Z flag`, repeatable: one value per flag, a list or `None`.
    Repeated,
    /// `--config key=value`, repeatable: a dict (a repeated key keeps its first position and
    /// takes the last value) or `None`.
    KeyValues,
    /// The arguments after `--` (or from the first positional one): a list or `None`.
    Trailing,
}

/// Which maturin command a setting is passed to by `to_args` (every one is parsed anywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Both,
    Build,
    Develop,
}

#[derive(Debug)]
pub struct Setting {
    /// The field of `MaturinSettings`.
    pub field: &'static str,
    /// The long option (`None`: only the short one exists).
    pub long: Option<&'static str>,
    pub short: Option<char>,
    pub kind: Kind,
    pub command: Command,
}

const fn setting(
    field: &'static str,
    long: Option<&'static str>,
    short: Option<char>,
    kind: Kind,
    command: Command,
) -> Setting {
    Setting {
        field,
        long,
        short,
        kind,
        command,
    }
}

const FEATURES: Kind = Kind::List {
    separators: &[',', ' '],
    empty_is_written: false,
};
const COMMA_LIST: Kind = Kind::List {
    separators: &[','],
    empty_is_written: false,
};

/// Every setting, in `MaturinSettings`' field order (the order of `to_args` and of the block).
pub const SETTINGS: &[Setting] = &[
    setting(
        "release",
        Some("release"),
        Some('r'),
        Kind::Flag,
        Command::Both,
    ),
    setting("strip", Some("strip"), None, Kind::Flag, Command::Both),
    setting("quiet", Some("quiet"), Some('q'), Kind::Flag, Command::Both),
    setting(
        "jobs",
        Some("jobs"),
        Some('j'),
        Kind::Integer,
        Command::Both,
    ),
    setting("profile", Some("profile"), None, Kind::Text, Command::Both),
    setting(
        "features",
        Some("features"),
        Some('F'),
        FEATURES,
        Command::Both,
    ),
    setting(
        "all_features",
        Some("all-features"),
        None,
        Kind::Flag,
        Command::Both,
    ),
    setting(
        "no_default_features",
        Some("no-default-features"),
        None,
        Kind::Flag,
        Command::Both,
    ),
    setting("target", Some("target"), None, Kind::Text, Command::Both),
    setting(
        "ignore_rust_version",
        Some("ignore-rust-version"),
        None,
        Kind::Flag,
        Command::Both,
    ),
    setting("color", Some("color"), None, Kind::Colour, Command::Both),
    setting("frozen", Some("frozen"), None, Kind::Flag, Command::Both),
    setting("locked", Some("locked"), None, Kind::Flag, Command::Both),
    setting("offline", Some("offline"), None, Kind::Flag, Command::Both),
    setting(
        "config",
        Some("config"),
        None,
        Kind::KeyValues,
        Command::Both,
    ),
    setting(
        "unstable_flags",
        None,
        Some('Z'),
        Kind::Repeated,
        Command::Both,
    ),
    setting(
        "verbose",
        Some("verbose"),
        Some('v'),
        Kind::Count,
        Command::Both,
    ),
    setting("rustc_flags", None, None, Kind::Trailing, Command::Both),
    setting(
        "auditwheel",
        Some("auditwheel"),
        None,
        Kind::Choice(&["repair", "check", "skip"]),
        Command::Build,
    ),
    setting("zig", Some("zig"), None, Kind::Flag, Command::Build),
    setting(
        "extras",
        Some("extras"),
        Some('E'),
        Kind::List {
            separators: &[','],
            empty_is_written: true,
        },
        Command::Develop,
    ),
    setting("uv", Some("uv"), None, Kind::Flag, Command::Develop),
    setting(
        "skip_install",
        Some("skip-install"),
        None,
        Kind::Flag,
        Command::Develop,
    ),
    setting(
        "group",
        Some("group"),
        Some('G'),
        COMMA_LIST,
        Command::Develop,
    ),
    // as upstream's main: a `.rs` file's build (`maturin build`) gets no stubs
    setting(
        "generate_stubs",
        Some("generate-stubs"),
        None,
        Kind::Flag,
        Command::Develop,
    ),
];

/// The value of one setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Flag(bool),
    Count(u32),
    Integer(Option<i64>),
    Text(Option<String>),
    Colour(Option<bool>),
    List(Option<Vec<String>>),
    KeyValues(Option<Vec<(String, String)>>),
}

impl Value {
    fn default_of(kind: Kind) -> Value {
        match kind {
            Kind::Flag => Value::Flag(false),
            Kind::Count => Value::Count(0),
            Kind::Integer => Value::Integer(None),
            Kind::Text | Kind::Choice(_) => Value::Text(None),
            Kind::Colour => Value::Colour(None),
            Kind::List { .. } | Kind::Repeated | Kind::Trailing => Value::List(None),
            Kind::KeyValues => Value::KeyValues(None),
        }
    }

    /// The value as a Python literal, `None` when it is the default (not written).
    pub fn python_literal(&self) -> Option<String> {
        let text = |text: &str| python_literal::literal(text, Charset::Unicode);
        match self {
            Value::Flag(set) => set.then(|| "True".to_string()),
            Value::Count(count) => (*count != 0).then(|| count.to_string()),
            Value::Integer(number) => number.map(|number| number.to_string()),
            Value::Text(value) => value.as_deref().map(text),
            Value::Colour(colour) => {
                colour.map(|colour| if colour { "True" } else { "False" }.into())
            }
            Value::List(items) => items.as_ref().map(|items| {
                let items: Vec<String> = items.iter().map(|item| text(item)).collect();
                format!("[{}]", items.join(", "))
            }),
            Value::KeyValues(pairs) => pairs.as_ref().map(|pairs| {
                let pairs: Vec<String> = pairs
                    .iter()
                    .map(|(key, value)| format!("{}: {}", text(key), text(value)))
                    .collect();
                format!("{{{}}}", pairs.join(", "))
            }),
        }
    }
}

/// A value for every setting, in the order of [`SETTINGS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSettings {
    values: Vec<Value>,
}

impl Default for HookSettings {
    fn default() -> Self {
        HookSettings {
            values: SETTINGS
                .iter()
                .map(|setting| Value::default_of(setting.kind))
                .collect(),
        }
    }
}

fn index_of(field: &str) -> Option<usize> {
    SETTINGS.iter().position(|setting| setting.field == field)
}

impl HookSettings {
    /// Every setting with its value, in field order.
    pub fn fields(&self) -> impl Iterator<Item = (&'static Setting, &Value)> {
        SETTINGS.iter().zip(&self.values)
    }

    pub fn get(&self, field: &str) -> Option<&Value> {
        self.values.get(index_of(field)?)
    }

    /// Sets `field` (a field of [`SETTINGS`]) to `value`, which must be of its kind.
    pub fn set(&mut self, field: &str, value: Value) -> Result<(), String> {
        let index = index_of(field).ok_or_else(|| format!("unknown setting `{field}`"))?;
        if std::mem::discriminant(&Value::default_of(SETTINGS[index].kind))
            != std::mem::discriminant(&value)
        {
            return Err(format!("`{field}` cannot hold {value:?}"));
        }
        self.values[index] = value;
        Ok(())
    }

    /// Parses maturin arguments (`--args "…"` of `site install`), split like a POSIX shell.
    pub fn from_args(args: &str) -> Result<HookSettings, String> {
        HookSettings::from_words(&shell_split(args)?)
    }

    /// Parses maturin arguments given as separate words (`MaturinSettings.from_args`). Accepts
    /// what upstream's parser accepts: long options and their unambiguous prefixes,
    /// `--opt=value`, short options (`-rq`, `-j4`, `-Fa,b`), and everything from the first
    /// positional argument or after `--` as rustc flags.
    pub fn from_words(words: &[String]) -> Result<HookSettings, String> {
        let (words, after_separator) = match words.iter().position(|word| word == "--") {
            Some(at) => (&words[..at], &words[at + 1..]),
            None => (words, &[][..]),
        };
        let mut settings = HookSettings::default();
        let mut positional: &[String] = &[];
        let mut index = 0;
        while index < words.len() {
            let word = &words[index];
            index += 1;
            if let Some(long) = word.strip_prefix("--") {
                let (name, inline_value) = match long.split_once('=') {
                    Some((name, value)) => (name, Some(value.to_string())),
                    None => (long, None),
                };
                let at = find_long(name)?;
                let value = if takes_value(at) {
                    Some(match inline_value {
                        Some(value) => value,
                        None => take_value(words, &mut index, at)?,
                    })
                } else if inline_value.is_some() {
                    return Err(format!("`--{name}` does not take a value (in `{word}`)"));
                } else {
                    None
                };
                settings.apply(at, value)?;
            } else if word.len() > 1 && word.starts_with('-') && !is_negative_number(word) {
                for (offset, letter) in word[1..].char_indices() {
                    let at = SETTINGS
                        .iter()
                        .position(|setting| setting.short == Some(letter))
                        .ok_or_else(|| format!("unknown option `-{letter}` (in `{word}`)"))?;
                    if takes_value(at) {
                        let rest = &word[1 + offset + letter.len_utf8()..];
                        let value = if rest.is_empty() {
                            take_value(words, &mut index, at)?
                        } else {
                            rest.strip_prefix('=').unwrap_or(rest).to_string()
                        };
                        settings.apply(at, Some(value))?;
                        break;
                    }
                    settings.apply(at, None)?;
                }
            } else {
                // the first positional argument starts the rustc flags, options included
                positional = &words[index - 1..];
                break;
            }
        }
        let trailing: Vec<String> = positional.iter().chain(after_separator).cloned().collect();
        if !trailing.is_empty() {
            let at = SETTINGS
                .iter()
                .position(|setting| setting.kind == Kind::Trailing)
                .expect("a setting takes the trailing arguments");
            settings.values[at] = Value::List(Some(trailing));
        }
        Ok(settings)
    }

    fn apply(&mut self, at: usize, value: Option<String>) -> Result<(), String> {
        let setting = &SETTINGS[at];
        let value = value.unwrap_or_default();
        let slot = &mut self.values[at];
        match (setting.kind, slot) {
            (Kind::Flag, Value::Flag(set)) => *set = true,
            (Kind::Count, Value::Count(count)) => *count += 1,
            (Kind::Integer, Value::Integer(number)) => {
                *number = Some(value.trim().parse().map_err(|_| {
                    format!("`{}` needs a whole number, not `{value}`", display(at))
                })?)
            }
            (Kind::Text, Value::Text(text)) => *text = Some(value),
            (Kind::Choice(choices), Value::Text(text)) => {
                if !choices.contains(&value.as_str()) {
                    return Err(format!(
                        "`{}` must be one of {}, not `{value}`",
                        display(at),
                        choices.join(", ")
                    ));
                }
                *text = Some(value)
            }
            (Kind::Colour, Value::Colour(colour)) => {
                *colour = match value.as_str() {
                    "always" => Some(true),
                    "never" => Some(false),
                    _ => None,
                }
            }
            (Kind::List { separators, .. }, Value::List(items)) => items
                .get_or_insert_with(Vec::new)
                .extend(value.split(separators).map(String::from)),
            (Kind::Repeated, Value::List(items)) => items.get_or_insert_with(Vec::new).push(value),
            (Kind::KeyValues, Value::KeyValues(pairs)) => {
                // the value may hold `=` itself (`--config env.X=a=b`): split at the first
                let Some((key, item)) = value.split_once('=') else {
                    return Err(format!("`{}` needs KEY=VALUE, not `{value}`", display(at)));
                };
                let pairs = pairs.get_or_insert_with(Vec::new);
                match pairs.iter_mut().find(|(existing, _)| existing == key) {
                    Some(entry) => entry.1 = item.to_string(),
                    None => pairs.push((key.to_string(), item.to_string())),
                }
            }
            (kind, slot) => unreachable!("{kind:?} holds {slot:?}"),
        }
        Ok(())
    }

    /// The flags of `maturin build` (`develop` false) or `maturin develop` for these settings,
    /// in field order, spelled as maturin_import_hook 0.3.0 spells them; the trailing rustc
    /// flags come last, after `--`.
    pub fn to_args(&self, develop: bool) -> Vec<String> {
        let mut args = Vec::new();
        let mut trailing = None;
        for (setting, value) in self.fields() {
            let passed = match setting.command {
                Command::Both => true,
                Command::Build => !develop,
                Command::Develop => develop,
            };
            if !passed {
                continue;
            }
            let flag = match (setting.long, setting.short) {
                (Some(long), _) => format!("--{long}"),
                (None, Some(short)) => format!("-{short}"),
                (None, None) => String::new(),
            };
            match (setting.kind, value) {
                (Kind::Trailing, Value::List(items)) => trailing = items.clone(),
                (Kind::Flag, Value::Flag(true)) => args.push(flag),
                (Kind::Count, Value::Count(count)) if *count > 0 => {
                    let short = setting.short.unwrap_or('v').to_string();
                    args.push(format!("-{}", short.repeat(*count as usize)));
                }
                (Kind::Integer, Value::Integer(Some(number))) => {
                    args.extend([flag, number.to_string()])
                }
                (Kind::Text | Kind::Choice(_), Value::Text(Some(text))) => {
                    args.extend([flag, text.clone()])
                }
                (Kind::Colour, Value::Colour(Some(colour))) => {
                    args.extend([flag, if *colour { "always" } else { "never" }.to_string()])
                }
                (
                    Kind::List {
                        empty_is_written, ..
                    },
                    Value::List(Some(items)),
                ) if empty_is_written || !items.is_empty() => args.extend([flag, items.join(",")]),
                (Kind::Repeated, Value::List(Some(items))) => {
                    for item in items {
                        args.extend([flag.clone(), item.clone()]);
                    }
                }
                (Kind::KeyValues, Value::KeyValues(Some(pairs))) => {
                    for (key, value) in pairs {
                        args.extend([flag.clone(), format!("{key}={value}")]);
                    }
                }
                _ => {}
            }
        }
        if let Some(trailing) = trailing {
            args.push("--".to_string());
            args.extend(trailing);
        }
        args
    }

    /// The keyword arguments of `MaturinSettings(...)` that differ from the defaults, as
    /// `name=<python literal>`, in field order.
    pub fn python_kwargs(&self) -> Vec<String> {
        self.fields()
            .filter_map(|(setting, value)| {
                let literal = value.python_literal()?;
                Some(format!("{}={literal}", setting.field))
            })
            .collect()
    }
}

fn takes_value(at: usize) -> bool {
    !matches!(SETTINGS[at].kind, Kind::Flag | Kind::Count)
}

/// How an option is named in messages: its long form, else its short one.
fn display(at: usize) -> String {
    match (SETTINGS[at].long, SETTINGS[at].short) {
        (Some(long), _) => format!("--{long}"),
        (None, Some(short)) => format!("-{short}"),
        (None, None) => SETTINGS[at].field.to_string(),
    }
}

fn find_long(name: &str) -> Result<usize, String> {
    let longs = || {
        SETTINGS
            .iter()
            .enumerate()
            .filter_map(|(at, setting)| Some((at, setting.long?)))
    };
    if let Some((at, _)) = longs().find(|(_, long)| *long == name) {
        return Ok(at);
    }
    let candidates: Vec<(usize, &str)> = longs()
        .filter(|(_, long)| !name.is_empty() && long.starts_with(name))
        .collect();
    match candidates[..] {
        [(at, _)] => Ok(at),
        [] => Err(format!("unknown option `--{name}`")),
        _ => Err(format!(
            "ambiguous option `--{name}` could be {}",
            candidates
                .iter()
                .map(|(_, long)| format!("`--{long}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn take_value(words: &[String], index: &mut usize, at: usize) -> Result<String, String> {
    match words.get(*index) {
        Some(value) if !value.starts_with('-') || is_negative_number(value) => {
            *index += 1;
            Ok(value.clone())
        }
        _ => Err(format!("`{}` needs a value", display(at))),
    }
}

fn is_negative_number(word: &str) -> bool {
    word.strip_prefix('-').is_some_and(|rest| {
        !rest.is_empty() && rest.parse::<f64>().is_ok() && !rest.starts_with(['+', '-'])
    })
}

/// Splits like Python's `shlex.split` (POSIX mode): whitespace separates words, single quotes
/// are literal, in double quotes `\` escapes only `\` and `"`, and a backslash outside quotes
/// escapes the next character. `#` starts no comment.
pub fn shell_split(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => current.push(c),
                        None => return Err("no closing quotation (')".to_string()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('\\' | '"')) => current.push(c),
                            Some(c) => {
                                current.push('\\');
                                current.push(c);
                            }
                            None => return Err("no closing quotation (\")".to_string()),
                        },
                        Some(c) => current.push(c),
                        None => return Err("no closing quotation (\")".to_string()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => current.push(c),
                    None => return Err("no escaped character after `\\`".to_string()),
                }
            }
            c => {
                in_word = true;
                current.push(c);
            }
        }
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kwargs(args: &str) -> Vec<String> {
        HookSettings::from_args(args).unwrap().python_kwargs()
    }

    #[test]
    fn no_args_are_the_defaults() {
        assert_eq!(
            HookSettings::from_args("").unwrap(),
            HookSettings::default()
        );
        assert!(kwargs("   ").is_empty());
    }

    #[test]
    fn flags_and_values_render_in_field_order() {
        assert_eq!(
            kwargs("--color never --config x=y -F a,b --release"),
            [
                "release=True",
                "features=['a', 'b']",
                "color=False",
                "config={'x': 'y'}"
            ]
        );
        assert_eq!(
            kwargs(
                "--profile dev --target x86_64 --frozen --locked --offline \
                 --ignore-rust-version --all-features --no-default-features --strip"
            ),
            [
                "strip=True",
                "profile='dev'",
                "all_features=True",
                "no_default_features=True",
                "target='x86_64'",
                "ignore_rust_version=True",
                "frozen=True",
                "locked=True",
                "offline=True"
            ]
        );
        assert_eq!(
            kwargs("--uv --skip-install --zig --auditwheel repair -E a,b"),
            [
                "auditwheel='repair'",
                "zig=True",
                "extras=['a', 'b']",
                "uv=True",
                "skip_install=True"
            ]
        );
    }

    #[test]
    fn short_options_combine_and_take_attached_values() {
        assert_eq!(kwargs("-rq"), ["release=True", "quiet=True"]);
        assert_eq!(kwargs("-j4"), ["jobs=4"]);
        assert_eq!(kwargs("-j=3"), ["jobs=3"]);
        assert_eq!(kwargs("-j 4"), ["jobs=4"]);
        assert_eq!(kwargs("--jobs -1"), ["jobs=-1"]);
        assert_eq!(kwargs("-Fa"), ["features=['a']"]);
        assert_eq!(kwargs("-vv -v"), ["verbose=3"]);
        assert_eq!(kwargs("-Z x -Zy"), ["unstable_flags=['x', 'y']"]);
        assert_eq!(kwargs("-E a --extras b"), ["extras=['a', 'b']"]);
    }

    #[test]
    fn features_split_on_commas_and_spaces_and_accumulate() {
        assert_eq!(
            kwargs("-F a,b -F 'c d' --features=e"),
            ["features=['a', 'b', 'c', 'd', 'e']"]
        );
        assert_eq!(kwargs("-F a,,b"), ["features=['a', '', 'b']"]);
    }

    #[test]
    fn long_options_accept_unambiguous_prefixes() {
        assert_eq!(
            kwargs("--rel --no-def"),
            ["release=True", "no_default_features=True"]
        );
        let error = HookSettings::from_args("--co x").unwrap_err();
        assert!(
            error.contains("ambiguous") && error.contains("--color"),
            "{error}"
        );
    }

    #[test]
    fn color_other_than_always_or_never_is_unset() {
        assert_eq!(kwargs("--color auto"), Vec::<String>::new());
        assert_eq!(kwargs("--color=always"), ["color=True"]);
    }

    #[test]
    fn config_is_a_dict_split_at_the_first_equals_sign() {
        assert_eq!(kwargs("--config a=1 --config a=2"), ["config={'a': '2'}"]);
        // cargo's own values hold `=` (`build.rustflags=["-C", "target-cpu=native"]`)
        assert_eq!(kwargs("--config c=d=e"), ["config={'c': 'd=e'}"]);
        assert!(HookSettings::from_args("--config a").is_err());
    }

    #[test]
    fn group_and_generate_stubs_are_settings_too() {
        assert_eq!(
            kwargs("-G dev,test --generate-stubs"),
            ["group=['dev', 'test']", "generate_stubs=True"]
        );
    }

    #[test]
    fn rustc_flags_start_at_the_first_positional_or_after_double_dash() {
        assert_eq!(
            kwargs("--release -- -C opt-level=3"),
            ["release=True", "rustc_flags=['-C', 'opt-level=3']"]
        );
        assert_eq!(
            kwargs("foo --release"),
            ["rustc_flags=['foo', '--release']"]
        );
        assert_eq!(kwargs("-- --"), ["rustc_flags=['--']"]);
        assert!(kwargs("-r --").contains(&"release=True".to_string()));
        assert_eq!(kwargs("-r --").len(), 1);
    }

    #[test]
    fn bad_arguments_are_explained() {
        for (args, expected) in [
            ("--unknown", "unknown option `--unknown`"),
            ("-x", "unknown option `-x`"),
            ("--jobs=x", "whole number"),
            ("-F", "`--features` needs a value"),
            ("--auditwheel bad", "must be one of repair, check, skip"),
            ("--release=1", "does not take a value"),
            ("'unterminated", "no closing quotation"),
        ] {
            let error = HookSettings::from_args(args).unwrap_err();
            assert!(error.contains(expected), "{args}: {error}");
        }
    }

    #[test]
    fn shell_split_follows_posix_quoting() {
        assert_eq!(
            shell_split(r#"a 'b c' "d \"e\" \x" f\ g"#).unwrap(),
            ["a", "b c", "d \"e\" \\x", "f g"]
        );
        assert_eq!(shell_split("''").unwrap(), [""]);
        assert!(shell_split("  ").unwrap().is_empty());
    }

    #[test]
    fn to_args_spells_each_command_s_flags_in_field_order() {
        let settings = HookSettings::from_args(
            "-vv --color never --config a=1 -Z x -F a,b -E '' --auditwheel skip --zig \
             --generate-stubs -G dev -r -- -C opt-level=3",
        )
        .unwrap();
        let develop = settings.to_args(true).join(" ");
        assert_eq!(
            develop,
            "--release --features a,b --color never --config a=1 -Z x -vv --extras  --group dev \
             --generate-stubs -- -C opt-level=3"
        );
        let build = settings.to_args(false).join(" ");
        assert_eq!(
            build,
            "--release --features a,b --color never --config a=1 -Z x -vv --auditwheel skip \
             --zig -- -C opt-level=3"
        );
        assert!(HookSettings::default().to_args(true).is_empty());
    }
}
