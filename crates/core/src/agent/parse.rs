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
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
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

/// Remembers the progress last reported so a parser only reports changes.
#[derive(Debug, Default)]
pub struct Tracker {
    pub usage: Usage,
    pub last_action: Option<String>,
    reported: Option<Progress>,
}

impl Tracker {
    /// The current progress if it differs from what was last reported.
    pub fn changed(&mut self) -> Option<Progress> {
        let same = match &self.reported {
            Some(r) => r.usage == self.usage && r.last_action == self.last_action,
            None => self.usage == Usage::default() && self.last_action.is_none(),
        };
        if same {
            return None;
        }
        let now = Progress {
            usage: self.usage.clone(),
            last_action: self.last_action.clone(),
        };
        self.reported = Some(now.clone());
        Some(now)
    }

    /// Sets the last action when there is one.
    pub fn act(&mut self, action: Option<String>) {
        if action.is_some() {
            self.last_action = action;
        }
    }
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
