//! A lane's live progress: the agent's output lines through its parser, the cost cap
//! checked on every change, and at most one `lane-progress` per read of the agent's logs.
//!
//! Why coalesce: a parser reports a change on nearly every line of a busy agent (each
//! assistant message moves the token counts), and every event is journaled, sealed,
//! drawn and, with `--json`, printed. The logs are read every 200 ms
//! (`process::run`'s follow tick), so one event per read is what a display can show
//! anyway; the cumulative usage in it loses nothing, and the last event of a run carries
//! the parser's last progress, as before.

use crate::agent::{OutputParser, OutputStream, ParsedOutcome, Progress};
use crate::process::{LineSink, Stream};

/// What the lane does with its progress: send the event, stop the agent at its cap.
pub(super) trait ProgressOut {
    /// The coalesced progress of one read of the logs.
    fn progress(&mut self, progress: Progress);
    /// The spend went over the cap; called once.
    fn over_budget(&mut self, spent: f64);
}

/// Feeds the parser and coalesces its progress.
pub(super) struct LiveProgress<'a, O: ProgressOut> {
    parser: Box<dyn OutputParser>,
    /// The latest progress not yet handed on.
    pending: Option<Progress>,
    /// What the progress costs so far, for the cap.
    cost: &'a (dyn Fn(&Progress) -> Option<f64> + Send + Sync),
    max_cost: Option<f64>,
    /// Set once the spend went over the cap.
    pub over_budget: Option<f64>,
    out: O,
}

impl<'a, O: ProgressOut> LiveProgress<'a, O> {
    pub fn new(
        parser: Box<dyn OutputParser>,
        cost: &'a (dyn Fn(&Progress) -> Option<f64> + Send + Sync),
        max_cost: Option<f64>,
        out: O,
    ) -> Self {
        LiveProgress {
            parser,
            pending: None,
            cost,
            max_cost,
            over_budget: None,
            out,
        }
    }

    /// Hands on what is pending, then what the parser made of the whole output.
    pub fn finish(mut self) -> (ParsedOutcome, Option<f64>) {
        self.batch_end();
        (self.parser.finish(), self.over_budget)
    }
}

impl<O: ProgressOut> LineSink for LiveProgress<'_, O> {
    fn line(&mut self, stream: Stream, line: &str) {
        let stream = match stream {
            Stream::Stdout => OutputStream::Stdout,
            Stream::Stderr => OutputStream::Stderr,
        };
        let Some(progress) = self.parser.line(stream, line) else {
            return;
        };
        // The cap is checked on every change, not on what is handed on: an agent is
        // stopped at the line that took it over, not up to a read later.
        if let (Some(max), None) = (self.max_cost, self.over_budget) {
            if let Some(spent) = (self.cost)(&progress).filter(|s| *s > max) {
                self.over_budget = Some(spent);
                self.out.over_budget(spent);
            }
        }
        self.pending = Some(progress);
    }

    fn batch_end(&mut self) {
        if let Some(progress) = self.pending.take() {
            self.out.progress(progress);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{parser_for, AdapterKind, AgentSpec};

    #[derive(Default)]
    struct Seen {
        progress: Vec<Progress>,
        over: Vec<f64>,
    }

    impl ProgressOut for &mut Seen {
        fn progress(&mut self, progress: Progress) {
            self.progress.push(progress);
        }
        fn over_budget(&mut self, spent: f64) {
            self.over.push(spent);
        }
    }

    fn assistant(turn: usize, block: usize) -> String {
        let content = if block == 0 {
            format!(r#"{{"type":"text","text":"Turn {turn}."}}"#)
        } else {
            format!(
                r#"{{"type":"tool_use","id":"t{turn}","name":"Bash","input":{{"command":"make step{turn}"}}}}"#
            )
        };
        format!(
            r#"{{"type":"assistant","message":{{"id":"msg_{turn}","content":[{content}],"usage":{{"input_tokens":10,"output_tokens":{}}}}},"session_id":"s-1"}}"#,
            block + 1
        )
    }

    fn no_cost(_: &Progress) -> Option<f64> {
        None
    }

    #[test]
    fn thousands_of_lines_make_one_event_per_read_with_nothing_lost() {
        let mut seen = Seen::default();
        let parser = parser_for(&AgentSpec::new(AdapterKind::Claude, "claude-opus-4-6"));
        let mut live = LiveProgress::new(parser, &no_cost, None, &mut seen);
        // Three reads of the logs, 3000 turns of two assistant lines and a tool result.
        for read in 0..3 {
            for turn in read * 1000..(read + 1) * 1000 {
                live.line(Stream::Stdout, &assistant(turn, 0));
                live.line(Stream::Stdout, &assistant(turn, 1));
                live.line(
                    Stream::Stdout,
                    &format!(r#"{{"type":"user","message":{{"content":[{{"type":"tool_result","tool_use_id":"t{turn}","content":"ok"}}]}}}}"#),
                );
            }
            live.batch_end();
        }
        live.line(
            Stream::Stdout,
            r#"{"type":"result","is_error":false,"num_turns":3000,"result":"Done.","session_id":"s-1","total_cost_usd":1.5,"usage":{"input_tokens":30000,"output_tokens":6000}}"#,
        );
        let (outcome, over) = live.finish();
        assert_eq!(over, None);
        assert_eq!(seen.progress.len(), 4);
        // Each event has the cumulative usage and the latest action of its read.
        let reads: Vec<_> = seen.progress[..3]
            .iter()
            .map(|p| {
                (
                    p.usage.turns,
                    p.usage.input_tokens,
                    p.usage.output_tokens,
                    p.last_action.clone(),
                )
            })
            .collect();
        assert_eq!(
            reads,
            [
                (
                    Some(1000),
                    Some(10_000),
                    Some(2000),
                    Some("Bash: make step999".into())
                ),
                (
                    Some(2000),
                    Some(20_000),
                    Some(4000),
                    Some("Bash: make step1999".into())
                ),
                (
                    Some(3000),
                    Some(30_000),
                    Some(6000),
                    Some("Bash: make step2999".into())
                ),
            ]
        );
        assert_eq!(seen.progress[3].usage.cost_usd, Some(1.5));
        assert_eq!(seen.progress[3].usage, outcome.usage);
        assert_eq!(outcome.session_id.as_deref(), Some("s-1"));
    }

    #[test]
    fn the_cap_is_checked_on_every_line() {
        let mut seen = Seen::default();
        let parser = parser_for(&AgentSpec::new(AdapterKind::Claude, "claude-opus-4-6"));
        let tokens = |p: &Progress| p.usage.input_tokens.map(|n| n as f64);
        let mut live = LiveProgress::new(parser, &tokens, Some(25.0), &mut seen);
        for turn in 0..5 {
            live.line(Stream::Stdout, &assistant(turn, 0));
        }
        assert_eq!(live.over_budget, Some(30.0));
        let (_, over) = live.finish();
        assert_eq!(over, Some(30.0));
        assert_eq!(seen.over, [30.0]);
        assert_eq!(seen.progress.len(), 1);
    }
}
