//! The one grammar of the import hook's maturin settings: what `site install --args "…"`
//! accepts and writes into the managed block, and what `MaturinSettings.from_args()` (and its
//! `parser()`) of the Python package accepts, through `_native.parse_maturin_settings`. It is
//! the grammar of maturin_import_hook 0.3.0's argparse parser, with the fields this fork adds
//! (`--group`, `--generate-stubs`).

use std::fmt::Write;

/// The fields of `maturin_import_hook.settings.MaturinSettings`, in its field order. A field
/// left at its default is not written into the block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookSettings {
    pub release: bool,
    pub strip: bool,
    pub quiet: bool,
    pub jobs: Option<i64>,
    pub profile: Option<String>,
    pub features: Option<Vec<String>>,
    pub all_features: bool,
    pub no_default_features: bool,
    pub target: Option<String>,
    pub ignore_rust_version: bool,
    pub color: Option<bool>,
    pub frozen: bool,
    pub locked: bool,
    pub offline: bool,
    /// A Python dict: insertion order, a repeated key keeps its first position.
    pub config: Option<Vec<(String, String)>>,
    pub unstable_flags: Option<Vec<String>>,
    pub verbose: u32,
    pub rustc_flags: Option<Vec<String>>,
    pub auditwheel: Option<String>,
    pub zig: bool,
    pub extras: Option<Vec<String>>,
    pub uv: bool,
    pub skip_install: bool,
    pub group: Option<Vec<String>>,
    pub generate_stubs: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Release,
    Strip,
    Quiet,
    Jobs,
    Profile,
    Features,
    AllFeatures,
    NoDefaultFeatures,
    Target,
    IgnoreRustVersion,
    Color,
    Frozen,
    Locked,
    Offline,
    Config,
    Unstable,
    Verbose,
    Auditwheel,
    Zig,
    Extras,
    Uv,
    SkipInstall,
    Group,
    GenerateStubs,
}

const LONG_OPTIONS: &[(&str, Opt)] = &[
    ("release", Opt::Release),
    ("strip", Opt::Strip),
    ("quiet", Opt::Quiet),
    ("jobs", Opt::Jobs),
    ("profile", Opt::Profile),
    ("features", Opt::Features),
    ("all-features", Opt::AllFeatures),
    ("no-default-features", Opt::NoDefaultFeatures),
    ("target", Opt::Target),
    ("ignore-rust-version", Opt::IgnoreRustVersion),
    ("color", Opt::Color),
    ("frozen", Opt::Frozen),
    ("locked", Opt::Locked),
    ("offline", Opt::Offline),
    ("config", Opt::Config),
    ("verbose", Opt::Verbose),
    ("auditwheel", Opt::Auditwheel),
    ("zig", Opt::Zig),
    ("extras", Opt::Extras),
    ("uv", Opt::Uv),
    ("skip-install", Opt::SkipInstall),
    ("group", Opt::Group),
    ("generate-stubs", Opt::GenerateStubs),
];

const SHORT_OPTIONS: &[(char, Opt)] = &[
    ('r', Opt::Release),
    ('q', Opt::Quiet),
    ('j', Opt::Jobs),
    ('F', Opt::Features),
    ('Z', Opt::Unstable),
    ('v', Opt::Verbose),
    ('E', Opt::Extras),
    ('G', Opt::Group),
];

const AUDITWHEEL_CHOICES: &[&str] = &["repair", "check", "skip"];

impl Opt {
    fn takes_value(self) -> bool {
        matches!(
            self,
            Opt::Jobs
                | Opt::Profile
                | Opt::Features
                | Opt::Target
                | Opt::Color
                | Opt::Config
                | Opt::Unstable
                | Opt::Auditwheel
                | Opt::Extras
                | Opt::Group
        )
    }

    fn display(self) -> String {
        LONG_OPTIONS
            .iter()
            .find(|(_, opt)| *opt == self)
            .map(|(name, _)| format!("--{name}"))
            .unwrap_or_else(|| "-Z".to_string())
    }
}

impl HookSettings {
    /// Parses maturin arguments (`--args "…"` of `site install`), split like a POSIX shell.
    /// Accepts what upstream's parser accepts: long options and their unambiguous prefixes,
    /// `--opt=value`, short options (`-rq`, `-j4`, `-Fa,b`), and everything from the first
    /// positional argument or after `--` as rustc flags.
    pub fn from_args(args: &str) -> Result<HookSettings, String> {
        HookSettings::from_words(&shell_split(args)?)
    }

    /// Parses maturin arguments given as separate words (`MaturinSettings.from_args`).
    pub fn from_words(words: &[String]) -> Result<HookSettings, String> {
        // what follows the first `--` are rustc flags, after those of a first positional
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
                let opt = find_long(name)?;
                let value = if opt.takes_value() {
                    Some(match inline_value {
                        Some(value) => value,
                        None => take_value(words, &mut index, opt)?,
                    })
                } else if inline_value.is_some() {
                    return Err(format!("`--{name}` does not take a value (in `{word}`)"));
                } else {
                    None
                };
                settings.apply(opt, value)?;
            } else if word.len() > 1 && word.starts_with('-') && !is_negative_number(word) {
                for (offset, letter) in word[1..].char_indices() {
                    let opt = SHORT_OPTIONS
                        .iter()
                        .find(|(short, _)| *short == letter)
                        .map(|(_, opt)| *opt)
                        .ok_or_else(|| format!("unknown option `-{letter}` (in `{word}`)"))?;
                    if opt.takes_value() {
                        let rest = &word[1 + offset + letter.len_utf8()..];
                        let value = if rest.is_empty() {
                            take_value(words, &mut index, opt)?
                        } else {
                            rest.strip_prefix('=').unwrap_or(rest).to_string()
                        };
                        settings.apply(opt, Some(value))?;
                        break;
                    }
                    settings.apply(opt, None)?;
                }
            } else {
                // the first positional argument starts the rustc flags, options included
                positional = &words[index - 1..];
                break;
            }
        }
        let rustc_flags: Vec<String> = positional.iter().chain(after_separator).cloned().collect();
        if !rustc_flags.is_empty() {
            settings.rustc_flags = Some(rustc_flags);
        }
        Ok(settings)
    }

    fn apply(&mut self, opt: Opt, value: Option<String>) -> Result<(), String> {
        let value = value.unwrap_or_default();
        match opt {
            Opt::Release => self.release = true,
            Opt::Strip => self.strip = true,
            Opt::Quiet => self.quiet = true,
            Opt::Jobs => {
                self.jobs = Some(
                    value
                        .trim()
                        .parse()
                        .map_err(|_| format!("`--jobs` needs a whole number, not `{value}`"))?,
                )
            }
            Opt::Profile => self.profile = Some(value),
            Opt::Features => self
                .features
                .get_or_insert_with(Vec::new)
                .extend(value.split([',', ' ']).map(String::from)),
            Opt::AllFeatures => self.all_features = true,
            Opt::NoDefaultFeatures => self.no_default_features = true,
            Opt::Target => self.target = Some(value),
            Opt::IgnoreRustVersion => self.ignore_rust_version = true,
            Opt::Color => {
                self.color = match value.as_str() {
                    "always" => Some(true),
                    "never" => Some(false),
                    _ => None,
                }
            }
            Opt::Frozen => self.frozen = true,
            Opt::Locked => self.locked = true,
            Opt::Offline => self.offline = true,
            Opt::Config => {
                // the value may hold `=` itself (`--config env.X=a=b`): split at the first
                let Some((key, item)) = value.split_once('=') else {
                    return Err(format!("`--config` needs KEY=VALUE, not `{value}`"));
                };
                let config = self.config.get_or_insert_with(Vec::new);
                match config.iter_mut().find(|(existing, _)| existing == key) {
                    Some(entry) => entry.1 = item.to_string(),
                    None => config.push((key.to_string(), item.to_string())),
                }
            }
            Opt::Unstable => self.unstable_flags.get_or_insert_with(Vec::new).push(value),
            Opt::Verbose => self.verbose += 1,
            Opt::Auditwheel => {
                if !AUDITWHEEL_CHOICES.contains(&value.as_str()) {
                    return Err(format!(
                        "`--auditwheel` must be one of {}, not `{value}`",
                        AUDITWHEEL_CHOICES.join(", ")
                    ));
                }
                self.auditwheel = Some(value)
            }
            Opt::Zig => self.zig = true,
            Opt::Extras => self
                .extras
                .get_or_insert_with(Vec::new)
                .extend(value.split(',').map(String::from)),
            Opt::Uv => self.uv = true,
            Opt::SkipInstall => self.skip_install = true,
            Opt::Group => self
                .group
                .get_or_insert_with(Vec::new)
                .extend(value.split(',').map(String::from)),
            Opt::GenerateStubs => self.generate_stubs = true,
        }
        Ok(())
    }

    /// The keyword arguments of `MaturinSettings(...)` that differ from the defaults, as
    /// `name=<python literal>`, in field order.
    pub fn python_kwargs(&self) -> Vec<String> {
        let mut kwargs = Vec::new();
        let mut push = |name: &str, literal: Option<String>| {
            if let Some(literal) = literal {
                kwargs.push(format!("{name}={literal}"));
            }
        };
        push("release", self.release.then(py_true));
        push("strip", self.strip.then(py_true));
        push("quiet", self.quiet.then(py_true));
        push("jobs", self.jobs.map(|jobs| jobs.to_string()));
        push("profile", self.profile.as_deref().map(py_str));
        push("features", self.features.as_deref().map(py_list));
        push("all_features", self.all_features.then(py_true));
        push(
            "no_default_features",
            self.no_default_features.then(py_true),
        );
        push("target", self.target.as_deref().map(py_str));
        push(
            "ignore_rust_version",
            self.ignore_rust_version.then(py_true),
        );
        push("color", self.color.map(py_bool));
        push("frozen", self.frozen.then(py_true));
        push("locked", self.locked.then(py_true));
        push("offline", self.offline.then(py_true));
        push("config", self.config.as_deref().map(py_dict));
        push(
            "unstable_flags",
            self.unstable_flags.as_deref().map(py_list),
        );
        push(
            "verbose",
            (self.verbose != 0).then(|| self.verbose.to_string()),
        );
        push("rustc_flags", self.rustc_flags.as_deref().map(py_list));
        push("auditwheel", self.auditwheel.as_deref().map(py_str));
        push("zig", self.zig.then(py_true));
        push("extras", self.extras.as_deref().map(py_list));
        push("uv", self.uv.then(py_true));
        push("skip_install", self.skip_install.then(py_true));
        push("group", self.group.as_deref().map(py_list));
        push("generate_stubs", self.generate_stubs.then(py_true));
        kwargs
    }
}

fn find_long(name: &str) -> Result<Opt, String> {
    if let Some((_, opt)) = LONG_OPTIONS.iter().find(|(long, _)| *long == name) {
        return Ok(*opt);
    }
    let candidates: Vec<&(&str, Opt)> = LONG_OPTIONS
        .iter()
        .filter(|(long, _)| !name.is_empty() && long.starts_with(name))
        .collect();
    match candidates[..] {
        [(_, opt)] => Ok(*opt),
        [] => Err(format!("unknown option `--{name}`")),
        _ => Err(format!(
            "ambiguous option `--{name}` could be {}",
            candidates
                .iter()
                .map(|(long, _)| format!("`--{long}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn take_value(words: &[String], index: &mut usize, opt: Opt) -> Result<String, String> {
    match words.get(*index) {
        Some(value) if !value.starts_with('-') || is_negative_number(value) => {
            *index += 1;
            Ok(value.clone())
        }
        _ => Err(format!("`{}` needs a value", opt.display())),
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

fn py_true() -> String {
    "True".to_string()
}

fn py_bool(value: bool) -> String {
    if value { "True" } else { "False" }.to_string()
}

fn py_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| py_str(item)).collect();
    format!("[{}]", items.join(", "))
}

fn py_dict(items: &[(String, String)]) -> String {
    let items: Vec<String> = items
        .iter()
        .map(|(key, value)| format!("{}: {}", py_str(key), py_str(value)))
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// A Python string literal of `value`, as `repr()` writes it for the common cases; always a
/// valid literal of the same string.
pub fn py_str(value: &str) -> String {
    let quote = if value.contains('\'') && !value.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(value.len() + 2);
    out.push(quote);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || (c.is_whitespace() && c != ' ') => {
                let code = c as u32;
                if code < 0x100 {
                    let _ = write!(out, "\\x{code:02x}");
                } else if code < 0x10000 {
                    let _ = write!(out, "\\u{code:04x}");
                } else {
                    let _ = write!(out, "\\U{code:08x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
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
    fn strings_are_valid_python_literals() {
        assert_eq!(py_str("plain"), "'plain'");
        assert_eq!(py_str("it's"), "\"it's\"");
        assert_eq!(py_str("both ' and \""), "'both \\' and \"'");
        assert_eq!(py_str("a\\b\nc\td\u{7}"), "'a\\\\b\\nc\\td\\x07'");
        assert_eq!(py_str("é\u{2028}"), "'é\\u2028'");
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
}
