//! Codex CLI's `exec --json` JSON lines: `thread.started`, `item.*` with typed items,
//! `turn.completed{usage}`, `turn.failed` and `error`. Codex reports no cost.
//!
//! Most of a busy run's lines are `item.*` events of commands, messages and reasoning;
//! those are read into borrowed typed structs (a command's `aggregated_output`, the bulk
//! of the bytes, is skipped without being copied). Any other line gets a `Value`.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use crate::agent::output::{OutputParser, OutputStream, ParsedOutcome};
use crate::agent::parse::{action, add, json_line, str_at, u64_at, Act, Tracker};

/// Parses `codex exec --json` output.
#[derive(Debug, Default)]
pub struct CodexParser {
    tracker: Tracker,
    session_id: Option<String>,
    final_message: Option<String>,
    /// A `turn.failed`: final.
    failed: Option<String>,
    /// A top-level `error`: Codex also prints these for retried stream hiccups, so a
    /// later completed turn clears it.
    transient: Option<String>,
}

impl CodexParser {
    /// A parser that has seen no output yet.
    pub fn new() -> CodexParser {
        CodexParser::default()
    }

    fn event(&mut self, ev: &Value) {
        match str_at(ev, &["type"]) {
            Some("thread.started") => {
                self.session_id = str_at(ev, &["thread_id"]).map(str::to_string);
            }
            Some("item.started" | "item.updated" | "item.completed") => {
                if let Some(item) = ev.get("item") {
                    let completed = str_at(ev, &["type"]) == Some("item.completed");
                    self.item(item, completed);
                }
            }
            Some("turn.completed") => {
                let usage = &mut self.tracker.usage;
                add(&mut usage.turns, 1);
                // `input_tokens` already includes `cached_input_tokens`.
                if let Some(n) = u64_at(ev, &["usage", "input_tokens"]) {
                    add(&mut usage.input_tokens, n);
                }
                if let Some(n) = u64_at(ev, &["usage", "output_tokens"]) {
                    add(&mut usage.output_tokens, n);
                }
                self.transient = None;
            }
            Some("turn.failed") => {
                let msg = str_at(ev, &["error", "message"]).unwrap_or("the turn failed");
                self.failed = Some(msg.to_string());
            }
            Some("error") => {
                let msg = str_at(ev, &["message"]).unwrap_or("codex reported an error");
                self.transient = Some(msg.to_string());
            }
            _ => {}
        }
    }

    /// An `item.*` line of a common kind read without a `Value`; `false` when the line
    /// has another shape or kind, and is read the tolerant way.
    fn item_typed(&mut self, line: &str) -> bool {
        let Ok(event) = serde_json::from_str::<ItemEvent<'_>>(line) else {
            return false;
        };
        let known = matches!(
            event.kind.as_ref(),
            "item.started" | "item.updated" | "item.completed"
        );
        let Some(item) = event.item.filter(|_| known) else {
            return false;
        };
        let completed = event.kind == "item.completed";
        let act = match item.kind.as_deref() {
            Some("command_execution") => Act::Tool("Shell", item.command.as_deref().map(strip_shell_wrapper)),
            Some("agent_message") => self.agent_message(item.text.as_deref().unwrap_or(""), completed),
            Some("reasoning") => Act::Tool(
                "Thinking",
                item.text.as_deref().map(|t| t.trim_matches(['*', ' '])),
            ),
            _ => return false,
        };
        self.tracker.act(act);
        true
    }

    fn agent_message<'t>(&mut self, text: &'t str, completed: bool) -> Act<'t> {
        if completed && !text.trim().is_empty() {
            self.final_message = Some(text.to_string());
        }
        Act::Text(text)
    }

    fn item(&mut self, item: &Value, completed: bool) {
        let act = match str_at(item, &["type"]) {
            Some("command_execution") => {
                Act::Tool("Shell", str_at(item, &["command"]).map(strip_shell_wrapper))
            }
            Some("file_change") => return self.tracker.act_summary(file_change(item)),
            Some("agent_message") => self.agent_message(str_at(item, &["text"]).unwrap_or(""), completed),
            Some("reasoning") => Act::Tool(
                "Thinking",
                str_at(item, &["text"]).map(|t| t.trim_matches(['*', ' '])),
            ),
            Some("mcp_tool_call") => {
                let tool = [str_at(item, &["server"]), str_at(item, &["tool"])]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(".");
                return self.tracker.act(Act::Tool("Tool", Some(&tool)));
            }
            Some("web_search") => Act::Tool("Search", str_at(item, &["query"])),
            Some("todo_list") => Act::Tool("Plan", None),
            _ => return,
        };
        self.tracker.act(act);
    }
}

/// Codex runs commands as `bash -lc '<script>'`; the script is what the user wants to
/// see.
fn strip_shell_wrapper(command: &str) -> &str {
    for prefix in [
        "/bin/bash -lc ",
        "bash -lc ",
        "/bin/sh -c ",
        "sh -c ",
        "/bin/zsh -lc ",
        "zsh -lc ",
    ] {
        if let Some(script) = command.strip_prefix(prefix) {
            let script = script.trim();
            for quote in ['\'', '"'] {
                if let Some(inner) = script.strip_prefix(quote).and_then(|s| s.strip_suffix(quote)) {
                    return inner;
                }
            }
            return script;
        }
    }
    command
}

fn file_change(item: &Value) -> Option<String> {
    let changes = item.get("changes")?.as_array()?;
    let first = changes.first()?;
    let verb = match str_at(first, &["kind"]) {
        Some("add") => "Add",
        Some("delete") => "Delete",
        _ => "Edit",
    };
    let path = str_at(first, &["path"])?;
    let detail = match changes.len() {
        1 => path.to_string(),
        n => format!("{path} (+{} more)", n - 1),
    };
    action(verb, Some(&detail))
}

/// `{"type":"item.…","item":{…}}`, the fields read of it.
#[derive(Deserialize)]
struct ItemEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    item: Option<Item<'a>>,
}

#[derive(Deserialize)]
struct Item<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    command: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
}

impl OutputParser for CodexParser {
    fn line(&mut self, stream: OutputStream, line: &str) -> bool {
        let trimmed = line.trim();
        if stream == OutputStream::Stderr
            || trimmed.starts_with("{\"type\":\"item.") && self.item_typed(trimmed)
        {
            return self.tracker.moved();
        }
        if let Some(event) = json_line(line) {
            self.event(&event);
        }
        self.tracker.moved()
    }

    fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    fn finish(&mut self) -> ParsedOutcome {
        ParsedOutcome {
            usage: self.tracker.usage.clone(),
            session_id: self.session_id.clone(),
            final_message: self.final_message.clone(),
            error: self.failed.clone().or_else(|| self.transient.clone()),
        }
    }

    fn last_error(&self) -> Option<String> {
        self.failed.clone().or_else(|| self.transient.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::Progress;
    use crate::vocab::Usage;

    fn feed(lines: &str) -> (Vec<Progress>, ParsedOutcome) {
        let mut p = CodexParser::new();
        let progress = crate::agent::parse::progress_per_line(&mut p, lines.lines());
        (progress, p.finish())
    }

    #[test]
    fn success_stream() {
        let lines = r#"Reading prompt from stdin...
{"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"}
{"type":"turn.started"}
{"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"**Inspecting the retry module**"}}
{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"bash -lc 'cargo test retry'","aggregated_output":"","exit_code":null,"status":"in_progress"}}
{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc 'cargo test retry'","aggregated_output":"ok","exit_code":0,"status":"completed"}}
{"type":"item.completed","item":{"id":"item_2","type":"file_change","changes":[{"path":"/wt/src/retry.rs","kind":"update"},{"path":"/wt/tests/retry.rs","kind":"add"}],"status":"completed"}}
{"type":"item.completed","item":{"id":"item_3","type":"agent_message","text":"Retries now back off exponentially."}}
{"type":"turn.completed","usage":{"input_tokens":24763,"cached_input_tokens":24448,"output_tokens":122}}
"#;
        let (progress, outcome) = feed(lines);
        let actions: Vec<&str> = progress.iter().filter_map(|p| p.last_action.as_deref()).collect();
        assert_eq!(
            actions,
            vec![
                "Thinking: Inspecting the retry module",
                "Shell: cargo test retry",
                "Edit: /wt/src/retry.rs (+1 more)",
                "Retries now back off exponentially.",
                "Retries now back off exponentially.",
            ]
        );
        assert_eq!(
            outcome,
            ParsedOutcome {
                usage: Usage {
                    turns: Some(1),
                    input_tokens: Some(24763),
                    output_tokens: Some(122),
                    cost_usd: None
                },
                session_id: Some("0199a213-81c0-7800-8aa1-bbab2a035a53".into()),
                final_message: Some("Retries now back off exponentially.".into()),
                error: None,
            }
        );
    }

    #[test]
    fn failures() {
        let lines = r#"{"type":"thread.started","thread_id":"t1"}
{"type":"turn.started"}
{"type":"error","message":"Reconnecting... 1/5"}
{"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":0,"output_tokens":5}}
{"type":"turn.started"}
{"type":"turn.completed","usage":{"input_tokens":20,"output_tokens":7}}
"#;
        let (_, outcome) = feed(lines);
        assert_eq!(outcome.error, None);
        assert_eq!(outcome.usage.turns, Some(2));
        assert_eq!(outcome.usage.input_tokens, Some(30));

        let (_, outcome) =
            feed(r#"{"type":"turn.failed","error":{"message":"unexpected status 401 Unauthorized"}}"#);
        assert_eq!(
            outcome.error.as_deref(),
            Some("unexpected status 401 Unauthorized")
        );

        let (_, outcome) = feed(r#"{"type":"error","message":"stream disconnected before completion"}"#);
        assert_eq!(
            outcome.error.as_deref(),
            Some("stream disconnected before completion")
        );
    }

    #[test]
    fn garbage_never_panics() {
        let lines = "{\"type\":\"item.completed\"}\n{\"type\":\"item.completed\",\"item\":{\"type\":\"file_change\",\"changes\":[]}}\n{\"type\":\"item.completed\",\"item\":{\"type\":\"file_change\",\"changes\":\"x\"}}\n{\"type\":\"turn.completed\",\"usage\":null}\n{\"type\":\"turn.failed\"}\n[{\"type\":\"x\"}]\n{\"type\":\"item.completed\",\"item\":{\"type\":\"mcp_tool_call\",\"server\":\"gh\",\"tool\":\"search\"}}\n\u{7f}garbage";
        let (progress, outcome) = feed(lines);
        assert_eq!(outcome.error.as_deref(), Some("the turn failed"));
        assert_eq!(outcome.usage.turns, Some(1));
        assert_eq!(outcome.usage.input_tokens, None);
        assert_eq!(
            progress.last().unwrap().last_action.as_deref(),
            Some("Tool: gh.search")
        );
    }

    #[test]
    fn shell_wrapper() {
        let cases = [
            ("bash -lc 'cargo test'", "cargo test"),
            ("/bin/bash -lc \"ls -la\"", "ls -la"),
            ("bash -lc ls", "ls"),
            ("cargo build", "cargo build"),
            ("bash -lc '", "'"),
        ];
        for (input, want) in cases {
            assert_eq!(strip_shell_wrapper(input), want, "{input}");
        }
    }
}
