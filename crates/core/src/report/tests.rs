//! The renderers over a report built in memory: the Markdown's budget and its escaping,
//! the JSON's plain shape, the HTML's escaping.

use serde_json::json;

use super::*;
use crate::rank::{Leaderboard, Row, Tier};
use crate::vocab::{
    FindingSource, LaneResult, Provenance, ReviewOutput, ReviewRecord, Severity, TokenUsage, Verdict,
};

fn record() -> crate::journal::RaceRecord {
    let value = json!({
        "format": 1, "id": "20261121-1530-spec", "created_at": "2026-11-21T15:30:00Z",
        "spec": "Do <b>it</b>\n```\nnot a fence\n", "repo": "/r", "base": "0123456789abcdef",
        "base_ref": "HEAD", "target_branch": "main", "worktree_root": "/w", "lanes": [],
        "checks": [], "holdout": null, "merge": null, "timeout_ms": 1000, "tests_may_change": false,
    });
    serde_json::from_value(value).unwrap()
}

fn lane(name: &str, patch: &str, review: Option<Result<ReviewOutput, String>>) -> LaneReport {
    let mut result = LaneResult::new(name, "claude:claude-sonnet-4-6", false);
    result.cost_usd = Some(0.25);
    LaneReport {
        name: name.into(),
        agent: "claude:claude-sonnet-4-6".into(),
        model: "claude:claude-sonnet-4-6".into(),
        lab: Some("anthropic".into()),
        state: Some("done"),
        result,
        agent_outcome: None,
        reviews: review
            .into_iter()
            .map(|output| ReviewRecord {
                lane: None,
                reviewer: "openai/gpt-5.5".into(),
                lab: "openai".into(),
                answered_by: None,
                fell_back: false,
                output,
                not_reviewed: Vec::new(),
                credentials_error: false,
                provider_error: false,
                usage: TokenUsage::default(),
                cost_usd: None,
                requests: 1,
                same_lab: false,
            })
            .collect(),
        flagged: Vec::new(),
        error: None,
        files: patch::parse(patch),
    }
}

fn row(position: usize, lane: &str) -> Row {
    Row {
        position,
        lane: lane.into(),
        agent: "claude:claude-sonnet-4-6".into(),
        provenance: Provenance {
            model: "claude:claude-sonnet-4-6".into(),
            lab: Some("anthropic".into()),
        },
        tier: Tier::Full,
        passed: position == 1,
        gates_failed: Vec::new(),
        reason: format!("reason <i>{position}</i> | piped"),
        cost_usd: Some(0.25),
        diff_lines: 3,
        elapsed_ms: 1000,
        checks_passed: 1,
        checks_total: 1,
        fix_rounds: 0,
        agent_error: None,
        reviews: Vec::new(),
    }
}

fn file_patch(path: &str, lines: usize, text: &str) -> String {
    let mut p = format!("diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -0,0 +1,{lines} @@\n");
    for _ in 0..lines {
        p.push_str(&format!("+{text}\n"));
    }
    p
}

fn report(lanes: Vec<LaneReport>) -> RaceReport {
    let rows = lanes
        .iter()
        .enumerate()
        .map(|(i, l)| row(i + 1, &l.name))
        .collect();
    RaceReport {
        record: record(),
        status: "winner a".into(),
        leaderboard: Some(Leaderboard {
            format: 1,
            rows,
            winner: lanes.first().map(|l| l.name.clone()),
        }),
        lanes,
        merges: Vec::new(),
    }
}

fn finding() -> ReviewOutput {
    ReviewOutput {
        verdict: Verdict::RequestChanges,
        score: 40,
        summary: "<img src=x onerror=alert(1)>".into(),
        findings: vec![crate::vocab::Finding {
            severity: Severity::Major,
            file: "a.rs".into(),
            line: Some(3),
            title: "<b>bold</b>".into(),
            body: "</details><script>x()</script>".into(),
            suggestion: None,
            source: FindingSource::default(),
        }],
    }
}

/// Every raw HTML piece of `md`, the marker and the report's own tags taken out.
fn foreign_html(md: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser};
    Parser::new(md)
        .filter_map(|e| match e {
            Event::Html(h) | Event::InlineHtml(h) => Some(h.to_string()),
            _ => None,
        })
        .map(|p| {
            [MARKER, "<details>", "<summary>", "</summary>", "</details>"]
                .iter()
                .fold(p, |s, tag| s.replace(tag, ""))
        })
        .filter(|rest| rest.contains('<') || rest.contains('>'))
        .collect()
}

#[test]
fn markdown_stays_within_its_budget_and_keeps_the_leaderboard() {
    let big = report(vec![
        lane("a", &file_patch("big.rs", 20_000, "let x = 1; // a line"), None),
        lane("b", &file_patch("small.rs", 3, "fn f() {}"), Some(Ok(finding()))),
    ]);
    // A budget, and what must show within it.
    let cases: &[(usize, &[&str])] = &[
        (
            BUDGET,
            &[
                "### Leaderboard",
                "| a |",
                "| b |",
                "### Diffs",
                "lines of this file's diff left out",
            ],
        ),
        (20_000, &["### Leaderboard", "| b |", "left out", "--format html"]),
        (3_000, &["### Leaderboard", "| a |", "| b |", "left out"]),
    ];
    for (budget, wants) in cases {
        let md = markdown_within(&big, *budget);
        assert!(md.starts_with("<!-- bakeoff-report -->\n"), "{budget}");
        assert!(md.len() <= *budget, "{budget}: {} bytes", md.len());
        for want in *wants {
            assert!(md.contains(want), "{budget}: no {want:?} in\n{md}");
        }
        assert_eq!(foreign_html(&md), Vec::<String>::new(), "{budget}");
    }
    assert!(markdown(&big).chars().count() < GITHUB_COMMENT_LIMIT);
    // A small race is whole, with no note of anything cut.
    let small = markdown(&report(vec![lane("a", &file_patch("a.rs", 2, "x"), None)]));
    assert!(!small.contains("left out"), "{small}");
    assert!(small.contains("+x\n+x\n"), "{small}");
}

#[test]
fn markdown_lets_no_markup_through() {
    // A diff that tries to close its fence and the report's <details>.
    let evil = file_patch("x.md", 1, "```\n</details><script>alert(1)</script>\n````");
    let r = report(vec![lane("a", &evil, Some(Ok(finding())))]);
    let md = markdown(&r);
    assert_eq!(foreign_html(&md), Vec::<String>::new(), "{md}");
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&md));
    for raw in ["<script>", "<img", "<b>", "<i>"] {
        assert!(!html.contains(raw), "{raw} survived:\n{html}");
    }
    assert!(md.contains("reason &lt;i&gt;1&lt;/i&gt; \\| piped"), "{md}");
}

#[test]
fn json_is_plain_and_versioned() {
    let r = report(vec![
        lane("a", &file_patch("a.rs", 1, "x"), Some(Ok(finding()))),
        lane("b", "", Some(Err("the reviewer's output was not JSON".into()))),
    ]);
    let v = value(&r);
    assert_eq!(v["version"], REPORT_JSON_VERSION);
    assert_eq!(v["lanes"][0]["reviews"][0]["ok"], true);
    assert_eq!(v["lanes"][0]["reviews"][0]["verdict"], "request_changes");
    assert_eq!(v["lanes"][0]["reviews"][0]["findings"][0]["line"], 3);
    assert_eq!(v["lanes"][1]["reviews"][0]["ok"], false);
    assert_eq!(
        v["lanes"][1]["reviews"][0]["error"],
        "the reviewer's output was not JSON"
    );
    assert_eq!(v["lanes"][0]["tier"], "FULL");
    assert_eq!(v["lanes"][0]["cost_usd"], 0.25);
    let text = json(&r);
    assert!(!text.contains("\"Ok\"") && !text.contains("\"Err\""), "{text}");
}

#[test]
fn html_escapes_everything_from_the_race() {
    let evil = file_patch("x.txt", 1, "</td></table><script>alert(1)</script>");
    let mut l = lane("a", &evil, Some(Ok(finding())));
    l.name = "a<b>".into();
    let page = html(&report(vec![l]));
    for raw in ["<script>alert", "<img", "<b>", "a<b>", "</details><script>"] {
        assert!(!page.contains(raw), "{raw} in the page");
    }
    assert_eq!(page.matches("<script").count(), 1, "only the page's own script");
    assert!(page.contains("&lt;/td&gt;&lt;/table&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("<link"));
}
