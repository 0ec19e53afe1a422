//! Reviewer input tokens per change: the review request bakeoff sends (the diff with its
//! configured context) against the same request carrying the whole changed files
//! instead. Run by `scripts/bench-review-tokens.sh`; prints one row per commit and the
//! totals.
//!
//! Usage: review_tokens REPO [COMMITS] [CONTEXT_LINES]

use std::path::PathBuf;
use std::process::Command;

use bakeoff_core::git;
use bakeoff_core::review::{estimate_tokens, review_request, CheckSummary, ReviewInput};

fn main() {
    let mut args = std::env::args().skip(1);
    let repo = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let commits: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(30);
    let context: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10);
    // Non-merge commits with a parent, newest first: real changes, real files.
    let out = Command::new("git")
        .current_dir(&repo)
        .args([
            "log",
            "--no-merges",
            "--format=%H",
            "-n",
            &(commits * 2).to_string(),
        ])
        .output()
        .expect("git log");
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    println!("commit        files  diff_tokens  whole_tokens  ratio");
    let (mut sum_diff, mut sum_whole, mut n) = (0usize, 0usize, 0usize);
    // Files that existed before the change: where sending the diff instead of the file
    // can save anything (an added file is its whole text either way).
    let (mut mod_diff, mut mod_whole, mut mod_files) = (0usize, 0usize, 0usize);
    let mut ratios = Vec::new();
    for id in ids {
        if n == commits {
            break;
        }
        let parent = format!("{id}^");
        let Ok(stats) = git::diff_stats(&repo, &parent, &id) else {
            continue;
        };
        if stats.files.is_empty() || stats.files.iter().all(|f| f.binary) {
            continue;
        }
        let diff = git::diff_patch_with_context(&repo, &parent, &id, context).expect("diff");
        // The alternative: every changed file whole, as it is after the change (or
        // before it, for a deleted file).
        let mut whole = String::new();
        for f in &stats.files {
            let (rev, path) = match f.kind {
                git::ChangeKind::Deleted => (&parent, f.old_path.as_ref().unwrap_or(&f.path)),
                _ => (&id, &f.path),
            };
            let text = git::file_at(&repo, rev, path).ok().flatten().unwrap_or_default();
            whole.push_str(&format!("=== {path} ===\n{}\n", String::from_utf8_lossy(&text)));
        }
        let tokens = |body: &str| {
            let input = ReviewInput {
                spec: "Review this change.".into(),
                label: "candidate A".into(),
                diff: body.to_string(),
                checks: vec![CheckSummary {
                    name: "test".into(),
                    passed: true,
                    holdout: false,
                }],
                omitted_files: Vec::new(),
            };
            let request = review_request(&input, "model", "0123456789abcdef0123456789abcdef");
            let text = serde_json::to_string(&request).expect("request serialises");
            estimate_tokens(&text)
        };
        for f in stats
            .files
            .iter()
            .filter(|f| f.kind == git::ChangeKind::Modified && !f.binary)
        {
            let section = section_of(&diff, &f.path);
            let text = git::file_at(&repo, &id, &f.path)
                .ok()
                .flatten()
                .unwrap_or_default();
            mod_diff += estimate_tokens(&section);
            mod_whole += estimate_tokens(&String::from_utf8_lossy(&text));
            mod_files += 1;
        }
        let (d, w) = (tokens(&diff), tokens(&whole));
        sum_diff += d;
        sum_whole += w;
        ratios.push(d as f64 / w as f64);
        n += 1;
        println!(
            "{}  {:>5}  {d:>11}  {w:>12}  {:>5.2}",
            &id[..12],
            stats.files.len(),
            d as f64 / w as f64
        );
    }
    ratios.sort_by(|a, b| a.total_cmp(b));
    let median = ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN);
    println!("commits={n} context_lines={context}");
    println!(
        "total: diff+context {sum_diff} tokens, whole files {sum_whole} tokens, ratio {:.3}",
        sum_diff as f64 / sum_whole as f64
    );
    println!("median per-commit ratio {median:.3}");
    println!(
        "modified files only ({mod_files}): diff+context {mod_diff} tokens, whole files {mod_whole} tokens, ratio {:.3}",
        mod_diff as f64 / mod_whole as f64
    );
}

/// The part of a unified diff about `path`.
fn section_of(diff: &str, path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in diff.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            inside = rest.trim_end().ends_with(&format!(" b/{path}"));
        }
        if inside {
            out.push_str(line);
        }
    }
    out
}
