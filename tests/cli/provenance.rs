//! Provenance that survives the merge: a lane of a config-table agent is named by its
//! adapter, model and lab in the records, the leaderboard and the merge's trailers, and
//! `bakeoff review` of the merged commit reads the author's lab back from them.

use bakeoff_testkit::fake_provider::{FakeProvider, Script};
use serde_json::json;

use crate::support::TestEnv;

fn approve(score: u8) -> serde_json::Value {
    json!({"verdict": "approve", "score": score, "summary": "fine", "findings": []})
}

/// A race of `cc`, a config table running an Anthropic model, reviewed by OpenAI's
/// model on the fake provider, merged.
fn merged_race(server: &FakeProvider) -> TestEnv {
    let mut env = TestEnv::new();
    env.reviews = true;
    env.set_env("OPENAI_BASE_URL", &format!("{}/v1", server.base_url()));
    env.set_env("OPENAI_API_KEY", "canary-provenance-openai");
    env.set_env("ANTHROPIC_BASE_URL", &server.base_url());
    env.set_env("ANTHROPIC_API_KEY", "canary-provenance-anthropic");
    let path = env.script("cc", "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\n");
    env.config(&format!(
        "[agents.cc]\nadapter = \"command\"\nmodel = \"claude-sonnet-4-6\"\ncommand = [\"{}\", \"--script\", \"{}\"]\n",
        crate::support::scripted_agent().display(),
        path.display()
    ));
    env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "cc",
        "--reviewer",
        "openai/gpt-5.5",
        "--merge",
    ])
    .expect(0);
    env
}

#[test]
fn a_config_table_agent_keeps_its_model_and_lab_through_the_merge() {
    let script = Script::builder().model("gpt-5.5").json(approve(81)).build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let env = merged_race(&server);

    let message = env.git(&["log", "-1", "--format=%B"]);
    for trailer in [
        "Bakeoff-Lane: cc\n",
        "Bakeoff-Agent: command:claude-sonnet-4-6\n",
        "Bakeoff-Lab: anthropic\n",
        "Reviewed-by: openai/gpt-5.5 (approve 81)\n",
    ] {
        assert!(message.contains(trailer), "no {trailer:?} in:\n{message}");
    }
    assert!(
        message.contains("cc, command:claude-sonnet-4-6 of anthropic"),
        "{message}"
    );
    // The lane's own commit carries it too, for a branch taken further by hand.
    let branch = env.git(&["for-each-ref", "--format=%(refname)", "refs/heads/bakeoff/"]);
    let lane_message = env.git(&["log", "-1", "--format=%B", branch.trim()]);
    assert!(
        lane_message.contains("Bakeoff-Lab: anthropic\n"),
        "{lane_message}"
    );

    let board: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.last_race_dir().join("leaderboard.json")).unwrap())
            .unwrap();
    let row = &board["rows"][0];
    assert_eq!(row["agent"], "cc");
    assert_eq!(row["provenance"]["model"], "command:claude-sonnet-4-6");
    assert_eq!(row["provenance"]["lab"], "anthropic");
    let show = env.bakeoff(&["show", "last"]);
    show.expect(0);
    assert_eq!(row["reviews"][0]["verdict"], "approve");
    assert_eq!(row["reviews"][0]["score"], 81);
    for shown in ["claude-sonnet-4-6 (anthropic)", "approve 81"] {
        assert!(
            show.stdout().contains(shown),
            "no {shown:?} in\n{}",
            show.stdout()
        );
    }
}

#[test]
fn bakeoff_review_of_a_merged_lane_reads_the_authors_lab_from_its_trailers() {
    let script = Script::builder()
        .model("gpt-5.5")
        .json(approve(81))
        .json(approve(77))
        .build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let env = merged_race(&server);

    // Anthropic's model wrote it: an Anthropic reviewer is refused, an OpenAI one is not.
    let same = env.bakeoff(&[
        "review",
        "--base",
        "HEAD~1",
        "--reviewer",
        "anthropic/claude-opus-4-6",
    ]);
    same.expect(2);
    assert!(same.stderr().contains("anthropic"), "{}", same.stderr());
    env.bakeoff(&["review", "--base", "HEAD~1", "--reviewer", "openai/gpt-5.5"])
        .expect(0);
}

#[test]
fn bakeoff_review_refuses_to_guess_the_authors_lab() {
    let server = FakeProvider::start_on_thread(Script::builder().json(approve(90)).build()).unwrap();
    let mut env = TestEnv::new();
    env.set_env("OPENAI_BASE_URL", &format!("{}/v1", server.base_url()));
    env.set_env("OPENAI_API_KEY", "canary-provenance-openai");
    env.write("src/lib.txt", "one\ntwo\nthree\nfour\n");
    env.commit("a change with no trailers");

    let run = env.bakeoff(&["review", "--base", "HEAD~1", "--reviewer", "openai/gpt-5.5"]);
    run.expect(2);
    assert!(
        run.stderr().contains("cannot tell which lab wrote this change")
            && run.stderr().contains("--author-lab"),
        "{}",
        run.stderr()
    );
    assert!(server.requests().is_empty(), "no reviewer was asked");
    env.bakeoff(&[
        "review",
        "--base",
        "HEAD~1",
        "--reviewer",
        "openai/gpt-5.5",
        "--author-lab",
        "human",
    ])
    .expect(0);
}
