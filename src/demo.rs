//! `bakeoff demo`: a whole race, offline. It builds a small sample repository from the
//! embedded fixtures, races three scripted agents on it (a careful one, a quick one that
//! misses a case, and one that guts the tests), runs the checks and the holdout checks,
//! ranks them and merges the winner into the sample repository.

use std::path::{Path, PathBuf};

use crate::error::{exit, Error};
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

/// The three lanes: name, the output format its script prints (parsed as that CLI's).
const LANES: &[(&str, &str)] = &[("tidy", "claude"), ("quick", "codex"), ("sneaky", "gemini")];

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
    std::fs::write(root.join("bakeoff.toml"), config(&root, &exe))
        .map_err(|e| Error::io("cannot write", &root, e))?;

    eprintln!("bakeoff demo: a sample repository in {}", repo.display());
    eprintln!("racing 3 scripted agents on spec.md: make slug.sh produce clean URL slugs\n");
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
        no_review: true,
        json,
        ..RaceOptions::default()
    };
    let (plan, _) = race::preflight(&repo, &opts, Some(&root.join("bakeoff.toml")))?;
    let code = crate::cli::run_planned(plan, json).await?;
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

/// The demo's config: its three scripted agents and where their worktrees go.
fn config(root: &Path, exe: &Path) -> String {
    let mut out = format!(
        "[worktree]\nroot = {}\n\n[race]\ntimeout = \"2m\"\ngrace = \"2s\"\n",
        toml_str(&root.join("worktrees").display().to_string())
    );
    for (name, parser) in LANES {
        let script = root.join("agents").join(format!("{name}.script"));
        out.push_str(&format!(
            "\n[agents.{name}]\nadapter = \"command\"\nmodel = \"scripted-{name}\"\nparser = \"{parser}\"\ncommand = [{}, \"scripted-agent\", \"--script\", {}, \"{{spec_file}}\"]\n",
            toml_str(&exe.display().to_string()),
            toml_str(&script.display().to_string()),
        ));
    }
    out
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}
