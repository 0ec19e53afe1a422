//! Capture: whatever the agent did to the worktree and to git, the lane's commit holds
//! all of it, and base..commit is exactly the lane's change.

use crate::support::TestEnv;

fn files_of(env: &TestEnv, lane: &str) -> Vec<(String, String)> {
    let captured = env.lane_events(lane, "captured");
    assert_eq!(captured.len(), 1, "{captured:?}");
    captured[0]["capture"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn lane_commit(env: &TestEnv, lane: &str) -> String {
    env.lane_events(lane, "captured")[0]["capture"]["commit"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn every_kind_of_change_is_captured() {
    let mut env = TestEnv::new();
    env.agent(
        "all",
        "",
        "append src/lib.txt four\\n\n\
         write docs/new.md brand new\\n\n\
         delete README.md\n\
         rename tests/test_lib.sh tests/test_renamed.sh\n\
         write tool.sh #!/bin/sh\\necho tool\\n\n\
         chmod tool.sh 755\n\
         binary blob.bin 4096\n\
         symlink src/lib.txt link-to-lib\n\
         write ignored.log not captured\\n\n",
    );
    env.bakeoff(&["race", "change everything", "-a", "all"]).expect(0);
    let mut files = files_of(&env, "all");
    files.sort();
    let want = [
        ("README.md", "deleted"),
        ("blob.bin", "added"),
        ("docs/new.md", "added"),
        ("link-to-lib", "added"),
        ("src/lib.txt", "modified"),
        ("tests/test_renamed.sh", "renamed"),
        ("tool.sh", "added"),
    ];
    let want: Vec<(String, String)> = want.iter().map(|(p, k)| (p.to_string(), k.to_string())).collect();
    assert_eq!(files, want);
    let commit = lane_commit(&env, "all");
    let tree = env.git(&["ls-tree", "-r", &commit]);
    assert!(
        tree.contains("100755 blob") && tree.contains("\ttool.sh"),
        "{tree}"
    );
    assert!(
        tree.lines()
            .any(|l| l.starts_with("120000") && l.ends_with("\tlink-to-lib")),
        "{tree}"
    );
    assert!(!tree.contains("ignored.log"), "{tree}");
    let blob = env.git(&["cat-file", "-s", &format!("{commit}:blob.bin")]);
    assert_eq!(blob.trim(), "4096");
    // The lane branch points at the capture, whose parent is the base.
    let base = env.git(&["rev-parse", "main"]);
    let parent = env.git(&["rev-parse", &format!("{commit}^")]);
    assert_eq!(parent, base);
    let branch = env.git(&["for-each-ref", "--format=%(objectname)", "refs/heads/bakeoff/"]);
    assert_eq!(branch.trim(), commit);
}

#[test]
fn agent_commits_resets_and_branch_switches_are_folded_in() {
    let mut env = TestEnv::new();
    env.agent(
        "gitty",
        "",
        "write a.txt first\\n\n\
         git add a.txt\n\
         git commit -q -m agent-commit\n\
         write b.txt second\\n\n\
         git switch -q -c elsewhere\n\
         git add b.txt\n\
         git commit -q -m on-elsewhere\n\
         git reset -q --soft HEAD~1\n\
         write c.txt third\\n\n\
         git add c.txt\n",
    );
    env.bakeoff(&["race", "use git a lot", "-a", "gitty"]).expect(0);
    let mut files: Vec<String> = files_of(&env, "gitty").into_iter().map(|(p, _)| p).collect();
    files.sort();
    assert_eq!(files, ["a.txt", "b.txt", "c.txt"]);
    let wt = env.worktree_of("gitty");
    let head = env.git_in(&wt, &["symbolic-ref", "HEAD"]);
    assert!(head.trim().starts_with("refs/heads/bakeoff/"), "{head}");
    assert_eq!(
        env.git_in(&wt, &["status", "--porcelain"]),
        "",
        "worktree clean after capture"
    );
}

#[test]
fn an_agent_that_changes_nothing_is_gated_for_an_empty_diff() {
    let mut env = TestEnv::new();
    env.agent("idle", "", "say nothing to do");
    let run = env.bakeoff(&["race", "do nothing", "-a", "idle"]);
    run.expect(1);
    assert!(run.stdout().contains("empty diff"), "{}", run.stdout());
}
