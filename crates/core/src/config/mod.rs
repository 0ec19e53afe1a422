//! Configuration in layers with named sources: built-in defaults (embedded), the user's
//! file, the repository's `.bakeoff.toml`, `--config FILE`; the command line applies last.
//! Each layer is parsed into raw structs and checked on its own (so an error can name its
//! file and line), then the layers are merged and resolved into validated types.

mod error;
mod raw;
mod suggest;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use crate::provider::ProviderOverride;
pub use error::ConfigError;
pub use raw::RawPrice as PriceOverride;
use raw::{RawCheck, RawConfig};

use crate::agent::{AdapterKind, AgentSpec};
use crate::price::Price;
use crate::vocab::MergeMode;

const DEFAULTS: &str = include_str!("defaults.toml");
const DEFAULTS_NAME: &str = "built-in defaults";

/// The name of the repository's own config file, at the top of its work tree.
pub const REPO_FILE: &str = ".bakeoff.toml";

/// One command run in every lane's worktree after the agent stops.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckSpec {
    pub name: String,
    pub run: String,
    /// `None`: the race timeout.
    #[serde(with = "opt_duration_ms")]
    pub timeout: Option<Duration>,
    /// Runs only after the holdout files are laid into the worktree.
    pub holdout: bool,
    /// Where its runner writes a JUnit report, relative to the tree it runs in (else
    /// `$BAKEOFF_JUNIT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub junit: Option<String>,
    /// Declared light (`light = true`): it waits for no check slot, as a check that
    /// sleeps or waits on a server takes no core.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub light: bool,
}

/// Each lane log keeps at most this much on disk unless `[race] log-bytes` says otherwise.
pub const DEFAULT_LOG_BYTES: u64 = 16 * 1024 * 1024;

/// The resolved configuration, before command-line flags apply.
#[derive(Clone, Debug)]
pub struct Config {
    pub timeout: Duration,
    pub grace: Duration,
    /// `[race] stall-timeout`: an agent without progress this long is stopped; `None`:
    /// never (`off`).
    pub stall_timeout: Option<Duration>,
    pub jobs: Option<usize>,
    pub check_jobs: Option<usize>,
    pub merge: MergeMode,
    pub tests_may_change: bool,
    /// `[race] log-bytes`: the most each lane log keeps on disk (head and tail).
    pub log_bytes: u64,
    pub worktree_root: Option<PathBuf>,
    pub copy: Vec<String>,
    pub setup: Option<String>,
    pub port_base: u16,
    pub ports_per_lane: u16,
    /// `[worktree] setup-jobs`: worktrees checked out at once; `None`: by the storage.
    pub setup_jobs: Option<usize>,
    /// `[worktree] shared-base`: lanes start on one shared checkout of the base
    /// (`git::shared_base`); `None`: wherever the machine can.
    pub shared_base: Option<bool>,
    pub checks: Vec<CheckSpec>,
    /// `[tests] paths`: globs of paths that count as tests beside the defaults.
    pub test_paths: Vec<String>,
    /// `[tests] must-pass` and `keep-passing`: the holdout's named tests.
    pub must_pass: Vec<String>,
    pub keep_passing: Vec<String>,
    pub agents: BTreeMap<String, AgentSpec>,
    pub review: ReviewConfig,
    /// `[providers.NAME]`: overrides of built-in providers and new ones.
    pub providers: BTreeMap<String, ProviderOverride>,
    /// `[labs]`: model-id prefix → lab, checked before the built-in table.
    pub labs: BTreeMap<String, String>,
    /// `[prices.MODEL]`: dollars per million tokens, over the embedded table.
    pub prices: BTreeMap<String, PriceOverride>,
    /// `[sandbox]`: how lanes are confined.
    pub sandbox: crate::sandbox::SandboxSettings,
    /// Files that contributed, lowest layer first.
    pub sources: Vec<String>,
    /// Unknown keys and other things worth telling the user; never fatal.
    pub warnings: Vec<String>,
}

impl Config {
    /// `[prices.MODEL]` in the price module's terms, for [`crate::price::price_of`]: a
    /// cache rate left out is charged at the input rate.
    pub fn prices(&self) -> HashMap<String, Price> {
        self.prices
            .iter()
            .map(|(model, p)| {
                let price = Price {
                    input: p.input,
                    output: p.output,
                    cache_read: p.cache_read.unwrap_or(p.input),
                    cache_write: p.cache_write.unwrap_or(p.input),
                };
                (model.clone(), price)
            })
            .collect()
    }
}

/// `[review]`: who reviews lanes and how.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewConfig {
    /// `provider/model` reviewers to pick from.
    pub reviewers: Vec<String>,
    /// Reviewers per lane, each of a lab other than the lane author's.
    pub per_lane: usize,
    pub allow_same_lab: bool,
    /// Models that take over when a reviewer's provider is overloaded or down.
    pub fallback: Vec<String>,
    /// Tokens of diff one review request may carry before the diff is split by file.
    pub token_budget: usize,
    /// Lines of context around each change in the diff reviewers see.
    pub context_lines: u32,
    /// A model of a third lab that settles close calls, pairwise in both orders.
    pub judge: Option<String>,
    /// Deadline of one review request, a stalled stream included.
    pub timeout: Duration,
    /// Rounds a lane may get after its first while reviewers ask for changes
    /// (`fix-rounds`, `--fix-rounds`).
    pub fix_rounds: u32,
}

/// Where the user's own config file lives: `$XDG_CONFIG_HOME/bakeoff/config.toml` or the
/// platform's equivalent.
pub fn user_config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("bakeoff").join("config.toml"))
}

/// Reads every layer that exists and resolves them. `repo_top` is the top of the user's
/// work tree (for `.bakeoff.toml`); `explicit` is `--config FILE`, which must exist.
pub fn load(repo_top: Option<&Path>, explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let mut layers = vec![Layer::parse(DEFAULTS_NAME.to_string(), DEFAULTS)?];
    let mut optional: Vec<PathBuf> = Vec::new();
    optional.extend(user_config_path());
    optional.extend(repo_top.map(|t| t.join(REPO_FILE)));
    for path in optional {
        if path.is_file() {
            layers.push(Layer::read(&path)?);
        }
    }
    if let Some(path) = explicit {
        layers.push(Layer::read(path)?);
    }
    resolve(layers)
}

/// Resolves configuration from in-memory TOML texts, lowest layer first (for tests).
pub fn from_texts(texts: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut layers = vec![Layer::parse(DEFAULTS_NAME.to_string(), DEFAULTS)?];
    for (name, text) in texts {
        layers.push(Layer::parse(name.to_string(), text)?);
    }
    resolve(layers)
}

/// One parsed file, with its text kept so values can be traced to a line.
struct Layer {
    name: String,
    text: String,
    raw: RawConfig,
    unknown: Vec<String>,
}

impl Layer {
    fn read(path: &Path) -> Result<Layer, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Layer::parse(path.display().to_string(), &text)
    }

    fn parse(name: String, text: &str) -> Result<Layer, ConfigError> {
        let mut unknown = Vec::new();
        let de = toml::Deserializer::new(text);
        let raw: RawConfig = serde_ignored::deserialize(de, |path| {
            // serde_ignored writes `?` for each `Option` on the way; readers want the TOML key.
            unknown.push(path.to_string().replace(".?", "").replace("?.", ""))
        })
        .map_err(|e| ConfigError::Parse {
            path: PathBuf::from(&name),
            message: e.to_string().trim_end().replace('\n', "\n  "),
        })?;
        Ok(Layer {
            name,
            text: text.to_string(),
            raw,
            unknown,
        })
    }

    fn line_of(&self, span: std::ops::Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text[..end].matches('\n').count() + 1
    }

    fn value_error<T>(&self, value: &toml::Spanned<T>, key: &str, message: String) -> ConfigError {
        ConfigError::Value {
            source_name: self.name.clone(),
            line: Some(self.line_of(value.span())),
            key: key.to_string(),
            message,
        }
    }

    /// Checks the values a layer sets, so errors can point at this layer's file and line.
    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(race) = &self.raw.race {
            for (key, value) in [("race.timeout", &race.timeout), ("race.grace", &race.grace)] {
                if let Some(v) = value {
                    parse_duration(v.get_ref()).map_err(|m| self.value_error(v, key, m))?;
                }
            }
            if let Some(v) = &race.stall_timeout {
                parse_stall_timeout(v.get_ref()).map_err(|m| self.value_error(v, "race.stall-timeout", m))?;
            }
            if let Some(m) = &race.merge {
                m.get_ref()
                    .parse::<MergeMode>()
                    .map_err(|e| self.value_error(m, "race.merge", e))?;
            }
        }
        if let Some(sandbox) = &self.raw.sandbox {
            if let Some(m) = &sandbox.mode {
                m.get_ref()
                    .parse::<crate::sandbox::SandboxMode>()
                    .map_err(|e| self.value_error(m, "sandbox.mode", e))?;
            }
            if let Some(n) = &sandbox.network {
                n.get_ref()
                    .parse::<crate::sandbox::Network>()
                    .map_err(|e| self.value_error(n, "sandbox.network", e))?;
            }
        }
        if let Some(v) = self.raw.review.as_ref().and_then(|r| r.timeout.as_ref()) {
            parse_duration(v.get_ref()).map_err(|m| self.value_error(v, "review.timeout", m))?;
        }
        for (name, check) in self.raw.checks.iter().flatten() {
            if let RawCheck::Table(t) = check {
                if let Some(v) = &t.timeout {
                    parse_duration(v).map_err(|message| ConfigError::Value {
                        source_name: self.name.clone(),
                        line: None,
                        key: format!("checks.{name}.timeout"),
                        message,
                    })?;
                }
            }
        }
        for (name, agent) in self.raw.agents.iter().flatten() {
            self.agent_spec(name, agent)?;
        }
        Ok(())
    }

    fn agent_spec(&self, name: &str, raw: &raw::RawAgent) -> Result<AgentSpec, ConfigError> {
        let key = |k: &str| format!("agents.{name}.{k}");
        let Some(adapter_text) = &raw.adapter else {
            return Err(ConfigError::Value {
                source_name: self.name.clone(),
                line: None,
                key: key("adapter"),
                message: "missing (set adapter = \"claude\", \"codex\", \"gemini\", \"aider\", \"opencode\", \"qwen\", \"command\" or \"builtin\")".into(),
            });
        };
        let adapter: AdapterKind =
            adapter_text
                .get_ref()
                .parse()
                .map_err(|e: crate::agent::AgentError| {
                    self.value_error(adapter_text, &key("adapter"), e.to_string())
                })?;
        let parser = match &raw.parser {
            Some(p) => Some(
                p.get_ref()
                    .parse::<AdapterKind>()
                    .map_err(|e| self.value_error(p, &key("parser"), e.to_string()))?,
            ),
            None => None,
        };
        let command = raw.command.clone().unwrap_or_default();
        if adapter == AdapterKind::Command && command.is_empty() {
            return Err(self.value_error(adapter_text, &key("command"), "an agent with adapter = \"command\" needs command = [\"program\", \"arg\", …] (placeholders: {spec_file}, {spec}, {model}, {worktree})".into()));
        }
        Ok(AgentSpec {
            adapter,
            model: raw.model.clone().unwrap_or_default(),
            program: raw.program.clone(),
            args: raw.args.clone().unwrap_or_default(),
            command,
            parser,
            env: raw.env.clone().unwrap_or_default(),
            base_url: raw.base_url.clone(),
            keep_env: raw.keep_env.clone().unwrap_or_default(),
        })
    }
}

fn resolve(layers: Vec<Layer>) -> Result<Config, ConfigError> {
    let mut warnings = Vec::new();
    let mut agents = BTreeMap::new();
    let mut merged = RawConfig::default();
    let mut sources = Vec::new();
    for layer in &layers {
        layer.validate()?;
        for key in &layer.unknown {
            let hint = suggest::suggestion(key)
                .map(|k| format!("; did you mean '{k}'?"))
                .unwrap_or_default();
            warnings.push(format!("unknown key '{key}' in {} (ignored){hint}", layer.name));
        }
        // Agent tables are resolved per layer so their errors point at the right file.
        for (name, raw) in layer.raw.agents.iter().flatten() {
            agents.insert(name.clone(), layer.agent_spec(name, raw)?);
        }
        sources.push(layer.name.clone());
        merged = merged.overlay(layer.raw.clone());
    }
    let race = merged.race.unwrap_or_default();
    let review = merged.review.unwrap_or_default();
    let worktree = merged.worktree.unwrap_or_default();
    let tests = merged.tests.clone().unwrap_or_default();
    let sandbox = merged.sandbox.clone().unwrap_or_default();
    let duration_or = |v: Option<toml::Spanned<String>>, default: Duration| {
        v.and_then(|v| parse_duration(v.get_ref()).ok())
            .unwrap_or(default)
    };
    let checks = merged
        .checks
        .unwrap_or_default()
        .into_iter()
        .map(|(name, check)| match check {
            RawCheck::Command(run) => CheckSpec {
                name,
                run,
                timeout: None,
                holdout: false,
                junit: None,
                light: false,
            },
            RawCheck::Table(t) => CheckSpec {
                name,
                run: t.run,
                timeout: t.timeout.and_then(|v| parse_duration(&v).ok()),
                holdout: t.holdout,
                junit: t.junit.filter(|j| !j.trim().is_empty()),
                light: t.light,
            },
        })
        .collect();
    Ok(Config {
        timeout: duration_or(race.timeout, Duration::from_secs(30 * 60)),
        grace: duration_or(race.grace, Duration::from_secs(10)),
        stall_timeout: match race.stall_timeout {
            Some(v) => parse_stall_timeout(v.get_ref()).unwrap_or(Some(DEFAULT_STALL_TIMEOUT)),
            None => Some(DEFAULT_STALL_TIMEOUT),
        },
        jobs: race.jobs.filter(|&n| n > 0),
        check_jobs: race.check_jobs.filter(|&n| n > 0),
        merge: race
            .merge
            .and_then(|m| m.get_ref().parse().ok())
            .unwrap_or(MergeMode::Squash),
        tests_may_change: race.tests_may_change.unwrap_or(false),
        log_bytes: race.log_bytes.unwrap_or(DEFAULT_LOG_BYTES),
        worktree_root: worktree.root.map(|r| expand_home(&r)),
        copy: worktree.copy.unwrap_or_default(),
        setup: worktree.setup.filter(|s| !s.trim().is_empty()),
        port_base: worktree.port_base.unwrap_or(20000),
        ports_per_lane: worktree.ports_per_lane.unwrap_or(100).max(1),
        setup_jobs: worktree.setup_jobs.filter(|&n| n > 0),
        shared_base: worktree.shared_base,
        checks,
        test_paths: tests.paths.unwrap_or_default(),
        must_pass: tests.must_pass.unwrap_or_default(),
        keep_passing: tests.keep_passing.unwrap_or_default(),
        agents,
        review: ReviewConfig {
            reviewers: review.reviewers.unwrap_or_default(),
            per_lane: review.reviewers_per_lane.unwrap_or(1),
            allow_same_lab: review.allow_same_lab.unwrap_or(false),
            fallback: review.fallback.unwrap_or_default(),
            token_budget: review.token_budget.unwrap_or(60_000).max(1_000),
            context_lines: review.context_lines.unwrap_or(10),
            judge: review.judge,
            timeout: duration_or(review.timeout, Duration::from_secs(300)),
            fix_rounds: review.fix_rounds.unwrap_or(0),
        },
        sandbox: crate::sandbox::SandboxSettings {
            mode: sandbox
                .mode
                .and_then(|m| m.get_ref().parse().ok())
                .unwrap_or_default(),
            network: sandbox.network.and_then(|n| n.get_ref().parse().ok()),
            bwrap: sandbox.bwrap.map(|b| expand_home(&b)),
            read: sandbox
                .read
                .unwrap_or_default()
                .iter()
                .map(|p| expand_home(p))
                .collect(),
            write: sandbox
                .write
                .unwrap_or_default()
                .iter()
                .map(|p| expand_home(p))
                .collect(),
        },
        providers: merged.providers.unwrap_or_default(),
        labs: merged.labs.unwrap_or_default(),
        prices: merged.prices.unwrap_or_default(),
        sources,
        warnings,
    })
}

/// Parses a duration as people write it: `90s`, `30m`, `1h 30m`, `500ms`.
/// An agent that makes no progress this long is stopped unless `stall-timeout` says
/// otherwise: long enough for one slow tool call (a build, a test suite) to finish in
/// silence, short of the 30-minute lane timeout.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// A stall timeout: a duration, or `off` for none.
pub fn parse_stall_timeout(text: &str) -> Result<Option<Duration>, String> {
    match text.trim() {
        "off" | "none" => Ok(None),
        other => parse_duration(other)
            .map(Some)
            .map_err(|m| format!("{m}, or 'off' to never stop an agent for it")),
    }
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim())
        .map_err(|e| format!("'{text}' is not a duration ({e}; write e.g. 90s, 30m, 1h)"))?;
    if d.is_zero() {
        return Err(format!("'{text}' is zero (give a positive duration)"));
    }
    Ok(d)
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// Serde for `Option<Duration>` as whole milliseconds, the unit of every record.
mod opt_duration_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_resolve() {
        let c = from_texts(&[]).unwrap();
        assert_eq!(c.timeout, Duration::from_secs(1800));
        assert_eq!(c.merge, MergeMode::Squash);
        assert_eq!(c.review.fix_rounds, 0);
        assert!(c.checks.is_empty());
        assert!(c.warnings.is_empty());
        assert_eq!(c.setup_jobs, None, "by the storage unless set");
    }

    #[test]
    fn setup_jobs_and_light_checks_are_read() {
        let c = from_texts(&[
            (
                "user",
                "[worktree]
setup-jobs = 3
",
            ),
            (
                "repo",
                "[checks]
wait = { run = \"sleep 1\", light = true }
build = \"make\"
",
            ),
        ])
        .unwrap();
        assert_eq!(c.setup_jobs, Some(3));
        assert!(c.checks[0].light && !c.checks[1].light);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn layers_override_in_order_and_checks_keep_their_order() {
        let c = from_texts(&[
            ("user", "[race]\ntimeout = \"5m\"\n[checks]\nbuild = \"make\"\n"),
            (
                "repo",
                "[checks]\ntest = { run = \"make test\", timeout = \"2m\" }\nhidden = { run = \"sh h.sh\", holdout = true }\n",
            ),
        ])
        .unwrap();
        assert_eq!(c.timeout, Duration::from_secs(300));
        let fix = from_texts(&[
            ("user", "[review]\nfix-rounds = 3\n"),
            ("repo", "[review]\nfix-rounds = 1\n"),
        ])
        .unwrap();
        assert_eq!(fix.review.fix_rounds, 1);
        assert!(fix.warnings.is_empty(), "{:?}", fix.warnings);
        let names: Vec<_> = c.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["build", "test", "hidden"]);
        assert_eq!(c.checks[1].timeout, Some(Duration::from_secs(120)));
        assert!(c.checks[2].holdout);
    }

    #[test]
    fn unknown_keys_warn_with_their_source() {
        let c = from_texts(&[("repo.toml", "[race]\ntimout = \"5m\"\n")]).unwrap();
        assert_eq!(
            c.warnings,
            ["unknown key 'race.timout' in repo.toml (ignored); did you mean 'timeout'?"]
        );
    }

    #[test]
    fn errors_name_file_line_and_fix() {
        let cases = [
            (
                "[race]\ntimeout = \"soon\"\n",
                "repo.toml line 2: race.timeout: 'soon' is not a duration",
            ),
            ("[race]\nmerge = \"rebase\"\n", "repo.toml line 2: race.merge"),
            (
                "\n[agents.x]\nadapter = \"cladue\"\nmodel = \"m\"\n",
                "repo.toml line 3: agents.x.adapter: unknown adapter",
            ),
            ("[agents.x]\nadapter = \"command\"\n", "agents.x.command"),
            ("[race\n", "invalid config repo.toml: TOML parse error at line 1"),
        ];
        for (text, want) in cases {
            let err = from_texts(&[("repo.toml", text)]).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn agent_tables_resolve() {
        let c = from_texts(&[(
            "repo",
            "[agents.fast]\nadapter = \"claude\"\nmodel = \"claude-sonnet-4-6\"\nargs = [\"--max-turns\", \"5\"]\n",
        )])
        .unwrap();
        let a = &c.agents["fast"];
        assert_eq!(a.adapter, AdapterKind::Claude);
        assert_eq!(a.args, ["--max-turns", "5"]);
    }

    #[test]
    fn prices_fill_cache_rates_from_input() {
        let c = from_texts(&[(
            "repo",
            "[prices.\"my-model\"]\ninput = 2.0\noutput = 8.0\ncache-read = 0.5\n",
        )])
        .unwrap();
        let prices = c.prices();
        assert_eq!(
            prices["my-model"],
            Price {
                input: 2.0,
                output: 8.0,
                cache_read: 0.5,
                cache_write: 2.0
            }
        );
    }
}
