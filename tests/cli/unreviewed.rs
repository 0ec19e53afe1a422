//! A lane merges only after a successful cross-lab review: a race whose reviews all
//! failed (an overloaded provider, a rejected key) keeps its winner on the leaderboard
//! but is not merged, by `--merge` or `bakeoff merge`, unless `--allow-unreviewed`;
//! and a fallback of the author's own lab never stands in for a cross-lab review unless
//! `--allow-same-lab`. Each race runs under a [`Witness`], whose canaries are the
//! reviewers' keys: they may go in a request's headers, never in its body, the output or
//! the records.

use bakeoff_testkit::fake_provider::{FakeProvider, Fault, Script};
use serde_json::json;

use crate::support::TestEnv;
use crate::witness::{canary, request_bodies, Witness};

fn approve() -> serde_json::Value {
    json!({"verdict": "approve", "score": 90, "summary": "fine", "findings": []})
}

/// The first attempt and the client's four retries, all overloaded (529 on Anthropic).
fn overloaded() -> Script {
    (0..5)
        .fold(Script::builder(), |s, _| s.fault(Fault::Overloaded))
        .build()
}

/// A lane written by an OpenAI model (its agent a spy named `gpt`), reviewed by
/// Anthropic's on the fake `anthropic` server; `openai` (when given) serves OpenAI's
/// models for a fallback. The witness's canaries are the keys (the fake takes any).
fn env_with(anthropic: &FakeProvider, openai: Option<&FakeProvider>) -> (TestEnv, Witness) {
    let mut env = TestEnv::new();
    env.reviews = true;
    env.set_env("ANTHROPIC_BASE_URL", &anthropic.base_url());
    if let Some(openai) = openai {
        env.set_env("OPENAI_BASE_URL", &format!("{}/v1", openai.base_url()));
    }
    let w = Witness::new(&mut env);
    let path = env.script(
        "gpt",
        &format!("{}write src/lib.txt reviewed?\\n\n", w.agent_spy("gpt")),
    );
    env.config(&format!(
        "[agents.gpt]\nadapter = \"command\"\nmodel = \"gpt-5.5\"\ncommand = [\"{}\", \"--script\", \"{}\"]\n",
        crate::support::scripted_agent().display(),
        path.display()
    ));
    (env, w)
}

const RACE: [&str; 6] = [
    "race",
    "rewrite lib",
    "-a",
    "gpt",
    "--reviewer",
    "anthropic/claude-opus-4-6",
];

fn race(env: &TestEnv, extra: &[&str]) -> crate::support::Run {
    let args: Vec<&str> = RACE.iter().chain(extra).copied().collect();
    env.bakeoff(&args)
}

fn types(env: &TestEnv) -> Vec<String> {
    env.events()
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn winner(env: &TestEnv) -> serde_json::Value {
    env.events()
        .into_iter()
        .find(|e| e["type"] == "ranked")
        .map(|e| e["leaderboard"]["winner"].clone())
        .unwrap_or_default()
}

#[test]
fn every_review_overloaded_under_merge_merges_nothing_and_exits_3() {
    let server = FakeProvider::start_on_thread(overloaded()).unwrap();
    let (env, w) = env_with(&server, None);
    let run = race(&env, &["--merge"]);
    run.expect(3);
    assert!(
        run.stderr().contains("no successful cross-lab review"),
        "{}",
        run.stderr()
    );
    w.assert_untouched(&env);
    w.spied("gpt");
    w.assert_no_secret(&env, &[&run], &request_bodies(&[&server]));
    let types = types(&env);
    assert!(types.iter().any(|t| t == "merge-refused"), "{types:?}");
    assert!(!types.iter().any(|t| t == "merged"), "{types:?}");
    assert_eq!(winner(&env), "gpt", "the winner stays as ranked");
    let refused = env
        .events()
        .into_iter()
        .find(|e| e["type"] == "merge-refused")
        .unwrap();
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("no successful cross-lab review: anthropic/claude-opus-4-6 failed"),
        "{refused}"
    );
}

#[test]
fn a_rejected_reviewer_key_under_merge_merges_nothing_and_exits_3() {
    let server = FakeProvider::start_on_thread(Script::builder().fault(Fault::Unauthorized).build()).unwrap();
    let (env, w) = env_with(&server, None);
    let run = race(&env, &["--merge"]);
    run.expect(3);
    w.assert_untouched(&env);
    w.spied("gpt");
    // The key the provider rejected went where it belongs, and nowhere else.
    let requests = server.requests();
    assert!(!requests.is_empty(), "the reviewer was never asked");
    for r in &requests {
        assert_eq!(r.header("x-api-key"), Some(canary("ANTHROPIC_API_KEY")));
    }
    w.assert_no_secret(&env, &[&run], &request_bodies(&[&server]));
    assert!(types(&env).iter().any(|t| t == "merge-refused"));
}

#[test]
fn allow_unreviewed_merges_and_still_reports_the_rejected_key() {
    let server = FakeProvider::start_on_thread(Script::builder().fault(Fault::Unauthorized).build()).unwrap();
    let (env, w) = env_with(&server, None);
    let run = race(&env, &["--merge", "--allow-unreviewed"]);
    // Merged as asked; the refused key is still a credentials problem: exit 3.
    run.expect(3);
    assert!(run.stdout().contains("merged into main"), "{}", run.stdout());
    assert_eq!(
        std::fs::read_to_string(env.repo.join("src/lib.txt")).unwrap(),
        "reviewed?\n"
    );
    w.assert_merged_only(&env, &["src/lib.txt"]);
    w.spied("gpt");
    w.assert_no_secret(&env, &[&run], &request_bodies(&[&server]));
    assert!(types(&env).iter().any(|t| t == "merged"));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.last_race_dir().join("race.json")).unwrap())
            .unwrap();
    assert_eq!(record["allow_unreviewed"], true);
}

#[test]
fn allow_unreviewed_after_an_overload_merges_with_exit_0() {
    let server = FakeProvider::start_on_thread(overloaded()).unwrap();
    let (env, w) = env_with(&server, None);
    let run = race(&env, &["--merge", "--allow-unreviewed"]);
    run.expect(0);
    w.assert_merged_only(&env, &["src/lib.txt"]);
    w.spied("gpt");
    w.assert_no_secret(&env, &[&run], &request_bodies(&[&server]));
    assert!(types(&env).iter().any(|t| t == "merged"));
}

#[test]
fn a_fallback_of_the_authors_lab_is_not_used_unless_same_lab_is_allowed() {
    let anthropic = FakeProvider::start_on_thread(overloaded()).unwrap();
    let openai = FakeProvider::start_on_thread(Script::builder().json(approve()).build()).unwrap();
    let (mut env, w) = env_with(&anthropic, Some(&openai));
    env.config("[review]\nfallback = [\"openai/gpt-5.5\"]\n");
    let refused = race(&env, &["--merge"]);
    refused.expect(3);
    assert!(
        openai.requests().is_empty(),
        "the author's lab never reviews its own lane"
    );
    w.assert_untouched(&env);
    let review = &env.lane_events("gpt", "review-finished")[0]["review"];
    assert!(review["output"]["error"].is_string(), "{review}");

    let anthropic_again = FakeProvider::start_on_thread(overloaded()).unwrap();
    env.set_env("ANTHROPIC_BASE_URL", &anthropic_again.base_url());
    let merged = race(&env, &["--merge", "--allow-same-lab"]);
    merged.expect(0);
    assert_eq!(openai.requests().len(), 1);
    let review = &env.lane_events("gpt", "review-finished")[0]["review"];
    assert_eq!(review["fell_back"], true, "{review}");
    assert_eq!(review["same_lab"], true, "{review}");
    assert!(types(&env).iter().any(|t| t == "merged"));
    w.assert_merged_only(&env, &["src/lib.txt"]);
    w.spied("gpt");
    w.assert_no_secret(
        &env,
        &[&refused, &merged],
        &request_bodies(&[&anthropic, &anthropic_again, &openai]),
    );
}

#[test]
fn no_review_races_still_merge() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    env.agent(
        "w",
        "",
        &format!("{}write src/lib.txt unreviewed\\n\n", w.agent_spy("w")),
    );
    let run = env.bakeoff(&["race", "rewrite lib", "-a", "w", "--merge"]);
    run.expect(0);
    assert_eq!(
        std::fs::read_to_string(env.repo.join("src/lib.txt")).unwrap(),
        "unreviewed\n"
    );
    w.assert_merged_only(&env, &["src/lib.txt"]);
    w.spied("w");
    w.assert_no_secret(&env, &[&run], &[]);
}

#[test]
fn bakeoff_merge_refuses_a_winner_that_was_never_reviewed() {
    let server = FakeProvider::start_on_thread(overloaded()).unwrap();
    let (env, w) = env_with(&server, None);
    // Without --merge, an overloaded reviewer is no error of the race's.
    let raced = race(&env, &[]);
    raced.expect(0);
    w.assert_untouched(&env);
    let before = env.snapshot();
    let run = env.bakeoff(&["merge"]);
    run.expect(3);
    assert!(
        run.stderr().contains("no successful cross-lab review")
            && run.stderr().contains("--allow-unreviewed"),
        "{}",
        run.stderr()
    );
    assert_eq!(env.snapshot(), before);
    assert!(types(&env).iter().any(|t| t == "merge-refused"));

    let merged = env.bakeoff(&["merge", "--allow-unreviewed"]);
    merged.expect(0);
    assert_eq!(
        std::fs::read_to_string(env.repo.join("src/lib.txt")).unwrap(),
        "reviewed?\n"
    );
    w.assert_merged_only(&env, &["src/lib.txt"]);
    w.spied("gpt");
    w.assert_no_secret(&env, &[&raced, &run, &merged], &request_bodies(&[&server]));
}
