//! Gemini CLI's `--output-format json`: one JSON object when the run ends, possibly
//! pretty-printed over many lines and preceded by log lines, with `response`,
//! `stats.models.<model>` and `error`. Errors may come as JSON on stderr instead.

use std::collections::VecDeque;

use serde_json::Value;

use crate::agent::output::{OutputParser, OutputStream, ParsedOutcome, Progress};
use crate::agent::parse::{add, str_at, u64_at, Tracker};

/// How much of each stream is kept for parsing at the end; older lines are dropped
/// first, since the object comes last.
pub const MAX_BUFFER_BYTES: usize = 16 * 1024 * 1024;

/// Parses Gemini CLI JSON output. Nothing is known until the end, so `line` never
/// reports progress.
#[derive(Debug, Default)]
pub struct GeminiParser {
    stdout: Tail,
    stderr: Tail,
}

impl GeminiParser {
    /// A parser that has seen no output yet.
    pub fn new() -> GeminiParser {
        GeminiParser::default()
    }
}

/// The last lines of a stream, up to [`MAX_BUFFER_BYTES`].
#[derive(Debug, Default)]
struct Tail {
    lines: VecDeque<String>,
    bytes: usize,
}

impl Tail {
    fn push(&mut self, line: &str) {
        self.bytes += line.len() + 1;
        self.lines.push_back(line.to_string());
        while self.bytes > MAX_BUFFER_BYTES {
            match self.lines.pop_front() {
                Some(old) => self.bytes -= old.len() + 1,
                None => break,
            }
        }
    }

    fn text(&self) -> String {
        let mut text = String::with_capacity(self.bytes);
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}

/// The last top-level JSON object in `text` with one of the report's keys. Objects are
/// looked for where a line starts with `{`; a parsed object is skipped as a whole, so
/// its own nested lines are not mistaken for candidates.
fn last_report(text: &str) -> Option<Value> {
    let mut found = None;
    let mut pos = 0;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..line_end];
        let indent = line.len() - line.trim_start().len();
        if line.trim_start().starts_with('{') {
            let start = pos + indent;
            let mut values = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
            if let Some(Ok(value)) = values.next() {
                let consumed = values.byte_offset();
                if ["response", "stats", "error"]
                    .iter()
                    .any(|k| value.get(k).is_some())
                {
                    found = Some(value);
                }
                // A parsed object is at least `{}`, so this always moves forward.
                pos = start + consumed.max(1);
                continue;
            }
        }
        pos = line_end;
    }
    found
}

fn error_message(report: &Value) -> Option<String> {
    let error = report.get("error").filter(|e| !e.is_null())?;
    let message = str_at(error, &["message"])
        .or_else(|| error.as_str())
        .unwrap_or("gemini reported an error");
    Some(message.to_string())
}

impl OutputParser for GeminiParser {
    fn line(&mut self, stream: OutputStream, line: &str) -> Option<Progress> {
        match stream {
            OutputStream::Stdout => self.stdout.push(line),
            OutputStream::Stderr => self.stderr.push(line),
        }
        None
    }

    fn finish(&mut self) -> ParsedOutcome {
        let mut outcome = ParsedOutcome::default();
        let mut tracker = Tracker::default();
        if let Some(report) = last_report(&self.stdout.text()) {
            outcome.final_message = str_at(&report, &["response"])
                .filter(|r| !r.trim().is_empty())
                .map(str::to_string);
            outcome.session_id = str_at(&report, &["session_id"]).map(str::to_string);
            outcome.error = error_message(&report);
            let models = report
                .get("stats")
                .and_then(|s| s.get("models"))
                .and_then(Value::as_object);
            for model in models.into_iter().flat_map(|m| m.values()) {
                let usage = &mut tracker.usage;
                if let Some(n) = u64_at(model, &["tokens", "prompt"]) {
                    add(&mut usage.input_tokens, n);
                }
                // Thinking tokens are billed as output, as with the other CLIs.
                for key in ["candidates", "thoughts"] {
                    if let Some(n) = u64_at(model, &["tokens", key]) {
                        add(&mut usage.output_tokens, n);
                    }
                }
                if let Some(n) = u64_at(model, &["api", "totalRequests"]) {
                    add(&mut usage.turns, n);
                }
            }
        }
        if outcome.error.is_none() {
            outcome.error = last_report(&self.stderr.text()).as_ref().and_then(error_message);
        }
        outcome.usage = tracker.usage;
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Usage;

    fn feed(stdout: &str, stderr: &str) -> ParsedOutcome {
        let mut p = GeminiParser::new();
        for l in stdout.lines() {
            assert_eq!(p.line(OutputStream::Stdout, l), None);
        }
        for l in stderr.lines() {
            assert_eq!(p.line(OutputStream::Stderr, l), None);
        }
        p.finish()
    }

    const PRETTY: &str = r#"Loaded cached credentials.
{"level":"debug","msg":"not the report"}
{
  "session_id": "g-77",
  "response": "Fixed the retry loop; tests pass.",
  "stats": {
    "models": {
      "gemini-3-pro": {
        "api": { "totalRequests": 5, "totalErrors": 0, "totalLatencyMs": 20417 },
        "tokens": { "prompt": 41000, "candidates": 900, "total": 43100, "cached": 30000, "thoughts": 1200, "tool": 0 }
      },
      "gemini-2.5-flash-lite": {
        "api": { "totalRequests": 1, "totalErrors": 0, "totalLatencyMs": 800 },
        "tokens": { "prompt": 500, "candidates": 20, "total": 520, "cached": 0, "thoughts": 0, "tool": 0 }
      }
    },
    "tools": { "totalCalls": 4, "totalSuccess": 4, "totalFail": 0 },
    "files": { "totalLinesAdded": 12, "totalLinesRemoved": 3 }
  }
}
"#;

    #[test]
    fn pretty_report() {
        let outcome = feed(PRETTY, "");
        assert_eq!(
            outcome,
            ParsedOutcome {
                usage: Usage {
                    turns: Some(6),
                    input_tokens: Some(41500),
                    output_tokens: Some(2120),
                    cost_usd: None
                },
                session_id: Some("g-77".into()),
                final_message: Some("Fixed the retry loop; tests pass.".into()),
                error: None,
            }
        );
    }

    #[test]
    fn single_line_report_and_errors() {
        let outcome = feed(r#"{"response":"ok","stats":{"models":{}}}"#, "");
        assert_eq!(outcome.final_message.as_deref(), Some("ok"));
        assert_eq!(outcome.usage, Usage::default());

        let stderr = "Error when talking to Gemini API\n{\n  \"error\": {\n    \"type\": \"FatalAuthenticationError\",\n    \"message\": \"API key not valid. Please pass a valid API key.\",\n    \"code\": 41\n  }\n}\n";
        let outcome = feed("", stderr);
        assert_eq!(
            outcome.error.as_deref(),
            Some("API key not valid. Please pass a valid API key.")
        );

        let outcome = feed(
            r#"{"error":{"type":"Error","message":"Quota exceeded","code":429}}"#,
            "",
        );
        assert_eq!(outcome.error.as_deref(), Some("Quota exceeded"));
        assert_eq!(outcome.final_message, None);
    }

    #[test]
    fn garbage_never_panics() {
        for stdout in [
            "",
            "{",
            "{\n\"response\": ",
            "}{}{",
            "[1,2]\n{\"x\":1}",
            "{\"stats\":[]}",
            "{\"error\":null}",
            "\u{0}{é",
        ] {
            let outcome = feed(stdout, stdout);
            assert_eq!(outcome.error, None, "{stdout:?}");
        }
        // A truncated report after a complete one: the complete one counts.
        let outcome = feed("{\"response\":\"first\"}\n{\n\"response\": \"cut", "");
        assert_eq!(outcome.final_message.as_deref(), Some("first"));
    }

    #[test]
    fn buffer_keeps_the_tail() {
        let mut tail = Tail::default();
        let big = "x".repeat(MAX_BUFFER_BYTES / 2);
        tail.push(&big);
        tail.push(&big);
        tail.push("{\"response\":\"end\"}");
        assert!(tail.bytes <= MAX_BUFFER_BYTES);
        assert_eq!(
            tail.lines.back().map(String::as_str),
            Some("{\"response\":\"end\"}")
        );
    }
}
