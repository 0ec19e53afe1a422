//! Table tests for `rank`: gates, tiers, order, tie-breaks and the reason on each row.

use super::*;
use crate::review::judge::{apply_judging, finalists, JudgeOutcome, JudgeWinner, DEFAULT_NOISE};
use crate::vocab::{CheckOutcome, ExitKind, Verdict};

/// A lane that passes every gate: a small diff, one passing check, a known cost.
fn lane(name: &str) -> LaneResult {
    LaneResult {
        lane: name.to_string(),
        agent: format!("fake:{name}"),
        provenance: Default::default(),
        cancelled: false,
        failed: None,
        agent_timed_out: false,
        agent_exit_ok: true,
        agent_error: None,
        diff_files: 2,
        insertions: 30,
        deletions: 10,
        checks: vec![check("test", false, true)],
        tampering: vec![],
        tests_may_change: false,
        cost_usd: Some(0.10),
        breached: Vec::new(),
        elapsed_ms: 60_000,
        review: None,
        fix_rounds: 0,
    }
}

fn with(name: &str, change: impl FnOnce(&mut LaneResult)) -> LaneResult {
    let mut l = lane(name);
    change(&mut l);
    l
}

fn check(name: &str, holdout: bool, passed: bool) -> CheckOutcome {
    CheckOutcome::sample(name, holdout, passed)
}

fn timed_out(name: &str) -> CheckOutcome {
    CheckOutcome {
        exit: Some(ExitKind::Signal(9)),
        timed_out: true,
        ..check(name, false, false)
    }
}

/// A review of `verdict` and `score` (0..100) by reviewers of calibration group `scale`.
fn signal(verdict: Verdict, score: f64, scale: &str) -> ReviewSignal {
    ReviewSignal {
        score,
        verdict: Some(verdict),
        scale: Some(scale.to_string()),
        reviewers: 1,
        ..Default::default()
    }
}

fn order(board: &Leaderboard) -> Vec<&str> {
    board.rows.iter().map(|r| r.lane.as_str()).collect()
}

fn reasons(board: &Leaderboard) -> Vec<&str> {
    board.rows.iter().map(|r| r.reason.as_str()).collect()
}

#[test]
fn gates() {
    let deleted = Tamper {
        path: "tests/a.rs".into(),
        kind: TamperKind::Deleted,
        assertions_removed: 0,
        detail: None,
    };
    let weakened = Tamper {
        path: "tests/y.py".into(),
        kind: TamperKind::Weakened,
        assertions_removed: 3,
        detail: None,
    };
    let holdout = Tamper {
        path: "acceptance/run.sh".into(),
        kind: TamperKind::Weakened,
        assertions_removed: 1,
        detail: None,
    };
    let cases: Vec<(&str, LaneResult, Vec<&str>)> = vec![
        ("clean", lane("a"), vec![]),
        (
            "empty diff",
            with("a", |l| (l.diff_files, l.insertions, l.deletions) = (0, 0, 0)),
            vec!["empty diff"],
        ),
        (
            "mode-only change is not empty",
            with("a", |l| (l.diff_files, l.insertions, l.deletions) = (1, 0, 0)),
            vec![],
        ),
        (
            "agent timeout",
            with("a", |l| l.agent_timed_out = true),
            vec!["agent timed out"],
        ),
        (
            "check timeout",
            with("a", |l| {
                l.checks = vec![check("build", false, true), timed_out("test")]
            }),
            vec!["check 'test' timed out"],
        ),
        (
            "holdout check timeout",
            with("a", |l| {
                l.checks = vec![CheckOutcome {
                    holdout: true,
                    ..timed_out("accept")
                }]
            }),
            vec!["holdout check 'accept' timed out"],
        ),
        (
            "cancelled with nothing done",
            with("a", |l| {
                l.cancelled = true;
                (l.diff_files, l.insertions, l.deletions) = (0, 0, 0);
                l.checks.clear();
            }),
            vec!["cancelled", "empty diff"],
        ),
        (
            "failed",
            with("a", |l| l.failed = Some("worktree add: exists".into())),
            vec!["failed: worktree add: exists"],
        ),
        (
            "multi-line failure stays on one line",
            with("a", |l| {
                l.failed = Some("agent crashed:\n  panicked at x\n".into())
            }),
            vec!["failed: agent crashed: panicked at x"],
        ),
        (
            "tampering",
            with("a", |l| {
                l.tampering = vec![deleted.clone(), weakened.clone(), holdout.clone()]
            }),
            vec![
                "deleted test file tests/a.rs",
                "weakened test file tests/y.py (3 assertions removed)",
                "weakened holdout file acceptance/run.sh (1 assertion removed)",
            ],
        ),
        (
            "tampering allowed by the spec",
            with("a", |l| {
                l.tampering = vec![deleted.clone()];
                l.tests_may_change = true;
            }),
            vec![],
        ),
        (
            "agent exit code alone does not gate",
            with("a", |l| {
                l.agent_exit_ok = false;
                l.agent_error = Some("max turns".into());
            }),
            vec![],
        ),
    ];
    for (what, lane, want) in cases {
        let board = rank(&[lane]);
        let row = &board.rows[0];
        assert_eq!(row.gates_failed, want, "{what}");
        assert_eq!(row.passed, want.is_empty(), "{what}: passed");
        if !want.is_empty() {
            assert_eq!(row.reason, format!("gated: {}", want.join(", ")), "{what}");
            assert_eq!(board.winner, None, "{what}: winner");
        }
    }
}

#[test]
fn tiers() {
    let r = |name: &str, passed: bool| check(name, false, passed);
    let h = |name: &str, passed: bool| check(name, true, passed);
    // (what, checks, tier, summary, (checks passed, checks total))
    type Case = (
        &'static str,
        Vec<CheckOutcome>,
        Tier,
        &'static str,
        (usize, usize),
    );
    let cases: Vec<Case> = vec![
        (
            "no checks",
            vec![],
            Tier::Full,
            "FULL: nothing was checked",
            (0, 0),
        ),
        (
            "all pass",
            vec![r("build", true), r("test", true), h("accept", true)],
            Tier::Full,
            "FULL: 3/3 checks pass",
            (3, 3),
        ),
        (
            "holdout partly",
            vec![r("test", true), h("a1", true), h("a2", false)],
            Tier::Partial,
            "PARTIAL: holdout 1/2 pass",
            (2, 3),
        ),
        (
            "holdout none",
            vec![r("test", true), h("a1", false), h("a2", false)],
            Tier::None,
            "NONE: holdout 0/2 pass",
            (1, 3),
        ),
        (
            "regression fails, holdout passes",
            vec![r("test", false), h("a1", true), h("a2", false)],
            Tier::None,
            "NONE: check 'test' failed",
            (1, 3),
        ),
        (
            "two regressions fail",
            vec![r("build", false), r("test", false)],
            Tier::None,
            "NONE: checks 'build' and 'test' failed",
            (0, 2),
        ),
        (
            "three regressions fail",
            vec![r("build", false), r("lint", false), r("test", false)],
            Tier::None,
            "NONE: checks 'build', 'lint' and 'test' failed",
            (0, 3),
        ),
        (
            "many regressions fail",
            vec![r("a", false), r("b", false), r("c", false), r("d", false)],
            Tier::None,
            "NONE: 4 checks failed",
            (0, 4),
        ),
        (
            "only holdouts, all pass",
            vec![h("a1", true)],
            Tier::Full,
            "FULL: 1/1 checks pass",
            (1, 1),
        ),
    ];
    for (what, checks, tier, summary, (passed, total)) in cases {
        let board = rank(&[with("a", |l| l.checks = checks)]);
        let row = &board.rows[0];
        assert_eq!(row.tier, tier, "{what}");
        assert_eq!(row.reason, format!("{summary}; only lane"), "{what}");
        assert_eq!((row.checks_passed, row.checks_total), (passed, total), "{what}");
        assert_eq!(row.passed, tier == Tier::Full, "{what}: passed");
        assert_eq!(board.winner.is_some(), tier == Tier::Full, "{what}: winner");
    }
}

#[test]
fn order_table() {
    let cases: Vec<(&str, Vec<LaneResult>, Vec<&str>)> = vec![
        (
            "gated lane below a worse tier",
            vec![
                with("gated", |l| l.agent_timed_out = true),
                with("none", |l| l.checks = vec![check("test", false, false)]),
            ],
            vec!["none", "gated"],
        ),
        (
            "tier before cost",
            vec![
                with("partial", |l| {
                    l.checks = vec![check("h1", true, true), check("h2", true, false)];
                    l.cost_usd = Some(0.01);
                }),
                with("full", |l| l.cost_usd = Some(5.0)),
                with("none", |l| {
                    l.checks = vec![check("test", false, false)];
                    l.cost_usd = Some(0.001);
                }),
            ],
            vec!["full", "partial", "none"],
        ),
        (
            "cost ascending, unknown last",
            vec![
                with("unknown", |l| l.cost_usd = None),
                with("dear", |l| l.cost_usd = Some(0.31)),
                with("cheap", |l| l.cost_usd = Some(0.12)),
                with("nan", |l| l.cost_usd = Some(f64::NAN)),
            ],
            vec!["cheap", "dear", "nan", "unknown"],
        ),
        (
            "cost before diff before time before name",
            vec![
                with("d", |l| l.elapsed_ms = 1),
                with("c", |l| l.insertions = 1),
                with("b", |l| l.cost_usd = Some(0.01)),
                with("a", |l| l.elapsed_ms = 2),
                lane("e"),
            ],
            vec!["b", "c", "d", "a", "e"],
        ),
        (
            "sub-resolution cost difference is a tie",
            vec![
                with("b", |l| (l.cost_usd, l.insertions) = (Some(0.100_001), 1)),
                with("a", |l| (l.cost_usd, l.insertions) = (Some(0.100_002), 2)),
            ],
            vec!["b", "a"],
        ),
        (
            "review score before cost, reviewed before unreviewed",
            vec![
                with("cheap-unreviewed", |l| l.cost_usd = Some(0.01)),
                with("low", |l| l.review = Some(signal(Verdict::Approve, 40.0, "r"))),
                with("high", |l| {
                    l.cost_usd = Some(9.0);
                    l.review = Some(signal(Verdict::Approve, 90.0, "r"));
                }),
            ],
            vec!["high", "low", "cheap-unreviewed"],
        ),
        (
            "confirmed blocker demotes within the tier only",
            vec![
                with("blocked", |l| {
                    l.review = Some(ReviewSignal {
                        confirmed_blockers: 1,
                        ..signal(Verdict::Approve, 100.0, "r")
                    })
                }),
                with("clean", |l| l.review = Some(signal(Verdict::Approve, 20.0, "r"))),
                with("none-tier", |l| l.checks = vec![check("test", false, false)]),
            ],
            vec!["clean", "blocked", "none-tier"],
        ),
    ];
    for (what, lanes, want) in cases {
        let board = rank(&lanes);
        assert_eq!(order(&board), want, "{what}");
        let positions: Vec<usize> = board.rows.iter().map(|r| r.position).collect();
        assert_eq!(positions, (1..=want.len()).collect::<Vec<_>>(), "{what}");
    }
}

#[test]
fn order_does_not_depend_on_input_order() {
    let lanes = vec![
        with("a", |l| l.cost_usd = None),
        with("b", |l| l.cost_usd = Some(0.2)),
        lane("c"),
        lane("d"),
        with("e", |l| l.agent_timed_out = true),
        with("f", |l| {
            l.checks = vec![check("h", true, true), check("i", true, false)]
        }),
    ];
    let expected = rank(&lanes);
    let mut shuffled = lanes.clone();
    for rotation in 0..lanes.len() {
        shuffled.rotate_left(1);
        let mut reversed = shuffled.clone();
        reversed.reverse();
        assert_eq!(rank(&shuffled), expected, "rotation {rotation}");
        assert_eq!(rank(&reversed), expected, "reversed rotation {rotation}");
    }
    assert_eq!(order(&expected), ["c", "d", "b", "a", "f", "e"]);
}

#[test]
fn reasons_table() {
    let full3 = || {
        vec![
            check("build", false, true),
            check("test", false, true),
            check("accept", true, true),
        ]
    };
    let cases: Vec<(&str, Vec<LaneResult>, Vec<&str>)> = vec![
        (
            "cost decides",
            vec![
                with("opus", |l| (l.checks, l.cost_usd) = (full3(), Some(0.12))),
                with("gpt", |l| (l.checks, l.cost_usd) = (full3(), Some(0.31))),
            ],
            vec![
                "FULL: 3/3 checks pass; cheapest of the FULL lanes ($0.12 vs $0.31)",
                "FULL like #1 but costlier ($0.31 vs $0.12)",
            ],
        ),
        (
            "tiers decide",
            vec![
                with("full", |l| l.checks = full3()),
                with("partial", |l| {
                    l.checks = vec![
                        check("test", false, true),
                        check("h1", true, true),
                        check("h2", true, false),
                    ]
                }),
                with("none", |l| l.checks = vec![check("test", false, false)]),
                with("gated", |l| {
                    l.tampering = vec![Tamper {
                        path: "tests/a.rs".into(),
                        kind: TamperKind::Deleted,
                        assertions_removed: 0,
                        detail: None,
                    }]
                }),
            ],
            vec![
                "FULL: 3/3 checks pass; only FULL lane past the gates",
                "PARTIAL: holdout 1/2 pass",
                "NONE: check 'test' failed",
                "gated: deleted test file tests/a.rs",
            ],
        ),
        (
            "diff decides after a cost tie",
            vec![
                with("small", |l| (l.insertions, l.deletions) = (30, 10)),
                with("big", |l| (l.insertions, l.deletions) = (100, 20)),
            ],
            vec![
                "FULL: 1/1 checks pass; tie on cost; smaller diff (40 vs 120 lines)",
                "FULL like #1, tie on cost; larger diff (120 vs 40 lines)",
            ],
        ),
        (
            "time decides",
            vec![
                with("slow", |l| l.elapsed_ms = 80_000),
                with("quick", |l| l.elapsed_ms = 40_000),
            ],
            vec![
                "FULL: 1/1 checks pass; tie on cost and diff size; faster (40.0s vs 1m 20s)",
                "FULL like #1, tie on cost and diff size; slower (1m 20s vs 40.0s)",
            ],
        ),
        (
            "time decides below display resolution",
            vec![
                with("b", |l| l.elapsed_ms = 40_010),
                with("a", |l| l.elapsed_ms = 40_020),
            ],
            vec![
                "FULL: 1/1 checks pass; tie on cost and diff size; faster (40010ms vs 40020ms)",
                "FULL like #1, tie on cost and diff size; slower (40020ms vs 40010ms)",
            ],
        ),
        (
            "only the name is left",
            vec![lane("beta"), lane("alpha")],
            vec![
                "FULL: 1/1 checks pass; tie on cost, diff size and time; first by lane name",
                "FULL like #1, tie on cost, diff size and time; after #1 by lane name",
            ],
        ),
        (
            "unknown cost",
            vec![with("unknown", |l| l.cost_usd = None), lane("known")],
            vec![
                "FULL: 1/1 checks pass; cost known ($0.10, #2 unknown)",
                "FULL like #1 but cost unknown (#1: $0.10)",
            ],
        ),
        (
            "both costs unknown",
            vec![
                with("b", |l| (l.cost_usd, l.insertions) = (None, 1)),
                with("a", |l| l.cost_usd = None),
            ],
            vec![
                "FULL: 1/1 checks pass; tie on cost; smaller diff (11 vs 40 lines)",
                "FULL like #1, tie on cost; larger diff (40 vs 11 lines)",
            ],
        ),
        (
            "costs that only differ past the cent",
            vec![
                with("a", |l| l.cost_usd = Some(0.1201)),
                with("b", |l| l.cost_usd = Some(0.1203)),
            ],
            vec![
                "FULL: 1/1 checks pass; cheapest of the FULL lanes ($0.1201 vs $0.1203)",
                "FULL like #1 but costlier ($0.1203 vs $0.1201)",
            ],
        ),
        (
            "the only lane through the gates",
            vec![
                with("ok", |l| l.checks = vec![check("test", false, false)]),
                with("empty", |l| (l.diff_files, l.insertions, l.deletions) = (0, 0, 0)),
            ],
            vec![
                "NONE: check 'test' failed; only lane through the gates",
                "gated: empty diff",
            ],
        ),
        (
            "all gated: the order among them is explained too",
            vec![
                with("timeout", |l| l.agent_timed_out = true),
                with("cancelled", |l| {
                    l.cancelled = true;
                    l.checks = vec![check("test", false, false)];
                }),
                with("failed", |l| {
                    l.failed = Some("agent crashed".into());
                    l.cost_usd = Some(0.5);
                }),
            ],
            vec![
                "gated: agent timed out; ahead of #2 on cost ($0.10 vs $0.50)",
                "gated: failed: agent crashed; below #1 on cost ($0.50 vs $0.10)",
                "gated: cancelled; below #2 on tier (NONE vs FULL)",
            ],
        ),
    ];
    for (what, lanes, want) in cases {
        let board = rank(&lanes);
        assert_eq!(reasons(&board), want, "{what}");
    }
}

#[test]
fn review_reasons() {
    let reviewed = |name: &str, score: f64, blockers: usize| {
        with(name, |l| {
            l.review = Some(ReviewSignal {
                confirmed_blockers: blockers,
                ..signal(Verdict::Approve, score, "r")
            })
        })
    };
    let board = rank(&[
        reviewed("top", 82.0, 0),
        reviewed("mid", 64.5, 0),
        lane("unreviewed"),
        reviewed("blocked", 99.0, 2),
    ]);
    assert_eq!(order(&board), ["top", "mid", "unreviewed", "blocked"]);
    assert_eq!(
        reasons(&board),
        [
            "FULL: 1/1 checks pass; review: approve 82 vs approve 64.5",
            "FULL like #1 but behind on review: approve 64.5 vs approve 82",
            "FULL like #2 but not reviewed (#2: approve 64.5)",
            "FULL like #3 but demoted: 2 confirmed blockers",
        ]
    );
}

#[test]
fn cheapest_is_only_claimed_when_true() {
    // A better review puts a costlier lane first; "cheapest" would then be false.
    let board = rank(&[
        with("a", |l| {
            l.cost_usd = Some(0.20);
            l.review = Some(signal(Verdict::Approve, 50.0, "r"));
        }),
        with("b", |l| {
            l.cost_usd = Some(0.30);
            l.review = Some(signal(Verdict::Approve, 50.0, "r"));
        }),
        with("c", |l| {
            l.cost_usd = Some(0.01);
            l.review = Some(signal(Verdict::Approve, 10.0, "r"));
        }),
    ]);
    assert_eq!(order(&board), ["a", "b", "c"]);
    assert_eq!(
        board.rows[0].reason,
        "FULL: 1/1 checks pass; review tie (approve 50 vs approve 50) → cheaper than #2 ($0.20 vs $0.30)"
    );
}

#[test]
fn winner_and_passed() {
    let cases: Vec<(&str, Vec<LaneResult>, Option<&str>)> = vec![
        ("no lanes", vec![], None),
        ("one full lane", vec![lane("a")], Some("a")),
        (
            "best lane is partial",
            vec![with("a", |l| {
                l.checks = vec![check("h1", true, true), check("h2", true, false)]
            })],
            None,
        ),
        ("only gated lanes", vec![with("a", |l| l.cancelled = true)], None),
        (
            "full lane beats gated cheaper lane",
            vec![
                with("cheap", |l| (l.cost_usd, l.agent_timed_out) = (Some(0.0), true)),
                lane("ok"),
            ],
            Some("ok"),
        ),
    ];
    for (what, lanes, want) in cases {
        let board = rank(&lanes);
        assert_eq!(board.winner.as_deref(), want, "{what}");
        assert_eq!(board.format, LEADERBOARD_FORMAT);
        let passed: Vec<bool> = board.rows.iter().map(|r| r.passed).collect();
        let expect_first = want.is_some();
        assert_eq!(passed.first().copied().unwrap_or(false), expect_first, "{what}");
    }
}

#[test]
fn row_fields() {
    let board = rank(&[with("a", |l| {
        (l.insertions, l.deletions, l.elapsed_ms) = (7, 3, 1234);
        l.cost_usd = Some(f64::INFINITY);
    })]);
    let row = &board.rows[0];
    assert_eq!(row.agent, "fake:a");
    assert_eq!(row.diff_lines, 10);
    assert_eq!(row.elapsed_ms, 1234);
    assert_eq!(row.cost_usd, None, "a non-finite cost is shown as unknown");
}

#[test]
fn leaderboard_serde() {
    let board = rank(&[lane("a"), with("b", |l| l.agent_timed_out = true)]);
    let json = serde_json::to_value(&board).unwrap();
    assert_eq!(json["format"], 1);
    assert_eq!(json["winner"], "a");
    assert_eq!(json["rows"][0]["tier"], "FULL");
    assert_eq!(json["rows"][1]["gates_failed"][0], "agent timed out");
    let back: Leaderboard = serde_json::from_value(json).unwrap();
    assert_eq!(back, board);
}

fn judged(name: &str, score: f64, strength: Option<f64>, beat: &[&str]) -> LaneResult {
    with(name, |l| {
        l.review = Some(ReviewSignal {
            judge: strength.map(|strength| JudgeSignal {
                strength,
                beat: beat.iter().map(|s| s.to_string()).collect(),
            }),
            ..signal(Verdict::Approve, score, "r")
        })
    })
}

#[test]
fn review_v2_reasons_table() {
    let blocker = ConfirmedBlocker {
        file: "src/x.rs".into(),
        line: Some(12),
        reviewers: 2,
        title: "panics on empty input".into(),
    };
    let cases: Vec<(&str, Vec<LaneResult>, Vec<&str>)> = vec![
        (
            "confirmed blocker names its place",
            vec![
                judged("clean", 50.0, None, &[]),
                with("blocked", |l| {
                    l.review = Some(ReviewSignal {
                        confirmed_blockers: 1,
                        blockers: vec![blocker.clone()],
                        ..signal(Verdict::Approve, 90.0, "r")
                    })
                }),
            ],
            vec![
                "FULL: 1/1 checks pass; no confirmed blockers; #2 has confirmed blocker: src/x.rs:12 (2 reviewers)",
                "FULL like #1 but demoted: confirmed blocker: src/x.rs:12 (2 reviewers)",
            ],
        ),
        (
            "judge agreed in both orders beats a higher review",
            vec![judged("a", 90.0, Some(0.3), &[]), judged("b", 88.0, Some(0.7), &["a"])],
            vec![
                "FULL: 1/1 checks pass; judge preferred it over #2 in both orders (strength 0.70 vs 0.30)",
                "FULL like #1 but judge preferred #1 in both orders (strength 0.30 vs 0.70)",
            ],
        ),
        (
            "strength without a direct agreed win",
            vec![judged("a", 90.0, Some(0.45), &[]), judged("b", 88.0, Some(0.55), &["c"])],
            vec![
                "FULL: 1/1 checks pass; stronger in pairwise judging (strength 0.55 vs 0.45)",
                "FULL like #1 but weaker in pairwise judging (strength 0.45 vs 0.55)",
            ],
        ),
        (
            "equal strength falls to review; non-finalist says so",
            vec![
                judged("a", 90.0, Some(0.5), &[]),
                judged("b", 89.0, Some(0.5), &[]),
                judged("c", 60.0, None, &[]),
            ],
            vec![
                "FULL: 1/1 checks pass; review: approve 90 vs approve 89",
                "FULL like #1 but behind on review: approve 89 vs approve 90",
                "FULL like #2 but not a finalist (review approve 60 vs approve 89)",
            ],
        ),
        (
            "ties list pairwise judging",
            vec![
                judged("a", 90.0, Some(0.5), &[]),
                LaneResult {
                    insertions: 31,
                    ..judged("b", 90.0, Some(0.5), &[])
                },
            ],
            vec![
                "FULL: 1/1 checks pass; review tie (approve 90 vs approve 90) → tie on pairwise judging and cost; smaller diff (40 vs 41 lines)",
                "FULL like #1, review tie (approve 90 vs approve 90) → tie on pairwise judging and cost; larger diff (41 vs 40 lines)",
            ],
        ),
    ];
    for (what, lanes, want) in cases {
        let board = rank(&lanes);
        assert_eq!(reasons(&board), want, "{what}");
    }
}

#[test]
fn reviews_to_leaderboard() {
    use crate::review::{Finding, FindingSource, ReviewOutput, Severity, Verdict};
    use std::collections::BTreeMap;
    let out = |score: u8, blocker_line: Option<u32>| ReviewOutput {
        verdict: Verdict::Approve,
        score,
        summary: String::new(),
        findings: blocker_line
            .map(|line| Finding {
                severity: Severity::Blocker,
                file: "src/x.rs".into(),
                line: Some(line),
                title: "t".into(),
                body: "b".into(),
                suggestion: None,
                source: FindingSource::Reviewer,
            })
            .into_iter()
            .collect(),
    };
    let mut reviews: BTreeMap<String, BTreeMap<String, ReviewOutput>> = BTreeMap::new();
    for (reviewer, lane, score, blocker) in [
        ("openai/gpt-5.5", "a", 90, Some(12)),
        ("openai/gpt-5.5", "b", 70, None),
        ("openai/gpt-5.5", "c", 50, None),
        ("google/gemini-3-pro", "a", 95, Some(14)),
        ("google/gemini-3-pro", "b", 60, None),
        ("google/gemini-3-pro", "c", 65, None),
    ] {
        reviews
            .entry(reviewer.into())
            .or_default()
            .insert(lane.into(), out(score, blocker));
    }
    let signals = review_signal(&reviews);
    let mut lanes = vec![lane("a"), lane("b"), lane("c")];
    for l in &mut lanes {
        l.review = signals.get(&l.lane).cloned();
    }
    let board = rank(&lanes);
    assert_eq!(order(&board), ["b", "c", "a"]);
    assert_eq!(
        board.rows[2].reason,
        "FULL like #2 but demoted: confirmed blocker: src/x.rs:12 (2 reviewers)"
    );
    // Both reviewers scored every lane, so gemini's leniency (+1.7 over gpt) is taken
    // out: b is 71.7 and 58.3 corrected, median 65; c is 51.7 and 63.3, median 57.5.
    assert_eq!(signals["b"].score, 65.0);
    assert_eq!(signals["c"].score, 57.5);
    assert_eq!(
        board.rows[0].reason,
        "FULL: 1/1 checks pass; review: approve 65 vs approve 57.5"
    );
    // b and c are within the noise of each other: a close call for the judge.
    assert_eq!(
        finalists(&board, &lanes, 5.0),
        Vec::<String>::new(),
        "65 vs 57.5 is no close call at 5 points"
    );
    assert_eq!(finalists(&board, &lanes, DEFAULT_NOISE), ["b", "c"]);
    let outcome = JudgeOutcome::from_verdicts("b", "c", JudgeWinner::B, JudgeWinner::A);
    apply_judging(&mut lanes, &[outcome]);
    let board = rank(&lanes);
    assert_eq!(order(&board), ["c", "b", "a"]);
    assert!(
        board.rows[0]
            .reason
            .contains("judge preferred it over #2 in both orders"),
        "{}",
        board.rows[0].reason
    );
}

#[test]
fn a_lane_after_fix_rounds_is_ranked_on_its_last_round_and_says_so() {
    let fixed = with("fixed", |l| l.fix_rounds = 1);
    let first = with("first", |l| l.cost_usd = Some(0.50));
    let board = rank(&[first, fixed]);
    assert_eq!(order(&board), ["fixed", "first"]);
    assert!(
        board.rows[0].reason.starts_with("round 2: "),
        "{}",
        board.rows[0].reason
    );
    assert_eq!(board.rows[0].fix_rounds, 1);
    assert!(
        !board.rows[1].reason.starts_with("round"),
        "{}",
        board.rows[1].reason
    );
}

/// A lane through every gate, approved with `score` by reviewers of group `r`, with
/// `blockers` confirmed blockers.
fn reviewed(name: &str, score: f64, blockers: usize) -> LaneResult {
    let mut l = LaneResult::new(name, "fake:x", false);
    (l.diff_files, l.insertions, l.agent_exit_ok) = (1, 1, true);
    l.review = Some(ReviewSignal {
        confirmed_blockers: blockers,
        ..signal(Verdict::Approve, score, "r")
    });
    l
}

// The close-call table ranks its lanes first; review (where `finalists` lives) does not
// import rank, so the table lives here.
#[test]
fn finalists_table() {
    let cases: Vec<(&str, Vec<LaneResult>, f64, Vec<&str>)> = vec![
        (
            "clear winner",
            vec![reviewed("a", 90.0, 0), reviewed("b", 60.0, 0)],
            DEFAULT_NOISE,
            vec![],
        ),
        (
            "close",
            vec![
                reviewed("a", 90.0, 0),
                reviewed("b", 87.0, 0),
                reviewed("c", 50.0, 0),
            ],
            DEFAULT_NOISE,
            vec!["a", "b"],
        ),
        (
            "wider noise",
            vec![
                reviewed("a", 90.0, 0),
                reviewed("b", 87.0, 0),
                reviewed("c", 50.0, 0),
            ],
            50.0,
            vec!["a", "b", "c"],
        ),
        (
            "another verdict is no close call",
            vec![
                reviewed("a", 80.0, 0),
                LaneResult {
                    review: Some(signal(Verdict::RequestChanges, 85.0, "r")),
                    ..reviewed("b", 0.0, 0)
                },
            ],
            DEFAULT_NOISE,
            vec![],
        ),
        (
            "a tie on review led by the cheaper lane: the higher score is a finalist too",
            vec![
                LaneResult {
                    review: Some(signal(Verdict::Approve, 81.0, "r1")),
                    cost_usd: Some(0.02),
                    ..reviewed("cheap", 0.0, 0)
                },
                LaneResult {
                    review: Some(signal(Verdict::Approve, 88.0, "r2")),
                    cost_usd: Some(0.09),
                    ..reviewed("pricey", 0.0, 0)
                },
            ],
            DEFAULT_NOISE,
            vec!["cheap", "pricey"],
        ),
        (
            "blocked lane is no finalist",
            vec![reviewed("a", 90.0, 0), reviewed("b", 90.0, 1)],
            DEFAULT_NOISE,
            vec![],
        ),
        (
            "unreviewed",
            vec![
                reviewed("a", 90.0, 0),
                LaneResult {
                    review: None,
                    ..reviewed("b", 0.0, 0)
                },
            ],
            DEFAULT_NOISE,
            vec![],
        ),
        (
            "gated lanes are no finalists",
            vec![
                reviewed("a", 90.0, 0),
                LaneResult {
                    cancelled: true,
                    ..reviewed("b", 90.0, 0)
                },
            ],
            DEFAULT_NOISE,
            vec![],
        ),
    ];
    for (what, lanes, noise, want) in cases {
        assert_eq!(finalists(&rank(&lanes), &lanes, noise), want, "{what}");
    }
}

// The review model's properties, as metamorphic tables: reviews go through
// `review_signal` and lanes through `rank`, as in a race.

/// One review: reviewer, lane, verdict, score.
type Rev = (&'static str, &'static str, Verdict, u8);

/// Ranks lanes reviewed by `reviews`; lane `name` costs `costs[name]` (distinct costs
/// make every tie on review visible as an order by cost).
fn rank_reviews(reviews: &[Rev], costs: &[(&str, f64)]) -> Leaderboard {
    use crate::review::ReviewOutput;
    use std::collections::BTreeMap;
    let mut by_reviewer: BTreeMap<String, BTreeMap<String, ReviewOutput>> = BTreeMap::new();
    for (reviewer, lane, verdict, score) in reviews {
        let output = ReviewOutput {
            verdict: *verdict,
            score: *score,
            summary: String::new(),
            findings: Vec::new(),
        };
        by_reviewer
            .entry(reviewer.to_string())
            .or_default()
            .insert(lane.to_string(), output);
    }
    let signals = review_signal(&by_reviewer);
    let lanes: Vec<LaneResult> = costs
        .iter()
        .map(|(name, cost)| {
            with(name, |l| {
                l.cost_usd = Some(*cost);
                l.review = signals.get(*name).cloned();
            })
        })
        .collect();
    rank(&lanes)
}

fn position(board: &Leaderboard, lane: &str) -> usize {
    board
        .rows
        .iter()
        .find(|r| r.lane == lane)
        .expect("ranked")
        .position
}

const A: Verdict = Verdict::Approve;
const RC: Verdict = Verdict::RequestChanges;

#[test]
fn same_verdict_and_score_from_different_reviewers_tie_on_review() {
    // The 0.81-vs-0.50 case: gpt scored only "pricey", claude scored "cheap" and "mid",
    // all approve 81. The z-score kept gpt's lone 81 as 0.81 and put claude's two at
    // 0.50, so the slower, dearer lane won on review alone. Now all three tie on review
    // and cost decides.
    let board = rank_reviews(
        &[
            ("openai/gpt-5.5", "pricey", A, 81),
            ("anthropic/claude-opus-4-6", "cheap", A, 81),
            ("anthropic/claude-opus-4-6", "mid", A, 81),
        ],
        &[("pricey", 0.09), ("cheap", 0.02), ("mid", 0.05)],
    );
    assert_eq!(order(&board), ["cheap", "mid", "pricey"]);
    assert_eq!(
        reasons(&board),
        [
            "FULL: 1/1 checks pass; review tie (approve 81 vs approve 81) → cheapest of the FULL lanes ($0.02 vs $0.05)",
            "FULL like #1, review tie (approve 81 vs approve 81) → costlier ($0.05 vs $0.02)",
            "FULL like #2, review tie (approve 81 vs approve 81, no shared reviewer) → costlier ($0.09 vs $0.05)",
        ]
    );
}

#[test]
fn same_review_on_two_scales_ties_through_rank() {
    // The same case with full lane results and signals as a journal would replay them:
    // one lane slower and unpriced, each lane with its own reviewer.
    let board = rank(&[
        with("slow", |l| {
            (l.cost_usd, l.elapsed_ms) = (None, 300_000);
            l.review = Some(signal(A, 81.0, "openai/gpt-5.5"));
        }),
        with("quick", |l| {
            (l.cost_usd, l.elapsed_ms) = (Some(0.02), 60_000);
            l.review = Some(signal(A, 81.0, "anthropic/claude-opus-4-6"));
        }),
    ]);
    assert_eq!(order(&board), ["quick", "slow"]);
    assert_eq!(
        reasons(&board),
        [
            "FULL: 1/1 checks pass; review tie (approve 81 vs approve 81, no shared reviewer) → cost known ($0.02, #2 unknown)",
            "FULL like #1, review tie (approve 81 vs approve 81, no shared reviewer) → cost unknown (#1: $0.02)",
        ]
    );
}

/// Review tables for the properties: one reviewer per lane, a reviewer over several
/// lanes, overlaps, chains, verdicts mixed.
/// A review table: what it shows, its reviews, each lane's cost.
type ReviewTable = (&'static str, Vec<Rev>, Vec<(&'static str, f64)>);

fn review_tables() -> Vec<ReviewTable> {
    let costs = vec![("a", 0.05), ("b", 0.04), ("c", 0.03), ("d", 0.02), ("e", 0.01)];
    vec![
        (
            "one reviewer per lane",
            vec![
                ("r1", "a", A, 81),
                ("r2", "b", A, 74),
                ("r3", "c", A, 90),
                ("r4", "d", RC, 95),
            ],
            costs.clone(),
        ),
        (
            "one reviewer for all",
            vec![
                ("r1", "a", A, 60),
                ("r1", "b", A, 64),
                ("r1", "c", A, 71),
                ("r1", "d", RC, 80),
            ],
            costs.clone(),
        ),
        (
            "two reviewers on every lane",
            vec![
                ("r1", "a", A, 70),
                ("r2", "a", A, 55),
                ("r1", "b", A, 66),
                ("r2", "b", A, 58),
                ("r1", "c", A, 75),
                ("r2", "c", RC, 45),
            ],
            costs.clone(),
        ),
        (
            "a chain of overlaps and a lone reviewer",
            vec![
                ("r1", "a", A, 72),
                ("r1", "b", A, 65),
                ("r2", "b", A, 60),
                ("r2", "c", A, 58),
                ("r3", "c", A, 70),
                ("r3", "d", A, 62),
                ("r4", "e", A, 68),
            ],
            costs.clone(),
        ),
        (
            "two groups close together",
            vec![
                ("r1", "a", A, 81),
                ("r1", "b", A, 89),
                ("r2", "c", A, 85),
                ("r2", "d", A, 97),
                ("r3", "e", A, 77),
            ],
            costs,
        ),
    ]
}

#[test]
fn raising_one_score_never_lowers_that_lane() {
    for (what, table, costs) in review_tables() {
        let before = rank_reviews(&table, &costs);
        for (i, (reviewer, lane, _, score)) in table.iter().enumerate() {
            for delta in [1u8, 3, 5, 9, 10, 11, 20, 40] {
                let mut raised = table.clone();
                raised[i].3 = score.saturating_add(delta).min(100);
                let after = rank_reviews(&raised, &costs);
                assert!(
                    position(&after, lane) <= position(&before, lane),
                    "{what}: {reviewer}'s {lane} +{delta}: {:?} → {:?}",
                    order(&before),
                    order(&after)
                );
            }
        }
    }
}

#[test]
fn raising_a_lane_score_never_lowers_it_on_mixed_scales() {
    // At the signal: lanes of three groups, close calls that mix them and one that
    // does not, every lane raised by steps across the noise margin.
    let table = [
        ("a", 81.0, "g1", 0.05),
        ("b", 89.0, "g2", 0.04),
        ("c", 97.0, "g1", 0.03),
        ("d", 85.0, "g3", 0.02),
        ("e", 70.0, "g1", 0.01),
        ("f", 75.5, "g1", 0.06),
    ];
    let lanes = |raise: Option<(usize, f64)>| -> Vec<LaneResult> {
        table
            .iter()
            .enumerate()
            .map(|(i, (name, score, scale, cost))| {
                let bump = raise.filter(|(j, _)| *j == i).map_or(0.0, |(_, d)| d);
                with(name, |l| {
                    l.cost_usd = Some(*cost);
                    l.review = Some(signal(A, score + bump, scale));
                })
            })
            .collect()
    };
    let before = rank(&lanes(None));
    for (i, (lane, ..)) in table.iter().enumerate() {
        for delta in [0.1, 0.5, 1.0, 2.5, 4.0, 7.5, 9.9, 10.0, 10.1, 15.0, 30.0] {
            let after = rank(&lanes(Some((i, delta))));
            assert!(
                position(&after, lane) <= position(&before, lane),
                "{lane} +{delta}: {:?} → {:?}",
                order(&before),
                order(&after)
            );
        }
    }
}

#[test]
fn a_constant_on_one_overlapping_reviewer_changes_no_order() {
    // Every reviewer of these tables shares a lane with another, so a reviewer that
    // scores everything `c` higher is only more lenient: its offset takes the constant
    // (the group's lanes all move by c / reviewers, so multiples of the group size keep
    // the tenths exact).
    let tables: Vec<(&str, Vec<Rev>, usize)> = vec![
        (
            "two reviewers on every lane",
            vec![
                ("r1", "a", A, 70),
                ("r2", "a", A, 55),
                ("r1", "b", A, 66),
                ("r2", "b", A, 58),
                ("r1", "c", A, 75),
                ("r2", "c", RC, 45),
            ],
            2,
        ),
        (
            "overlap on one lane, the rest scored alone",
            vec![
                ("r1", "a", A, 60),
                ("r2", "a", A, 50),
                ("r1", "b", A, 64),
                ("r2", "c", A, 57),
                ("r2", "d", A, 52),
            ],
            2,
        ),
        (
            "a chain of three",
            vec![
                ("r1", "a", A, 72),
                ("r1", "b", A, 65),
                ("r2", "b", A, 60),
                ("r2", "c", A, 58),
                ("r3", "c", A, 70),
                ("r3", "d", A, 62),
            ],
            3,
        ),
    ];
    let costs = [("a", 0.05), ("b", 0.04), ("c", 0.03), ("d", 0.02)];
    for (what, table, group) in tables {
        let lanes: Vec<(&str, f64)> = costs
            .iter()
            .filter(|(l, _)| table.iter().any(|r| r.1 == *l))
            .copied()
            .collect();
        let before = rank_reviews(&table, &lanes);
        for reviewer in ["r1", "r2", "r3"] {
            for step in [-3i32, 2, 5] {
                let c = step * group as i32;
                let shifted: Vec<Rev> = table
                    .iter()
                    .map(|&(r, l, v, s)| {
                        (
                            r,
                            l,
                            v,
                            if r == reviewer {
                                (i32::from(s) + c) as u8
                            } else {
                                s
                            },
                        )
                    })
                    .collect();
                let after = rank_reviews(&shifted, &lanes);
                assert_eq!(order(&after), order(&before), "{what}: {reviewer} {c:+}");
            }
        }
    }
}

#[test]
fn a_reviewer_of_a_single_lane_cannot_decide_a_close_call_alone() {
    // "dear" is scored higher by a reviewer that scored nothing else; "cheap" by
    // another. Within the noise margin that is a tie and cost decides; beyond it, or
    // when one reviewer scored both, the score does.
    for gap in [0u8, 1, 5, 9, 10, 11, 20] {
        let alone = rank_reviews(
            &[("r1", "dear", A, 75 + gap), ("r2", "cheap", A, 75)],
            &[("dear", 0.09), ("cheap", 0.02)],
        );
        let shared = rank_reviews(
            &[("r1", "dear", A, 75 + gap), ("r1", "cheap", A, 75)],
            &[("dear", 0.09), ("cheap", 0.02)],
        );
        let close = f64::from(gap) <= crate::vocab::REVIEW_NOISE;
        let want_alone = if close {
            ["cheap", "dear"]
        } else {
            ["dear", "cheap"]
        };
        let want_shared = if gap > 0 {
            ["dear", "cheap"]
        } else {
            ["cheap", "dear"]
        };
        assert_eq!(order(&alone), want_alone, "gap {gap}, no shared reviewer");
        assert_eq!(order(&shared), want_shared, "gap {gap}, one reviewer");
        if close {
            assert_eq!(
                alone.rows[0].reason,
                format!(
                    "FULL: 1/1 checks pass; review tie (approve 75 vs approve {}, no shared reviewer) → cheapest of the FULL lanes ($0.02 vs $0.09)",
                    75 + gap
                ),
                "gap {gap}"
            );
        } else {
            assert_eq!(
                alone.rows[0].reason,
                format!(
                    "FULL: 1/1 checks pass; review: approve {} vs approve 75",
                    75 + gap
                ),
                "gap {gap}"
            );
        }
    }
}

#[test]
fn verdict_beats_score() {
    for same_reviewer in [false, true] {
        let other = if same_reviewer { "r1" } else { "r2" };
        let board = rank_reviews(
            &[("r1", "approved", A, 60), (other, "asked", RC, 95)],
            &[("approved", 0.09), ("asked", 0.01)],
        );
        assert_eq!(
            order(&board),
            ["approved", "asked"],
            "same reviewer: {same_reviewer}"
        );
        assert_eq!(
            reasons(&board),
            [
                "FULL: 1/1 checks pass; review: approve 60 vs request-changes 95",
                "FULL like #1 but behind on review: request-changes 95 vs approve 60",
            ]
        );
    }
}

#[test]
fn review_order_does_not_depend_on_input_order() {
    // Close calls across scales are not transitive pair by pair (81 ties 89, 89 ties
    // 97, 81 and 97 of one group do not); the keys keep the order total.
    let lanes: Vec<LaneResult> = [
        ("a", 81.0, "g1", 0.05),
        ("b", 89.0, "g2", 0.01),
        ("c", 97.0, "g1", 0.03),
        ("d", 85.0, "g3", 0.02),
        ("e", 88.0, "g1", 0.04),
    ]
    .iter()
    .map(|(name, score, scale, cost)| {
        with(name, |l| {
            l.cost_usd = Some(*cost);
            l.review = Some(signal(A, *score, scale));
        })
    })
    .collect();
    let expected = rank(&lanes);
    // g1 has 97 > 88 > 81; b (89, g2) ties all three; d (85, g3) ties 88 and 81 but is
    // more than 10 below 97. The cheapest lane whose place the review allows goes first.
    assert_eq!(order(&expected), ["b", "c", "d", "e", "a"]);
    assert_eq!(
        reasons(&expected)[1..],
        [
            "FULL like #1, review tie (approve 97 vs approve 89, no shared reviewer) → costlier ($0.03 vs $0.01)",
            "FULL like #2 but behind on review: approve 85 vs approve 97",
            "FULL like #3, review tie (approve 88 vs approve 85, no shared reviewer) → costlier ($0.04 vs $0.02)",
            "FULL like #4 but behind on review: approve 81 vs approve 88",
        ]
    );
    let mut shuffled = lanes.clone();
    for _ in 0..lanes.len() {
        shuffled.rotate_left(1);
        assert_eq!(rank(&shuffled), expected);
        let mut reversed = shuffled.clone();
        reversed.reverse();
        assert_eq!(rank(&reversed), expected);
    }
}

#[test]
fn raising_one_score_never_lowers_that_lane_in_generated_tables() {
    // Tables drawn from a fixed-seed generator: 3..=5 lanes, 2..=4 reviewers, each
    // review present with probability one half, scores 40..=95, a verdict in five a
    // request for changes.
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    const LANES: [&str; 5] = ["a", "b", "c", "d", "e"];
    const REVIEWERS: [&str; 4] = ["r1", "r2", "r3", "r4"];
    for table_no in 0..300 {
        let lanes = 3 + next(3) as usize;
        let reviewers = 2 + next(3) as usize;
        let mut table: Vec<Rev> = Vec::new();
        for lane in &LANES[..lanes] {
            for reviewer in &REVIEWERS[..reviewers] {
                if next(2) == 0 {
                    let verdict = if next(5) == 0 { RC } else { A };
                    table.push((reviewer, lane, verdict, 40 + next(56) as u8));
                }
            }
        }
        let costs: Vec<(&str, f64)> = LANES[..lanes]
            .iter()
            .map(|l| (*l, 0.01 * (1 + next(9)) as f64))
            .collect();
        let before = rank_reviews(&table, &costs);
        for (i, (reviewer, lane, _, score)) in table.iter().enumerate() {
            for delta in [1u8, 5, 11] {
                let mut raised = table.clone();
                raised[i].3 = score.saturating_add(delta).min(100);
                let after = rank_reviews(&raised, &costs);
                assert!(
                    position(&after, lane) <= position(&before, lane),
                    "table {table_no} {table:?}: {reviewer}'s {lane} +{delta}: {:?} → {:?}",
                    order(&before),
                    order(&after)
                );
            }
        }
    }
}
