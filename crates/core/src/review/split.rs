//! Splitting a large diff into reviewable chunks: whole files packed in diff order under
//! a token budget, a single file too large for any chunk truncated with a note, and the
//! files beyond `max_chunks` listed as not reviewed so the report can say so.
//!
//! Tokens are estimated as bytes / 4 (rounded up). That is the usual rule of thumb for
//! English and code with BPE tokenizers; it overestimates for plain ASCII code slightly
//! more often than it underestimates, which is the safe side for a budget.

use super::diff::sections;

/// One request's worth of diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// The files this chunk shows, in diff order.
    pub files: Vec<String>,
    pub diff: String,
    /// Files shown only in part because alone they exceed the budget.
    pub truncated: Vec<String>,
}

/// A diff cut into chunks, with what did not fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub chunks: Vec<Chunk>,
    /// Files in no chunk because `max_chunks` was reached.
    pub not_reviewed: Vec<String>,
}

/// The estimated token count of `text`: bytes / 4, rounded up.
pub fn estimate_tokens(text: &str) -> usize {
    text.len().div_ceil(4)
}

/// Splits `diff` by file into at most `max_chunks` chunks of at most `budget_tokens`
/// estimated tokens each. Files are never reordered; a chunk is closed when the next
/// file does not fit in it.
pub fn split(diff: &str, budget_tokens: usize, max_chunks: usize) -> Split {
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut not_reviewed = Vec::new();
    for section in sections(diff) {
        let (text, truncated) = fit(section.text, &section.path, budget_tokens);
        let fits_last = chunks
            .last()
            .is_some_and(|c| estimate_tokens(&c.diff) + estimate_tokens(&text) <= budget_tokens);
        if fits_last {
            let chunk = chunks.last_mut().expect("checked above");
            chunk.diff.push_str(&text);
            chunk.files.push(section.path.clone());
            if truncated {
                chunk.truncated.push(section.path);
            }
        } else if chunks.len() < max_chunks {
            chunks.push(Chunk {
                files: vec![section.path.clone()],
                diff: text,
                truncated: if truncated { vec![section.path] } else { Vec::new() },
            });
        } else {
            not_reviewed.push(section.path);
        }
    }
    Split { chunks, not_reviewed }
}

/// A file's section cut to the budget at a line boundary, with a closing note; the
/// section unchanged when it fits. Returns whether it was cut.
fn fit(text: &str, path: &str, budget_tokens: usize) -> (String, bool) {
    if estimate_tokens(text) <= budget_tokens {
        return (text.to_string(), false);
    }
    let total = text.lines().count();
    // The note's length depends on the numbers in it; reserve room for the longest.
    let note_room = note(path, total, total).len();
    let budget_bytes = (budget_tokens * 4).saturating_sub(note_room);
    let mut kept = String::new();
    let mut kept_lines = 0;
    for line in text.split_inclusive('\n') {
        if kept.len() + line.len() > budget_bytes {
            break;
        }
        kept.push_str(line);
        kept_lines += 1;
    }
    if !kept.is_empty() && !kept.ends_with('\n') {
        kept.push('\n');
    }
    kept.push_str(&note(path, kept_lines, total));
    (kept, true)
}

fn note(path: &str, kept: usize, total: usize) -> String {
    format!("[bakeoff: the diff of {path} was truncated here: {kept} of {total} lines shown]\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file section of roughly `bytes` bytes.
    fn file(path: &str, bytes: usize) -> String {
        let header = format!("diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n");
        let line = "+0123456789abcdefghijklmnopqrstu\n"; // 32 bytes
        let lines = bytes.saturating_sub(header.len()) / line.len();
        format!("{header}@@ -0,0 +1,{lines} @@\n{}", line.repeat(lines))
    }

    fn files_of(s: &Split) -> Vec<Vec<&str>> {
        s.chunks
            .iter()
            .map(|c| c.files.iter().map(String::as_str).collect())
            .collect()
    }

    #[test]
    fn estimate() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abc"), 1);
        assert_eq!(estimate_tokens("abcd"), 1);
        assert_eq!(estimate_tokens("abcde"), 2);
    }

    #[test]
    fn packing_table() {
        // (what, file sizes in bytes, budget tokens, max chunks, chunks, not reviewed)
        type Case = (
            &'static str,
            Vec<(&'static str, usize)>,
            usize,
            usize,
            Vec<Vec<&'static str>>,
            Vec<&'static str>,
        );
        let cases: Vec<Case> = vec![
            (
                "all in one",
                vec![("a", 400), ("b", 400)],
                1_000,
                4,
                vec![vec!["a", "b"]],
                vec![],
            ),
            (
                "one per chunk",
                vec![("a", 2_400), ("b", 2_400), ("c", 400)],
                1_000,
                4,
                vec![vec!["a"], vec!["b", "c"]],
                vec![],
            ),
            (
                "order kept",
                vec![("a", 2_400), ("b", 3_000), ("c", 1_200)],
                1_000,
                4,
                vec![vec!["a"], vec!["b"], vec!["c"]],
                vec![],
            ),
            (
                "max chunks",
                vec![("a", 3_000), ("b", 3_000), ("c", 3_000)],
                1_000,
                2,
                vec![vec!["a"], vec!["b"]],
                vec!["c"],
            ),
            ("empty diff", vec![], 1_000, 2, vec![], vec![]),
        ];
        for (what, sizes, budget, max, want, want_not) in cases {
            let diff: String = sizes.iter().map(|(p, n)| file(p, *n)).collect();
            let s = split(&diff, budget, max);
            assert_eq!(files_of(&s), want, "{what}");
            assert_eq!(s.not_reviewed, want_not, "{what}");
            for c in &s.chunks {
                assert!(estimate_tokens(&c.diff) <= budget, "{what}: chunk over budget");
                assert!(c.truncated.is_empty(), "{what}");
            }
        }
    }

    #[test]
    fn oversized_file_is_truncated_with_a_note() {
        let diff = format!("{}{}", file("small", 400), file("huge", 40_000));
        let s = split(&diff, 1_000, 4);
        assert_eq!(files_of(&s), vec![vec!["small"], vec!["huge"]]);
        let huge = &s.chunks[1];
        assert_eq!(huge.truncated, ["huge"]);
        assert!(estimate_tokens(&huge.diff) <= 1_000);
        let total = file("huge", 40_000).lines().count();
        let last = huge.diff.lines().last().unwrap();
        assert!(
            last.starts_with("[bakeoff: the diff of huge was truncated here: "),
            "{last}"
        );
        assert!(last.ends_with(&format!(" of {total} lines shown]")), "{last}");
        assert!(huge.diff.starts_with("diff --git a/huge b/huge\n"));
    }
}
