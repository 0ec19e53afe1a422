//! What `bakeoff doctor` and `bakeoff agents` find out about the machine: git, the
//! repository, the config layers, the agent CLIs on PATH and their versions, which
//! provider keys are set (by name only, never a value) and, on request, whether each
//! configured reviewer's provider answers. Every check returns data; the command line
//! decides how to print it.

mod adapters;
mod checks;
mod ping;
mod probe;
mod trial;

pub use adapters::{adapter_rows, AdapterRow};
pub use checks::{
    agent_cli_checks, config_checks, find_on_path, git_cli_check, key_checks, repository_check,
    ConfigOutcome, ReviewerRole,
};
pub use ping::{ping_checks, PING_TIMEOUT};
pub use probe::{version_of, VERSION_TIMEOUT};
pub use trial::{agent_trials, TRIAL_PROMPT, TRIAL_TIMEOUT};

use crate::error::exit;

/// How one check came out, which decides its mark: ✓, !, ✗ or –.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Present and working.
    Ok,
    /// Works, but something deserves a look (an unknown config key, a busy provider).
    Warn,
    /// Missing or broken.
    Fail,
    /// Not set up, and nothing needs it (a provider nobody configured).
    Off,
}

/// What a failed check stops: what a race or review would refuse to start over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Blocker {
    /// Invalid config or a reviewer that cannot be resolved: exit 2.
    Usage,
    /// A configured reviewer's key is missing or rejected, or its provider failed: exit 3.
    Provider,
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub status: Status,
    /// What was checked (`claude`, `reviewer openai/gpt-5.5`, a config file).
    pub subject: String,
    /// What was found.
    pub detail: String,
    /// What to do about it, when there is something to do.
    pub hint: Option<String>,
    /// Set when this check makes bakeoff unusable as configured.
    pub blocks: Option<Blocker>,
}

impl Check {
    /// A check that passed.
    pub fn ok(subject: impl Into<String>, detail: impl Into<String>) -> Check {
        Check::new(Status::Ok, subject, detail)
    }

    /// A check with the given status and no hint or blocker.
    pub fn new(status: Status, subject: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            status,
            subject: subject.into(),
            detail: detail.into(),
            hint: None,
            blocks: None,
        }
    }

    /// The same check with a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Check {
        self.hint = Some(hint.into());
        self
    }

    /// The same check, marked as stopping bakeoff.
    pub fn blocking(mut self, blocker: Blocker) -> Check {
        self.blocks = Some(blocker);
        self
    }
}

/// A titled group of checks (`git`, `config`, `agent CLIs`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub title: &'static str,
    pub checks: Vec<Check>,
}

/// Every section of a doctor run, in the order they are printed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub sections: Vec<Section>,
}

impl Report {
    /// Adds a section.
    pub fn push(&mut self, title: &'static str, checks: Vec<Check>) {
        self.sections.push(Section { title, checks });
    }

    /// The checks that stop bakeoff, in order.
    pub fn blockers(&self) -> impl Iterator<Item = &Check> {
        self.sections
            .iter()
            .flat_map(|s| &s.checks)
            .filter(|c| c.blocks.is_some())
    }

    /// 0 when nothing blocks; 2 when the config is not usable (that comes first, as it
    /// does in a race's preflight); else 3 for a key or provider problem.
    pub fn exit_code(&self) -> u8 {
        match self.blockers().filter_map(|c| c.blocks).min() {
            None => exit::OK,
            Some(Blocker::Usage) => exit::USAGE,
            Some(Blocker::Provider) => exit::PROVIDER,
        }
    }
}

/// `text` with every secret value in `secrets` replaced by `<redacted>`. The last line
/// of defence before anything reaches the terminal: checks only ever name variables,
/// but a CLI's `--version` or a provider's error might echo what it was given. Values
/// shorter than 8 characters are left alone, as they would match ordinary words.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| s.len() >= 8)
        .fold(text.to_string(), |acc, s| acc.replace(s.as_str(), "<redacted>"))
}

/// The values of every variable in `env` that holds a credential (by bakeoff's rule for
/// secret names, or because a provider reads its key from it).
pub fn secret_values(env: &[(String, String)], key_vars: &[String]) -> Vec<String> {
    env.iter()
        .filter(|(name, _)| crate::secret::is_secret_name(name) || key_vars.contains(name))
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// What the sandbox can do here: bubblewrap found and starting a lane's namespaces, or
/// why not and what that means for `--sandbox auto` and `on`.
pub fn sandbox_checks(config: Option<&crate::config::Config>, path_env: Option<&str>) -> Vec<Check> {
    use crate::sandbox::{probe, SandboxMode};
    let settings = config.map(|c| c.sandbox.clone()).unwrap_or_default();
    let network = settings.network.unwrap_or_default();
    match (settings.mode, probe(settings.bwrap.as_deref(), path_env)) {
        (SandboxMode::Off, _) => vec![Check::new(
            Status::Warn,
            "sandbox",
            "off ([sandbox] mode): lanes run as you, with your files, keys and network in reach",
        )],
        (_, Ok(bwrap)) => vec![
            Check::ok("bubblewrap", bwrap.to_string()),
            Check::ok(
                "sandbox",
                format!("each lane sees the system read-only, its worktree and home writable, nothing of your checkout, HOME or records; network {network}"),
            ),
        ],
        (mode, Err(why)) => {
            let check = Check::new(
                if mode == SandboxMode::On { Status::Fail } else { Status::Warn },
                "sandbox",
                format!("unavailable: {}; lanes would run unsandboxed", why.reason),
            )
            .hint(why.fix);
            vec![match mode {
                SandboxMode::On => check.blocking(Blocker::Usage),
                _ => check,
            }]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_prefers_usage_over_provider() {
        let cases: &[(&[Option<Blocker>], u8)] = &[
            (&[], 0),
            (&[None, None], 0),
            (&[Some(Blocker::Provider)], 3),
            (&[Some(Blocker::Provider), Some(Blocker::Usage)], 2),
            (&[None, Some(Blocker::Usage)], 2),
        ];
        for (blocks, want) in cases {
            let mut report = Report::default();
            let checks = blocks
                .iter()
                .map(|b| Check {
                    blocks: *b,
                    ..Check::new(Status::Fail, "x", "y")
                })
                .collect();
            report.push("s", checks);
            assert_eq!(report.exit_code(), *want, "{blocks:?}");
        }
    }

    #[test]
    fn scrub_hides_secret_values_but_not_short_ones() {
        let env = vec![
            ("OPENAI_API_KEY".to_string(), "sk-canary-123456".to_string()),
            ("MY_TOKEN".to_string(), "tok-abcdefgh".to_string()),
            ("HOME".to_string(), "/home/someone".to_string()),
            ("X_API_KEY".to_string(), "short".to_string()),
        ];
        let secrets = secret_values(&env, &["MY_TOKEN".to_string()]);
        assert_eq!(secrets, ["sk-canary-123456", "tok-abcdefgh", "short"]);
        let text = "key sk-canary-123456 and tok-abcdefgh in /home/someone, short";
        assert_eq!(
            scrub(text, &secrets),
            "key <redacted> and <redacted> in /home/someone, short"
        );
    }
}
