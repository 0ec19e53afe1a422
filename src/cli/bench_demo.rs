//! `bakeoff bench --demo`: a whole benchmark, offline. A sample repository (the race
//! demo's `slug.sh`) gets three bugs, one per task, each on its own branch with a
//! holdout test; three models of three labs — scripted, served by the fake provider on
//! loopback — drive bakeoff's built-in agent on every task twice, each trial reviewed by
//! another lab's model. The careful model fixes everything, the quick one misses a bug
//! and gets another right on its second try, the sneaky one guts the tests: the report
//! says so, with intervals, pass@k, the ranking and the per-task grid.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use bakeoff_core::bench::runner::BenchReporter;
use bakeoff_core::bench::runner::{self, BenchOptions};
use bakeoff_core::error::Error;
use bakeoff_core::race::RaceOptions;
use bakeoff_fake_provider::{FakeProvider, Script};
use serde_json::json;

/// The clean implementation every fix restores.
const CLEAN: &str = "printf '%s\\n' \"$*\" | tr '[:upper:]' '[:lower:]' | sed -e 's/[^a-z0-9][^a-z0-9]*/-/g' -e 's/^-//' -e 's/-$//'";

/// The tasks: (id, what the spec says, the line with the bug, the holdout's title and
/// the slug it must give).
const TASKS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "lowercase",
        "slug.sh keeps capital letters: `sh slug.sh Hello World` must print hello-world.",
        "printf '%s\\n' \"$*\" | sed -e 's/[^a-zA-Z0-9][^a-zA-Z0-9]*/-/g' -e 's/^-//' -e 's/-$//'",
        "Hello World",
        "hello-world",
    ),
    (
        "trailing-dash",
        "slug.sh leaves a dash at the end of titles that end in punctuation: `sh slug.sh Ready, set... go!` must print ready-set-go.",
        "printf '%s\\n' \"$*\" | tr '[:upper:]' '[:lower:]' | sed -e 's/[^a-z0-9][^a-z0-9]*/-/g' -e 's/^-//'",
        "Ready, set... go!",
        "ready-set-go",
    ),
    (
        "double-dash",
        "slug.sh turns each character outside a-z and 0-9 into its own dash: `sh slug.sh a -- b` must print a-b.",
        "printf '%s\\n' \"$*\" | tr '[:upper:]' '[:lower:]' | sed -e 's/[^a-z0-9]/-/g' -e 's/^-//' -e 's/-$//'",
        "a -- b",
        "a-b",
    ),
];

const REPEATS: u32 = 2;

/// What each model writes on each task's tries: the fix, a wrong fix (`None` in its
/// place of the fix, the script unchanged but for a comment), or the gutting of the
/// tests.
#[derive(Clone, Copy)]
enum Move {
    Fix,
    Wrong,
    Gut,
}

fn moves(model: &str, task: &str) -> [Move; REPEATS as usize] {
    match (model, task) {
        ("claude-sonnet-4-6", _) => [Move::Fix, Move::Fix],
        ("gpt-5-mini", "lowercase") => [Move::Fix, Move::Fix],
        ("gpt-5-mini", "trailing-dash") => [Move::Wrong, Move::Wrong],
        ("gpt-5-mini", _) => [Move::Wrong, Move::Fix],
        _ => [Move::Gut, Move::Gut],
    }
}

pub async fn run(dir: Option<PathBuf>) -> Result<u8, Error> {
    let root = super::demo::demo_root(dir, "bakeoff-bench-demo-")?;
    let repo = root.join("repo");
    for (rel, text) in super::demo::FILES
        .iter()
        .filter(|(rel, _)| rel.starts_with("repo/"))
    {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
        }
        let text = match *rel {
            "repo/slug.sh" => {
                format!("#!/bin/sh\n# slug: print a URL slug for the title given as arguments.\n{CLEAN}\n")
            }
            _ => text.to_string(),
        };
        std::fs::write(&path, text).map_err(|e| Error::io("cannot write", &path, e))?;
    }
    bakeoff_core::git::init_with_commit(&repo, "main", "Sample project: slug.sh and its tests")?;
    let mut suite =
        format!("name = \"slug-bugs\"\nrepeats = {REPEATS}\nagents = [\"tidy\", \"quick\", \"sneaky\"]\n");
    for (id, spec, bug, title, want) in TASKS {
        git(&repo, &["checkout", "-q", "-b", &format!("bug/{id}"), "main"])?;
        let slug = repo.join("slug.sh");
        let text = format!("#!/bin/sh\n# slug: print a URL slug for the title given as arguments.\n{bug}\n");
        std::fs::write(&slug, text).map_err(|e| Error::io("cannot write", &slug, e))?;
        git(&repo, &["commit", "-q", "-am", &format!("slug.sh: {id}")])?;
        let holdout = root.join("holdouts").join(id).join("tests");
        std::fs::create_dir_all(&holdout).map_err(|e| Error::io("cannot create", &holdout, e))?;
        let check = format!(
            "#!/bin/sh\ngot=$(sh ./slug.sh \"{title}\")\n[ \"$got\" = \"{want}\" ] || {{ echo \"FAIL: got '$got', want '{want}'\"; exit 1; }}\necho \"ok: {id}\"\n"
        );
        let path = holdout.join(format!("holdout_{id}.sh"));
        std::fs::write(&path, check).map_err(|e| Error::io("cannot write", &path, e))?;
        suite.push_str(&format!(
            "\n[[task]]\nid = \"{id}\"\nrepo = \"repo\"\nbase = \"bug/{id}\"\nspec = \"Task: {id}. {}\"\nchecks = [\"sh tests/test_slug.sh\"]\nholdout = \"holdouts/{id}\"\nholdout-checks = [\"sh tests/holdout_{id}.sh\"]\n",
            spec.replace('"', "\\\"")
        ));
    }
    git(&repo, &["checkout", "-q", "main"])?;
    let suite_path = root.join("suite.toml");
    std::fs::write(&suite_path, suite).map_err(|e| Error::io("cannot write", &suite_path, e))?;

    let models = FakeProvider::start(script()).await.map_err(|e| {
        Error::input(format!(
            "cannot start the demo's scripted models on loopback: {e}"
        ))
    })?;
    let config = root.join("bakeoff.toml");
    std::fs::write(&config, super::demo::config(&root, &models.base_url()))
        .map_err(|e| Error::io("cannot write", &config, e))?;

    eprintln!(
        "bakeoff bench demo: a suite of {} tasks in {}",
        TASKS.len(),
        root.display()
    );
    eprintln!(
        "three labs' models (scripted, on {}) drive bakeoff's built-in agent on every task {REPEATS} times; each trial is reviewed by another lab\n",
        models.base_url()
    );
    let opts = BenchOptions {
        suite: suite_path,
        jobs: Some(3),
        out: root.join("results"),
        race: RaceOptions::default(),
        config: Some(config),
        ..BenchOptions::default()
    };
    let live: Arc<Mutex<dyn BenchReporter>> = Arc::new(Mutex::new(super::bench::Lines::new(false)));
    let outcome = runner::run(&opts, live, super::race::interrupts()).await;
    models.shutdown().await;
    let outcome = outcome?;
    let built = outcome.write_report()?;
    super::bench::print_summary(&built, outcome.dir.root());
    // Its scripted models end with it: a new demo, not a resume, runs it again.
    Ok(super::bench::ending(&outcome, "bakeoff bench --demo"))
}

fn git(dir: &Path, args: &[&str]) -> Result<(), Error> {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=bakeoff demo",
            "-c",
            "user.email=demo@bakeoff.invalid",
            "-c",
            "core.hooksPath=/dev/null",
        ])
        .args(args)
        .output()
        .map_err(|e| Error::input_with_hint(format!("cannot run git: {e}"), "install git"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(Error::input(format!(
        "git {} failed in {}: {}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}

/// The scripted models. A request takes the first turn of its model's queue whose
/// `when` it contains, so each model's `submit` turns come first (they fit only once the
/// model's own edit is in the conversation) and its edits after, by task.
fn script() -> Script {
    let mut b = Script::builder().event_delay_ms(10);
    for (_, lane_model) in super::demo::LANES {
        let model = lane_model.split_once('/').map(|(_, m)| m).unwrap_or(lane_model);
        b = b.model(model);
        for (id, ..) in TASKS {
            for _ in 0..REPEATS {
                b = b.tool_call("submit", json!({})).when(format!("edited for {id}"));
            }
        }
        for (id, ..) in TASKS {
            for step in moves(model, id) {
                let body = match step {
                    Move::Fix => format!("cat > slug.sh <<'EOF'\n#!/bin/sh\n# slug: print a URL slug for the title given as arguments.\n{CLEAN}\nEOF"),
                    Move::Wrong => "sed -i '2a # quick fix: looks fine' slug.sh".to_string(),
                    Move::Gut => "printf '#!/bin/sh\\n# The old assertions were flaky.\\necho ok\\n' > tests/test_slug.sh".to_string(),
                };
                let command = format!("{body}\nsh tests/test_slug.sh; echo 'edited for {id}'");
                b = b
                    .tool_call("bash", json!({ "command": command }))
                    .when(format!("Task: {id}."));
            }
        }
    }
    // Reviewers: a reject for gutted tests, changes for the quick non-fix, else approve.
    let trials = TASKS.len() * REPEATS as usize * super::demo::LANES.len();
    for reviewer in super::demo::REVIEWERS {
        let model = reviewer.split_once('/').map(|(_, m)| m).unwrap_or(reviewer);
        b = b.model(model);
        for _ in 0..trials {
            b = b
                .json(json!({"verdict": "reject", "score": 9, "summary": "The tests were emptied instead of the bug being fixed.",
                    "findings": [{"severity": "blocker", "file": "tests/test_slug.sh", "line": 2, "title": "assertions deleted", "body": "Nothing is tested any more.", "suggestion": ""}]}))
                .when("flaky");
        }
        for _ in 0..trials {
            b = b
                .json(json!({"verdict": "request_changes", "score": 40, "summary": "Only a comment changed; the bug is still there.",
                    "findings": [{"severity": "major", "file": "slug.sh", "line": 3, "title": "no fix", "body": "The pipeline is as before.", "suggestion": ""}]}))
                .when("quick fix");
        }
        for _ in 0..trials {
            b = b.json(json!({"verdict": "approve", "score": 86, "summary": "Restores a clean slug pipeline; small and clear.", "findings": []}));
        }
    }
    b.build()
}
