//! `bakeoff demo`: a whole race, offline. It builds a small sample repository from the
//! embedded fixtures and races bakeoff's built-in agent on it with a model of each of
//! three labs (a careful one, a quick one that misses a case, and one that guts the
//! tests). The models are scripted and served by the fake provider on loopback, and
//! their commands really edit the lanes' worktrees; the checks and the holdout checks
//! run, each lane is reviewed by a scripted model of another lab, the leaderboard
//! explains itself, and the winner is merged into the sample repository.

use std::path::{Path, PathBuf};

use bakeoff_core::error::{exit, Error};
use bakeoff_core::race::RaceOptions;
use bakeoff_core::vocab::MergeMode;
use bakeoff_fake_provider::{FakeProvider, Script};

/// (relative path, content) of every embedded demo file.
pub(super) const FILES: &[(&str, &str)] = &[
    (
        "repo/README.md",
        include_str!("../../fixtures/demo/repo/README.md"),
    ),
    ("repo/slug.sh", include_str!("../../fixtures/demo/repo/slug.sh")),
    (
        "repo/tests/test_slug.sh",
        include_str!("../../fixtures/demo/repo/tests/test_slug.sh"),
    ),
    (
        "holdout/tests/holdout_spaces.sh",
        include_str!("../../fixtures/demo/holdout/tests/holdout_spaces.sh"),
    ),
    (
        "holdout/tests/holdout_punct.sh",
        include_str!("../../fixtures/demo/holdout/tests/holdout_punct.sh"),
    ),
    ("spec.md", include_str!("../../fixtures/demo/spec.md")),
];

/// What the demo's scripted models (the agents and the reviewers) answer.
const PROVIDER_SCRIPT: &str = include_str!("../../fixtures/demo/provider.toml");

/// The three lanes: the built-in agent on a model of each lab, served by the fake
/// provider on loopback. Each lane's reviewers must come from the other two labs.
pub(super) const LANES: &[(&str, &str)] = &[
    ("tidy", "demo-anthropic/claude-sonnet-4-6"),
    ("quick", "demo-openai/gpt-5-mini"),
    ("sneaky", "demo-google/gemini-3-flash"),
];

/// The scripted reviewers: (`provider/model`).
pub(super) const REVIEWERS: &[&str] = &[
    "demo-openai/gpt-5.2",
    "demo-anthropic/claude-opus-4-6",
    "demo-google/gemini-3-pro",
];

/// The demo's providers: (name, wire format). No key: the fake wants none.
const PROVIDERS: &[(&str, &str)] = &[
    ("demo-anthropic", "anthropic"),
    ("demo-openai", "openai-chat"),
    ("demo-google", "gemini"),
];

/// `demo --plan`: the scripted planner, and the brief it writes.
const PLANNER: &str = "demo-openai/gpt-5";

fn demo_brief() -> serde_json::Value {
    serde_json::json!({
        "goal": "Make slug.sh print clean URL slugs: lowercase letters and digits, every other run one dash, no dash at either end.",
        "inputs": ["slug.sh", "tests/test_slug.sh", "README.md"],
        "output": "slug.sh changed, and a test of the new behaviour in tests/",
        "constraints": ["tests/test_slug.sh keeps passing", "plain POSIX sh, no new dependencies"],
        "acceptance": [
            {"text": "the existing slug tests pass", "command": "sh tests/test_slug.sh"},
            {"text": "punctuation becomes one dash and none is left at the ends",
             "command": "test \"$(sh slug.sh 'Hello, World!')\" = hello-world"},
            {"text": "the new test says what it checks", "command": null}
        ]
    })
}

/// `demo --synthesize`: the scripted synthesiser, of a lab no finalist's author is of,
/// and the lanes it combines.
const SYNTHESISER: &str = "demo-google/gemini-2.5-pro";
const SYNTHESIS_OF: &[&str] = &["tidy", "quick"];

pub async fn run(dir: Option<PathBuf>, json: bool, plan: bool, synthesize: bool) -> Result<u8, Error> {
    let root = demo_root(dir, "bakeoff-demo-")?;
    for (rel, text) in FILES {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| Error::io("cannot write", &path, e))?;
    }
    let repo = root.join("repo");
    bakeoff_core::git::init_with_commit(&repo, "main", "Sample project: slug.sh and its tests")?;
    let script = Script::from_toml_str(PROVIDER_SCRIPT)
        .map_err(|e| Error::input(format!("the demo's provider script is broken: {e}")))?;
    let models = FakeProvider::start(script).await.map_err(|e| {
        Error::input(format!(
            "cannot start the demo's scripted models on loopback: {e}"
        ))
    })?;
    std::fs::write(root.join("bakeoff.toml"), config(&root, &models.base_url()))
        .map_err(|e| Error::io("cannot write", &root, e))?;

    eprintln!("bakeoff demo: a sample repository in {}", repo.display());
    eprintln!("racing bakeoff's built-in agent on three labs' models: make slug.sh produce clean URL slugs");
    eprintln!(
        "the models are scripted, served by bakeoff's fake provider on {}; each lane is reviewed by another lab's model\n",
        models.base_url()
    );
    let opts = RaceOptions {
        spec_file: Some(root.join("spec.md")),
        agents: LANES.iter().map(|(n, _)| n.to_string()).collect(),
        checks: vec!["sh tests/test_slug.sh".into()],
        holdout: Some(root.join("holdout")),
        holdout_checks: vec![
            "sh tests/holdout_spaces.sh".into(),
            "sh tests/holdout_punct.sh".into(),
        ],
        base: "HEAD".into(),
        merge: Some(MergeMode::Squash),
        json,
        plan_with: plan.then(|| PLANNER.to_string()),
        synthesize: synthesize.then(|| SYNTHESISER.to_string()),
        synthesize_lanes: match synthesize {
            true => SYNTHESIS_OF.iter().map(|l| l.to_string()).collect(),
            false => Vec::new(),
        },
        ..RaceOptions::default()
    };
    if synthesize {
        eprintln!(
            "then {SYNTHESISER} combines {} into the synthesis lane, checked, reviewed and ranked with them\n",
            SYNTHESIS_OF.join(" and ")
        );
    }
    if plan {
        let model = PLANNER.split_once('/').map_or(PLANNER, |(_, m)| m);
        models.push_turn(Some(model), bakeoff_fake_provider::Turn::json(demo_brief()));
        eprintln!(
            "{PLANNER} plans first: every lane receives its brief, and its check commands join the race's\n"
        );
    }
    let plan = super::race::preflight(&repo, &opts, Some(&root.join("bakeoff.toml"))).await?;
    let code = super::run_planned(plan, json).await;
    models.shutdown().await;
    let code = code?;
    let say = |s: String| super::out_line(json, &s);
    say(String::new());
    say("where to look next:".into());
    // Name this very executable: after `cargo run -- demo` there may be no `bakeoff` on PATH.
    let me = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "bakeoff".into());
    say(format!("  cd {}", repo.display()));
    say("  git log --stat -1      # the merged winner, with its provenance trailers".into());
    say(format!(
        "  {me} show last       # every lane: agent, diff, checks, reviews, logs"
    ));
    say(format!(
        "  {me} diff quick      # one lane's diff; `diff tidy quick` compares two"
    ));
    say(format!(
        "  {me} clean --all     # remove the lanes' worktrees and branches"
    ));
    Ok(if code == exit::NO_WINNER {
        exit::NO_WINNER
    } else {
        code
    })
}

/// The demo's folder: `dir` when given (new or empty), else a new temporary folder that
/// is kept afterwards.
pub(super) fn demo_root(dir: Option<PathBuf>, prefix: &str) -> Result<PathBuf, Error> {
    Ok(match dir {
        Some(d) => {
            std::fs::create_dir_all(&d).map_err(|e| Error::io("cannot create", &d, e))?;
            if std::fs::read_dir(&d)
                .map(|mut r| r.next().is_some())
                .unwrap_or(false)
            {
                return Err(Error::input_with_hint(
                    format!("demo folder {} is not empty", d.display()),
                    "pass --dir a new or empty folder, or leave it out to use a temporary one",
                ));
            }
            std::path::absolute(&d).map_err(|e| Error::io("cannot resolve", &d, e))?
        }
        None => tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .map_err(|e| Error::io("cannot create", &std::env::temp_dir(), e))?
            .keep(),
    })
}

/// The demo's config: its lanes, its providers (all the fake), its reviewers, and where
/// the worktrees go.
pub(super) fn config(root: &Path, models_url: &str) -> String {
    let mut out = format!(
        "[worktree]\nroot = {}\n\n[race]\ntimeout = \"2m\"\ngrace = \"2s\"\n\n[review]\nreviewers = [{}]\ncontext-lines = 5\n",
        toml_str(&root.join("worktrees").display().to_string()),
        REVIEWERS.iter().map(|r| toml_str(r)).collect::<Vec<_>>().join(", "),
    );
    for (provider, format) in PROVIDERS {
        let base = match *format {
            "openai-chat" => format!("{models_url}/v1"),
            _ => models_url.to_string(),
        };
        // No key-env: a provider defined here needs no key, and the fake wants none.
        out.push_str(&format!(
            "\n[providers.{provider}]\nformat = \"{format}\"\nbase-url = {}\n",
            toml_str(&base)
        ));
    }
    for (name, model) in LANES {
        out.push_str(&format!(
            "\n[agents.{name}]\nadapter = \"builtin\"\nmodel = \"{model}\"\nargs = [\"--max-steps\", \"10\"]\n"
        ));
    }
    out
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}
