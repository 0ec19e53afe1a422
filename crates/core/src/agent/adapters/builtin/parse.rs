//! The built-in agent's own JSON-lines transcript ([`super::transcript`]): turns,
//! tokens and cost live from `reply` and `step` events, the last command as the last
//! action, and the outcome from the final `result`.

use super::transcript::{BuiltinEvent, EventLine, StopReason};
use crate::agent::output::{OutputParser, OutputStream, ParsedOutcome};
use crate::provider::TokenUsage;

use crate::agent::parse::{json_line, Act, Tracker};

/// Parses `bakeoff builtin-agent` output.
#[derive(Debug, Default)]
pub struct BuiltinParser {
    tracker: Tracker,
    final_message: Option<String>,
    error: Option<String>,
    /// Whether a `result` arrived; without one the agent died before its end.
    finished: bool,
}

impl BuiltinParser {
    /// A parser that has seen no output yet.
    pub fn new() -> BuiltinParser {
        BuiltinParser::default()
    }

    fn totals(&mut self, usage: &TokenUsage, cost_usd: Option<f64>) {
        let u = &mut self.tracker.usage;
        u.input_tokens = Some(
            usage
                .input
                .saturating_add(usage.cache_read)
                .saturating_add(usage.cache_write),
        );
        u.output_tokens = Some(usage.output);
        // `null` is "cost unknown", never 0.
        u.cost_usd = cost_usd;
    }

    fn event(&mut self, event: BuiltinEvent) {
        match event {
            BuiltinEvent::Reply {
                turn,
                text,
                tool_calls,
                usage,
                cost_usd,
            } => {
                let u = &mut self.tracker.usage;
                u.turns = Some(u64::from(turn));
                let add = |slot: &mut Option<u64>, n: u64| *slot = Some(slot.unwrap_or(0).saturating_add(n));
                add(
                    &mut u.input_tokens,
                    usage
                        .input
                        .saturating_add(usage.cache_read)
                        .saturating_add(usage.cache_write),
                );
                add(&mut u.output_tokens, usage.output);
                // Once one reply's cost is unknown the total is too.
                u.cost_usd = match (turn, u.cost_usd, cost_usd) {
                    (1, _, c) => c,
                    (_, Some(total), Some(c)) => Some(total + c),
                    _ => None,
                };
                if !text.trim().is_empty() {
                    self.final_message = Some(text.trim().to_string());
                    if tool_calls.is_empty() {
                        self.tracker.act(Act::Text(&text));
                    }
                }
            }
            BuiltinEvent::Step {
                command,
                usage,
                cost_usd,
                ..
            } => {
                self.tracker.act(Act::Tool("bash", Some(&command)));
                self.totals(&usage, cost_usd);
            }
            BuiltinEvent::Result {
                reason,
                steps,
                usage,
                cost_usd,
                error,
            } => {
                self.finished = true;
                self.tracker.usage.turns = Some(u64::from(steps));
                self.totals(&usage, cost_usd);
                self.error = match (reason, error) {
                    (StopReason::Submitted | StopReason::Answered, _) => None,
                    (_, Some(error)) => Some(error),
                    (reason, None) => Some(format!("the built-in agent stopped: {}", reason.as_str())),
                };
            }
            BuiltinEvent::Start { .. }
            | BuiltinEvent::Notice { .. }
            | BuiltinEvent::Request { .. }
            | BuiltinEvent::Provider { .. } => {}
        }
    }
}

impl OutputParser for BuiltinParser {
    fn line(&mut self, stream: OutputStream, line: &str) -> bool {
        let parsed = (stream == OutputStream::Stdout)
            .then(|| json_line(line))
            .flatten()
            .and_then(|value| serde_json::from_value::<EventLine>(value).ok());
        if let Some(parsed) = parsed {
            self.event(parsed.event);
        }
        self.tracker.moved()
    }

    fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    fn finish(&mut self) -> ParsedOutcome {
        let error = match (&self.error, self.finished) {
            (Some(e), _) => Some(e.clone()),
            (None, true) => None,
            (None, false) => {
                Some("the built-in agent ended without a result (see agent.stderr.log)".to_string())
            }
        };
        ParsedOutcome {
            usage: self.tracker.usage.clone(),
            session_id: None,
            final_message: self.final_message.clone(),
            error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::Progress;

    fn feed(lines: &[&str]) -> (BuiltinParser, Vec<Progress>) {
        let mut p = BuiltinParser::new();
        let progress = crate::agent::parse::progress_per_line(&mut p, lines.iter().copied());
        (p, progress)
    }

    #[test]
    fn a_submitted_run() {
        let (mut p, progress) = feed(&[
            r#"{"v":1,"type":"start","model":"anthropic/claude-sonnet-4-6","format":"anthropic","max_steps":50,"max_cost_usd":null,"price_known":true,"command_timeout_ms":60000,"output_limit":10000,"tools":true}"#,
            "not json at all",
            r#"{"v":1,"type":"request","turn":1,"messages":1,"tools":true}"#,
            r#"{"v":1,"type":"reply","turn":1,"text":"Looking.","tool_calls":[{"name":"bash","arguments":{"command":"ls"}}],"usage":{"input":100,"output":10,"cache_read":50,"cache_write":0},"cost_usd":0.5}"#,
            r#"{"v":1,"type":"step","n":1,"command":"ls -la\nsecond line","exit":0,"signal":null,"timed_out":false,"output_bytes":5,"cut_bytes":0,"output":"a\nb\n","usage":{"input":100,"output":10,"cache_read":50,"cache_write":0},"cost_usd":0.5}"#,
            r#"{"v":1,"type":"reply","turn":2,"text":"","tool_calls":[{"name":"submit","arguments":{}}],"usage":{"input":200,"output":5,"cache_read":0,"cache_write":0},"cost_usd":0.25}"#,
            r#"{"v":1,"type":"result","reason":"submitted","steps":2,"usage":{"input":300,"output":15,"cache_read":50,"cache_write":0},"cost_usd":0.75,"error":null}"#,
            r#"{"v":1,"type":"reply","turn":"#,
        ]);
        assert_eq!(progress.len(), 3, "{progress:?}");
        assert_eq!(progress[0].usage.turns, Some(1));
        assert_eq!(progress[0].usage.input_tokens, Some(150));
        assert_eq!(progress[0].usage.cost_usd, Some(0.5));
        assert_eq!(progress[1].last_action.as_deref(), Some("Bash: ls -la"));
        assert_eq!(progress[2].usage.cost_usd, Some(0.75));
        let out = p.finish();
        assert_eq!(out.error, None);
        assert_eq!(out.usage.turns, Some(2));
        assert_eq!(out.usage.input_tokens, Some(350));
        assert_eq!(out.usage.output_tokens, Some(15));
        assert_eq!(out.usage.cost_usd, Some(0.75));
        assert_eq!(out.final_message.as_deref(), Some("Looking."));
    }

    #[test]
    fn unknown_cost_stays_unknown_and_limits_are_errors() {
        let (mut p, _) = feed(&[
            r#"{"v":1,"type":"reply","turn":1,"text":"hm","tool_calls":[],"usage":{"input":1,"output":1,"cache_read":0,"cache_write":0},"cost_usd":null}"#,
            r#"{"v":1,"type":"result","reason":"step_limit","steps":1,"usage":{"input":1,"output":1,"cache_read":0,"cache_write":0},"cost_usd":null,"error":"stopped after 1 steps without submitting (raise --max-steps)"}"#,
        ]);
        let out = p.finish();
        assert_eq!(out.usage.cost_usd, None);
        assert!(out.error.unwrap().contains("--max-steps"));
    }

    #[test]
    fn a_run_without_result_failed() {
        let (mut p, progress) = feed(&["", "panic-free garbage {", "{\"v\":1,\"type\":\"mystery\"}"]);
        assert!(progress.is_empty());
        assert!(p.finish().error.unwrap().contains("without a result"));
        let mut p = BuiltinParser::new();
        let line = r#"{"v":1,"type":"result","reason":"model_error","steps":0,"usage":{"input":0,"output":0,"cache_read":0,"cache_write":0},"cost_usd":null,"error":"anthropic claude-x: 401"}"#;
        p.line(OutputStream::Stdout, line);
        assert_eq!(p.finish().error.as_deref(), Some("anthropic claude-x: 401"));
    }
}
