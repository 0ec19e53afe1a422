//! `bakeoff demo`: a whole race, offline. It builds a small sample repository from the
//! embedded fixtures, races three scripted agents on it (a careful one, a quick one that
//! misses a case, and one that guts the tests), runs the checks and the holdout checks,
//! has each lane reviewed by a scripted model of another lab (the fake provider on
//! loopback), ranks them and merges the winner into the sample repository.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::error::{exit, Error};
use crate::fake_provider::{FakeProvider, Script};
use crate::merge::MergeMode;
use crate::race::{self, RaceOptions};

/// (relative path, content) of every embedded demo file.
const FILES: &[(&str, &str)] = &[
    ("repo/README.md", include_str!("../fixtures/demo/repo/README.md")),
    ("repo/slug.sh", include_str!("../fixtures/demo/repo/slug.sh")),
    (
        "repo/tests/test_slug.sh",
        include_str!("../fixtures/demo/repo/tests/test_slug.sh"),
    ),
    (
        "holdout/tests/holdout_spaces.sh",
        include_str!("../fixtures/demo/holdout/tests/holdout_spaces.sh"),
    ),
    (
        "holdout/tests/holdout_punct.sh",
        include_str!("../fixtures/demo/holdout/tests/holdout_punct.sh"),
    ),
    ("spec.md", include_str!("../fixtures/demo/spec.md")),
    (
        "agents/tidy.script",
        include_str!("../fixtures/demo/agents/tidy.script"),
    ),
    (
        "agents/quick.script",
        include_str!("../fixtures/demo/agents/quick.script"),
    ),
    (
        "agents/sneaky.script",
        include_str!("../fixtures/demo/agents/sneaky.script"),
    ),
];

/// The three lanes: name, the output format its script prints (parsed as that CLI's), and
/// the model it plays, which gives it a lab: reviewers must come from the other two.
const LANES: &[(&str, &str, &str)] = &[
    ("tidy", "claude", "claude-sonnet-4-6"),
    ("quick", "codex", "gpt-5.5-mini"),
    ("sneaky", "gemini", "gemini-3-flash"),
];

/// The scripted reviewers: (`provider/model`, wire format). Each is served by the fake
/// provider on loopback, so the demo needs no key.
const REVIEWERS: &[(&str, &str)] = &[
    ("demo-openai/gpt-5.5", "openai-chat"),
    ("demo-anthropic/claude-opus-4-6", "anthropic"),
    ("demo-google/gemini-3-pro", "gemini"),
];

pub async fn run(dir: Option<PathBuf>, json: bool) -> Result<u8, Error> {
    let root = match dir {
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
            .prefix("bakeoff-demo-")
            .tempdir()
            .map_err(|e| Error::io("cannot create", &std::env::temp_dir(), e))?
            .keep(),
    };
    let exe = std::env::current_exe().map_err(|e| Error::io("cannot find", Path::new("bakeoff"), e))?;
    for (rel, text) in FILES {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| Error::io("cannot write", &path, e))?;
    }
    let repo = root.join("repo");
    crate::git::init_with_commit(&repo, "main", "Sample project: slug.sh and its tests")?;
    let reviewers = FakeProvider::start(review_script()).await.map_err(|e| {
        Error::input(format!(
            "cannot start the demo's scripted reviewers on loopback: {e}"
        ))
    })?;
    std::fs::write(
        root.join("bakeoff.toml"),
        config(&root, &exe, &reviewers.base_url()),
    )
    .map_err(|e| Error::io("cannot write", &root, e))?;

    eprintln!("bakeoff demo: a sample repository in {}", repo.display());
    eprintln!("racing 3 scripted agents on spec.md: make slug.sh produce clean URL slugs");
    eprintln!(
        "each lane is reviewed by a scripted model of another lab, served on {}\n",
        reviewers.base_url()
    );
    let opts = RaceOptions {
        spec_file: Some(root.join("spec.md")),
        agents: LANES.iter().map(|(n, _, _)| n.to_string()).collect(),
        checks: vec!["sh tests/test_slug.sh".into()],
        holdout: Some(root.join("holdout")),
        holdout_checks: vec![
            "sh tests/holdout_spaces.sh".into(),
            "sh tests/holdout_punct.sh".into(),
        ],
        base: "HEAD".into(),
        merge: Some(MergeMode::Squash),
        json,
        ..RaceOptions::default()
    };
    let (plan, _) = race::preflight(&repo, &opts, Some(&root.join("bakeoff.toml")))?;
    let code = crate::cli::run_planned(plan, json).await;
    reviewers.shutdown().await;
    let code = code?;
    let say = |s: String| if json { eprintln!("{s}") } else { println!("{s}") };
    say(String::new());
    say("where to look next:".into());
    say(format!("  cd {}", repo.display()));
    say("  git log --stat -1            # the merged winner, with its provenance trailers".into());
    say("  bakeoff show last            # every lane: agent, diff, checks, logs".into());
    say(
        "  bakeoff diff last quick      # one lane's diff; `bakeoff diff last tidy quick` compares two"
            .into(),
    );
    say("  bakeoff clean --all          # remove the lanes' worktrees and branches".into());
    Ok(if code == exit::NO_WINNER {
        exit::NO_WINNER
    } else {
        code
    })
}

/// The demo's config: its three scripted agents, its scripted reviewers' providers, and
/// where the worktrees go.
fn config(root: &Path, exe: &Path, reviewers_url: &str) -> String {
    let mut out = format!(
        "[worktree]\nroot = {}\n\n[race]\ntimeout = \"2m\"\ngrace = \"2s\"\n\n[review]\nreviewers = [{}]\ncontext-lines = 5\n",
        toml_str(&root.join("worktrees").display().to_string()),
        REVIEWERS.iter().map(|(r, _)| toml_str(r)).collect::<Vec<_>>().join(", "),
    );
    for (reviewer, format) in REVIEWERS {
        let provider = reviewer.split('/').next().unwrap_or(reviewer);
        let base = match *format {
            "openai-chat" => format!("{reviewers_url}/v1"),
            _ => reviewers_url.to_string(),
        };
        // No key-env: a provider defined here needs no key, and the fake wants none.
        out.push_str(&format!(
            "\n[providers.{provider}]\nformat = \"{format}\"\nbase-url = {}\n",
            toml_str(&base)
        ));
    }
    for (name, parser, model) in LANES {
        let script = root.join("agents").join(format!("{name}.script"));
        out.push_str(&format!(
            "\n[agents.{name}]\nadapter = \"command\"\nmodel = \"{model}\"\nparser = \"{parser}\"\ncommand = [{}, \"scripted-agent\", \"--script\", {}, \"{{spec_file}}\"]\n",
            toml_str(&exe.display().to_string()),
            toml_str(&script.display().to_string()),
        ));
    }
    out
}

/// What the scripted reviewers say about each lane, picked by what its diff contains
/// (lanes are reviewed concurrently, so the order of requests is not fixed).
fn review_script() -> Script {
    let review = |verdict: &str, score: u8, summary: &str, findings: serde_json::Value| json!({"verdict": verdict, "score": score, "summary": summary, "findings": findings});
    let finding = |severity: &str, file: &str, line: u32, title: &str, body: &str| json!({"severity": severity, "file": file, "line": line, "title": title, "body": body, "suggestion": null});
    let tidy = review(
        "approve",
        91,
        "Collapses every run of non-alphanumerics into one dash and trims both ends; the new test covers punctuation.",
        json!([finding("nit", "slug.sh", 4, "two sed expressions could be one", "`s/^-//; s/-$//` reads a little tighter.")]),
    );
    let quick = review(
        "request_changes",
        48,
        "Spaces are handled, but punctuation is kept: 'Hello, World!' gives 'hello,-world!'.",
        json!([finding(
            "major",
            "slug.sh",
            3,
            "punctuation is not removed",
            "Only spaces are turned into dashes; the spec asks for every run of anything but a-z and 0-9."
        )]),
    );
    let sneaky = review(
        "reject",
        8,
        "The implementation looks right, but the change deletes every assertion of the test file.",
        json!([finding(
            "blocker",
            "tests/test_slug.sh",
            2,
            "the tests were gutted",
            "All assertions were removed, so the tests pass whatever slug.sh does."
        )]),
    );
    let mut builder = Script::builder();
    for (model, _) in REVIEWERS
        .iter()
        .map(|(r, f)| (r.split_once('/').map_or(*r, |(_, m)| m), f))
    {
        builder = builder
            .model(model)
            .json(tidy.clone())
            .when("ready-set-go")
            .json(quick.clone())
            .when("tr -s")
            .json(sneaky.clone())
            .when("flaky");
    }
    builder.build()
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}
