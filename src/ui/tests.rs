//! Reporter tests driven by one scripted race: the plain log line for line, the JSON
//! stream round-tripped, and the live lines through a hidden draw target.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use indicatif::ProgressDrawTarget;

use super::text;
use super::*;
use bakeoff_core::rank::{rank, LaneResult};
use bakeoff_core::vocab::{
    AgentOutcome, CaptureSummary, CheckOutcome, ExitKind, LaneInfo, LaneState, RaceEvent, Stamped, Usage,
    EVENT_FORMAT,
};

const T0: u64 = 1_790_000_000_000;

fn at(ms: u64, event: RaceEvent) -> Stamped {
    Stamped {
        v: EVENT_FORMAT,
        at_ms: T0 + ms,
        event,
    }
}

fn info(lane: &str, agent: &str) -> LaneInfo {
    LaneInfo {
        lane: lane.into(),
        agent: agent.into(),
        adapter: agent.split(':').next().unwrap_or_default().into(),
        model: agent.split(':').nth(1).unwrap_or_default().into(),
        lab: None,
        branch: format!("bakeoff/r1/{lane}"),
        worktree: format!("/wt/{lane}"),
    }
}

fn state(lane: &str, state: LaneState) -> RaceEvent {
    RaceEvent::LaneState {
        lane: lane.into(),
        state,
    }
}

fn progress(lane: &str, turns: u64, action: &str) -> RaceEvent {
    RaceEvent::LaneProgress {
        lane: lane.into(),
        usage: Usage {
            turns: Some(turns),
            input_tokens: Some(turns * 3_000),
            output_tokens: Some(turns * 300),
            cost_usd: Some(turns as f64 * 0.03),
        },
        last_action: Some(action.into()),
    }
}

fn leaderboard() -> bakeoff_core::rank::Leaderboard {
    let opus = LaneResult {
        lane: "opus".into(),
        agent: "claude:claude-opus-4-6".into(),
        provenance: Default::default(),
        cancelled: false,
        failed: None,
        agent_timed_out: false,
        agent_exit_ok: true,
        agent_error: None,
        diff_files: 3,
        insertions: 40,
        deletions: 12,
        checks: vec![test_check(true)],
        tampering: vec![],
        tests_may_change: false,
        cost_usd: Some(0.12),
        breached: Vec::new(),
        elapsed_ms: 13_500,
        review: None,
        fix_rounds: 0,
    };
    let codex = LaneResult {
        lane: "codex".into(),
        agent: "codex:gpt-5.5".into(),
        agent_timed_out: true,
        failed: Some("no diff captured".into()),
        diff_files: 0,
        insertions: 0,
        deletions: 0,
        checks: vec![],
        cost_usd: None,
        elapsed_ms: 600_000,
        ..opus.clone()
    };
    rank(&[opus, codex])
}

fn test_check(passed: bool) -> CheckOutcome {
    CheckOutcome {
        name: "test".into(),
        command: "cargo test".into(),
        holdout: false,
        exit: Some(ExitKind::Code(if passed { 0 } else { 101 })),
        passed,
        timed_out: false,
        elapsed_ms: 1_200,
        log: "checks/test.log".into(),
        report: None,
    }
}

/// A two-lane race: opus finishes and passes, codex times out and fails.
fn script() -> Vec<Stamped> {
    vec![
        at(
            0,
            RaceEvent::RaceStarted {
                race: "20261121-1530-fix-retry".into(),
                base: "0123456789abcdef".into(),
                base_ref: "main".into(),
                target_branch: Some("main".into()),
                lanes: vec![
                    info("opus", "claude:claude-opus-4-6"),
                    info("codex", "codex:gpt-5.5"),
                ],
            },
        ),
        at(0, state("opus", LaneState::Queued)),
        at(0, state("codex", LaneState::Queued)),
        at(1_000, state("opus", LaneState::Running)),
        at(1_000, state("codex", LaneState::Running)),
        at(2_000, progress("opus", 1, "Read src/lib.rs")),
        at(5_000, progress("opus", 2, "Read src/retry.rs")),
        at(12_000, progress("opus", 3, "Edit src/retry.rs\n  (+40 -12)")),
        at(
            13_300,
            RaceEvent::AgentFinished {
                lane: "opus".into(),
                outcome: AgentOutcome {
                    exit: Some(ExitKind::Code(0)),
                    timed_out: false,
                    cancelled: false,
                    elapsed_ms: 12_300,
                    usage: Usage {
                        turns: Some(4),
                        input_tokens: Some(12_300),
                        output_tokens: Some(1_234),
                        cost_usd: Some(0.12),
                    },
                    session_id: Some("s-1".into()),
                    final_message: Some("done".into()),
                    error: None,
                },
            },
        ),
        at(13_300, state("opus", LaneState::Capturing)),
        at(
            13_400,
            RaceEvent::Captured {
                lane: "opus".into(),
                capture: CaptureSummary {
                    commit: "fedcba9876543210".into(),
                    files_changed: 3,
                    insertions: 40,
                    deletions: 12,
                    files: vec![],
                },
            },
        ),
        at(13_400, state("opus", LaneState::Checking)),
        at(
            13_400,
            RaceEvent::CheckStarted {
                lane: "opus".into(),
                name: "test".into(),
                holdout: false,
            },
        ),
        at(
            14_600,
            RaceEvent::CheckFinished {
                lane: "opus".into(),
                check: test_check(true),
            },
        ),
        at(14_600, state("opus", LaneState::Done)),
        at(
            601_000,
            RaceEvent::AgentFinished {
                lane: "codex".into(),
                outcome: AgentOutcome {
                    exit: Some(ExitKind::Signal(15)),
                    timed_out: true,
                    cancelled: false,
                    elapsed_ms: 600_000,
                    usage: Usage::default(),
                    session_id: None,
                    final_message: None,
                    error: None,
                },
            },
        ),
        at(
            601_100,
            RaceEvent::LaneFailed {
                lane: "codex".into(),
                error: "no diff captured".into(),
            },
        ),
        at(601_100, state("codex", LaneState::Failed)),
        at(
            601_200,
            RaceEvent::Ranked {
                leaderboard: leaderboard(),
            },
        ),
        at(
            601_300,
            RaceEvent::Merged {
                lane: "opus".into(),
                strategy: "squash".into(),
                target: "main".into(),
                commit: Some("abcdef0123456789".into()),
            },
        ),
        at(
            601_300,
            RaceEvent::RaceFinished {
                winner: Some("opus".into()),
                interrupted: false,
            },
        ),
    ]
}

#[test]
fn plain_lines_for_a_race() {
    let mut reporter = PlainReporter::new(Vec::new());
    for event in script() {
        reporter.event(&event);
    }
    reporter.finish();
    assert!(reporter.take_error().is_none());
    let out = String::from_utf8(reporter.into_inner()).unwrap();
    let want = "\
race 20261121-1530-fix-retry: 2 lanes from main (0123456)
[opus] claude:claude-opus-4-6 on branch bakeoff/r1/opus
[codex] codex:gpt-5.5 on branch bakeoff/r1/codex
[opus] running
[codex] running
[opus] 1 turn, 3.0k/300 tokens, $0.03; Read src/lib.rs
[opus] 3 turns, 9.0k/900 tokens, $0.09; Edit src/retry.rs (+40 -12)
[opus] agent finished: exit 0 in 12.3s, 4 turns, 12.3k/1.2k tokens, $0.12
[opus] capturing
[opus] captured fedcba9: 3 files, +40 -12
[opus] checking
[opus] check 'test' started
[opus] check 'test' passed (1.2s)
[opus] done
[codex] agent timed out after 10m 00s, cost unknown
[codex] failed: no diff captured
merged opus into main (squash): abcdef0
race finished: opus won
";
    assert_eq!(out, want);
}

#[test]
fn plain_check_failure_and_interrupt_lines() {
    let mut failed = test_check(false);
    failed.holdout = true;
    let mut timed_out = test_check(false);
    timed_out.timed_out = true;
    timed_out.exit = None;
    let events = [
        at(
            0,
            RaceEvent::CheckFinished {
                lane: "a".into(),
                check: failed,
            },
        ),
        at(
            0,
            RaceEvent::CheckFinished {
                lane: "a".into(),
                check: timed_out,
            },
        ),
        at(0, state("a", LaneState::Failed)),
        at(
            0,
            RaceEvent::MergeRefused {
                lane: "a".into(),
                reason: "target moved\nconflict in src/lib.rs".into(),
            },
        ),
        at(0, RaceEvent::Interrupted { forced: false }),
        at(0, RaceEvent::Interrupted { forced: true }),
        at(
            0,
            RaceEvent::RaceFinished {
                winner: None,
                interrupted: true,
            },
        ),
        at(
            0,
            RaceEvent::RaceFinished {
                winner: None,
                interrupted: false,
            },
        ),
    ];
    let mut reporter = PlainReporter::new(Vec::new());
    for event in &events {
        reporter.event(event);
    }
    let out = String::from_utf8(reporter.into_inner()).unwrap();
    assert_eq!(
        out,
        "\
[a] holdout check 'test' failed (exit 101, 1.2s); log: checks/test.log
[a] check 'test' timed out after 1.2s; log: checks/test.log
[a] failed
merge of a refused: target moved conflict in src/lib.rs
interrupted: stopping lanes (Ctrl-C again to kill them)
interrupted again: killing lanes
race interrupted
race finished: no winner
"
    );
}

#[test]
fn json_lines_round_trip() {
    let events = script();
    let mut reporter = JsonReporter::new(Vec::new());
    for event in &events {
        reporter.event(event);
    }
    reporter.finish();
    assert!(reporter.take_error().is_none());
    let out = String::from_utf8(reporter.into_inner()).unwrap();
    assert!(out.ends_with('\n'));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), events.len());
    for (line, event) in lines.iter().zip(&events) {
        let back: Stamped = serde_json::from_str(line).unwrap();
        assert_eq!(&back, event);
    }
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["v"], EVENT_FORMAT);
    assert_eq!(first["type"], "race-started");
    assert_eq!(first["at_ms"], T0);
}

/// A writer that fails after `budget` writes, like a pipe whose reader went away.
struct Closing {
    budget: usize,
    writes: usize,
}

impl Write for Closing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.writes >= self.budget {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"));
        }
        self.writes += 1;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_closed_stream_is_reported_not_fatal() {
    let events = script();
    let mut json = JsonReporter::new(Closing { budget: 1, writes: 0 });
    let mut plain = PlainReporter::new(Closing { budget: 1, writes: 0 });
    for event in &events {
        json.event(event);
        plain.event(event);
    }
    assert_eq!(json.take_error().unwrap().kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(plain.take_error().unwrap().kind(), io::ErrorKind::BrokenPipe);
    // After the first failure nothing more is attempted.
    assert_eq!(json.into_inner().writes, 1);
    assert_eq!(plain.into_inner().writes, 1);
}

/// A `Write` whose bytes a test can read while the reporter owns the writer.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[test]
fn terminal_lines_advance_and_freeze() {
    let now = Arc::new(AtomicU64::new(T0));
    let clock = now.clone();
    let out = Shared::default();
    let mut reporter = TerminalReporter::new(false)
        .with_draw_target(ProgressDrawTarget::hidden())
        .with_size(|| (40, 200))
        .with_clock(move || clock.load(Ordering::SeqCst))
        .with_output(out.clone());
    let set = |ms: u64| now.store(T0 + ms, Ordering::SeqCst);
    let events = script();
    let feed = |reporter: &mut TerminalReporter, range: std::ops::Range<usize>| {
        for event in &events[range] {
            set(event.at_ms - T0);
            reporter.event(event);
        }
    };

    feed(&mut reporter, 0..3);
    assert_eq!(
        reporter.lines(),
        [
            "opus     queued      --:--    - turns  - tok            cost ?",
            "codex    queued      --:--    - turns  - tok            cost ?",
        ]
    );

    feed(&mut reporter, 3..8);
    set(66_000);
    reporter.tick();
    assert_eq!(
        reporter.lines(),
        [
            "opus     running     01:05    3 turns  9.0k/900 tok      $0.09 Edit src/retry.rs (+40 -12)",
            "codex    running     01:05    - turns  - tok            cost ?",
        ]
    );

    feed(&mut reporter, 8..15);
    set(700_000);
    reporter.tick();
    assert_eq!(
        reporter.lines(),
        [
            "opus   ✓ done        00:13    4 turns  12.3k/1.2k tok    $0.12 checks 1/1 pass · +40 -12",
            "codex    running     11:39    - turns  - tok            cost ?",
        ]
    );

    feed(&mut reporter, 15..events.len());
    set(900_000);
    reporter.tick();
    reporter.finish();
    assert_eq!(
        reporter.lines(),
        [
            "opus   ✓ done        00:13    4 turns  12.3k/1.2k tok    $0.12 checks 1/1 pass · +40 -12",
            "codex  ✗ failed      10:00    - turns  - tok            cost ? failed: no diff captured",
        ]
    );
    let printed = out.text();
    assert!(printed.starts_with("race 20261121-1530-fix-retry: 2 lanes from main (0123456)\n"));
    // The leaderboard is the command's to print, on stdout, not the live display's.
    assert!(!printed.contains("#  lane   agent "), "{printed}");
    assert!(printed.ends_with("merged opus into main (squash): abcdef0\nrace finished: opus won\n"));
}

#[test]
fn terminal_colors_only_when_asked() {
    let run = |color: bool| {
        let mut reporter = TerminalReporter::new(color)
            .with_draw_target(ProgressDrawTarget::hidden())
            .with_size(|| (40, 200))
            .with_clock(|| T0 + 5_000)
            .with_output(Shared::default());
        for event in &script()[..15] {
            reporter.event(event);
        }
        reporter.lines()
    };
    let plain = run(false);
    let colored = run(true);
    assert!(plain.iter().all(|l| !l.contains('\x1b')));
    assert!(colored[0].contains("\x1b[32m✓\x1b[0m"), "{:?}", colored[0]);
    assert!(colored[0].contains("\x1b[1mopus\x1b[0m"), "{:?}", colored[0]);
}

#[test]
fn terminal_lane_not_announced_still_gets_a_line() {
    let mut reporter = TerminalReporter::new(false)
        .with_draw_target(ProgressDrawTarget::hidden())
        .with_size(|| (40, 200))
        .with_clock(|| T0 + 3_000)
        .with_output(Shared::default());
    reporter.event(&at(
        1_000,
        state("a-much-longer-lane-name-than-fits-here", LaneState::Running),
    ));
    reporter.event(&at(1_000, state("b", LaneState::Cancelled)));
    assert_eq!(
        reporter.lines(),
        [
            "a-much-longer-lane-name…    running     00:02    - turns  - tok            cost ?",
            "b                         ✗ cancelled   00:00    - turns  - tok            cost ? cancelled",
        ]
    );
}

/// A reporter drawing nowhere, at the size `size` holds, with its clock at `T0 + ms`.
fn sized(size: Arc<Mutex<(usize, usize)>>, ms: u64) -> TerminalReporter {
    TerminalReporter::new(false)
        .with_draw_target(ProgressDrawTarget::hidden())
        .with_clock(move || T0 + ms)
        .with_size(move || *size.lock().unwrap())
        .with_output(Shared::default())
}

#[test]
fn terminal_lines_fit_every_width() {
    let size = Arc::new(Mutex::new((40, 200)));
    let mut reporter = sized(size.clone(), 66_000);
    for event in &script()[..8] {
        reporter.event(event);
    }
    let at = |reporter: &mut TerminalReporter, cols: usize| {
        *size.lock().unwrap() = (40, cols);
        reporter.tick();
        reporter.lines()
    };
    for cols in 1..=220 {
        for line in at(&mut reporter, cols) {
            assert!(
                text::width(&line) < cols.max(2),
                "{cols} columns: {line:?} is {} wide",
                text::width(&line)
            );
        }
    }
    // The last action is cut; then the tokens go, then the cost, then the last action.
    assert_eq!(
        at(&mut reporter, 80),
        [
            "opus     running     01:05    3 turns  9.0k/900 tok      $0.09 Edit src/retry.…",
            "codex    running     01:05    - turns  - tok            cost ?",
        ]
    );
    assert_eq!(
        at(&mut reporter, 60),
        [
            "opus     running     01:05    3 turns    $0.09 Edit src/re…",
            "codex    running     01:05    - turns   cost ?",
        ]
    );
    assert_eq!(
        at(&mut reporter, 40),
        [
            "opus     running     01:05    3 turns",
            "codex    running     01:05    - turns",
        ]
    );
}

#[test]
fn a_long_name_is_cut_before_the_clock_at_narrow_widths() {
    let size = Arc::new(Mutex::new((40, 40)));
    let mut reporter = sized(size.clone(), 3_000);
    reporter.event(&at(
        1_000,
        state("a-very-long-lane-name-that-goes-on", LaneState::Running),
    ));
    reporter.event(&at(1_000, state("日本語のレーン", LaneState::Queued)));
    assert_eq!(
        reporter.lines(),
        [
            "a-very…    running     00:02    - turns",
            "日本語…    queued      --:--    - turns",
        ]
    );
    *size.lock().unwrap() = (40, 24);
    reporter.tick();
    // Too narrow for the clock: the name, the mark and the state are left.
    assert_eq!(reporter.lines(), ["a-very-l…    running", "日本語の…    queued"]);
}

#[test]
fn more_lanes_than_rows_are_summarised_and_replanned_on_resize() {
    let size = Arc::new(Mutex::new((10, 60)));
    let mut reporter = sized(size.clone(), 5_000);
    let names: Vec<String> = (1..=12).map(|i| format!("lane-{i:02}")).collect();
    reporter.event(&at(
        0,
        RaceEvent::RaceStarted {
            race: "r1".into(),
            base: "0123456789abcdef".into(),
            base_ref: "main".into(),
            target_branch: Some("main".into()),
            lanes: names.iter().map(|n| info(n, "claude:opus")).collect(),
        },
    ));
    // Lanes 3, 6, 9 and 12 run; 1 is done; the rest are queued.
    for n in [3, 6, 9, 12] {
        reporter.event(&at(1_000, state(&names[n - 1], LaneState::Running)));
    }
    reporter.event(&at(1_000, state(&names[0], LaneState::Done)));
    let lines = reporter.lines();
    // Ten rows leave eight lines: seven lanes and the summary.
    assert_eq!(lines.len(), 8, "{lines:#?}");
    let shown: Vec<&str> = lines[..7].iter().map(|l| &l[..7]).collect();
    assert_eq!(
        shown,
        ["lane-01", "lane-02", "lane-03", "lane-04", "lane-06", "lane-09", "lane-12"]
    );
    assert_eq!(lines[7], "+5 more: 5 queued");

    *size.lock().unwrap() = (6, 60);
    reporter.tick();
    let lines = reporter.lines();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let shown: Vec<&str> = lines[..3].iter().map(|l| &l[..7]).collect();
    assert_eq!(shown, ["lane-03", "lane-06", "lane-09"]);
    assert_eq!(lines[3], "+9 more: 1 running, 1 done, 7 queued");

    *size.lock().unwrap() = (40, 60);
    reporter.tick();
    assert_eq!(reporter.lines().len(), 12);
}
