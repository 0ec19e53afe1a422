//! OpenCode's `run --format json` JSON lines: every event carries `type`, `timestamp`
//! and `sessionID`; `tool_use`, `text` and `step_finish` carry a `part`, `error` an
//! `error{name, data{message}}`.

use serde_json::Value;

use crate::agent::output::{OutputParser, OutputStream, ParsedOutcome};
use crate::agent::parse::{add, f64_at, json_line, str_at, tool_detail, u64_at, Act, Tracker};

/// Parses `opencode run --format json` output.
#[derive(Debug, Default)]
pub struct OpenCodeParser {
    tracker: Tracker,
    session_id: Option<String>,
    final_message: Option<String>,
    error: Option<String>,
}

impl OpenCodeParser {
    /// A parser that has seen no output yet.
    pub fn new() -> OpenCodeParser {
        OpenCodeParser::default()
    }

    fn event(&mut self, ev: &Value) {
        if let Some(id) = str_at(ev, &["sessionID"]) {
            self.session_id = Some(id.to_string());
        }
        let part = ev.get("part").unwrap_or(&Value::Null);
        match str_at(ev, &["type"]) {
            Some("step_finish") => self.step_finish(part),
            Some("tool_use") => {
                let state = part.get("state").unwrap_or(&Value::Null);
                let detail = state
                    .get("input")
                    .and_then(tool_detail)
                    .or_else(|| str_at(state, &["title"]));
                if let Some(tool) = str_at(part, &["tool"]) {
                    self.tracker.act(Act::Tool(tool, detail));
                }
            }
            Some("text") => {
                if let Some(text) = str_at(part, &["text"]).filter(|t| !t.trim().is_empty()) {
                    self.final_message = Some(text.to_string());
                    self.tracker.act(Act::Text(text));
                }
            }
            Some("error") => {
                let message = str_at(ev, &["error", "data", "message"])
                    .or_else(|| str_at(ev, &["error", "message"]))
                    .or_else(|| str_at(ev, &["error", "name"]))
                    .or_else(|| str_at(ev, &["message"]))
                    .unwrap_or("opencode reported an error");
                self.error = Some(message.to_string());
            }
            _ => {}
        }
    }

    fn step_finish(&mut self, part: &Value) {
        let usage = &mut self.tracker.usage;
        add(&mut usage.turns, 1);
        if let Some(cost) = f64_at(part, &["cost"]).filter(|c| *c >= 0.0) {
            usage.cost_usd = Some(usage.cost_usd.unwrap_or(0.0) + cost);
        }
        let Some(tokens) = part.get("tokens") else {
            return;
        };
        // OpenCode reports cache reads and writes apart from `input`; all of them are
        // prompt tokens. Reasoning is billed as output.
        let input = [&["input"][..], &["cache", "read"], &["cache", "write"]]
            .iter()
            .filter_map(|path| u64_at(tokens, path))
            .reduce(u64::saturating_add);
        let output = [&["output"][..], &["reasoning"]]
            .iter()
            .filter_map(|path| u64_at(tokens, path))
            .reduce(u64::saturating_add);
        if let Some(n) = input {
            add(&mut usage.input_tokens, n);
        }
        if let Some(n) = output {
            add(&mut usage.output_tokens, n);
        }
    }
}

impl OutputParser for OpenCodeParser {
    fn line(&mut self, stream: OutputStream, line: &str) -> bool {
        if stream == OutputStream::Stdout {
            if let Some(event) = json_line(line) {
                self.event(&event);
            }
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
        let mut p = OpenCodeParser::new();
        let progress = crate::agent::parse::progress_per_line(&mut p, lines.lines());
        (progress, p.finish())
    }

    #[test]
    fn success_stream() {
        let lines = r#"{"type":"step_start","timestamp":1767036059338,"sessionID":"ses_4947abc","part":{"id":"prt_1","sessionID":"ses_4947abc","messageID":"msg_1","type":"step-start","snapshot":"46358aa"}}
{"type":"tool_use","timestamp":1767036060000,"sessionID":"ses_4947abc","part":{"id":"prt_2","type":"tool","tool":"bash","callID":"call_1","state":{"status":"completed","input":{"command":"cargo test retry","description":"Runs tests"},"output":"ok","title":"cargo test retry"}}}
{"type":"step_finish","timestamp":1767036061000,"sessionID":"ses_4947abc","part":{"id":"prt_3","type":"step-finish","reason":"tool-calls","cost":0.0125,"tokens":{"input":1200,"output":80,"reasoning":20,"cache":{"read":9000,"write":300}}}}
{"type":"tool_use","timestamp":1767036062000,"sessionID":"ses_4947abc","part":{"type":"tool","tool":"edit","state":{"status":"completed","input":{"filePath":"/wt/src/retry.rs","oldString":"a","newString":"b"}}}}
{"type":"text","timestamp":1767036063000,"sessionID":"ses_4947abc","part":{"type":"text","text":"Retries back off now.","time":{"start":1,"end":2}}}
{"type":"step_finish","timestamp":1767036064000,"sessionID":"ses_4947abc","part":{"type":"step-finish","reason":"stop","cost":0.0075,"tokens":{"input":300,"output":40,"reasoning":0,"cache":{"read":10000,"write":0}}}}
"#;
        let (progress, outcome) = feed(lines);
        let actions: Vec<Option<&str>> = progress.iter().map(|p| p.last_action.as_deref()).collect();
        assert_eq!(
            actions,
            vec![
                Some("Bash: cargo test retry"),
                Some("Bash: cargo test retry"),
                Some("Edit: /wt/src/retry.rs"),
                Some("Retries back off now."),
                Some("Retries back off now.")
            ]
        );
        assert_eq!(outcome.usage.turns, Some(2));
        assert_eq!(outcome.usage.input_tokens, Some(1200 + 9000 + 300 + 300 + 10000));
        assert_eq!(outcome.usage.output_tokens, Some(140));
        assert!((outcome.usage.cost_usd.unwrap() - 0.02).abs() < 1e-12);
        assert_eq!(outcome.session_id.as_deref(), Some("ses_4947abc"));
        assert_eq!(outcome.final_message.as_deref(), Some("Retries back off now."));
        assert_eq!(outcome.error, None);
    }

    #[test]
    fn errors() {
        let cases = [
            (
                r#"{"type":"error","sessionID":"s","error":{"name":"ProviderAuthError","data":{"providerID":"openrouter","message":"Invalid API key"}}}"#,
                "Invalid API key",
            ),
            (
                r#"{"type":"error","sessionID":"s","error":{"name":"UnknownError"}}"#,
                "UnknownError",
            ),
            (
                r#"{"type":"error","message":"API rate limit exceeded"}"#,
                "API rate limit exceeded",
            ),
            (r#"{"type":"error"}"#, "opencode reported an error"),
        ];
        for (line, want) in cases {
            let (_, outcome) = feed(line);
            assert_eq!(outcome.error.as_deref(), Some(want), "{line}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let lines = "INFO  starting server\n{\"type\":\"step_finish\"}\n{\"type\":\"step_finish\",\"part\":{\"cost\":\"x\",\"tokens\":{\"input\":-1}}}\n{\"type\":\"tool_use\",\"part\":{\"tool\":7}}\n{\"type\":\"text\",\"part\":{\"text\":\"   \"}}\n[]\n{";
        let (_, outcome) = feed(lines);
        assert_eq!(
            outcome.usage,
            Usage {
                turns: Some(2),
                input_tokens: None,
                output_tokens: None,
                cost_usd: None
            }
        );
        assert_eq!(outcome.final_message, None);
    }
}
