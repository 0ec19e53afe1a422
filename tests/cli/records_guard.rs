//! The race's records folder against a hostile agent: a lane that forges a line of the
//! journal or plants a file among the records is journaled as breached and never merged,
//! while an honest lane of the same race still wins and merges.

use crate::support::TestEnv;
use crate::witness::Witness;

/// Defines `[agents.NAME]` as a shell script (the agent finds the race's folder in
/// `BAKEOFF_RACE_DIR`, as any lane child does). It does the honest lane's work too, so
/// only the breach can keep it from winning, and it waits until the honest lane's work is
/// captured, which comes after that lane's own check: the honest lane ends before the
/// records are touched.
fn hostile(env: &mut TestEnv, w: &Witness, name: &str, deed: &str) {
    let script = env.root().join("scripts").join(format!("{name}.sh"));
    std::fs::create_dir_all(script.parent().unwrap()).unwrap();
    std::fs::write(
        &script,
        format!(
            "set -e\n\
             env >> {spy}\n\
             printf 'one\\ntwo\\nthree\\nfour\\n' > src/lib.txt\n\
             i=0\n\
             until grep -q '\"captured\",\"lane\":\"honest\"' \"$BAKEOFF_RACE_DIR/events.jsonl\"; do\n\
             \x20 i=$((i + 1)); [ $i -lt 600 ] || exit 9; sleep 0.05\n\
             done\n\
             {deed}\n",
            spy = w.dump(name).display()
        ),
    )
    .unwrap();
    env.config(&format!(
        "[agents.{name}]\nadapter = \"command\"\nmodel = \"scripted\"\ncommand = [\"sh\", \"{}\"]\n",
        script.display()
    ));
}

/// Races `honest` against `hostile` with `--merge`; checks that the hostile lane is
/// breached for what `phrase` says, that the honest lane won and was merged, and that the
/// user's checkout changed by that merge alone. Returns the hostile lane's changes.
fn race_and_check(mut env: TestEnv, w: &Witness, phrase: &str) -> Vec<String> {
    // The honest lane's diff is the larger: were the breach not seen, the hostile lane
    // would rank first.
    env.agent(
        "honest",
        "",
        &format!(
            "{}write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nwrite NOTES.md a fourth line\\n\n",
            w.agent_spy("honest")
        ),
    );
    // The seal is the defence of an unsandboxed lane (a sandboxed one cannot see the
    // records at all: tests/cli/sandbox.rs).
    let run = env.bakeoff(&[
        "race",
        "--sandbox",
        "off",
        "add a fourth line",
        "-a",
        "honest",
        "-a",
        "hostile",
        "--jobs",
        "2",
        "--check",
        &w.check_spy("grep -q four src/lib.txt"),
        "--merge",
    ]);
    // README: 0 when a winner exists and was merged as asked.
    run.expect(0);
    let out = run.stdout() + &run.stderr();
    let breached = env.lane_events("hostile", "breached");
    assert_eq!(breached.len(), 1, "{out}");
    let changes: Vec<String> = breached[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert!(changes.iter().any(|c| c == phrase), "{changes:?}");
    assert_eq!(breached[0]["restored"], false);
    assert!(
        env.lane_events("honest", "breached").is_empty(),
        "the honest lane ended before the records were touched:\n{out}"
    );
    assert_eq!(env.lane_events("honest", "merged").len(), 1, "{out}");
    // Bakeoff stamps its events with the clock; the forged line says 1.
    let hostile_merged = env.lane_events("hostile", "merged");
    assert!(
        hostile_merged.iter().all(|e| e["at_ms"] == 1),
        "{hostile_merged:?}"
    );
    let finished = env
        .events()
        .into_iter()
        .find(|e| e["type"] == "race-finished")
        .unwrap();
    assert_eq!(finished["winner"], "honest");
    // The checkout differs from before by the honest lane's merge alone: one commit of
    // the honest lane on `main`, changing its two files and nothing else.
    w.assert_merged_only(&env, &["NOTES.md", "src/lib.txt"]);
    for spy in ["honest", "hostile", "check"] {
        w.spied(spy);
    }
    w.assert_no_secret(&env, &[&run], &[]);
    let message = env.git(&["log", "-1", "--format=%B"]);
    assert!(message.contains("Bakeoff-Lane: honest"), "{message}");
    assert_eq!(env.git(&["rev-list", "--count", "HEAD"]).trim(), "2");
    assert_eq!(
        env.git(&["diff", "--name-only", "HEAD~1", "HEAD"]),
        "NOTES.md\nsrc/lib.txt\n"
    );
    assert_eq!(
        std::fs::read_to_string(env.repo.join("src/lib.txt")).unwrap(),
        "one\ntwo\nthree\nfour\n"
    );
    changes
}

#[test]
fn a_lane_that_forges_a_journal_line_is_breached_and_never_merged() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    // A `merged` event for itself: later `bakeoff merge` and `resume` read the journal.
    // It changes no lane's result, so the journal still folds to what the race ranked
    // (the replay check on drop); what keeps the lane out is that bakeoff saw it.
    let forged = r#"{"v":1,"at_ms":1,"type":"merged","lane":"hostile","strategy":"squash","target":"main","commit":"0123456789abcdef0123456789abcdef01234567"}"#;
    hostile(
        &mut env,
        &w,
        "hostile",
        &format!("printf '%s\\n' '{forged}' >> \"$BAKEOFF_RACE_DIR/events.jsonl\""),
    );
    let phrase = format!(
        "events.jsonl has {} bytes bakeoff did not write in the race's records",
        forged.len() + 1
    );
    let changes = race_and_check(env, &w, &phrase);
    assert_eq!(changes.len(), 1, "{changes:?}");
}

#[test]
fn a_lane_that_plants_a_file_among_the_records_is_breached_and_never_merged() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    // It also writes into its own HOME, which is its to write: not reported.
    hostile(
        &mut env,
        &w,
        "hostile",
        "printf '{}' > \"$BAKEOFF_RACE_DIR/lanes/honest/verdict.json\"\n\
         printf 'x' > \"$HOME/.agent-notes\"",
    );
    let changes = race_and_check(
        env,
        &w,
        "lanes/honest/verdict.json was added in the race's records",
    );
    assert_eq!(changes.len(), 1, "{changes:?}");
}
