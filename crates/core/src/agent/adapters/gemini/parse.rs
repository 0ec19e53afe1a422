//! Gemini CLI's `--output-format json`: one JSON object when the run ends, possibly
//! pretty-printed over many lines and preceded by log lines, with `response`,
//! `stats.models.<model>` and `error`. Errors may come as JSON on stderr instead.

use serde_json::Value;

use super::report::{Report, Reports};
use crate::agent::output::{OutputParser, OutputStream, ParsedOutcome};
use crate::agent::parse::{add, str_at, u64_at, Tracker, NO_PROGRESS};

/// Parses Gemini CLI JSON output. Nothing is known until the end, so `line` never
/// reports progress. The output is not kept: each stream's report is found as its lines
/// go by, keeping only the fields read here (`report.rs`).
#[derive(Debug, Default)]
pub struct GeminiParser {
    stdout: Reports,
    stderr: Reports,
}

impl GeminiParser {
    /// A parser that has seen no output yet.
    pub fn new() -> GeminiParser {
        GeminiParser::default()
    }

    /// Bytes held for the reports being read, for tests of the bound.
    #[cfg(test)]
    pub fn retained(&self) -> usize {
        self.stdout.retained() + self.stderr.retained()
    }
}

fn error_message(report: &Report) -> Option<String> {
    let error = report.error.as_ref().filter(|e| !e.is_null())?;
    let message = str_at(error, &["message"])
        .or_else(|| error.as_str())
        .unwrap_or("gemini reported an error");
    Some(message.to_string())
}

impl OutputParser for GeminiParser {
    fn line(&mut self, stream: OutputStream, line: &str) -> bool {
        match stream {
            OutputStream::Stdout => self.stdout.line(line),
            OutputStream::Stderr => self.stderr.line(line),
        }
        false
    }

    fn tracker(&self) -> &Tracker {
        &NO_PROGRESS
    }

    fn finish(&mut self) -> ParsedOutcome {
        let mut outcome = ParsedOutcome::default();
        let mut tracker = Tracker::default();
        if let Some(report) = self.stdout.last() {
            outcome.final_message = report
                .response
                .as_ref()
                .and_then(Value::as_str)
                .filter(|r| !r.trim().is_empty())
                .map(str::to_string);
            outcome.session_id = report
                .session_id
                .as_ref()
                .and_then(Value::as_str)
                .map(str::to_string);
            outcome.error = error_message(report);
            let models = report.models.as_ref().and_then(Value::as_object);
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
            outcome.error = self.stderr.last().and_then(error_message);
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
            assert!(!p.line(OutputStream::Stdout, l));
        }
        for l in stderr.lines() {
            assert!(!p.line(OutputStream::Stderr, l));
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
    fn a_huge_report_is_read_with_bounded_memory() {
        // 50 MB of `stats.tools.byName`, pretty-printed as Gemini CLI does, between the
        // fields read; then a second report, which is the one that counts.
        let mut p = GeminiParser::new();
        let head = "{\n  \"session_id\": \"g-big\",\n  \"response\": \"first\",\n  \"stats\": {\n    \"tools\": {\n      \"byName\": {";
        for l in head.lines() {
            p.line(OutputStream::Stdout, l);
        }
        let entry = "        \"read_file_00000001\": {\n          \"count\": 1,\n          \"decisions\": { \"accept\": 1, \"note\": \"a \\\"quoted\\\" } brace\" }\n        },";
        let mut fed = 0;
        let mut most = 0;
        while fed < 50_000_000 {
            for l in entry.lines() {
                p.line(OutputStream::Stdout, l);
                fed += l.len() + 1;
            }
            most = most.max(p.retained());
        }
        let tail = "        \"last\": {}\n      }\n    },\n    \"models\": {\n      \"gemini-3-pro\": {\n        \"api\": { \"totalRequests\": 2 },\n        \"tokens\": { \"prompt\": 700, \"candidates\": 30, \"thoughts\": 5 }\n      }\n    }\n  }\n}";
        for l in tail.lines() {
            p.line(OutputStream::Stdout, l);
            most = most.max(p.retained());
        }
        assert!(most < 4096, "held {most} bytes");
        assert_eq!(p.stdout.last().unwrap().session_id, Some("g-big".into()));
        let outcome = p.finish();
        assert_eq!(outcome.final_message.as_deref(), Some("first"));
        assert_eq!(
            outcome.usage,
            Usage {
                turns: Some(2),
                input_tokens: Some(700),
                output_tokens: Some(35),
                cost_usd: None
            }
        );
    }

    #[test]
    fn an_oversized_value_is_skipped_and_the_rest_kept() {
        let mut p = GeminiParser::new();
        p.line(OutputStream::Stdout, "{");
        p.line(OutputStream::Stdout, "  \"error\": [");
        let item = format!("    \"{}\",", "e".repeat(1000));
        for _ in 0..(2 * super::super::report::MAX_VALUE_BYTES / 1000) {
            p.line(OutputStream::Stdout, &item);
            // A Vec may grow to twice what it holds.
            assert!(p.retained() <= 2 * super::super::report::MAX_VALUE_BYTES + 4096);
        }
        for l in ["    \"x\"", "  ],", "  \"response\": \"kept\"", "}"] {
            p.line(OutputStream::Stdout, l);
        }
        let outcome = p.finish();
        assert_eq!(outcome.error, None);
        assert_eq!(outcome.final_message.as_deref(), Some("kept"));
    }
}
