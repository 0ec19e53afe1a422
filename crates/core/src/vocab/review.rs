//! What reviewers said: verdicts, findings, one reviewer's validated answer and the
//! record of one review as the journal keeps it.

use serde::{Deserialize, Serialize};

use super::provider::TokenUsage;

/// The reviewer's overall call on a diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    RequestChanges,
    Reject,
}

impl Verdict {
    /// The wire spelling: `approve`, `request_changes`, `reject`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::RequestChanges => "request_changes",
            Verdict::Reject => "reject",
        }
    }

    /// For people: `approve`, `request changes`, `reject`.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::RequestChanges => "request changes",
            other => other.as_str(),
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Verdict> {
        [Verdict::Approve, Verdict::RequestChanges, Verdict::Reject]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// How bad a finding is. Orders worst first, so `Blocker < Nit` and "at least as severe
/// as `x`" is `severity <= x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Must not merge: wrong behaviour, data loss, security hole, broken build.
    Blocker,
    /// Should be fixed before merging: a real bug in a less central path, a missing case.
    Major,
    /// Worth fixing, not worth blocking: unclear code, weak test, small inefficiency.
    Minor,
    /// Taste: naming, formatting, wording.
    Nit,
}

impl Severity {
    /// Every severity, worst first.
    pub const ALL: [Severity; 4] = [Severity::Blocker, Severity::Major, Severity::Minor, Severity::Nit];

    /// The wire spelling: `blocker`, `major`, `minor`, `nit`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Blocker => "blocker",
            Severity::Major => "major",
            Severity::Minor => "minor",
            Severity::Nit => "nit",
        }
    }

    /// Parses the wire spelling (as `--fail-on` takes it too).
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who raised a finding: a reviewer model, or bakeoff itself (e.g. the injection scan).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingSource {
    #[default]
    Reviewer,
    Bakeoff,
}

/// One problem found in a diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    /// Path relative to the repository root, as the diff names it.
    pub file: String,
    /// 1-based line in the new version of the file; `None` for a file-wide finding.
    pub line: Option<u32>,
    pub title: String,
    pub body: String,
    pub suggestion: Option<String>,
    #[serde(default)]
    pub source: FindingSource,
}

/// One reviewer's validated answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewOutput {
    pub verdict: Verdict,
    /// 0..=100.
    pub score: u8,
    pub summary: String,
    pub findings: Vec<Finding>,
}

/// What one reviewer said about one diff, as recorded and reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewRecord {
    /// The lane reviewed, in a race; `None` for `bakeoff review`.
    #[serde(default)]
    pub lane: Option<String>,
    /// `provider/model` of the reviewer that was asked.
    pub reviewer: String,
    pub lab: String,
    /// `provider/model` that answered; differs from `reviewer` after a fallback.
    pub answered_by: Option<String>,
    pub fell_back: bool,
    /// The validated review, or why there is none. Recorded as the review's own object
    /// or `{"error": "..."}` (see `review_output`).
    #[serde(with = "review_output")]
    pub output: Result<ReviewOutput, String>,
    /// Files of the diff this reviewer did not see (over the budget).
    pub not_reviewed: Vec<String>,
    /// Provider errors that were about credentials (a rejected or missing key).
    pub credentials_error: bool,
    /// The review failed with a provider error (overloaded, unavailable, a rejected key)
    /// rather than a malformed answer: what left it unreviewed was the provider.
    #[serde(default)]
    pub provider_error: bool,
    pub usage: TokenUsage,
    /// `None` when a model's price is unknown: "cost unknown", never 0.
    pub cost_usd: Option<f64>,
    pub requests: u32,
    /// The reviewer is not provably of another lab than the author (`--allow-same-lab`).
    pub same_lab: bool,
}

#[cfg(test)]
impl ReviewRecord {
    /// One request's review by `reviewer` of `lab`, no fallback, no cost known: for the
    /// tests of what is made of reviews.
    pub(crate) fn sample(reviewer: &str, lab: &str, output: Result<ReviewOutput, String>) -> ReviewRecord {
        ReviewRecord {
            lane: Some("a".into()),
            reviewer: reviewer.into(),
            lab: lab.into(),
            answered_by: None,
            fell_back: false,
            output,
            not_reviewed: vec![],
            credentials_error: false,
            provider_error: false,
            usage: TokenUsage::default(),
            cost_usd: None,
            requests: 1,
            same_lab: false,
        }
    }
}

/// The record's `output` on the wire: the review object itself when there is one, and
/// `{"error": "why"}` when there is none, so a consumer of the NDJSON stream reads plain
/// values rather than serde's `{"Ok": ..}` encoding of a `Result`. Journals written before
/// this encoding (`{"Ok": ..}` / `{"Err": ..}`) still read.
mod review_output {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::ReviewOutput;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        Review(ReviewOutput),
        Failed { error: String },
        Legacy(Result<ReviewOutput, String>),
    }

    pub fn serialize<S: Serializer>(
        output: &Result<ReviewOutput, String>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Out<'a> {
            Review(&'a ReviewOutput),
            Failed { error: &'a str },
        }
        match output {
            Ok(review) => Out::Review(review),
            Err(error) => Out::Failed { error },
        }
        .serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Result<ReviewOutput, String>, D::Error> {
        Ok(match Wire::deserialize(deserializer)? {
            Wire::Review(review) => Ok(review),
            Wire::Failed { error } => Err(error),
            Wire::Legacy(output) => output,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(output: Result<ReviewOutput, String>) -> ReviewRecord {
        ReviewRecord::sample("openai/gpt-5", "openai", output)
    }

    fn review() -> ReviewOutput {
        ReviewOutput {
            verdict: Verdict::Approve,
            score: 90,
            summary: "fine".into(),
            findings: vec![],
        }
    }

    #[test]
    fn output_is_a_plain_value_on_the_wire() {
        let ok = serde_json::to_value(record(Ok(review()))).unwrap();
        assert_eq!(ok["output"]["verdict"], "approve");
        assert!(ok["output"].get("Ok").is_none());
        let failed = serde_json::to_value(record(Err("timed out".into()))).unwrap();
        assert_eq!(failed["output"], serde_json::json!({"error": "timed out"}));
        for value in [ok, failed] {
            let back: ReviewRecord = serde_json::from_value(value.clone()).unwrap();
            assert_eq!(serde_json::to_value(back).unwrap(), value);
        }
    }

    #[test]
    fn journals_with_the_old_result_encoding_still_read() {
        let mut old = serde_json::to_value(record(Ok(review()))).unwrap();
        old["output"] = serde_json::json!({"Ok": old["output"].clone()});
        let back: ReviewRecord = serde_json::from_value(old).unwrap();
        assert_eq!(back.output, Ok(review()));
        let mut old = serde_json::to_value(record(Ok(review()))).unwrap();
        old["output"] = serde_json::json!({"Err": "bad json"});
        let back: ReviewRecord = serde_json::from_value(old).unwrap();
        assert_eq!(back.output, Err("bad json".to_string()));
    }
}
