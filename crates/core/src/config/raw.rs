//! Configuration as written: raw serde structs close to the TOML, every field optional so
//! layers can be merged before anything is validated.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RawConfig {
    pub race: Option<RawRace>,
    pub worktree: Option<RawWorktree>,
    pub checks: Option<IndexMap<String, RawCheck>>,
    pub agents: Option<BTreeMap<String, RawAgent>>,
    pub review: Option<RawReview>,
    pub providers: Option<BTreeMap<String, crate::provider::ProviderOverride>>,
    pub labs: Option<BTreeMap<String, String>>,
    pub prices: Option<BTreeMap<String, RawPrice>>,
    pub tests: Option<RawTests>,
    pub sandbox: Option<RawSandbox>,
}

/// `[sandbox]`: how lanes are confined.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RawSandbox {
    pub mode: Option<Spanned<String>>,
    pub network: Option<Spanned<String>>,
    pub bwrap: Option<String>,
    pub read: Option<Vec<String>>,
    pub write: Option<Vec<String>>,
}

/// `[tests]`: what counts as the tests, and the holdout's named tests.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RawTests {
    pub paths: Option<Vec<String>>,
    pub must_pass: Option<Vec<String>>,
    pub keep_passing: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RawReview {
    pub reviewers: Option<Vec<String>>,
    pub reviewers_per_lane: Option<usize>,
    pub allow_same_lab: Option<bool>,
    pub fallback: Option<Vec<String>>,
    pub token_budget: Option<usize>,
    pub context_lines: Option<u32>,
    pub judge: Option<String>,
    pub timeout: Option<Spanned<String>>,
    pub fix_rounds: Option<u32>,
}

/// Dollars per million tokens.
#[derive(Clone, Copy, Debug, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub struct RawPrice {
    pub input: f64,
    pub output: f64,
    #[serde(default)]
    pub cache_read: Option<f64>,
    #[serde(default)]
    pub cache_write: Option<f64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RawRace {
    pub timeout: Option<Spanned<String>>,
    pub grace: Option<Spanned<String>>,
    pub stall_timeout: Option<Spanned<String>>,
    pub jobs: Option<usize>,
    pub check_jobs: Option<usize>,
    pub merge: Option<Spanned<String>>,
    pub tests_may_change: Option<bool>,
    pub log_bytes: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RawWorktree {
    pub root: Option<String>,
    pub copy: Option<Vec<String>>,
    pub setup: Option<String>,
    pub port_base: Option<u16>,
    pub ports_per_lane: Option<u16>,
    pub setup_jobs: Option<usize>,
    pub shared_base: Option<bool>,
}

/// `name = "cmd"` or `name = { run = "cmd", timeout = "5m", holdout = true }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum RawCheck {
    Command(String),
    Table(RawCheckTable),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RawCheckTable {
    pub run: String,
    // Plain `String`: `Spanned` cannot be deserialized through an untagged enum.
    pub timeout: Option<String>,
    #[serde(default)]
    pub holdout: bool,
    /// Where the check's runner writes its JUnit report, relative to the tree it runs in.
    pub junit: Option<String>,
    /// Takes no check slot.
    #[serde(default)]
    pub light: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RawAgent {
    pub adapter: Option<Spanned<String>>,
    pub model: Option<String>,
    pub program: Option<String>,
    pub args: Option<Vec<String>>,
    pub command: Option<Vec<String>>,
    pub parser: Option<Spanned<String>>,
    pub env: Option<BTreeMap<String, String>>,
    pub base_url: Option<String>,
    pub keep_env: Option<Vec<String>>,
}

/// Overlays `upper` on `self`: set fields of the upper layer win; tables merge by name.
impl RawConfig {
    pub fn overlay(mut self, upper: RawConfig) -> RawConfig {
        self.race = merge_opt(self.race, upper.race, |lo, hi| RawRace {
            timeout: hi.timeout.or(lo.timeout),
            grace: hi.grace.or(lo.grace),
            stall_timeout: hi.stall_timeout.or(lo.stall_timeout),
            jobs: hi.jobs.or(lo.jobs),
            check_jobs: hi.check_jobs.or(lo.check_jobs),
            merge: hi.merge.or(lo.merge),
            tests_may_change: hi.tests_may_change.or(lo.tests_may_change),
            log_bytes: hi.log_bytes.or(lo.log_bytes),
        });
        self.worktree = merge_opt(self.worktree, upper.worktree, |lo, hi| RawWorktree {
            root: hi.root.or(lo.root),
            copy: hi.copy.or(lo.copy),
            setup: hi.setup.or(lo.setup),
            port_base: hi.port_base.or(lo.port_base),
            ports_per_lane: hi.ports_per_lane.or(lo.ports_per_lane),
            setup_jobs: hi.setup_jobs.or(lo.setup_jobs),
            shared_base: hi.shared_base.or(lo.shared_base),
        });
        self.tests = merge_opt(self.tests, upper.tests, |lo, hi| RawTests {
            paths: hi.paths.or(lo.paths),
            must_pass: hi.must_pass.or(lo.must_pass),
            keep_passing: hi.keep_passing.or(lo.keep_passing),
        });
        self.checks = merge_opt(self.checks, upper.checks, |mut lo, hi| {
            lo.extend(hi);
            lo
        });
        self.agents = merge_opt(self.agents, upper.agents, |mut lo, hi| {
            lo.extend(hi);
            lo
        });
        self.review = merge_opt(self.review, upper.review, |lo, hi| RawReview {
            reviewers: hi.reviewers.or(lo.reviewers),
            reviewers_per_lane: hi.reviewers_per_lane.or(lo.reviewers_per_lane),
            fix_rounds: hi.fix_rounds.or(lo.fix_rounds),
            allow_same_lab: hi.allow_same_lab.or(lo.allow_same_lab),
            fallback: hi.fallback.or(lo.fallback),
            token_budget: hi.token_budget.or(lo.token_budget),
            context_lines: hi.context_lines.or(lo.context_lines),
            judge: hi.judge.or(lo.judge),
            timeout: hi.timeout.or(lo.timeout),
        });
        self.providers = merge_opt(self.providers, upper.providers, |mut lo, hi| {
            lo.extend(hi);
            lo
        });
        self.labs = merge_opt(self.labs, upper.labs, |mut lo, hi| {
            lo.extend(hi);
            lo
        });
        self.prices = merge_opt(self.prices, upper.prices, |mut lo, hi| {
            lo.extend(hi);
            lo
        });
        // Folders add up over the layers; the rest is the upper layer's when set.
        self.sandbox = merge_opt(self.sandbox, upper.sandbox, |lo, hi| RawSandbox {
            mode: hi.mode.or(lo.mode),
            network: hi.network.or(lo.network),
            bwrap: hi.bwrap.or(lo.bwrap),
            read: concat(lo.read, hi.read),
            write: concat(lo.write, hi.write),
        });
        self
    }
}

fn concat(lo: Option<Vec<String>>, hi: Option<Vec<String>>) -> Option<Vec<String>> {
    match (lo, hi) {
        (Some(mut lo), Some(hi)) => {
            lo.extend(hi);
            Some(lo)
        }
        (lo, hi) => lo.or(hi),
    }
}

fn merge_opt<T>(lo: Option<T>, hi: Option<T>, f: impl FnOnce(T, T) -> T) -> Option<T> {
    match (lo, hi) {
        (Some(lo), Some(hi)) => Some(f(lo, hi)),
        (lo, hi) => hi.or(lo),
    }
}
