//! The words reporters use for events, shared so that the plain log and the live
//! display describe the same event the same way.

use bakeoff_core::units::{duration_ms, tokens, usd};
use bakeoff_core::vocab::{AgentOutcome, CheckOutcome, RaceEvent, Usage};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Text from an agent or a process squeezed onto one line: control characters and runs
/// of whitespace become one space, and anything past `max_chars` becomes `…`.
pub(crate) fn one_line(text: &str, max_chars: usize) -> String {
    let squeezed = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if squeezed.chars().count() <= max_chars {
        return squeezed;
    }
    let mut cut: String = squeezed.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// How many terminal columns `text` takes: a wide character (CJK, most emoji) takes two,
/// a combining mark none. For text without control characters or escape codes.
pub(crate) fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` cut to at most `max` terminal columns, its end replaced by `…` when cut, so a
/// wide character is never split and the cut text never takes more than `max`.
pub fn fit(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        cut.push(c);
        used += w;
    }
    cut.push('…');
    cut
}

/// The first characters of a commit id, enough to find it.
pub(crate) fn short_commit(id: &str) -> &str {
    id.char_indices().nth(7).map_or(id, |(at, _)| &id[..at])
}

/// `12.3k/1.2k`: input and output tokens, `?` for a side the agent did not report.
pub(crate) fn token_pair(usage: &Usage) -> Option<String> {
    if usage.input_tokens.is_none() && usage.output_tokens.is_none() {
        return None;
    }
    let side = |n: Option<u64>| n.map(tokens).unwrap_or_else(|| "?".into());
    Some(format!(
        "{}/{}",
        side(usage.input_tokens),
        side(usage.output_tokens)
    ))
}

/// `$0.12`, or `cost unknown`: an unreported cost is never shown as zero.
pub(crate) fn cost(cost_usd: Option<f64>) -> String {
    cost_usd.map(usd).unwrap_or_else(|| "cost unknown".into())
}

/// `4 turns, 12.3k/1.2k tokens, $0.12`: what the agent reported, in that order.
pub(crate) fn usage(usage: &Usage) -> String {
    let mut parts = Vec::new();
    if let Some(turns) = usage.turns {
        parts.push(bakeoff_core::units::plural(turns as usize, "turn"));
    }
    if let Some(pair) = token_pair(usage) {
        parts.push(format!("{pair} tokens"));
    }
    parts.push(cost(usage.cost_usd));
    parts.join(", ")
}

/// `agent finished: exit 0 in 12.3s, 4 turns, $0.12`, or how it was stopped.
pub(crate) fn agent_finished(outcome: &AgentOutcome) -> String {
    let took = duration_ms(outcome.elapsed_ms);
    let how = if outcome.timed_out {
        format!("agent timed out after {took}")
    } else if outcome.cancelled {
        format!("agent cancelled after {took}")
    } else {
        match &outcome.exit {
            Some(exit) => format!("agent finished: {exit} in {took}"),
            None => format!("agent finished without an exit status in {took}"),
        }
    };
    let mut text = format!("{how}, {}", usage(&outcome.usage));
    if let Some(error) = &outcome.error {
        text.push_str(&format!("; error: {}", one_line(error, 200)));
    }
    text
}

fn check_label(holdout: bool, name: &str) -> String {
    if holdout {
        format!("holdout check '{name}'")
    } else {
        format!("check '{name}'")
    }
}

/// `check 'test' started`.
/// A lane whose agent makes no progress: for how long, and what it last complained of.
pub(crate) fn stalled(idle_ms: u64, error: Option<&str>) -> String {
    let idle = duration_ms(idle_ms);
    match error {
        Some(error) => format!("no progress for {idle}; last error: {}", one_line(error, 200)),
        None => format!("no progress for {idle}"),
    }
}

pub(crate) fn check_started(name: &str, holdout: bool) -> String {
    format!("{} started", check_label(holdout, name))
}

/// `check 'test' passed (1.2s, tests: 12 passed, 0 failed, 1 skipped)`, `check 'test'
/// failed (exit 0, 1.2s, tests: …): no test ran; log: …`.
pub(crate) fn check_finished(check: &CheckOutcome) -> String {
    let label = check_label(check.holdout, &check.name);
    let took = duration_ms(check.elapsed_ms);
    let tests = check
        .report
        .as_ref()
        .map(|r| {
            let c = &r.counts;
            format!(
                ", tests: {} passed, {} failed, {} skipped",
                c.passed,
                c.failed + c.errored,
                c.skipped
            )
        })
        .unwrap_or_default();
    if check.passed {
        return format!("{label} passed ({took}{tests})");
    }
    let mut text = if check.timed_out {
        format!("{label} timed out after {took}")
    } else {
        match &check.exit {
            Some(exit) => format!("{label} failed ({exit}, {took}{tests})"),
            None => format!("{label} failed ({took}{tests})"),
        }
    };
    if let Some(why) = check.report.as_ref().and_then(|r| r.shortfall.as_deref()) {
        text.push_str(&format!(": {why}"));
    }
    if !check.log.is_empty() {
        text.push_str(&format!("; log: {}", check.log));
    }
    text
}

/// The line for an event about the race as a whole, not one lane; `None` for lane
/// events and for the leaderboard, which is a table of its own.
pub(crate) fn race_line(event: &RaceEvent) -> Option<String> {
    Some(match event {
        RaceEvent::RaceStarted {
            race,
            base,
            base_ref,
            lanes,
            ..
        } => format!(
            "race {race}: {} from {base_ref} ({})",
            match lanes.len() {
                1 => "1 lane".to_string(),
                n => format!("{n} lanes"),
            },
            short_commit(base)
        ),
        RaceEvent::Merged {
            lane,
            strategy,
            target,
            commit,
        } => match commit {
            Some(commit) => format!(
                "merged {lane} into {target} ({strategy}): {}",
                short_commit(commit)
            ),
            None => format!("merged {lane} into {target} ({strategy})"),
        },
        RaceEvent::SynthesisStarted { lane, model, from } => {
            format!("{lane}: {model} combines {}", from.join(" + "))
        }
        RaceEvent::LanesStopped { lanes, reason } if lanes.is_empty() => format!("stopping: {reason}"),
        RaceEvent::LanesStopped { lanes, reason } => format!("stopping {}: {reason}", lanes.join(", ")),
        RaceEvent::MergeRefused { lane, reason } => {
            format!("merge of {lane} refused: {}", one_line(reason, 300))
        }
        RaceEvent::Interrupted { forced: false } => {
            "interrupted: stopping lanes (Ctrl-C again to kill them)".to_string()
        }
        RaceEvent::Interrupted { forced: true } => "interrupted again: killing lanes".to_string(),
        RaceEvent::RaceFinished {
            interrupted: true, ..
        } => "race interrupted".to_string(),
        RaceEvent::RaceFinished {
            winner: Some(winner), ..
        } => format!("race finished: {winner} won"),
        RaceEvent::RaceFinished { winner: None, .. } => "race finished: no winner".to_string(),
        _ => return None,
    })
}

/// "review by openai/gpt-5.5: approve (88), 1 finding" or why the review failed.
/// "round 2: 3 findings and 1 failed check sent, resuming session 5f0c…".
pub fn fix_round(
    round: u32,
    findings_sent: usize,
    failing_checks: &[String],
    resumed: Option<&str>,
) -> String {
    let findings = match findings_sent {
        1 => "1 finding".to_string(),
        n => format!("{n} findings"),
    };
    let checks = match failing_checks.len() {
        0 => String::new(),
        1 => " and 1 failed check".to_string(),
        n => format!(" and {n} failed checks"),
    };
    let how = match resumed {
        Some(session) => format!("resuming session {session}"),
        None => "in a fresh run with the spec".to_string(),
    };
    format!("round {round}: {findings}{checks} sent, {how}")
}

pub fn review_finished(review: &bakeoff_core::review::ReviewRecord) -> String {
    let by = match (&review.answered_by, review.fell_back) {
        (Some(answered), true) => format!("{} (fell back to {answered})", review.reviewer),
        _ => review.reviewer.clone(),
    };
    let same_lab = if review.same_lab { ", same lab" } else { "" };
    match &review.output {
        Ok(out) => format!(
            "review by {by}: {} ({}), {}{same_lab}",
            out.verdict.label(),
            out.score,
            match out.findings.len() {
                1 => "1 finding".to_string(),
                n => format!("{n} findings"),
            }
        ),
        Err(e) => format!("review by {by} failed: {}", one_line(e, 200)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_table() {
        let cases: &[(&str, usize, &str)] = &[
            ("Edit src/lib.rs", 40, "Edit src/lib.rs"),
            ("  run\n cargo\ttest \r\n", 40, "run cargo test"),
            ("abcdefghij", 5, "abcd…"),
            ("abcde", 5, "abcde"),
            ("\x1b[31mred", 40, "[31mred"),
            ("", 5, ""),
        ];
        for (text, max, want) in cases {
            assert_eq!(one_line(text, *max), *want, "{text:?}");
        }
    }

    #[test]
    fn fit_counts_terminal_columns() {
        let cases: &[(&str, usize, &str)] = &[
            ("abcdef", 6, "abcdef"),
            ("abcdef", 5, "abcd…"),
            ("abcdef", 1, "…"),
            ("abcdef", 0, ""),
            // Two columns each: five fit in ten, and a cut never splits one.
            ("日本語のテキスト", 10, "日本語の…"),
            ("日本語のテキスト", 9, "日本語の…"),
            ("日本語のテキスト", 8, "日本語…"),
            ("naïve", 5, "naïve"),
        ];
        for (text, max, want) in cases {
            let got = fit(text, *max);
            assert_eq!(got, *want, "{text:?} in {max}");
            assert!(width(&got) <= *max, "{got:?} is wider than {max}");
        }
        assert_eq!(width("日本"), 4);
    }

    #[test]
    fn usage_table() {
        let u = |turns, input, output, cost_usd| Usage {
            turns,
            input_tokens: input,
            output_tokens: output,
            cost_usd,
        };
        let cases = [
            (u(None, None, None, None), "cost unknown"),
            (u(Some(1), None, None, Some(0.5)), "1 turn, $0.50"),
            (
                u(Some(4), Some(12_300), Some(1_234), Some(0.12)),
                "4 turns, 12.3k/1.2k tokens, $0.12",
            ),
            (u(None, Some(900), None, None), "900/? tokens, cost unknown"),
        ];
        for (usage_in, want) in cases {
            assert_eq!(usage(&usage_in), want);
        }
        assert_eq!(short_commit("0123456789abcdef"), "0123456");
        assert_eq!(short_commit("abc"), "abc");
    }
}
