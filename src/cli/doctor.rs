//! `bakeoff doctor`: runs the checks of [`bakeoff_core::doctor`] and prints one line per item,
//! then says whether bakeoff is ready and exits 0, 2 (config not usable) or 3 (a
//! reviewer's key missing or rejected, or its provider failing).

use std::path::Path;

use bakeoff_core::config::{self, Config};
use bakeoff_core::doctor::{self, Blocker, Check, Report, Section, Status};
use bakeoff_core::error::{exit, Error};
use bakeoff_core::provider::ProviderRegistry;
use bakeoff_core::review::pool::{self, env_lookup};

pub async fn doctor(
    cwd: &Path,
    config_file: Option<&Path>,
    ping: bool,
    try_agents: &[String],
    json: bool,
) -> Result<u8, Error> {
    let path_env = std::env::var("PATH").ok();
    let mut report = Report::default();

    let (repo_check, repo_top) = doctor::repository_check(cwd);
    let git = doctor::git_cli_check(path_env.as_deref()).await;
    report.push("git", vec![git, repo_check]);

    let outcome = doctor::config_checks(repo_top.as_deref(), config_file);
    let mut config_lines = outcome.checks;
    let registry = match &outcome.config {
        Some(config) => match pool::registry(config) {
            Ok(registry) => Some(registry),
            Err(e) => {
                config_lines
                    .push(Check::new(Status::Fail, "providers", e.to_string()).blocking(Blocker::Usage));
                None
            }
        },
        None => None,
    };
    report.push("config", config_lines);

    let agents = doctor::agent_cli_checks(outcome.config.as_ref(), path_env.as_deref()).await;
    report.push("agent CLIs", agents);
    report.push(
        "sandbox",
        doctor::sandbox_checks(outcome.config.as_ref(), path_env.as_deref()),
    );

    let usable = outcome.config.as_ref().zip(registry.as_ref());
    report.push("keys", key_lines(usable));

    if ping {
        report.push(
            "agents tried",
            agent_trials(
                outcome.config.as_ref(),
                repo_top.as_deref(),
                config_file,
                try_agents,
            )
            .await,
        );
        let mut lines = match usable {
            Some((config, registry)) => {
                doctor::ping_checks(config, registry, &env_lookup, doctor::PING_TIMEOUT).await
            }
            None => vec![Check::new(
                Status::Off,
                "ping",
                "skipped: the config is not usable",
            )],
        };
        if lines.is_empty() {
            lines.push(Check::new(Status::Off, "ping", "no reviewers configured to ping"));
        }
        report.push("providers", lines);
    }

    let secrets = secrets(registry.as_ref());
    if json {
        let out = serde_json::json!({
            "ready": report.exit_code() == exit::OK,
            "tried": ping,
            "exit": report.exit_code(),
            "sections": report.sections.iter().map(section_json).collect::<Vec<_>>(),
        });
        println!("{}", doctor::scrub(&format!("{out:#}"), &secrets));
        return Ok(report.exit_code());
    }
    let paint = Marks::new(super::color_on_stdout());
    let mut out = String::new();
    for section in &report.sections {
        render_section(&mut out, section, paint);
    }
    out.push_str(&summary(&report, ping));
    print!("{}", doctor::scrub(&out, &secrets));
    Ok(report.exit_code())
}

/// One section as `doctor --json` prints it: each check's status as a word.
pub(super) fn section_json(section: &Section) -> serde_json::Value {
    let checks: Vec<serde_json::Value> = section
        .checks
        .iter()
        .map(|c| {
            serde_json::json!({
                "status": match c.status {
                    Status::Ok => "ok",
                    Status::Warn => "warn",
                    Status::Fail => "fail",
                    Status::Off => "off",
                },
                "subject": c.subject,
                "detail": c.detail,
                "hint": c.hint,
                "blocks": c.blocks.map(|b| match b {
                    Blocker::Usage => "usage",
                    Blocker::Provider => "provider",
                }),
            })
        })
        .collect();
    serde_json::json!({ "title": section.title, "checks": checks })
}

/// The key lines: the configured models' keys (or why they could not be checked), then
/// every provider's.
fn key_lines(usable: Option<(&Config, &ProviderRegistry)>) -> Vec<Check> {
    match usable {
        Some((config, registry)) => {
            let mut lines = doctor::key_checks(config, registry, &env_lookup);
            if config.review.reviewers.is_empty() {
                lines.insert(
                    0,
                    Check::new(Status::Off, "reviewers", "none configured in [review] reviewers")
                        .hint("race and review then need --reviewer provider/model"),
                );
            }
            lines
        }
        None => {
            // Still worth knowing which keys are set; config's providers are unknown.
            let defaults = config::from_texts(&[]).ok();
            let registry = ProviderRegistry::new(&env_lookup, &Default::default()).ok();
            let mut lines = vec![Check::new(
                Status::Off,
                "reviewers",
                "not checked: the config is not usable",
            )];
            if let (Some(config), Some(registry)) = (defaults, registry) {
                lines.extend(doctor::key_checks(&config, &registry, &env_lookup));
            }
            lines
        }
    }
}

/// The values of every credential in the environment, to scrub from the output.
fn secrets(registry: Option<&ProviderRegistry>) -> Vec<String> {
    let key_vars: Vec<String> = registry
        .into_iter()
        .flat_map(|r| r.names().filter_map(|n| r.get(n)).collect::<Vec<_>>())
        .flat_map(|spec| spec.key_vars.clone())
        .collect();
    let env: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    doctor::secret_values(&env, &key_vars)
}

/// The agents `--ping` tries: those named with `-a`, else every `[agents]` table.
async fn agent_trials(
    config: Option<&Config>,
    repo_top: Option<&Path>,
    config_file: Option<&Path>,
    named: &[String],
) -> Vec<Check> {
    let Some(config) = config else {
        return vec![Check::new(
            Status::Off,
            "agents",
            "skipped: the config is not usable",
        )];
    };
    let agents: Vec<String> = match named {
        [] => config.agents.keys().cloned().collect(),
        named => named.to_vec(),
    };
    if agents.is_empty() {
        return vec![Check::new(
            Status::Off,
            "agents",
            "no [agents] tables to try; name one with -a (e.g. -a claude:claude-sonnet-4-6)",
        )];
    }
    doctor::agent_trials(repo_top, config_file, &agents).await
}

fn summary(report: &Report, tried: bool) -> String {
    let blockers = report.blockers().count();
    match report.exit_code() {
        exit::OK if tried => "\nbakeoff is ready: the agents and reviewers tried answered.\n".to_string(),
        exit::OK => "\nbakeoff is set up; `bakeoff doctor --ping` tries each agent and reviewer for real.\n"
            .to_string(),
        code => format!(
            "\n{} to fix before racing (exit {code}: {}).\n",
            bakeoff_core::units::plural(blockers, "problem"),
            if code == exit::USAGE {
                "the config is not usable"
            } else {
                "a key, a provider or an agent"
            }
        ),
    }
}

/// How a status is marked: ✓ ! ✗ – in color on a terminal, plain words otherwise.
#[derive(Clone, Copy, Debug)]
pub(super) struct Marks {
    color: bool,
}

impl Marks {
    pub(super) fn new(color: bool) -> Marks {
        Marks { color }
    }

    fn mark(self, status: Status) -> String {
        let (glyph, word, sgr) = match status {
            Status::Ok => ("✓", "ok", "32"),
            Status::Warn => ("!", "warn", "33"),
            Status::Fail => ("✗", "FAIL", "31"),
            Status::Off => ("–", "-", "2"),
        };
        if self.color {
            format!("\x1b[{sgr}m{glyph}\x1b[0m")
        } else {
            format!("{word:<4}")
        }
    }

    fn title(self, title: &str) -> String {
        if self.color {
            format!("\x1b[1m{title}\x1b[0m")
        } else {
            title.to_string()
        }
    }
}

/// A section: its title, then one line per check with subjects aligned, and each hint
/// on the line below its check's detail; fitted to the terminal's width when stdout is
/// one (details and hints wrap in their column).
pub(super) fn render_section(out: &mut String, section: &Section, marks: Marks) {
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&marks.title(section.title));
    out.push('\n');
    let rows: Vec<Vec<String>> = section
        .checks
        .iter()
        .map(|check| {
            let mut detail = check.detail.clone();
            if let Some(hint) = &check.hint {
                detail.push_str(&format!("\nhint: {hint}"));
            }
            vec![marks.mark(check.status), check.subject.clone(), detail]
        })
        .collect();
    out.push_str(&crate::ui::spaced_table(
        &rows,
        2,
        &[1, 2],
        crate::ui::stdout_width(),
    ));
}
