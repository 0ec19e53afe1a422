//! `bakeoff merge` after a race: squash and merge commits, a target that moved (three-way),
//! conflicts that change nothing, the branch strategy, and a dirty target.

use crate::support::TestEnv;

fn race_one(env: &mut TestEnv, text: &str) {
    env.agent("w", "", &format!("write src/lib.txt {text}\n"));
    env.bakeoff(&["race", "rewrite lib", "-a", "w"]).expect(0);
}

#[test]
fn squash_merge_later_onto_a_moved_target_is_three_way() {
    let mut env = TestEnv::new();
    race_one(&mut env, "one\\ntwo\\nthree\\nfour\\n");
    env.write("README.md", "# sample, moved on\n");
    env.commit("meanwhile");
    let run = env.bakeoff(&["merge"]);
    run.expect(0);
    assert!(run.stdout().contains("three-way"), "{}", run.stdout());
    assert_eq!(
        std::fs::read_to_string(env.repo.join("src/lib.txt")).unwrap(),
        "one\ntwo\nthree\nfour\n"
    );
    assert_eq!(
        std::fs::read_to_string(env.repo.join("README.md")).unwrap(),
        "# sample, moved on\n"
    );
    let log = env.git(&["log", "--format=%s|%P", "-1"]);
    assert_eq!(
        log.trim().split('|').nth(1).unwrap().split(' ').count(),
        1,
        "squash has one parent"
    );
    let body = env.git(&["log", "-1", "--format=%B"]);
    assert!(
        body.contains("Bakeoff-Lane: w") && body.contains("Bakeoff-Race: "),
        "{body}"
    );
    assert!(env.events().iter().any(|e| e["type"] == "merged"));
}

#[test]
fn a_conflict_changes_nothing_and_says_why() {
    let mut env = TestEnv::new();
    race_one(&mut env, "lane version\\n");
    env.write("src/lib.txt", "user version\n");
    env.commit("user edit");
    let before = env.snapshot();
    let run = env.bakeoff(&["merge"]);
    run.expect(2);
    assert!(run.stderr().contains("conflict"), "{}", run.stderr());
    assert!(run.stderr().contains("src/lib.txt"), "{}", run.stderr());
    assert_eq!(env.snapshot(), before);
}

#[test]
fn merge_strategy_makes_a_merge_commit() {
    let mut env = TestEnv::new();
    race_one(&mut env, "merged\\n");
    env.bakeoff(&["merge", "last", "--strategy", "merge"]).expect(0);
    let parents = env.git(&["log", "-1", "--format=%P"]);
    assert_eq!(parents.split_whitespace().count(), 2);
}

#[test]
fn branch_strategy_leaves_everything_and_prints_how() {
    let mut env = TestEnv::new();
    race_one(&mut env, "x\\n");
    let before = env.snapshot();
    let run = env.bakeoff(&["merge", "--strategy", "branch"]);
    run.expect(0);
    assert!(
        run.stdout().contains("git push -u origin bakeoff/"),
        "{}",
        run.stdout()
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn merge_refuses_a_dirty_target() {
    let mut env = TestEnv::new();
    race_one(&mut env, "x\\n");
    env.write("README.md", "dirty\n");
    let before = env.snapshot();
    let run = env.bakeoff(&["merge"]);
    run.expect(2);
    assert!(
        run.stderr().contains("README.md") && run.stderr().contains("stash"),
        "{}",
        run.stderr()
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn merging_a_named_lane_that_did_not_pass() {
    let mut env = TestEnv::new();
    env.agent("w", "", "write src/lib.txt nope\\n\n");
    env.bakeoff(&["race", "rewrite", "-a", "w", "--check", "false"])
        .expect(1);
    env.bakeoff(&["merge", "--lane", "w"]).expect(0);
    assert_eq!(
        std::fs::read_to_string(env.repo.join("src/lib.txt")).unwrap(),
        "nope\n"
    );
    let run = env.bakeoff(&["merge", "--lane", "nobody"]);
    run.expect(2);
    assert!(run.stderr().contains("no lane 'nobody'"), "{}", run.stderr());
}
