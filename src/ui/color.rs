//! Whether to color output, and the few ANSI styles bakeoff uses. Kept to raw SGR codes
//! so that turning color off is one boolean and tests can compare exact strings.

/// True when output to a stream should be colored: `NO_COLOR` (set and non-empty) turns
/// color off, `CLICOLOR_FORCE` (set, non-empty, not `0`) turns it on for a non-terminal,
/// otherwise color follows whether the stream is a terminal.
pub fn color_enabled(is_tty: bool) -> bool {
    match COLOR.get() {
        Some(ColorWhen::Always) => return true,
        Some(ColorWhen::Never) => return false,
        Some(ColorWhen::Auto) | None => {}
    }
    let var = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    color_choice(
        is_tty,
        var("NO_COLOR").as_deref(),
        var("CLICOLOR_FORCE").as_deref(),
    )
}

/// `--color`: `auto` follows the terminal and `NO_COLOR`/`CLICOLOR_FORCE`; `always` and
/// `never` override them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    #[default]
    Auto,
    Always,
    Never,
}

/// Set once from the command line, before anything is printed.
static COLOR: std::sync::OnceLock<ColorWhen> = std::sync::OnceLock::new();

/// Records `--color` for every later [`color_enabled`].
pub fn set_color(when: ColorWhen) {
    let _ = COLOR.set(when);
}

/// [`color_enabled`] with the environment passed in, so the rules can be tested.
/// `NO_COLOR` wins over `CLICOLOR_FORCE`: it is the user's standing request.
pub fn color_choice(is_tty: bool, no_color: Option<&str>, clicolor_force: Option<&str>) -> bool {
    if no_color.is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if clicolor_force.is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    is_tty
}

/// A text style; each maps to one SGR code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Bold,
    Dim,
    Red,
    Green,
    Yellow,
    Cyan,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Bold => "1",
            Style::Dim => "2",
            Style::Red => "31",
            Style::Green => "32",
            Style::Yellow => "33",
            Style::Cyan => "36",
        }
    }
}

/// Applies styles when color is on and passes text through untouched when it is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Paint {
    pub on: bool,
}

impl Paint {
    pub fn new(on: bool) -> Self {
        Paint { on }
    }

    pub fn style(self, style: Style, text: &str) -> String {
        if self.on && !text.is_empty() {
            format!("\x1b[{}m{text}\x1b[0m", style.code())
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_choice_table() {
        let cases: &[(bool, Option<&str>, Option<&str>, bool)] = &[
            (true, None, None, true),
            (false, None, None, false),
            (true, Some("1"), None, false),
            (true, Some(""), None, true),
            (false, None, Some("1"), true),
            (false, None, Some("0"), false),
            (false, None, Some(""), false),
            (false, Some("1"), Some("1"), false),
            (true, Some("yes"), Some("1"), false),
        ];
        for (tty, no_color, force, want) in cases {
            assert_eq!(
                color_choice(*tty, *no_color, *force),
                *want,
                "tty={tty} NO_COLOR={no_color:?} CLICOLOR_FORCE={force:?}"
            );
        }
    }

    #[test]
    fn paint() {
        assert_eq!(Paint::new(true).style(Style::Green, "ok"), "\x1b[32mok\x1b[0m");
        assert_eq!(Paint::new(false).style(Style::Green, "ok"), "ok");
        assert_eq!(Paint::new(true).style(Style::Red, ""), "");
    }
}
