//! The journal is the one truth of a race: every `TestEnv` checks, when it is dropped,
//! that the standings folded from each race's journal equal what the live race ranked
//! (`support::check_replay`). These tests show the check sees real races and fails when
//! the journal and the ranking disagree.

use crate::support::{check_replay, TestEnv};

fn race(env: &mut TestEnv) {
    env.agent(
        "good",
        "claude",
        "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nusage claude 2 1000 200 0.30 s-good\n",
    );
    env.agent(
        "gutted",
        "",
        "delete tests/test_lib.sh\nwrite src/lib.txt four\\n\n",
    );
    env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "good",
        "-a",
        "gutted",
        "--check",
        "grep -q four src/lib.txt",
    ])
    .expect(0);
}

#[test]
fn a_race_replays_from_its_journal() {
    let mut env = TestEnv::new();
    race(&mut env);
    assert_eq!(check_replay(&env.repo), 1);
}

#[test]
fn a_journal_that_lost_an_event_does_not_replay() {
    let mut env = TestEnv::new();
    race(&mut env);
    let races = env.repo.join(".git/bakeoff/races");
    let dir = std::fs::read_dir(&races).unwrap().next().unwrap().unwrap().path();
    let events = dir.join("events.jsonl");
    let text = std::fs::read_to_string(&events).unwrap();
    // Without the gutted lane's tampering verdict, the fold would let it through.
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !(l.contains("\"type\":\"tampering\"") && l.contains("\"gutted\"")))
        .collect();
    assert!(
        kept.len() < text.lines().count(),
        "no tampering event to drop:\n{text}"
    );
    std::fs::write(&events, kept.join("\n") + "\n").unwrap();
    let replay = std::panic::catch_unwind(|| check_replay(&env.repo));
    assert!(replay.is_err(), "a journal missing an event still replays");
    // The environment's own check on drop would fail the same way: leave no race behind.
    std::fs::remove_dir_all(&races).unwrap();
}
