//! The safety boundary against a hostile agent: whatever a lane does to its own git
//! pointers, the shared repository's hooks or its worktree's folders, the user's
//! checkout (HEAD, index, working tree, refs, worktree list) stays byte-identical and no
//! key reaches a process the lane planted.

use crate::support::TestEnv;

#[test]
fn a_lane_that_points_its_git_file_at_the_checkout_cannot_take_it_over() {
    let mut env = TestEnv::new();
    let user_git = env.repo.join(".git");
    env.agent(
        "takeover",
        "",
        &format!(
            "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nwrite .git gitdir: {}\\n\n",
            user_git.display()
        ),
    );
    let before = env.checkout_snapshot();
    let run = env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "takeover",
        "--check",
        "grep -q four src/lib.txt",
    ]);
    run.expect(0);
    assert_eq!(env.checkout_snapshot(), before, "the user's checkout changed");
    // The lane's work was captured on its own branch all the same.
    let branch = env.git(&["for-each-ref", "--format=%(refname)", "refs/heads/bakeoff/"]);
    let shown = env.git(&["show", &format!("{}:src/lib.txt", branch.trim())]);
    assert!(shown.contains("four"), "{shown}");
}

#[test]
fn a_hook_planted_in_the_shared_repository_never_runs_with_bakeoffs_keys() {
    let mut env = TestEnv::new();
    env.set_env("ANTHROPIC_API_KEY", "canary-hook-anthropic");
    env.set_env("OPENAI_API_KEY", "canary-hook-openai");
    let leak = env.root().join("leak.txt");
    let hooks = env.repo.join(".git/hooks");
    // Tier 1 plants hooks and fails its check, so tier 2 is set up after them: its
    // worktree's checkout and every later git operation would fire them.
    let hook = format!("#!/bin/sh\\nenv >> {}\\n", leak.display());
    let mut script = String::new();
    for name in [
        "reference-transaction",
        "post-checkout",
        "post-commit",
        "pre-commit",
    ] {
        script.push_str(&format!(
            "write {0}/{name} {hook}\nchmod {0}/{name} 755\n",
            hooks.display()
        ));
    }
    env.agent("planter", "", &script);
    env.agent("later", "", "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\n");
    let run = env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "planter",
        "-a",
        "later",
        "--cascade",
        "--check",
        "grep -q four src/lib.txt",
        "--merge",
    ]);
    run.expect(0);
    assert!(
        !leak.exists(),
        "a planted hook ran:\n{}",
        std::fs::read_to_string(&leak).unwrap_or_default()
    );
    // The later lane's work was merged: git ran, and no hook with it.
    assert!(std::fs::read_to_string(env.repo.join("src/lib.txt"))
        .unwrap()
        .contains("four"));
}

#[test]
fn holdout_files_never_follow_a_link_the_lane_made() {
    let mut env = TestEnv::new();
    let holdout = env.root().join("holdout");
    std::fs::create_dir_all(holdout.join("hidden")).unwrap();
    std::fs::write(holdout.join("hidden/secret_test.sh"), "exit 0\n").unwrap();
    env.agent(
        "linker",
        "",
        &format!(
            "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nsymlink {} hidden\n",
            env.repo.display()
        ),
    );
    let before = env.checkout_snapshot();
    let run = env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "linker",
        "--holdout",
        holdout.to_str().unwrap(),
        "--holdout-check",
        "sh hidden/secret_test.sh",
    ]);
    run.expect(1);
    assert_eq!(
        env.checkout_snapshot(),
        before,
        "a holdout file went through the link"
    );
    assert!(!env.repo.join("secret_test.sh").exists());
    let out = run.stdout() + &run.stderr();
    assert!(out.contains("symbolic link"), "{out}");
}

#[test]
fn a_lane_that_switches_the_users_head_is_caught_put_back_and_never_merged() {
    let mut env = TestEnv::new();
    // The agent reaches into the user's repository itself and switches its HEAD.
    let head = env.repo.join(".git/HEAD");
    env.agent(
        "switcher",
        "",
        &format!(
            "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nwrite {} ref: refs/heads/elsewhere\\n\n",
            head.display()
        ),
    );
    let before = env.checkout_snapshot();
    let run = env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "switcher",
        "--check",
        "grep -q four src/lib.txt",
        "--merge",
    ]);
    run.expect(1);
    assert_eq!(
        env.checkout_snapshot(),
        before,
        "the user's HEAD was not put back"
    );
    let out = run.stdout() + &run.stderr();
    assert!(out.contains("reached past its worktree"), "{out}");
    assert!(out.contains("HEAD moved from ref: refs/heads/main"), "{out}");
    assert_eq!(
        env.git(&["rev-list", "--count", "HEAD"]).trim(),
        "1",
        "the lane was merged"
    );
}

#[test]
fn a_lane_that_writes_into_the_checkout_is_reported_and_never_merged() {
    let mut env = TestEnv::new();
    env.agent(
        "sprayer",
        "",
        &format!(
            "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nwrite {} planted by a lane\\n\n",
            env.repo.join("planted.txt").display()
        ),
    );
    let run = env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "sprayer",
        "--check",
        "grep -q four src/lib.txt",
        "--merge",
    ]);
    run.expect(1);
    let out = run.stdout() + &run.stderr();
    assert!(
        out.contains("files in the checkout changed: planted.txt"),
        "{out}"
    );
    assert_eq!(
        env.git(&["rev-list", "--count", "HEAD"]).trim(),
        "1",
        "the lane was merged"
    );
}
