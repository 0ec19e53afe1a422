//! Claude Code's `--output-format stream-json --verbose` (and Qwen Code's Claude-like
//! JSON, a single array of the same messages): assistant messages live, then one
//! `result` with the authoritative totals.
//!
//! Most of a busy run's output is lines the parser has nothing to learn from (the `user`
//! lines quoting each tool's result, partial `stream_event`s): their `"type"`, which
//! Claude Code prints first, is read from the line's start and they are skipped without
//! being parsed. `assistant` lines are read into borrowed typed structs (`wire`); only
//! lines of another shape get a `serde_json::Value`.

use std::collections::VecDeque;

use serde_json::Value;

use super::wire;
use crate::agent::output::{OutputParser, OutputStream, ParsedOutcome};
use crate::agent::parse::{f64_at, json_line, str_at, tool_detail, u64_at, Act, Tracker};

/// How many recent API messages' tokens are remembered. Claude Code prints the content
/// blocks of one message on consecutive lines (a subagent's may interleave), so a few
/// are enough, and memory stays flat however many messages a long run has: a message id
/// seen again after this many others counts as a new turn.
const RECENT_MESSAGES: usize = 16;

/// Parses Claude Code stream-json and Qwen Code JSON output.
#[derive(Debug, Default)]
pub struct ClaudeParser {
    tracker: Tracker,
    /// Tokens of the most recent API message ids, newest last. Claude Code prints one
    /// `assistant` line per content block, each repeating its message's usage; the last
    /// copy is the complete one.
    recent: VecDeque<(String, (u64, u64))>,
    turns: u64,
    session_id: Option<String>,
    final_message: Option<String>,
    error: Option<String>,
}

/// One assistant line, whichever way it was read.
struct AssistantLine<'a, A> {
    session_id: Option<&'a str>,
    id: Option<&'a str>,
    tokens: Option<(u64, u64)>,
    actions: A,
}

impl ClaudeParser {
    /// A parser that has seen no output yet.
    pub fn new() -> ClaudeParser {
        ClaudeParser::default()
    }

    fn message(&mut self, msg: &Value) {
        match str_at(msg, &["type"]) {
            Some("system") => {
                if let Some(id) = str_at(msg, &["session_id"]) {
                    self.session_id = Some(id.to_string());
                }
            }
            Some("assistant") => self.assistant(msg),
            Some("result") => self.result(msg),
            _ => {}
        }
    }

    /// An assistant line read as a `Value`: the tolerant reading, for lines the typed
    /// one refused.
    fn assistant(&mut self, msg: &Value) {
        let Some(message) = msg.get("message") else {
            return;
        };
        let blocks = message.get("content").and_then(Value::as_array);
        let actions = blocks
            .into_iter()
            .flatten()
            .map(|block| match str_at(block, &["type"]) {
                Some("tool_use") => str_at(block, &["name"])
                    .map(|name| Act::Tool(name, block.get("input").and_then(tool_detail))),
                Some("text") => str_at(block, &["text"]).map(Act::Text),
                _ => None,
            });
        let line = AssistantLine {
            session_id: str_at(msg, &["session_id"]),
            id: str_at(message, &["id"]),
            tokens: message
                .get("usage")
                .map(|u| (input_tokens(u), u64_at(u, &["output_tokens"]).unwrap_or(0))),
            actions,
        };
        self.apply_assistant(line);
    }

    /// An assistant line read into typed structs; `false` when it has another shape.
    fn assistant_typed(&mut self, line: &str) -> bool {
        let Ok(parsed) = serde_json::from_str::<wire::Assistant<'_>>(line) else {
            return false;
        };
        // No `message` (or `null`): rare, and the tolerant reading tells them apart.
        let Some(message) = &parsed.message else {
            return false;
        };
        let actions = message
            .content
            .iter()
            .flatten()
            .map(|block| match block.kind.as_deref() {
                Some("tool_use") => block
                    .name
                    .as_deref()
                    .map(|name| Act::Tool(name, block.input.as_ref().and_then(wire::Input::detail))),
                Some("text") => block.text.as_deref().map(Act::Text),
                _ => None,
            });
        let line = AssistantLine {
            session_id: parsed.session_id.as_deref(),
            id: message.id.as_deref(),
            tokens: message.usage.as_ref().map(wire::Tokens::counts),
            actions,
        };
        self.apply_assistant(line);
        true
    }

    fn apply_assistant<'a, A: Iterator<Item = Option<Act<'a>>>>(&mut self, line: AssistantLine<'a, A>) {
        if self.session_id.is_none() {
            self.session_id = line.session_id.map(str::to_string);
        }
        let id = line.id;
        let known = id.and_then(|id| self.recent.iter().position(|(seen, _)| seen == id));
        let old = match known {
            // Moved to the newest end, so a message still being printed is never forgotten.
            Some(at) => self.recent.remove(at),
            None => {
                self.turns += 1;
                self.tracker.usage.turns = Some(self.turns);
                None
            }
        };
        let (old_in, old_out) = old.as_ref().map_or((0, 0), |(_, tokens)| *tokens);
        let now = match line.tokens {
            Some((input, output)) => {
                let usage = &mut self.tracker.usage;
                usage.input_tokens = Some(
                    usage
                        .input_tokens
                        .unwrap_or(0)
                        .saturating_sub(old_in)
                        .saturating_add(input),
                );
                usage.output_tokens = Some(
                    usage
                        .output_tokens
                        .unwrap_or(0)
                        .saturating_sub(old_out)
                        .saturating_add(output),
                );
                (input, output)
            }
            None => (old_in, old_out),
        };
        if let Some(id) = id {
            let key = old.map_or_else(|| id.to_string(), |(key, _)| key);
            if self.recent.len() == RECENT_MESSAGES {
                self.recent.pop_front();
            }
            self.recent.push_back((key, now));
        }
        for act in line.actions.flatten() {
            self.tracker.act(act);
        }
    }

    fn result(&mut self, msg: &Value) {
        let usage = &mut self.tracker.usage;
        if let Some(turns) = u64_at(msg, &["num_turns"]) {
            usage.turns = Some(turns);
        }
        if let Some(cost) = f64_at(msg, &["total_cost_usd"]).or_else(|| f64_at(msg, &["cost_usd"])) {
            usage.cost_usd = Some(cost);
        }
        if let Some(u) = msg.get("usage").filter(|u| u.is_object()) {
            usage.input_tokens = Some(input_tokens(u));
            if let Some(out) = u64_at(u, &["output_tokens"]) {
                usage.output_tokens = Some(out);
            }
        }
        if let Some(id) = str_at(msg, &["session_id"]) {
            self.session_id = Some(id.to_string());
        }
        let text = str_at(msg, &["result"]).filter(|t| !t.trim().is_empty());
        // `subtype` says "success" on some failures; `is_error` is what to trust.
        if msg.get("is_error").and_then(Value::as_bool) == Some(true) {
            let reason = str_at(msg, &["error", "message"])
                .or(text)
                .or_else(|| str_at(msg, &["subtype"]))
                .unwrap_or("the agent reported an error");
            self.error = Some(reason.to_string());
        } else {
            self.error = None;
            if let Some(text) = text {
                self.final_message = Some(text.to_string());
            }
        }
    }
}

/// Every prompt token the API counted: fresh, cache writes and cache reads.
fn input_tokens(usage: &Value) -> u64 {
    [
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    ]
    .iter()
    .filter_map(|k| u64_at(usage, &[k]))
    .fold(0u64, u64::saturating_add)
}

/// The `"type"` of a line that starts `{"type":"…"`, as Claude Code prints every line,
/// read without parsing it; `None` for any other start (the line is then parsed).
fn leading_type(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("{\"type\":\"")?;
    let end = rest.find(['"', '\\'])?;
    // An escape inside the value: not worth decoding here.
    (rest.as_bytes()[end] == b'"').then(|| &rest[..end])
}

impl OutputParser for ClaudeParser {
    fn line(&mut self, stream: OutputStream, line: &str) -> bool {
        if stream == OutputStream::Stderr {
            return false;
        }
        match leading_type(line) {
            Some("system" | "assistant" | "result") | None => {}
            // Nothing this parser reads: the tool results quoted back, partial messages.
            Some(_) => return false,
        }
        if leading_type(line) == Some("assistant") && self.assistant_typed(line.trim()) {
            return self.tracker.moved();
        }
        let Some(json) = json_line(line) else {
            return false;
        };
        match json {
            Value::Array(messages) => messages.iter().for_each(|m| self.message(m)),
            msg => self.message(&msg),
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
            error: self.error.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::Progress;
    use crate::vocab::Usage;

    fn feed(lines: &str) -> (Vec<Progress>, ParsedOutcome) {
        let mut p = ClaudeParser::new();
        let progress = crate::agent::parse::progress_per_line(&mut p, lines.lines());
        (progress, p.finish())
    }

    const SUCCESS: &str = r#"{"type":"system","subtype":"init","cwd":"/wt","session_id":"5f1c-aa","tools":["Bash","Edit"],"model":"claude-opus-4-6"}
{"type":"assistant","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-opus-4-6","content":[{"type":"text","text":"I'll look at the retry loop first.\nThen fix it."}],"usage":{"input_tokens":4,"cache_creation_input_tokens":2000,"cache_read_input_tokens":10000,"output_tokens":12}},"parent_tool_use_id":null,"session_id":"5f1c-aa"}
{"type":"assistant","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-opus-4-6","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"cargo test retry","description":"Run the retry tests"}}],"usage":{"input_tokens":4,"cache_creation_input_tokens":2000,"cache_read_input_tokens":10000,"output_tokens":80}},"parent_tool_use_id":null,"session_id":"5f1c-aa"}
{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_1","type":"tool_result","content":"test result: FAILED. 1 passed; 1 failed"}]},"session_id":"5f1c-aa"}
not json at all
{"type":"assistant","message":{"id":"msg_02","content":[{"type":"thinking","thinking":"hmm"},{"type":"tool_use","id":"toolu_2","name":"Edit","input":{"file_path":"/wt/src/retry.rs","old_string":"a","new_string":"b"}}],"usage":{"input_tokens":6,"cache_read_input_tokens":12000,"output_tokens":200}},"session_id":"5f1c-aa"}
{"type":"assistant","message":{"id":"msg_03","content":[{"type":"text","text":"Done: retries now back off."}],"usage":{"input_tokens":1,"output_tokens":30}}}
{"type":"result","subtype":"success","is_error":false,"duration_ms":45000,"num_turns":7,"result":"Done: retries now back off.","session_id":"5f1c-aa","total_cost_usd":0.4215,"usage":{"input_tokens":11,"cache_creation_input_tokens":2000,"cache_read_input_tokens":22000,"output_tokens":310}}
"#;

    #[test]
    fn success_stream() {
        let (progress, outcome) = feed(SUCCESS);
        let actions: Vec<Option<&str>> = progress.iter().map(|p| p.last_action.as_deref()).collect();
        assert_eq!(
            actions,
            vec![
                Some("I'll look at the retry loop first."),
                Some("Bash: cargo test retry"),
                Some("Edit: /wt/src/retry.rs"),
                Some("Done: retries now back off."),
                Some("Done: retries now back off."),
            ]
        );
        // The repeated msg_01 counts once, with its last usage.
        assert_eq!(
            progress[1].usage,
            Usage {
                turns: Some(1),
                input_tokens: Some(12004),
                output_tokens: Some(80),
                cost_usd: None
            }
        );
        assert_eq!(progress[3].usage.turns, Some(3));
        assert_eq!(progress[3].usage.input_tokens, Some(12004 + 12006 + 1));
        assert_eq!(progress[3].usage.output_tokens, Some(310));
        assert_eq!(
            outcome,
            ParsedOutcome {
                usage: Usage {
                    turns: Some(7),
                    input_tokens: Some(24011),
                    output_tokens: Some(310),
                    cost_usd: Some(0.4215)
                },
                session_id: Some("5f1c-aa".into()),
                final_message: Some("Done: retries now back off.".into()),
                error: None,
            }
        );
    }

    #[test]
    fn error_result_is_judged_by_is_error() {
        let lines = r#"{"type":"system","subtype":"init","session_id":"s-1"}
{"type":"result","subtype":"success","is_error":true,"num_turns":1,"result":"API Error: 401 {\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}","session_id":"s-1","total_cost_usd":0}"#;
        let (_, outcome) = feed(lines);
        assert!(outcome.error.unwrap().starts_with("API Error: 401"));
        assert_eq!(outcome.final_message, None);
        assert_eq!(outcome.usage.cost_usd, Some(0.0));
        assert_eq!(outcome.session_id.as_deref(), Some("s-1"));

        let (_, outcome) =
            feed(r#"{"type":"result","subtype":"error_max_turns","is_error":true,"num_turns":40}"#);
        assert_eq!(outcome.error.as_deref(), Some("error_max_turns"));
        assert_eq!(outcome.usage.turns, Some(40));
    }

    #[test]
    fn qwen_json_array() {
        let line = r#"[{"type":"system","subtype":"init","session_id":"q-9","model":"qwen3-coder-plus"},{"type":"assistant","session_id":"q-9","message":{"id":"a1","role":"assistant","content":[{"type":"tool_use","id":"c1","name":"run_shell_command","input":{"command":"npm test"}}],"usage":{"input_tokens":900,"output_tokens":40}}},{"type":"assistant","session_id":"q-9","message":{"id":"a2","content":[{"type":"text","text":"All tests pass."}],"usage":{"input_tokens":1000,"output_tokens":20}}},{"type":"result","subtype":"success","is_error":false,"num_turns":2,"result":"All tests pass.","session_id":"q-9","usage":{"input_tokens":1900,"output_tokens":60}}]"#;
        let mut p = ClaudeParser::new();
        assert!(p.line(OutputStream::Stdout, line));
        assert_eq!(p.progress().last_action.as_deref(), Some("All tests pass."));
        let outcome = p.finish();
        assert_eq!(
            outcome.usage,
            Usage {
                turns: Some(2),
                input_tokens: Some(1900),
                output_tokens: Some(60),
                cost_usd: None
            }
        );
        assert_eq!(outcome.final_message.as_deref(), Some("All tests pass."));

        let (_, outcome) = feed(
            r#"[{"type":"result","subtype":"error_during_execution","is_error":true,"num_turns":0,"error":{"message":"Model stream ended with empty response"}}]"#,
        );
        assert_eq!(
            outcome.error.as_deref(),
            Some("Model stream ended with empty response")
        );
    }

    #[test]
    fn garbage_never_panics() {
        let lines = "\n{\n}\n[]\n[1,\"x\",null]\n{\"type\":\"assistant\"}\n{\"type\":\"assistant\",\"message\":{\"content\":\"str\",\"usage\":{\"output_tokens\":-5}}}\n{\"type\":\"result\",\"num_turns\":\"7\",\"usage\":[]}\n{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\",\"name\":\"\"}]}}\n\u{0}\u{1}\u{ffff}";
        let (_, outcome) = feed(lines);
        assert_eq!(outcome.error, None);
        assert_eq!(outcome.usage.turns, Some(2));
        let mut p = ClaudeParser::new();
        assert!(!p.line(OutputStream::Stderr, SUCCESS.lines().last().unwrap()));
        assert_eq!(p.finish(), ParsedOutcome::default());
    }

    #[test]
    fn a_long_run_is_read_with_flat_memory() {
        let mut p = ClaudeParser::new();
        let result = r#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"lots of output"}]}}"#;
        for turn in 0..100_000 {
            for block in ["text", "tool_use"] {
                let content = match block {
                    "text" => r#"{"type":"text","text":"Reading."}"#.to_string(),
                    _ => format!(
                        r#"{{"type":"tool_use","id":"t{turn}","name":"Read","input":{{"file_path":"src/f{turn}.rs"}}}}"#
                    ),
                };
                let line = format!(
                    r#"{{"type":"assistant","message":{{"id":"msg_{turn}","content":[{content}],"usage":{{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":2}}}},"session_id":"s"}}"#
                );
                p.line(OutputStream::Stdout, &line);
            }
            assert!(!p.line(OutputStream::Stdout, result));
            assert!(p.recent.len() <= RECENT_MESSAGES);
        }
        let outcome = p.finish();
        assert_eq!(
            outcome.usage,
            Usage {
                turns: Some(100_000),
                input_tokens: Some(1_500_000),
                output_tokens: Some(200_000),
                cost_usd: None
            }
        );
        assert_eq!(p.tracker.last_action().as_deref(), Some("Read: src/f99999.rs"));
    }

    #[test]
    fn lines_read_typed_and_tolerant_agree() {
        // The same assistant line, once as Claude Code prints it (read typed) and once
        // with its keys in another order (read as a `Value`).
        let typed = r#"{"type":"assistant","message":{"id":"m1","content":[{"type":"tool_use","name":"Grep","input":{"pattern":"fn main","path":"src"}}],"usage":{"input_tokens":7,"cache_creation_input_tokens":3,"output_tokens":4}},"session_id":"s-2"}"#;
        let tolerant = r#"{"session_id":"s-2","message":{"usage":{"output_tokens":4,"input_tokens":7,"cache_creation_input_tokens":3},"id":"m1","content":[{"input":{"path":"src","pattern":"fn main"},"name":"Grep","type":"tool_use"}]},"type":"assistant"}"#;
        assert_eq!(leading_type(typed), Some("assistant"));
        assert_eq!(leading_type(tolerant), None);
        let (a, oa) = feed(typed);
        let (b, ob) = feed(tolerant);
        assert_eq!(a, b);
        assert_eq!(oa, ob);
        assert_eq!(a[0].last_action.as_deref(), Some("Grep: src"));
        // A line the typed reading refuses (a float token count) is still read.
        let (c, _) = feed(&typed.replace("\"output_tokens\":4", "\"output_tokens\":4.0"));
        assert_eq!(c, a);
        assert_eq!(leading_type(r#"{"type":"us\"er"}"#), None);
    }
}
