//! The one-line reason on each leaderboard row. It names the key that decided the row's
//! place against its neighbour: the row below for the leader ("why first"), the row
//! above for everyone else ("why not higher"), with the two values side by side.

use super::assess::Assessed;
use super::order::{compare, cost_order, demoted, judge_strength, Signal};
use super::review_order::why_tied;
use crate::units::{duration_ms, plural, usd, usd_pair};
use crate::vocab::Verdict;

/// The reason for the row at `i` of the sorted `rows`.
pub(crate) fn explain(rows: &[Assessed], i: usize) -> String {
    let me = &rows[i];
    if !me.gated_in() {
        explain_gated(rows, i)
    } else if i == 0 {
        explain_leader(rows)
    } else {
        explain_follower(rows, i)
    }
}

/// A gated lane sits below every gated-in lane because of its gates; when its
/// neighbour is gated too, the reason also says what ordered the two.
fn explain_gated(rows: &[Assessed], i: usize) -> String {
    let me = &rows[i];
    let status = me.status();
    if i > 0 && rows[i - 1].gated_in() {
        return status;
    }
    if i > 0 {
        let above = &rows[i - 1];
        let signal = compare(above, me).1;
        return format!("{status}; below #{i} on {}", contrast(signal, me, above));
    }
    match rows.get(1) {
        Some(next) => {
            let signal = compare(me, next).1;
            format!("{status}; ahead of #2 on {}", contrast(signal, me, next))
        }
        None => status,
    }
}

/// The first row, gated in: its tier evidence, then why it beat #2.
fn explain_leader(rows: &[Assessed]) -> String {
    let me = &rows[0];
    let base = me.tier_summary();
    let Some(next) = rows.get(1) else {
        return format!("{base}; only lane");
    };
    let signal = compare(me, next).1;
    let tier = me.tier;
    let tail = match signal {
        Signal::Gate => "only lane through the gates".to_string(),
        Signal::Tier => {
            // Sorted by tier, so no gated-in lane shares the leader's; gated ones may.
            if rows[1..].iter().any(|r| r.tier == tier) {
                format!("only {tier} lane past the gates")
            } else {
                format!("only {tier} lane")
            }
        }
        Signal::Blocker => match blocker_places(next) {
            Some(places) => format!("no confirmed blockers; #2 has {places}"),
            None => format!("no confirmed blockers (#2 has {})", blockers(next).unwrap_or(0)),
        },
        Signal::Judge => match (judge_strength(me), judge_strength(next)) {
            (Some(m), Some(n)) if beat(me, next) => {
                format!("judge preferred it over #2 in both orders (strength {m:.2} vs {n:.2})")
            }
            (Some(m), Some(n)) => format!("stronger in pairwise judging (strength {m:.2} vs {n:.2})"),
            _ => format!("judged finalist, #2 was not ({})", review_pair(me, next)),
        },
        Signal::Review => match (next.lane.review.is_some(), review(me)) {
            (true, m) => format!("review: {m} vs {}", review(next)),
            (false, m) => format!("reviewed ({m}), #2 was not"),
        },
        Signal::Cost => cost_lead(rows),
        Signal::Diff => format!(
            "tie on {}; smaller diff ({} vs {} lines)",
            ties(me, next, signal),
            me.diff_lines,
            next.diff_lines
        ),
        Signal::Time => {
            let (m, n) = time_pair(me, next);
            format!("tie on {}; faster ({m} vs {n})", ties(me, next, signal))
        }
        Signal::Name => format!("tie on {}; first by lane name", ties(me, next, signal)),
    };
    match review_tie(me, next, signal) {
        Some(tie) => format!("{base}; {tie} → {tail}"),
        None => format!("{base}; {tail}"),
    }
}

/// Why the leader beat #2 on cost, claiming "cheapest" only when it is true of every
/// gated-in lane of its tier (a better review can put a cheaper lane further down).
fn cost_lead(rows: &[Assessed]) -> String {
    let (me, next) = (&rows[0], &rows[1]);
    let (Some(mine), Some(theirs)) = (me.cost_usd, next.cost_usd) else {
        let mine = me.cost_usd.map(usd).unwrap_or_else(|| "?".into());
        return format!("cost known ({mine}, #2 unknown)");
    };
    let cheapest = rows
        .iter()
        .filter(|r| r.gated_in() && r.tier == me.tier)
        .all(|r| cost_order(me.cost_usd, r.cost_usd).is_le());
    let (m, n) = usd_pair(mine, theirs);
    if cheapest {
        format!("cheapest of the {} lanes ({m} vs {n})", me.tier)
    } else {
        format!("cheaper than #2 ({m} vs {n})")
    }
}

/// A gated-in row below another gated-in row: what it shares with the row above and the
/// key on which it lost.
fn explain_follower(rows: &[Assessed], i: usize) -> String {
    let (above, me) = (&rows[i - 1], &rows[i]);
    let signal = compare(above, me).1;
    let like = format!("{} like #{i}", me.tier);
    match signal {
        // Rows above a gated-in row are gated in, so Gate cannot decide; a tier does
        // not need the row above to explain itself.
        Signal::Gate | Signal::Tier => me.tier_summary(),
        Signal::Blocker => match blocker_places(me) {
            Some(places) => format!("{like} but demoted: {places}"),
            None => format!(
                "{like} but demoted: {}",
                plural(blockers(me).unwrap_or(0), "confirmed blocker")
            ),
        },
        Signal::Judge => match (judge_strength(me), judge_strength(above)) {
            (Some(m), Some(a)) if beat(above, me) => {
                format!("{like} but judge preferred #{i} in both orders (strength {m:.2} vs {a:.2})")
            }
            (Some(m), Some(a)) => {
                format!("{like} but weaker in pairwise judging (strength {m:.2} vs {a:.2})")
            }
            _ => format!("{like} but not a finalist ({})", review_pair(me, above)),
        },
        Signal::Review => match me.lane.review {
            Some(_) => format!("{like} but behind on review: {} vs {}", review(me), review(above)),
            None => format!("{like} but not reviewed (#{i}: {})", review(above)),
        },
        Signal::Cost | Signal::Diff | Signal::Time | Signal::Name => {
            let (but, after) = match signal {
                Signal::Cost => (true, costlier(me, above, i)),
                Signal::Diff => (
                    false,
                    format!(
                        "tie on {}; larger diff ({} vs {} lines)",
                        ties(me, above, signal),
                        me.diff_lines,
                        above.diff_lines
                    ),
                ),
                Signal::Time => {
                    let (m, a) = time_pair(me, above);
                    (
                        false,
                        format!("tie on {}; slower ({m} vs {a})", ties(me, above, signal)),
                    )
                }
                _ => (
                    false,
                    format!("tie on {}; after #{i} by lane name", ties(me, above, signal)),
                ),
            };
            match review_tie(me, above, signal) {
                Some(tie) => format!("{like}, {tie} → {after}"),
                None if but => format!("{like} but {after}"),
                None => format!("{like}, {after}"),
            }
        }
    }
}

/// `costlier ($0.31 vs $0.12)`: why a row lost to the row above (`#i`) on cost.
fn costlier(me: &Assessed, above: &Assessed, i: usize) -> String {
    match (me.cost_usd, above.cost_usd) {
        (Some(m), Some(a)) => {
            let (m, a) = usd_pair(m, a);
            format!("costlier ({m} vs {a})")
        }
        (None, Some(a)) => format!("cost unknown (#{i}: {})", usd(a)),
        _ => "costlier".to_string(),
    }
}

/// `review tie (approve 81 vs approve 81, no shared reviewer)`, this row first: said
/// when two reviewed rows were told apart by a key after the review, so that a reader
/// sees the review did not decide, and why when the two are on different scales.
fn review_tie(me: &Assessed, other: &Assessed, signal: Signal) -> Option<String> {
    if signal <= Signal::Review || me.lane.review.is_none() || other.lane.review.is_none() {
        return None;
    }
    let why = why_tied(me, other).map(|w| format!(", {w}")).unwrap_or_default();
    Some(format!("review tie ({} vs {}{why})", review(me), review(other)))
}

/// `approve 81`, `request-changes 74.5`: a lane's verdict and score as ranking used
/// them; `none` when it was not reviewed.
fn review(a: &Assessed) -> String {
    let Some(r) = a.lane.review.as_ref() else {
        return "none".to_string();
    };
    let score = if !r.score.is_finite() {
        "no score".to_string()
    } else if r.score.fract() == 0.0 {
        format!("{}", r.score)
    } else {
        format!("{:.1}", r.score)
    };
    match r.verdict {
        Some(v) => format!("{} {score}", verdict_word(v)),
        None => score,
    }
}

/// One word per verdict, so that `request-changes 74` reads as one value.
fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Approve => "approve",
        Verdict::RequestChanges => "request-changes",
        Verdict::Reject => "reject",
    }
}

/// `tier (NONE vs FULL)`, `cost ($0.31 vs $0.12)`: one key with this row's value first.
fn contrast(signal: Signal, me: &Assessed, other: &Assessed) -> String {
    let cost = |a: &Assessed| a.cost_usd.map(usd).unwrap_or_else(|| "unknown".into());
    match signal {
        Signal::Gate => "gates".to_string(),
        Signal::Tier => format!("tier ({} vs {})", me.tier, other.tier),
        Signal::Blocker => format!(
            "confirmed blockers ({} vs {})",
            blockers(me).unwrap_or(0),
            blockers(other).unwrap_or(0)
        ),
        Signal::Judge => {
            let strength = |a: &Assessed| {
                judge_strength(a)
                    .map(|s| format!("{s:.2}"))
                    .unwrap_or_else(|| "not judged".into())
            };
            format!("pairwise judging ({} vs {})", strength(me), strength(other))
        }
        Signal::Review => format!("review ({} vs {})", review(me), review(other)),
        Signal::Cost => match (me.cost_usd, other.cost_usd) {
            (Some(m), Some(o)) => {
                let (m, o) = usd_pair(m, o);
                format!("cost ({m} vs {o})")
            }
            _ => format!("cost ({} vs {})", cost(me), cost(other)),
        },
        Signal::Diff => format!("diff size ({} vs {} lines)", me.diff_lines, other.diff_lines),
        Signal::Time => {
            let (m, o) = time_pair(me, other);
            format!("time ({m} vs {o})")
        }
        Signal::Name => "lane name".to_string(),
    }
}

/// The keys two rows tied on before `signal` decided, as a reader would list them.
/// Gates and tier are left out: "FULL like #1" or the tier evidence already says them;
/// so is the review, which `review_tie` says with its values.
fn ties(a: &Assessed, b: &Assessed, signal: Signal) -> String {
    let mut keys = Vec::new();
    if demoted(a) || demoted(b) {
        keys.push("confirmed blockers");
    }
    if signal > Signal::Judge && (judge_strength(a).is_some() || judge_strength(b).is_some()) {
        keys.push("pairwise judging");
    }
    keys.push("cost");
    if signal > Signal::Diff {
        keys.push("diff size");
    }
    if signal > Signal::Time {
        keys.push("time");
    }
    match keys.as_slice() {
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => String::new(),
    }
}

/// `confirmed blocker: src/x.rs:12 (2 reviewers)`, when the places are known.
fn blocker_places(a: &Assessed) -> Option<String> {
    let review = a.lane.review.as_ref()?;
    if review.blockers.is_empty() {
        return None;
    }
    let places: Vec<String> = review.blockers.iter().map(|b| b.place()).collect();
    let word = if places.len() == 1 {
        "confirmed blocker"
    } else {
        "confirmed blockers"
    };
    Some(format!("{word}: {}", places.join(", ")))
}

/// True when the judge preferred `a` over `b` in both orders.
fn beat(a: &Assessed, b: &Assessed) -> bool {
    a.lane
        .review
        .as_ref()
        .and_then(|r| r.judge.as_ref())
        .is_some_and(|j| j.beat.contains(&b.lane.lane))
}

/// `review approve 82 vs approve 61`, this row's first.
fn review_pair(me: &Assessed, other: &Assessed) -> String {
    format!("review {} vs {}", review(me), review(other))
}

fn blockers(a: &Assessed) -> Option<usize> {
    a.lane.review.as_ref().map(|r| r.confirmed_blockers)
}

/// Two elapsed times written so they differ on screen when they differ in ranking.
fn time_pair(a: &Assessed, b: &Assessed) -> (String, String) {
    let (ma, mb) = (a.lane.elapsed_ms, b.lane.elapsed_ms);
    let (sa, sb) = (duration_ms(ma), duration_ms(mb));
    if sa == sb {
        (format!("{ma}ms"), format!("{mb}ms"))
    } else {
        (sa, sb)
    }
}
