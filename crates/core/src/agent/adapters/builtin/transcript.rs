//! The built-in agent's transcript: one JSON object per line on its stdout, each with
//! the format version `v` and a `type`. The lane streams stdout to `agent.stdout.log`,
//! so this is also the lane's record of every request, reply, command and output. The
//! agent (the top-level `builtin_agent` module) writes it and the lane's live parser
//! ([`BuiltinParser`](super::BuiltinParser)) reads it, so the format lives here, on the
//! side the race depends on.
//!
//! ```text
//! {"v":1,"type":"start","model":"anthropic/claude-sonnet-4-6","format":"anthropic",…}
//! {"v":1,"type":"request","turn":1,"messages":1,"tools":true}
//! {"v":1,"type":"reply","turn":1,"text":"…","tool_calls":[…],"usage":{…},"cost_usd":0.01}
//! {"v":1,"type":"step","n":1,"command":"ls","exit":0,"timed_out":false,"output_bytes":12,…}
//! {"v":1,"type":"result","reason":"submitted","steps":3,"usage":{…},"cost_usd":0.04,"error":null}
//! ```

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::provider::{ProviderEvent, TokenUsage};

/// The version every line carries; bumped when a field changes meaning.
pub const EVENT_FORMAT: u32 = 1;

/// One line of the transcript.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventLine {
    pub v: u32,
    #[serde(flatten)]
    pub event: BuiltinEvent,
}

/// What happened, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BuiltinEvent {
    /// The agent's settings, first.
    Start {
        /// `provider/model`.
        model: String,
        /// The wire format the provider speaks.
        format: String,
        max_steps: u32,
        max_cost_usd: Option<f64>,
        /// Whether the price table knows the model; without it costs are `null`.
        price_known: bool,
        command_timeout_ms: u64,
        output_limit: usize,
        tools: bool,
    },
    /// Something the reader should know that is not an error (an unenforceable limit).
    Notice { message: String },
    /// A request is about to be sent: turn `turn`, with `messages` in the history.
    Request { turn: u32, messages: usize, tools: bool },
    /// The provider retried or fell back while answering the request of `turn`.
    Provider { turn: u32, event: ProviderEvent },
    /// The model's reply to the request of `turn`, with the usage and cost of this reply
    /// alone (`cost_usd` is `null` when the price is unknown).
    Reply {
        turn: u32,
        text: String,
        tool_calls: Vec<CallSummary>,
        usage: TokenUsage,
        cost_usd: Option<f64>,
    },
    /// One command run for the reply of turn `n`, with its output as the model saw it
    /// and the usage and cost of the whole run so far.
    Step {
        n: u32,
        command: String,
        /// The exit code; `null` when a signal ended the command.
        exit: Option<i32>,
        signal: Option<i32>,
        timed_out: bool,
        /// Bytes the command printed, before truncation.
        output_bytes: u64,
        /// Bytes cut from the middle of the output.
        cut_bytes: u64,
        output: String,
        usage: TokenUsage,
        cost_usd: Option<f64>,
    },
    /// The end: why the agent stopped, with the totals.
    Result {
        reason: StopReason,
        /// Model turns taken.
        steps: u32,
        usage: TokenUsage,
        cost_usd: Option<f64>,
        error: Option<String>,
    },
}

/// A tool call as the transcript shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallSummary {
    pub name: String,
    pub arguments: serde_json::Value,
}

/// Why the agent stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model called `submit` (or printed `BAKEOFF_SUBMIT`).
    Submitted,
    /// The model answered without a tool call or a command: its final answer.
    Answered,
    /// `--max-steps` turns were taken without a submission.
    StepLimit,
    /// The run's cost reached `--max-cost`.
    CostLimit,
    /// The provider failed after its retries.
    ModelError,
    /// SIGTERM or SIGINT arrived.
    Cancelled,
    /// The agent could not start (config, provider, key, spec file).
    Error,
}

impl StopReason {
    /// The name the transcript uses.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Submitted => "submitted",
            StopReason::Answered => "answered",
            StopReason::StepLimit => "step_limit",
            StopReason::CostLimit => "cost_limit",
            StopReason::ModelError => "model_error",
            StopReason::Cancelled => "cancelled",
            StopReason::Error => "error",
        }
    }
}

/// Writes events as JSON lines, flushed one by one so the lane sees them live. A write
/// that fails (stdout closed) is dropped: the run itself must not fail because nobody
/// reads its transcript.
pub struct EventWriter<W: Write> {
    out: W,
}

impl<W: Write> EventWriter<W> {
    /// Events go to `out`.
    pub fn new(out: W) -> EventWriter<W> {
        EventWriter { out }
    }

    /// Writes one event.
    pub fn emit(&mut self, event: BuiltinEvent) {
        let line = EventLine {
            v: EVENT_FORMAT,
            event,
        };
        if let Ok(mut text) = serde_json::to_vec(&line) {
            text.push(b'\n');
            let _ = self.out.write_all(&text);
            let _ = self.out.flush();
        }
    }

    /// The underlying writer, for tests.
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_version_and_type_and_round_trip() {
        let mut w = EventWriter::new(Vec::new());
        w.emit(BuiltinEvent::Result {
            reason: StopReason::CostLimit,
            steps: 2,
            usage: TokenUsage {
                input: 10,
                output: 2,
                ..Default::default()
            },
            cost_usd: None,
            error: Some("over budget".into()),
        });
        let text = String::from_utf8(w.into_inner()).unwrap();
        assert!(text.ends_with('\n'));
        let value: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(value["v"], 1);
        assert_eq!(value["type"], "result");
        assert_eq!(value["reason"], "cost_limit");
        assert_eq!(value["cost_usd"], serde_json::Value::Null);
        assert_eq!(value["usage"]["input"], 10);
        let back: EventLine = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(back.v, EVENT_FORMAT);
        assert!(matches!(back.event, BuiltinEvent::Result { steps: 2, .. }));
        for reason in [
            StopReason::Submitted,
            StopReason::StepLimit,
            StopReason::CostLimit,
            StopReason::ModelError,
            StopReason::Cancelled,
            StopReason::Error,
        ] {
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(json, format!("\"{}\"", reason.as_str()));
        }
    }
}
