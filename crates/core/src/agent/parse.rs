//! Small pieces every parser shares: tolerant JSON reading, usage arithmetic, one-line
//! action summaries, and "did progress change" tracking.

use serde_json::Value;

use crate::agent::output::Progress;
use crate::vocab::Usage;

/// The longest last-action text shown, in characters.
pub const MAX_ACTION_CHARS: usize = 80;

/// The line as JSON when it looks like a JSON object or array; anything else (log
/// lines, progress bars, truncated output) is `None`.
pub fn json_line(line: &str) -> Option<Value> {
    let line = line.trim();
    if !(line.starts_with('{') || line.starts_with('[')) {
        return None;
    }
    serde_json::from_str(line).ok()
}

/// A non-negative integer at `path`, accepting integral floats (some CLIs print `12.0`).
pub fn u64_at(value: &Value, path: &[&str]) -> Option<u64> {
    let v = get(value, path)?;
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1e18)
            .map(|f| f as u64)
    })
}

/// A finite number at `path`.
pub fn f64_at(value: &Value, path: &[&str]) -> Option<f64> {
    get(value, path)?.as_f64().filter(|f| f.is_finite())
}

/// A string at `path`.
pub fn str_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    get(value, path)?.as_str()
}

/// The value at `path`, if every step exists.
pub fn get<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// Adds to a counter that may not have been reported yet.
pub fn add(counter: &mut Option<u64>, n: u64) {
    *counter = Some(counter.unwrap_or(0).saturating_add(n));
}

/// The first non-empty line of `text`, whitespace collapsed, cut to
/// [`MAX_ACTION_CHARS`] with an ellipsis. One pass and one allocation, and it stops at the
/// cut: a parser calls it for nearly every line of a busy agent, some of them long.
pub fn summarize(text: &str) -> Option<String> {
    let line = first_line(text)?;
    // The common case, a short ASCII line with single spaces, is already its summary.
    let bytes = line.as_bytes();
    if bytes.len() <= MAX_ACTION_CHARS
        && bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ')
        && !bytes.windows(2).any(|w| w == b"  ")
    {
        return Some(line.to_owned());
    }
    let mut out = String::with_capacity(line.len().min(4 * MAX_ACTION_CHARS));
    let mut count = 0;
    // The length in bytes of the first MAX_ACTION_CHARS - 1 characters, once known.
    let mut cut_at = 0;
    let mut gap = false;
    for c in line.chars() {
        if c.is_whitespace() {
            gap = true;
            continue;
        }
        for c in gap.then_some(' ').into_iter().chain(Some(c)) {
            if count == MAX_ACTION_CHARS - 1 {
                cut_at = out.len();
            }
            if count == MAX_ACTION_CHARS {
                out.truncate(cut_at);
                out.push('…');
                return Some(out);
            }
            out.push(c);
            count += 1;
        }
        gap = false;
    }
    Some(out)
}

/// The first line of `text` with anything but whitespace, trimmed.
fn first_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).find(|l| !l.is_empty())
}

/// `Tool: detail`, e.g. `Bash: cargo test`; the tool name alone when there is no
/// detail. The tool name gets a capital first letter so all CLIs read alike.
pub fn action(tool: &str, detail: Option<&str>) -> Option<String> {
    let mut chars = tool.trim().chars();
    let first = chars.next()?;
    let tool: String = first.to_uppercase().chain(chars).collect();
    match detail.and_then(summarize) {
        Some(detail) => summarize(&format!("{tool}: {detail}")),
        None => summarize(&tool),
    }
}

/// The most telling field of a tool's input, for the action summary. Keys are tried in
/// order; both Claude's snake_case and OpenCode's camelCase names are known.
pub fn tool_detail(input: &Value) -> Option<&str> {
    const KEYS: &[&str] = &[
        "command",
        "file_path",
        "filePath",
        "notebook_path",
        "path",
        "pattern",
        "url",
        "query",
        "description",
        "prompt",
    ];
    KEYS.iter().find_map(|k| input.get(k)?.as_str())
}

/// A parser's progress: the usage so far, and the latest action as it was printed,
/// made into its one-line summary only when the progress is asked for. A busy agent
/// prints an action on nearly every line and the progress is read once per read of its
/// logs, so summarising (and allocating) per line was most of what a parser cost.
#[derive(Debug, Default)]
pub struct Tracker {
    pub usage: Usage,
    action: LastAction,
    /// How many actions have been recorded, and the usage and count `moved` last saw.
    actions: u64,
    seen: (Usage, u64),
}

/// An action as the agent printed it, before it is summarised.
#[derive(Clone, Copy, Debug)]
pub enum Act<'a> {
    /// A message: its first non-empty line (see [`summarize`]).
    Text(&'a str),
    /// A tool call, with its most telling input (see [`action`]).
    Tool(&'a str, Option<&'a str>),
}

/// The latest action, kept as printed; its buffers are reused from one action to the next.
#[derive(Debug, Default)]
struct LastAction {
    kind: ActionKind,
    /// The tool's name, or the summary already made.
    tool: String,
    /// The first non-empty line of the text or of the tool's detail.
    text: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum ActionKind {
    #[default]
    None,
    /// `text` is a message's first line.
    Text,
    /// `tool` with `text` as its detail (or none when `text` is empty).
    Tool,
    /// `tool` is the summary itself.
    Summary,
}

/// No usage, no action.
const NO_USAGE: Usage = Usage {
    turns: None,
    input_tokens: None,
    output_tokens: None,
    cost_usd: None,
};

/// The progress of a parser that reports none while the agent runs.
pub static NO_PROGRESS: Tracker = Tracker {
    usage: NO_USAGE,
    action: LastAction {
        kind: ActionKind::None,
        tool: String::new(),
        text: String::new(),
    },
    actions: 0,
    seen: (NO_USAGE, 0),
};

impl Tracker {
    /// Whether the usage or the last action moved since the last call.
    pub fn moved(&mut self) -> bool {
        let now = (&self.usage, self.actions);
        if (&self.seen.0, self.seen.1) == now {
            return false;
        }
        self.seen = (self.usage.clone(), self.actions);
        true
    }

    /// The progress so far, with the last action summarised.
    pub fn progress(&self) -> Progress {
        Progress {
            usage: self.usage.clone(),
            last_action: self.last_action(),
        }
    }

    /// The last action's one-line summary.
    pub fn last_action(&self) -> Option<String> {
        let a = &self.action;
        match a.kind {
            ActionKind::None => None,
            ActionKind::Text => summarize(&a.text),
            ActionKind::Tool => action(&a.tool, Some(&a.text)),
            ActionKind::Summary => Some(a.tool.clone()),
        }
    }

    /// The agent did `act`; a blank text or a tool without a name changes nothing.
    pub fn act(&mut self, act: Act<'_>) {
        match act {
            Act::Text(text) => {
                if let Some(line) = first_line(text) {
                    self.record(ActionKind::Text, "", line);
                }
            }
            Act::Tool(tool, detail) => {
                let tool = tool.trim();
                if !tool.is_empty() {
                    let detail = detail.and_then(first_line).unwrap_or("");
                    self.record(ActionKind::Tool, tool, detail);
                }
            }
        }
    }

    /// A summary the parser made itself; `None` changes nothing.
    pub fn act_summary(&mut self, summary: Option<String>) {
        if let Some(summary) = summary {
            self.record(ActionKind::Summary, &summary, "");
        }
    }

    fn record(&mut self, kind: ActionKind, tool: &str, text: &str) {
        let a = &mut self.action;
        if a.kind == kind && a.tool == tool && a.text == text {
            return;
        }
        a.kind = kind;
        a.tool.clear();
        a.tool.push_str(tool);
        a.text.clear();
        a.text.push_str(text);
        self.actions += 1;
    }
}

/// The progress after each stdout line that moved it: how the parsers' tests read a
/// stream.
#[cfg(test)]
pub fn progress_per_line<'l>(
    parser: &mut dyn crate::agent::OutputParser,
    lines: impl IntoIterator<Item = &'l str>,
) -> Vec<Progress> {
    let mut moves = Vec::new();
    for line in lines {
        if parser.line(crate::agent::OutputStream::Stdout, line) {
            moves.push(parser.progress());
        }
    }
    moves
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        let long = "x".repeat(200);
        let cases: Vec<(&str, Option<&str>, Option<String>)> = vec![
            ("Bash", Some("cargo test"), Some("Bash: cargo test".into())),
            (
                "bash",
                Some("\n\n  cargo   build\n--release"),
                Some("Bash: cargo build".into()),
            ),
            ("edit", None, Some("Edit".into())),
            ("todowrite", Some("   "), Some("Todowrite".into())),
            ("", Some("x"), None),
            (
                "Bash",
                Some(&long),
                Some(format!("Bash: {}…", "x".repeat(MAX_ACTION_CHARS - 7))),
            ),
        ];
        for (tool, detail, want) in cases {
            let got = action(tool, detail);
            assert_eq!(got, want, "{tool} {detail:?}");
            if let Some(got) = got {
                assert!(got.chars().count() <= MAX_ACTION_CHARS);
            }
        }
        assert_eq!(summarize("ééé"), Some("ééé".into()));
        assert_eq!(summarize("  \n \t\n  a \t b\u{a0}c  \nd"), Some("a b c".into()));
        assert_eq!(summarize(" \n "), None);
        let exact = "y".repeat(MAX_ACTION_CHARS);
        assert_eq!(summarize(&exact), Some(exact.clone()));
        let over = format!("{exact} z");
        assert_eq!(
            summarize(&over),
            Some(format!("{}…", "y".repeat(MAX_ACTION_CHARS - 1)))
        );
        assert_eq!(
            summarize(&"é".repeat(100)).unwrap().chars().count(),
            MAX_ACTION_CHARS
        );
    }

    #[test]
    fn tracked_actions_read_as_their_summaries_and_move_only_on_change() {
        let mut t = Tracker::default();
        assert!(!t.moved());
        assert_eq!(t.progress(), Progress::default());
        let tool_detail = "\n  cargo   test\n--release";
        t.act(Act::Tool(" bash ", Some(tool_detail)));
        assert_eq!(t.last_action(), action("bash", Some(tool_detail)));
        assert!(t.moved());
        assert!(!t.moved());
        // The same action again, a blank message, a nameless tool: nothing moves.
        t.act(Act::Tool("bash", Some("cargo   test\nother")));
        t.act(Act::Text(" \n\t "));
        t.act(Act::Tool("  ", Some("x")));
        t.act_summary(None);
        assert!(!t.moved());
        assert_eq!(t.last_action().as_deref(), Some("Bash: cargo test"));
        let long = format!("\n\n{}  tail\nsecond line", "word ".repeat(40));
        t.act(Act::Text(&long));
        assert_eq!(t.last_action(), summarize(&long));
        t.act(Act::Tool("edit", None));
        assert_eq!(t.last_action().as_deref(), Some("Edit"));
        t.act_summary(Some("Add: a.rs".into()));
        assert_eq!(t.last_action().as_deref(), Some("Add: a.rs"));
        assert!(t.moved());
        t.usage.turns = Some(1);
        assert!(t.moved());
        assert_eq!(t.progress().usage.turns, Some(1));
    }

    #[test]
    fn numbers() {
        let v: Value = serde_json::json!({"a": {"b": 3, "c": 2.0, "d": -1, "e": 1.5, "f": "x"}});
        assert_eq!(u64_at(&v, &["a", "b"]), Some(3));
        assert_eq!(u64_at(&v, &["a", "c"]), Some(2));
        assert_eq!(u64_at(&v, &["a", "d"]), None);
        assert_eq!(u64_at(&v, &["a", "e"]), None);
        assert_eq!(u64_at(&v, &["a", "f"]), None);
        assert_eq!(u64_at(&v, &["a", "zz"]), None);
        let mut c = None;
        add(&mut c, 2);
        add(&mut c, u64::MAX);
        assert_eq!(c, Some(u64::MAX));
    }

    #[test]
    fn json_lines() {
        assert!(json_line("  {\"a\":1}  ").is_some());
        assert!(json_line("[1,2]").is_some());
        assert!(json_line("{\"a\":").is_none());
        assert!(json_line("Loaded cached credentials.").is_none());
        assert!(json_line("").is_none());
    }
}
