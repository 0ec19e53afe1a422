//! `race.json`: what a race was asked to do, written once before any lane starts.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::agent::AgentSpec;
use crate::config::CheckSpec;
use crate::vocab::MergeMode;

/// Version of `race.json`; bumped on any incompatible change.
pub const RACE_FORMAT: u32 = 1;

/// The description of one race. Secrets never appear here: agent environments are
/// stored by variable name only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaceRecord {
    pub format: u32,
    pub id: String,
    pub created_at: String,
    pub spec: String,
    pub repo: PathBuf,
    pub base: String,
    pub base_ref: String,
    /// The branch checked out when the race began: where a winner is merged.
    pub target_branch: Option<String>,
    pub worktree_root: PathBuf,
    pub lanes: Vec<LaneRecord>,
    pub checks: Vec<CheckSpec>,
    pub holdout: Option<PathBuf>,
    /// Tests every holdout check must run and pass (`--must-pass`, `[tests] must-pass`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub must_pass: Vec<String>,
    /// Tests every holdout check must run and keep passing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keep_passing: Vec<String>,
    /// Globs that count as tests beside the defaults (`[tests] paths`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test_paths: Vec<String>,
    pub merge: Option<MergeMode>,
    /// Whether lanes ran in a sandbox, and why not when they did not.
    #[serde(default = "crate::sandbox::SandboxRecord::legacy")]
    pub sandbox: crate::sandbox::SandboxRecord,
    /// Lanes started on one shared checkout of the base (`git::shared_base`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared_base: bool,
    pub timeout_ms: u64,
    /// An agent that makes no progress this long is stopped (`--stall-timeout`); `None`:
    /// never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_timeout_ms: Option<u64>,
    pub tests_may_change: bool,
    /// The model that judges close calls, if any.
    #[serde(default)]
    pub judge: Option<String>,
    /// Spending caps, in US dollars: per lane's agent, and for the whole race.
    #[serde(default)]
    pub max_cost_usd: Option<f64>,
    #[serde(default)]
    pub race_max_cost_usd: Option<f64>,
    /// `--until first-approved`.
    #[serde(default)]
    pub until_first_approved: bool,
    #[serde(default)]
    pub cascade: bool,
    /// `--fix-rounds N`: rounds a lane may get after its first, while its reviewers ask
    /// for changes or a check fails.
    #[serde(default)]
    pub fix_rounds: u32,
    /// `--allow-same-lab`: a reviewer, or a fallback, of the author's lab may review.
    #[serde(default)]
    pub allow_same_lab: bool,
    /// `--allow-unreviewed`: the winner may be merged without a successful cross-lab
    /// review.
    #[serde(default)]
    pub allow_unreviewed: bool,
    /// `--plan-with`: the `provider/model` that wrote the brief the lanes received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_by: Option<String>,
    /// What planning cost in US dollars; `None` when not planned or the price is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_cost_usd: Option<f64>,
}

/// One lane of a race.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaneRecord {
    pub name: String,
    /// `adapter:model` or the config table it came from.
    pub agent: String,
    pub spec: AgentSpec,
    pub branch: String,
    pub worktree: PathBuf,
    /// The worktree's administrative name under `.git/worktrees/`.
    pub worktree_name: String,
    pub port: u16,
    /// The lab that trained the lane's model, when bakeoff can tell.
    #[serde(default)]
    pub author_lab: Option<String>,
    /// `provider/model` of each reviewer of this lane, all of other labs.
    #[serde(default)]
    pub reviewers: Vec<String>,
    /// A reviewer of the author's own lab was allowed (`--allow-same-lab`).
    #[serde(default)]
    pub same_lab: bool,
    /// The lane's tier under `--cascade` (0 first); every lane is in tier 0 otherwise.
    #[serde(default)]
    pub tier: usize,
    /// A synthesis lane (`--synthesize`): what it combines. Left out of every other lane,
    /// and of older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synthesis: Option<SynthesisRecord>,
}

/// What a synthesis lane was asked to combine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthesisRecord {
    /// The synthesiser, `provider/model` (the lane's agent is `builtin:` it).
    pub model: String,
    /// The lanes named with `--synthesize-lanes`; empty for the top of the standings.
    #[serde(default)]
    pub lanes: Vec<String>,
    /// How many finalists it combines when no lanes are named.
    pub finalists: usize,
}

impl LaneRecord {
    /// `adapter:model` of the lane's agent (`command` alone for a command agent that
    /// names no model): what it ran, whatever the user called it.
    pub fn model_ref(&self) -> String {
        match self.spec.model.as_str() {
            "" => self.spec.adapter.to_string(),
            model => format!("{}:{model}", self.spec.adapter),
        }
    }
}

impl RaceRecord {
    pub fn lane(&self, name: &str) -> Option<&LaneRecord> {
        self.lanes.iter().find(|l| l.name == name)
    }

    /// The spec's first non-empty line, for titles and commit subjects.
    pub fn title(&self) -> String {
        let line = self
            .spec
            .lines()
            .map(|l| l.trim().trim_start_matches('#').trim())
            .find(|l| !l.is_empty())
            .unwrap_or("(empty spec)");
        let mut title: String = line.chars().take(72).collect();
        if line.chars().count() > 72 {
            title.push('…');
        }
        title
    }
}

/// Removes secret values from an agent's environment before it is recorded: the
/// variable names stay so a reader can see what was set.
pub fn redact(spec: &AgentSpec) -> AgentSpec {
    let mut spec = spec.clone();
    for value in spec.env.values_mut() {
        *value = "<redacted>".to_string();
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_without_a_planner_read_and_stay_without_one() {
        let old = serde_json::json!({
            "format": 1, "id": "r", "created_at": "t", "spec": "s", "repo": "/r", "base": "b",
            "base_ref": "HEAD", "target_branch": null, "worktree_root": "/w", "lanes": [],
            "checks": [], "holdout": null, "merge": null, "timeout_ms": 1, "tests_may_change": false,
        });
        let mut record: RaceRecord = serde_json::from_value(old).unwrap();
        assert_eq!((record.planned_by.clone(), record.plan_cost_usd), (None, None));
        assert!(!serde_json::to_string(&record).unwrap().contains("planned_by"));
        record.planned_by = Some("openai/gpt-5".into());
        record.plan_cost_usd = Some(0.5);
        let back: RaceRecord = serde_json::from_str(&serde_json::to_string(&record).unwrap()).unwrap();
        assert_eq!(back, record);
    }
}
