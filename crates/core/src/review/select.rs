//! Choosing a lane's reviewers from the configured pool: only labs other than the
//! author's, spread over as many labs as possible, deterministically.
//!
//! Labs are lowercase names (`anthropic`, `openai`, `google`, …), compared after
//! trimming and lowercasing. Two cases cannot prove a reviewer is cross-lab:
//! - the author's lab is unknown (any command as agent, an unrecognised model): every
//!   reviewer with a known lab is eligible, because refusing would make such lanes
//!   unreviewable, but the selection says `author_lab_unknown` so the report can warn
//!   that cross-lab review is unverified;
//! - a reviewer's own lab is unknown (empty or `unknown`): it is never counted as
//!   cross-lab, and is used only with `allow_same_lab`.

use thiserror::Error;

/// A reviewer model from the pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewerRef {
    /// `provider/model`, e.g. `openai/gpt-5.5`.
    pub model_ref: String,
    pub lab: String,
}

/// The reviewers chosen for one lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub reviewers: Vec<ReviewerRef>,
    /// Some reviewer is not provably of another lab (only with `allow_same_lab`); the
    /// verdict must be marked so.
    pub same_lab: bool,
    /// The author's lab was not known, so "cross-lab" could not be checked.
    pub author_lab_unknown: bool,
}

/// Why no reviewers could be chosen.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SelectError {
    #[error("no reviewers are configured; add one with --reviewer {suggestion}")]
    EmptyPool { suggestion: String },
    #[error(
        "no reviewer from a lab other than {author_lab}: the pool has {pool}; add one with \
         --reviewer {suggestion}, or pass --allow-same-lab"
    )]
    NoCrossLab {
        author_lab: String,
        /// `anthropic/claude-opus-4-6 (anthropic), …`
        pool: String,
        suggestion: String,
    },
    #[error("at least one reviewer per lane is needed (asked for 0)")]
    ZeroReviewers,
}

/// Well-known reviewers to suggest in an error, each of a different lab.
const SUGGESTIONS: &[(&str, &str)] = &[
    ("openai", "openai/gpt-5.5"),
    ("anthropic", "anthropic/claude-opus-4-6"),
    ("google", "google/gemini-3-pro"),
];

/// Up to `k` reviewers for a lane whose author is of `author_lab`.
///
/// Cross-lab reviewers come first, spread over labs: the first reviewer of each lab in
/// pool order, then the second of each, and so on. With `allow_same_lab`, reviewers that
/// are not provably cross-lab fill any remaining places (in the same spread) and the
/// selection is marked `same_lab`. Without it, fewer than `k` cross-lab reviewers is
/// fine, none is an error. A model listed twice is used once.
pub fn reviewers_for(
    author_lab: Option<&str>,
    pool: &[ReviewerRef],
    k: usize,
    allow_same_lab: bool,
) -> Result<Selection, SelectError> {
    let author = author_lab.map(normal).filter(|l| known(l));
    if k == 0 {
        return Err(SelectError::ZeroReviewers);
    }
    if pool.is_empty() {
        return Err(SelectError::EmptyPool {
            suggestion: suggestion(author.as_deref()),
        });
    }
    let mut unique: Vec<&ReviewerRef> = Vec::new();
    for r in pool {
        if !unique.iter().any(|u| u.model_ref == r.model_ref) {
            unique.push(r);
        }
    }
    let cross_lab = |r: &&ReviewerRef| {
        let lab = normal(&r.lab);
        known(&lab) && author.as_deref() != Some(lab.as_str())
    };
    let (cross, same): (Vec<&ReviewerRef>, Vec<&ReviewerRef>) = unique.into_iter().partition(cross_lab);
    if cross.is_empty() && !allow_same_lab {
        let author_lab = author_lab
            .map(normal)
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| "unknown".to_string());
        return Err(SelectError::NoCrossLab {
            pool: pool_list(pool),
            suggestion: suggestion(author.as_deref()),
            author_lab,
        });
    }
    let mut reviewers: Vec<ReviewerRef> = spread(&cross).into_iter().take(k).cloned().collect();
    let mut same_lab = false;
    if allow_same_lab && reviewers.len() < k {
        let fill: Vec<ReviewerRef> = spread(&same)
            .into_iter()
            .take(k - reviewers.len())
            .cloned()
            .collect();
        same_lab = !fill.is_empty();
        reviewers.extend(fill);
    }
    Ok(Selection {
        reviewers,
        same_lab,
        author_lab_unknown: author.is_none(),
    })
}

/// Round-robin over labs in order of first appearance.
fn spread<'a>(reviewers: &[&'a ReviewerRef]) -> Vec<&'a ReviewerRef> {
    let mut labs: Vec<(String, Vec<&'a ReviewerRef>)> = Vec::new();
    for r in reviewers {
        let lab = normal(&r.lab);
        match labs.iter_mut().find(|(l, _)| *l == lab) {
            Some((_, members)) => members.push(r),
            None => labs.push((lab, vec![r])),
        }
    }
    let deepest = labs.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
    (0..deepest)
        .flat_map(|round| labs.iter().filter_map(move |(_, m)| m.get(round).copied()))
        .collect()
}

/// Whether a model of `lab` counts as of another lab than an author of `author_lab`, by
/// the rule [`reviewers_for`] chooses with: its lab is known and not the author's (an
/// author of unknown lab is taken as of another lab than any known one).
pub fn is_cross_lab(author_lab: Option<&str>, lab: &str) -> bool {
    let lab = normal(lab);
    let author = author_lab.map(normal).filter(|l| known(l));
    known(&lab) && author.as_deref() != Some(lab.as_str())
}

fn normal(lab: &str) -> String {
    lab.trim().to_lowercase()
}

fn known(lab: &str) -> bool {
    !lab.is_empty() && lab != "unknown"
}

fn pool_list(pool: &[ReviewerRef]) -> String {
    pool.iter()
        .map(|r| {
            let lab = normal(&r.lab);
            let lab = if known(&lab) {
                lab
            } else {
                "unknown lab".to_string()
            };
            format!("{} ({lab})", r.model_ref)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A reviewer of another lab than the author's, for the error's fix.
fn suggestion(author: Option<&str>) -> String {
    SUGGESTIONS
        .iter()
        .find(|(lab, _)| Some(*lab) != author)
        .map(|(_, model)| model.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(model_ref: &str, lab: &str) -> ReviewerRef {
        ReviewerRef {
            model_ref: model_ref.into(),
            lab: lab.into(),
        }
    }

    fn pool() -> Vec<ReviewerRef> {
        vec![
            r("anthropic/claude-opus-4-6", "anthropic"),
            r("openai/gpt-5.5", "openai"),
            r("openai/o3", "openai"),
            r("google/gemini-3-pro", "google"),
            r("anthropic/claude-sonnet-4-6", "anthropic"),
        ]
    }

    #[test]
    fn selection_table() {
        // (what, author, k, allow same lab, chosen, same_lab, author unknown)
        type Case = (
            &'static str,
            Option<&'static str>,
            usize,
            bool,
            Vec<&'static str>,
            bool,
            bool,
        );
        let cases: Vec<Case> = vec![
            (
                "one cross-lab",
                Some("anthropic"),
                1,
                false,
                vec!["openai/gpt-5.5"],
                false,
                false,
            ),
            (
                "labs spread first",
                Some("anthropic"),
                2,
                false,
                vec!["openai/gpt-5.5", "google/gemini-3-pro"],
                false,
                false,
            ),
            (
                "then pool order",
                Some("anthropic"),
                3,
                false,
                vec!["openai/gpt-5.5", "google/gemini-3-pro", "openai/o3"],
                false,
                false,
            ),
            (
                "fewer than k is fine",
                Some("anthropic"),
                9,
                false,
                vec!["openai/gpt-5.5", "google/gemini-3-pro", "openai/o3"],
                false,
                false,
            ),
            (
                "lab case ignored",
                Some(" OpenAI "),
                2,
                false,
                vec!["anthropic/claude-opus-4-6", "google/gemini-3-pro"],
                false,
                false,
            ),
            (
                "same lab fills with flag",
                Some("anthropic"),
                4,
                true,
                vec![
                    "openai/gpt-5.5",
                    "google/gemini-3-pro",
                    "openai/o3",
                    "anthropic/claude-opus-4-6",
                ],
                true,
                false,
            ),
            (
                "allowed but not needed",
                Some("anthropic"),
                2,
                true,
                vec!["openai/gpt-5.5", "google/gemini-3-pro"],
                false,
                false,
            ),
            (
                "unknown author: flagged",
                None,
                2,
                false,
                vec!["anthropic/claude-opus-4-6", "openai/gpt-5.5"],
                false,
                true,
            ),
            (
                "'unknown' author is unknown",
                Some("unknown"),
                1,
                false,
                vec!["anthropic/claude-opus-4-6"],
                false,
                true,
            ),
        ];
        for (what, author, k, allow, want, same_lab, unknown) in cases {
            let got = reviewers_for(author, &pool(), k, allow).unwrap_or_else(|e| panic!("{what}: {e}"));
            let models: Vec<&str> = got.reviewers.iter().map(|r| r.model_ref.as_str()).collect();
            assert_eq!(models, want, "{what}");
            assert_eq!(got.same_lab, same_lab, "{what}");
            assert_eq!(got.author_lab_unknown, unknown, "{what}");
        }
    }

    #[test]
    fn unknown_reviewer_lab_is_never_cross_lab() {
        let pool = vec![r("local/mystery", ""), r("ollama/x", "unknown")];
        assert!(matches!(
            reviewers_for(Some("openai"), &pool, 1, false),
            Err(SelectError::NoCrossLab { .. })
        ));
        let got = reviewers_for(None, &pool, 1, true).unwrap();
        assert_eq!(
            (got.reviewers[0].model_ref.as_str(), got.same_lab),
            ("local/mystery", true)
        );
    }

    #[test]
    fn duplicates_are_used_once() {
        let pool = vec![r("openai/gpt-5.5", "openai"), r("openai/gpt-5.5", "openai")];
        let got = reviewers_for(Some("google"), &pool, 2, false).unwrap();
        assert_eq!(got.reviewers.len(), 1);
    }

    #[test]
    fn errors_name_author_pool_and_fix() {
        let cases: Vec<(Option<&str>, Vec<ReviewerRef>, usize, &str)> = vec![
            (
                Some("anthropic"),
                vec![r("anthropic/claude-opus-4-6", "anthropic")],
                1,
                "no reviewer from a lab other than anthropic: the pool has anthropic/claude-opus-4-6 (anthropic); \
                 add one with --reviewer openai/gpt-5.5, or pass --allow-same-lab",
            ),
            (
                Some("openai"),
                vec![r("openai/gpt-5.5", "openai"), r("x/y", "")],
                1,
                "no reviewer from a lab other than openai: the pool has openai/gpt-5.5 (openai), x/y (unknown lab); \
                 add one with --reviewer anthropic/claude-opus-4-6, or pass --allow-same-lab",
            ),
            (Some("openai"), vec![], 1, "no reviewers are configured; add one with --reviewer anthropic/claude-opus-4-6"),
            (None, pool(), 0, "at least one reviewer per lane is needed (asked for 0)"),
        ];
        for (author, pool, k, want) in cases {
            let err = reviewers_for(author, &pool, k, false).unwrap_err();
            assert_eq!(err.to_string(), want);
        }
    }
}
