//! A lane's live progress: the agent's output lines through its parser, the cost cap
//! checked on every change, and at most one `lane-progress` per read of the agent's logs.
//!
//! Why coalesce: a parser reports a change on nearly every line of a busy agent (each
//! assistant message moves the token counts), and every event is journaled, sealed,
//! drawn and, with `--json`, printed. The logs are read every 200 ms
//! (`process::run`'s follow tick), so one event per read is what a display can show
//! anyway; the cumulative usage in it loses nothing, and the last event of a run carries
//! the parser's last progress, as before. A line only says whether it moved the
//! progress; the progress itself (and the one-line summary of the last action, which
//! allocates) is asked of the parser once per read, and the cost cap reads only the usage.

use std::time::{Duration, Instant};

use crate::agent::{summarize, OutputParser, OutputStream, ParsedOutcome, Progress};
use crate::process::{LineSink, Stream};
use crate::vocab::Usage;

/// What the lane does with its progress: send the event, stop the agent at its cap or
/// when it has made no progress for too long.
pub(super) trait ProgressOut {
    /// The coalesced progress of one read of the logs.
    fn progress(&mut self, progress: Progress);
    /// The spend went over the cap; called once.
    fn over_budget(&mut self, spent: f64);
    /// No progress for `idle`: said once the lane counts as stalled, and again when the
    /// error it shows changes.
    fn stalled(&mut self, idle: Duration, error: Option<String>);
    /// No progress for the whole stall timeout: the agent is to be stopped; called once.
    fn no_progress(&mut self, idle: Duration);
}

/// When a lane without progress counts as stalled, and when it is stopped.
#[derive(Clone, Copy, Debug)]
pub(super) struct StallLimits {
    /// Shown as stalled after this long without progress.
    pub show_after: Duration,
    /// Stopped after this long; `None`: never.
    pub stop_after: Option<Duration>,
}

impl StallLimits {
    /// A lane is shown as stalled after a minute without progress, or after half the
    /// stall timeout when that is shorter, and stopped at the timeout.
    pub fn new(stop_after: Option<Duration>) -> StallLimits {
        let minute = Duration::from_secs(60);
        StallLimits {
            show_after: stop_after.map_or(minute, |s| (s / 2).min(minute)),
            stop_after,
        }
    }
}

/// How long the agent has gone without progress, and what it last complained about.
struct Stall {
    limits: StallLimits,
    last_progress: Instant,
    /// The agent's last few stderr lines, each cut to [`STDERR_KEPT`] bytes: where the
    /// error shown comes from when its parser names none. Judged only when shown, so a
    /// flood of stderr costs a bounded copy per line.
    recent_stderr: std::collections::VecDeque<String>,
    /// A command agent printed a line in this read of the logs: its progress.
    printed: bool,
    /// The error the last `stalled` call showed; `None` while not stalled.
    shown: Option<Option<String>>,
    /// Set once the agent is to be stopped: for how long it had made no progress.
    pub stopped: Option<Duration>,
}

/// Feeds the parser and coalesces its progress.
pub(super) struct LiveProgress<'a, O: ProgressOut> {
    parser: Box<dyn OutputParser>,
    /// The parser's progress moved since it was last handed on.
    moved: bool,
    /// What the usage so far costs, for the cap.
    cost: &'a (dyn Fn(&Usage) -> Option<f64> + Send + Sync),
    max_cost: Option<f64>,
    /// Set once the spend went over the cap.
    pub over_budget: Option<f64>,
    stall: Stall,
    /// The progress last handed on, to tell real progress from a repeated report.
    last: Option<Progress>,
    out: O,
}

impl<'a, O: ProgressOut> LiveProgress<'a, O> {
    pub fn new(
        parser: Box<dyn OutputParser>,
        cost: &'a (dyn Fn(&Usage) -> Option<f64> + Send + Sync),
        max_cost: Option<f64>,
        stall: StallLimits,
        out: O,
    ) -> Self {
        LiveProgress {
            parser,
            moved: false,
            cost,
            max_cost,
            over_budget: None,
            stall: Stall {
                limits: stall,
                last_progress: Instant::now(),
                recent_stderr: std::collections::VecDeque::with_capacity(STDERR_LINES),
                printed: false,
                shown: None,
                stopped: None,
            },
            last: None,
            out,
        }
    }

    /// Hands on what is pending, then what the parser made of the whole output, the
    /// spend that went over the cap, and how long the agent had gone without progress
    /// when it was stopped for it.
    pub fn finish(mut self) -> Finished {
        self.batch_end();
        let mut parsed = self.parser.finish();
        if parsed.error.is_none() && self.stall.stopped.is_some() {
            parsed.error = self.last_error();
        }
        Finished {
            parsed,
            over_budget: self.over_budget,
            stalled: self.stall.stopped,
        }
    }

    /// The agent made progress at `now`.
    fn progressed(&mut self, now: Instant) {
        self.stall.last_progress = now;
        self.stall.shown = None;
    }

    fn last_error(&self) -> Option<String> {
        self.parser.last_error().or_else(|| {
            self.stall
                .recent_stderr
                .iter()
                .rev()
                .filter_map(|line| summarize(line))
                .find(|text| reads_as_trouble(text))
        })
    }

    /// One read of the logs ended at `now`: is the agent stalled, or to be stopped?
    fn watch(&mut self, now: Instant) {
        if self.stall.stopped.is_some() {
            return;
        }
        let idle = now.saturating_duration_since(self.stall.last_progress);
        let limits = self.stall.limits;
        if limits.stop_after.is_some_and(|stop| idle >= stop) {
            self.stall.stopped = Some(idle);
            self.out.no_progress(idle);
            return;
        }
        if idle >= limits.show_after {
            let error = self.last_error();
            if self.stall.shown.as_ref() != Some(&error) {
                self.stall.shown = Some(error.clone());
                self.out.stalled(idle, error);
            }
        }
    }

    fn end_batch_at(&mut self, now: Instant) {
        if std::mem::take(&mut self.stall.printed) {
            self.progressed(now);
        }
        if std::mem::take(&mut self.moved) {
            // Asked for once per read: the parser summarises its last action here.
            let progress = self.parser.progress();
            if self.last.as_ref() != Some(&progress) {
                self.progressed(now);
                self.last = Some(progress.clone());
                self.out.progress(progress);
            }
        }
        self.watch(now);
    }
}

/// Stderr lines kept for a stalled lane's error, and how much of each.
const STDERR_LINES: usize = 8;
const STDERR_KEPT: usize = 512;

/// Whether a stderr line reads as something going wrong, to be shown as a stalled lane's
/// last error: CLIs also print banners and notes there (Codex's `Reading additional
/// input from stdin...`), which would mislead in that place.
fn reads_as_trouble(line: &str) -> bool {
    const WORDS: &[&str] = &[
        "error",
        "fail",
        "refused",
        "denied",
        "timed out",
        "timeout",
        "retry",
        "retrying",
        "reconnect",
        "unreachable",
        "unauthorized",
        "forbidden",
        "overloaded",
        "invalid",
        "cannot",
        "could not",
        "unable",
    ];
    let lower = line.to_ascii_lowercase();
    WORDS.iter().any(|w| lower.contains(w))
}

/// What a lane's agent output came to.
pub(super) struct Finished {
    pub parsed: ParsedOutcome,
    /// The spend that went over the cap.
    pub over_budget: Option<f64>,
    /// How long the agent had made no progress when it was stopped for it.
    pub stalled: Option<Duration>,
}

impl<O: ProgressOut> LineSink for LiveProgress<'_, O> {
    fn line(&mut self, stream: Stream, line: &str) {
        let stream = match stream {
            Stream::Stdout => OutputStream::Stdout,
            Stream::Stderr => OutputStream::Stderr,
        };
        if stream == OutputStream::Stderr {
            if !line.trim().is_empty() {
                let recent = &mut self.stall.recent_stderr;
                // The oldest line's buffer is reused for the newest.
                let mut kept = match recent.len() {
                    STDERR_LINES => recent.pop_front().unwrap_or_default(),
                    _ => String::new(),
                };
                kept.clear();
                let mut cut = line.len().min(STDERR_KEPT);
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                kept.push_str(&line[..cut]);
                recent.push_back(kept);
            }
        } else if !self.parser.reports_progress() && !line.trim().is_empty() {
            self.stall.printed = true;
        }
        if !self.parser.line(stream, line) {
            return;
        }
        // The cap is checked on every change, not on what is handed on: an agent is
        // stopped at the line that took it over, not up to a read later.
        if let (Some(max), None) = (self.max_cost, self.over_budget) {
            if let Some(spent) = (self.cost)(self.parser.usage()).filter(|s| *s > max) {
                self.over_budget = Some(spent);
                self.out.over_budget(spent);
            }
        }
        self.moved = true;
    }

    fn batch_end(&mut self) {
        self.end_batch_at(Instant::now());
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
        stalled: Vec<(Duration, Option<String>)>,
        stopped: Vec<Duration>,
    }

    impl ProgressOut for &mut Seen {
        fn progress(&mut self, progress: Progress) {
            self.progress.push(progress);
        }
        fn over_budget(&mut self, spent: f64) {
            self.over.push(spent);
        }
        fn stalled(&mut self, idle: Duration, error: Option<String>) {
            self.stalled.push((idle, error));
        }
        fn no_progress(&mut self, idle: Duration) {
            self.stopped.push(idle);
        }
    }

    fn never() -> StallLimits {
        StallLimits::new(None)
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

    fn no_cost(_: &Usage) -> Option<f64> {
        None
    }

    #[test]
    fn thousands_of_lines_make_one_event_per_read_with_nothing_lost() {
        let mut seen = Seen::default();
        let parser = parser_for(&AgentSpec::new(AdapterKind::Claude, "claude-opus-4-6"));
        let mut live = LiveProgress::new(parser, &no_cost, None, never(), &mut seen);
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
        let Finished {
            parsed: outcome,
            over_budget: over,
            ..
        } = live.finish();
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
        let tokens = |u: &Usage| u.input_tokens.map(|n| n as f64);
        let mut live = LiveProgress::new(parser, &tokens, Some(25.0), never(), &mut seen);
        for turn in 0..5 {
            live.line(Stream::Stdout, &assistant(turn, 0));
        }
        assert_eq!(live.over_budget, Some(30.0));
        assert_eq!(live.finish().over_budget, Some(30.0));
        assert_eq!(seen.over, [30.0]);
        assert_eq!(seen.progress.len(), 1);
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// A lane of `adapter`'s format that is stopped after 10 s without progress.
    fn stopped_after_10s(adapter: AdapterKind, seen: &mut Seen) -> LiveProgress<'static, &mut Seen> {
        let parser = parser_for(&AgentSpec::new(adapter, "claude-opus-4-6"));
        LiveProgress::new(parser, &no_cost, None, StallLimits::new(Some(secs(10))), seen)
    }

    /// Codex retrying its connection: error lines, no turn, no usage. The lane is shown
    /// stalled with the error, the new error when it changes, and stopped at the timeout
    /// with the error as the agent's.
    #[test]
    fn an_agent_retrying_its_connection_is_shown_then_stopped() {
        let mut seen = Seen::default();
        let parser = parser_for(&AgentSpec::new(AdapterKind::Codex, "gpt-5-codex"));
        let limits = StallLimits::new(Some(secs(600)));
        assert_eq!(limits.show_after, secs(60));
        let mut live = LiveProgress::new(parser, &no_cost, None, limits, &mut seen);
        let t0 = live.stall.last_progress;
        live.line(Stream::Stdout, r#"{"type":"thread.started","thread_id":"th-1"}"#);
        live.line(
            Stream::Stdout,
            r#"{"type":"item.completed","item":{"id":"i0","type":"command_execution","command":"ls","aggregated_output":"","exit_code":0,"status":"completed"}}"#,
        );
        live.end_batch_at(t0 + secs(1));
        assert_eq!(live.out.progress.len(), 1);
        for n in 1..=5 {
            live.line(
                Stream::Stdout,
                &format!(r#"{{"type":"error","message":"Reconnecting... {n}/5"}}"#),
            );
            // Read every 200 ms, as the runner does: said once per new error.
            for tick in 0..5 {
                live.end_batch_at(t0 + secs(1 + 60 * n) + Duration::from_millis(200 * tick));
            }
        }
        let errors: Vec<_> = live.out.stalled.iter().map(|(_, e)| e.clone().unwrap()).collect();
        assert_eq!(
            errors,
            [
                "Reconnecting... 1/5",
                "Reconnecting... 2/5",
                "Reconnecting... 3/5",
                "Reconnecting... 4/5",
                "Reconnecting... 5/5"
            ]
        );
        assert_eq!(live.out.stalled[0].0, secs(60));
        assert!(live.out.stopped.is_empty());
        live.end_batch_at(t0 + secs(601));
        live.end_batch_at(t0 + secs(602));
        assert_eq!(live.out.stopped, [secs(600)]);
        let finished = live.finish();
        assert_eq!(finished.stalled, Some(secs(600)));
        assert_eq!(finished.parsed.error.as_deref(), Some("Reconnecting... 5/5"));
    }

    /// Progress resets the clock; a repeated report of the same progress does not; the
    /// stderr line is the error of a parser that names none.
    #[test]
    fn only_new_progress_resets_the_clock() {
        let mut seen = Seen::default();
        let mut live = stopped_after_10s(AdapterKind::Claude, &mut seen);
        let t0 = live.stall.last_progress;
        live.line(Stream::Stdout, &assistant(1, 1));
        live.end_batch_at(t0 + secs(4));
        live.line(Stream::Stderr, "  API error 529: overloaded  ");
        live.line(Stream::Stderr, "Reading additional input from stdin...");
        live.end_batch_at(t0 + secs(8));
        assert_eq!(live.out.stalled, []);
        live.end_batch_at(t0 + secs(9));
        assert_eq!(
            live.out.stalled,
            [(secs(5), Some("API error 529: overloaded".into()))]
        );
        // The same turn again is no progress.
        live.line(Stream::Stdout, &assistant(1, 1));
        live.end_batch_at(t0 + secs(14));
        assert_eq!(live.out.stopped, [secs(10)]);
    }

    /// A command agent's parser reports nothing: any line it prints is progress, so a
    /// chatty script is never stopped and a silent one is.
    #[test]
    fn a_command_agents_lines_are_its_progress() {
        let mut seen = Seen::default();
        let mut live = stopped_after_10s(AdapterKind::Command, &mut seen);
        let t0 = live.stall.last_progress;
        live.end_batch_at(t0 + secs(9));
        assert!(live.out.stopped.is_empty());
        live.line(Stream::Stdout, "compiling");
        live.end_batch_at(t0 + secs(9));
        live.end_batch_at(t0 + secs(18));
        assert!(live.out.stopped.is_empty(), "the line was progress at 9 s");
        live.end_batch_at(t0 + secs(19));
        assert_eq!(live.out.stopped, [secs(10)]);
    }
}
