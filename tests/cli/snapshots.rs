//! Snapshots of what every command prints, so a change of wording or layout shows up as
//! a snapshot diff to review (`cargo insta review`, or the `.snap` files by hand).
//!
//! What differs from run to run is redacted before the comparison: the test's temp
//! folder, the checkout and the build folder, race ids, commit ids, dates, times,
//! durations, pids and ports. Races are made deterministic by construction (scripted
//! agents, the plain reporter of a non-terminal stderr, one lane where lanes' lines would
//! interleave), never by sorting what they print. What runs in parallel and cannot be
//! told otherwise (the demo's lanes, the bench demo's trials) is snapshotted up to where
//! the parallel part starts, and by its outcome.

use bakeoff_testkit::fake_provider::{FakeProvider, Script};
use serde_json::json;

use crate::support::{Run, TestEnv};

/// A test environment as CI runs bakeoff: not a terminal, `CI=true`, UTC, a fixed width.
fn ci_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.set_env("CI", "true");
    env.set_env("TZ", "UTC");
    env.set_env("COLUMNS", "100");
    env
}

/// Redacts `text` wherever it occurs, as it is (not as a pattern).
fn literal(settings: &mut insta::Settings, text: &str, with: &str) {
    if !text.is_empty() {
        settings.add_filter(&regex_escape(text), with);
    }
}

fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The redactions of every snapshot: the places and ids that change from run to run.
fn settings(env: &TestEnv, races: &[String]) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    let target = std::path::Path::new(crate::support::BAKEOFF)
        .parent()
        .unwrap()
        .display()
        .to_string();
    // Longest first, so that a folder inside another is not cut in two.
    let mut places = vec![
        (env.root().display().to_string(), "[TMP]"),
        (target, "[TARGET]"),
        (env!("CARGO_MANIFEST_DIR").to_string(), "[CHECKOUT]"),
    ];
    places.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    for (p, with) in &places {
        literal(&mut s, p, with);
    }
    let mut races = races.to_vec();
    races.sort_by_key(|r| std::cmp::Reverse(r.len()));
    for race in &races {
        literal(&mut s, race, "[RACE]");
    }
    // Before the commit ids, whose pattern the fraction of a second would match.
    s.add_filter(
        r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?",
        "[DATETIME]",
    );
    s.add_filter(r"bakeoff-bench-demo-\w+", "bakeoff-bench-demo-[RANDOM]");
    s.add_filter(r"\b[0-9a-f]{40}\b", "[SHA]");
    // Short commit ids; a seven-digit number would be caught too, and none is printed.
    s.add_filter(r"\b[0-9a-f]{7,39}\b", "[SHA]");
    s.add_filter(r"\b\d{4}-\d{2}-\d{2}\b", "[DATE]");
    s.add_filter(r"\b\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\b", "[TIME]");
    // Where this machine has no bubblewrap, races warn that lanes run unsandboxed.
    s.add_filter(r"(?m)^warning: lanes run unsandboxed.*\n", "");
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    s.add_filter(r"\bpid \d+", "pid [PID]");
    s
}

/// [`settings`] and run durations too: for what a race, a review or a bench prints.
fn run_settings(env: &TestEnv, races: &[String]) -> insta::Settings {
    let mut s = settings(env, races);
    s.add_filter(r"\b\d+(m|h) \d{2}(s|m)\b", "[DUR]");
    s.add_filter(r"\b\d+(\.\d+)?(ms|s|m|h)\b", "[DUR]");
    s
}

/// The ids of the races recorded in `env`'s repository.
fn race_ids(env: &TestEnv) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(env.repo.join(".git/bakeoff/races")) else {
        return Vec::new();
    };
    dir.flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !n.ends_with(".json") && !n.ends_with(".lock"))
        .collect()
}

/// Both streams and the exit code, as one text.
fn streams(run: &Run) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        run.code(),
        run.stdout(),
        run.stderr()
    )
}

/// Two scripted lanes, one of which breaks the check.
///
/// Their lines in the plain log interleave as the lanes happen to run, `--jobs 1` or
/// not (a lane captures and checks while the next one's agent starts), so the log is
/// snapshotted from a race of one lane and this race's from its outcome on stdout.
fn raced(env: &mut TestEnv) -> Run {
    env.agent(
        "good",
        "claude",
        "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nusage claude 2 1000 200 0.30 s-good\n",
    );
    env.agent(
        "bad",
        "claude",
        "write src/lib.txt broken\\n\nwrite notes.txt a note\\n\nusage claude 1 500 100 0.05 s-bad\n",
    );
    env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "good",
        "-a",
        "bad",
        "--check",
        "grep -q three src/lib.txt",
    ])
}

#[test]
fn snapshots_of_a_race_and_the_commands_that_read_it() {
    let mut env = ci_env();
    let race = raced(&mut env);
    let ids = race_ids(&env);
    assert_eq!(ids.len(), 1, "{ids:?}");
    let s = run_settings(&env, &ids);

    race.expect(0);
    s.bind(|| insta::assert_snapshot!("race_stdout", race.stdout()));
    for (name, args) in [
        ("list", &["list"][..]),
        ("show", &["show", "last"]),
        ("diff_lane", &["diff", "last", "good"]),
        ("diff_two_lanes", &["diff", "good", "bad"]),
        ("report_md", &["report", "--format", "md"]),
        ("resume_finished", &["resume", "last"]),
        ("merge", &["merge"]),
        ("show_after_merge", &["show", "last"]),
        ("clean", &["clean", "last"]),
        ("list_after_clean", &["list"]),
    ] {
        let out = env.bakeoff(args);
        s.bind(|| insta::assert_snapshot!(name, streams(&out)));
    }
}

#[test]
fn snapshot_of_the_plain_race_log() {
    let mut env = ci_env();
    env.agent(
        "solo",
        "claude",
        "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nwrite notes.txt a note\\n\nusage claude 2 1000 200 0.30 s-solo\n",
    );
    let race = env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "solo",
        "--check",
        "grep -q three src/lib.txt",
        "--check",
        "grep -q five src/lib.txt",
    ]);
    run_settings(&env, &race_ids(&env)).bind(|| insta::assert_snapshot!("race_one_lane", streams(&race)));
}

/// The lines of `text` before the first that starts with `stop`: what a command prints
/// before its parallel work begins.
fn before(text: &str, stop: &str) -> String {
    text.lines()
        .take_while(|l| !l.starts_with(stop))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn review(verdict: &str, score: u8, findings: serde_json::Value) -> serde_json::Value {
    json!({"verdict": verdict, "score": score, "summary": format!("{verdict} at {score}"), "findings": findings})
}

#[test]
fn snapshots_of_review_with_the_fake_provider() {
    let major = json!([{"severity": "major", "file": "src/lib.txt", "line": 2, "title": "lost a line", "body": "two is gone", "suggestion": "put it back"}]);
    let mut builder = Script::builder().model("gpt-5.5");
    for _ in 0..3 {
        builder = builder.json(review("request_changes", 40, major.clone()));
    }
    let server = FakeProvider::start_on_thread(builder.build()).unwrap();
    let mut env = ci_env();
    env.set_env("OPENAI_BASE_URL", &format!("{}/v1", server.base_url()));
    env.set_env("OPENAI_API_KEY", "canary-openai-snap-2231");
    env.config("[review]\ncontext-lines = 3\n");
    // A lane of an Anthropic model, reviewed in the race by OpenAI's.
    let script = env.script("reviewed", "write src/lib.txt one\\nthree\\n\n");
    env.config(&format!(
        "[agents.reviewed]\nadapter = \"command\"\nmodel = \"claude-sonnet-4-6\"\ncommand = [\"{}\", \"--script\", \"{}\"]\n",
        crate::support::scripted_agent().display(),
        script.display()
    ));
    let race = env.bakeoff(&[
        "race",
        "drop a line",
        "-a",
        "reviewed",
        "--reviewer",
        "openai/gpt-5.5",
    ]);
    run_settings(&env, &race_ids(&env)).bind(|| insta::assert_snapshot!("race_reviewed", streams(&race)));
    env.claude_feature_commit();
    let s = run_settings(&env, &[]);
    let text = env.bakeoff(&["review", "--reviewer", "openai/gpt-5.5"]);
    let md = env.bakeoff(&["review", "--reviewer", "openai/gpt-5.5", "--format", "markdown"]);
    s.bind(|| {
        insta::assert_snapshot!("review_text", streams(&text));
        insta::assert_snapshot!("review_markdown", streams(&md));
    });
}

#[test]
fn snapshots_of_the_demo() {
    let env = ci_env();
    let dir = env.root().join("demo");
    let run = env.bakeoff(&["demo", "--dir", dir.to_str().unwrap()]);
    let ids: Vec<String> = std::fs::read_dir(dir.join("repo/.git/bakeoff/races"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !n.ends_with(".json") && !n.ends_with(".lock"))
        .collect();
    // Its three lanes run at once, and their lines in the log interleave as they happen
    // to: the log up to the lanes' start, and the outcome.
    let shown = format!(
        "exit: {}\n--- stdout\n{}--- stderr (up to the lanes)\n{}",
        run.code(),
        run.stdout(),
        before(&run.stderr(), "[")
    );
    run_settings(&env, &ids).bind(|| insta::assert_snapshot!("demo", shown));
}

#[test]
fn snapshots_of_doctor_and_agents() {
    let mut env = ci_env();
    env.only_git_on_path();
    let mut s = settings(&env, &[]);
    s.add_filter(r"(ok   git +)\d+\.\d+\S*", "${1}[VERSION]");
    let doctor = env.bakeoff(&["doctor"]);
    let agents = env.bakeoff(&["agents"]);
    s.bind(|| {
        insta::assert_snapshot!("doctor", streams(&doctor));
        insta::assert_snapshot!("agents", streams(&agents));
    });
}

#[test]
fn snapshot_of_bench_demo() {
    let env = ci_env();
    let run = env.bakeoff_in(&env.root(), &["bench", "--demo"]);
    // Three trials at a time (the demo takes no --jobs), printed as they end: the log up
    // to the trials, and the report.
    let shown = format!(
        "exit: {}\n--- stdout\n{}--- stderr (up to the trials)\n{}",
        run.code(),
        run.stdout(),
        before(&run.stderr(), "[")
    );
    run_settings(&env, &[]).bind(|| insta::assert_snapshot!("bench_demo", shown));
}

#[test]
fn snapshots_of_help_and_completions() {
    let env = ci_env();
    let s = settings(&env, &[]);
    let completions = env.bakeoff(&["completions", "bash"]);
    completions.expect(0);
    let head: String = completions
        .stdout()
        .lines()
        .take(20)
        .map(|l| format!("{l}\n"))
        .collect();
    let help = env.bakeoff(&["--help"]);
    let race_help = env.bakeoff(&["race", "--help"]);
    s.bind(|| {
        insta::assert_snapshot!("completions_bash_head", head);
        insta::assert_snapshot!("help", streams(&help));
        insta::assert_snapshot!("race_help", streams(&race_help));
    });
}

#[test]
fn snapshots_of_bad_input() {
    let mut env = ci_env();
    env.agent("a", "claude", "write src/lib.txt alpha\\n\n");
    let s = settings(&env, &[]);
    for (name, args) in [
        ("error_unknown_race", &["show", "nosuchrace"][..]),
        ("error_no_races", &["merge"]),
        ("error_unknown_agent", &["race", "do it", "-a", "nosuchagent"]),
        ("error_bad_jobs", &["race", "do it", "-a", "a", "--jobs", "zero"]),
        ("error_bad_color", &["--color", "sometimes", "list"]),
    ] {
        let out = env.bakeoff(args);
        s.bind(|| insta::assert_snapshot!(name, streams(&out)));
    }
    assert_eq!(env.races(), 0);
}

/// `bakeoff plan` with a scripted planner: the brief on stdout and what was run on the
/// base on stderr, one check that fails there (accepted) and one that passes (flagged).
#[test]
fn snapshot_of_plan() {
    let brief = json!({
        "goal": "Give src/lib.txt a fourth line, four.",
        "inputs": ["src/lib.txt"],
        "output": "src/lib.txt with four lines",
        "constraints": ["keep the first three lines"],
        "acceptance": [
            {"text": "src/lib.txt has four lines", "command": "test $(wc -l < src/lib.txt) -eq 4"},
            {"text": "src/lib.txt exists", "command": "test -f src/lib.txt"},
            {"text": "it reads well", "command": null},
        ],
    });
    let server = FakeProvider::start_on_thread(Script::builder().model("gpt-5").json(brief).build()).unwrap();
    let mut env = ci_env();
    env.set_env("OPENAI_BASE_URL", &format!("{}/v1", server.base_url()));
    env.set_env("OPENAI_API_KEY", "canary-snapshot-openai-9001");
    let run = env.bakeoff(&[
        "plan",
        "add a fourth line to src/lib.txt",
        "--with",
        "openai/gpt-5",
    ]);
    run.expect(0);
    run_settings(&env, &[]).bind(|| insta::assert_snapshot!("plan", streams(&run)));
}

/// `bakeoff bench export --dockerfile`: the image's Dockerfile as written.
#[test]
fn snapshot_of_bench_export_dockerfile() {
    let env = ci_env();
    let run = env.bakeoff(&["bench", "export", "--dockerfile"]);
    run.expect(0);
    settings(&env, &[]).bind(|| insta::assert_snapshot!("bench_export_dockerfile", streams(&run)));
}
