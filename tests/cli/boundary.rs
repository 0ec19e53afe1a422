//! The safety boundary against a hostile agent: whatever a lane does to its own git
//! pointers, the shared repository's hooks or its worktree's folders, the user's
//! checkout (HEAD, index, working tree, refs, worktree list) stays byte-identical and no
//! key reaches a process the lane planted. Each test runs under a [`Witness`]: canary
//! secrets in bakeoff's environment, spies dumping what the agent, its checks and any
//! hook it planted were given, and the user's own stash, untracked and ignored files.

use crate::support::TestEnv;
use crate::witness::Witness;

#[test]
fn a_lane_that_points_its_git_file_at_the_checkout_cannot_take_it_over() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    let user_git = env.repo.join(".git");
    env.agent(
        "takeover",
        "",
        &format!(
            "{}write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nwrite .git gitdir: {}\\n\n",
            w.agent_spy("takeover"),
            user_git.display()
        ),
    );
    let run = env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "takeover",
        "--check",
        &w.check_spy("grep -q four src/lib.txt"),
    ]);
    run.expect(0);
    w.assert_untouched(&env);
    w.spied("takeover");
    w.spied("check");
    w.assert_no_secret(&env, &[&run], &[]);
    // The lane's work was captured on its own branch all the same.
    let branch = env.git(&["for-each-ref", "--format=%(refname)", "refs/heads/bakeoff/"]);
    let shown = env.git(&["show", &format!("{}:src/lib.txt", branch.trim())]);
    assert!(shown.contains("four"), "{shown}");
}

#[test]
fn a_hook_planted_in_the_shared_repository_never_runs_with_bakeoffs_keys() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    let hooks = env.repo.join(".git/hooks");
    // Tier 1 plants hooks and fails its check, so tier 2 is set up after them: its
    // worktree's checkout and every later git operation would fire them.
    let mut script = w.agent_spy("planter");
    for name in [
        "reference-transaction",
        "post-checkout",
        "post-commit",
        "pre-commit",
        "post-merge",
        "pre-auto-gc",
    ] {
        script.push_str(&format!(
            "write {0}/{name} {1}\nchmod {0}/{name} 755\n",
            hooks.display(),
            w.hook_spy()
        ));
    }
    env.agent("planter", "", &script);
    env.agent(
        "later",
        "",
        &format!(
            "{}write src/lib.txt one\\ntwo\\nthree\\nfour\\n\n",
            w.agent_spy("later")
        ),
    );
    let run = env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "planter",
        "-a",
        "later",
        "--cascade",
        "--check",
        &w.check_spy("grep -q four src/lib.txt"),
        "--merge",
    ]);
    run.expect(0);
    assert!(
        !w.dump("hook").exists(),
        "a planted hook ran:\n{}",
        std::fs::read_to_string(w.dump("hook")).unwrap_or_default()
    );
    // The later lane's work was merged: git ran, and no hook with it.
    w.assert_merged_only(&env, &["src/lib.txt"]);
    for spy in ["planter", "later", "check"] {
        w.spied(spy);
    }
    w.assert_no_secret(&env, &[&run], &[]);
}

#[test]
fn holdout_files_never_follow_a_link_the_lane_made() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    let holdout = env.root().join("holdout");
    std::fs::create_dir_all(holdout.join("hidden")).unwrap();
    std::fs::write(holdout.join("hidden/secret_test.sh"), "exit 0\n").unwrap();
    env.agent(
        "linker",
        "",
        &format!(
            "{}write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nsymlink {} hidden\n",
            w.agent_spy("linker"),
            env.repo.display()
        ),
    );
    let run = env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "linker",
        "--holdout",
        holdout.to_str().unwrap(),
        "--holdout-check",
        &w.check_spy("sh hidden/secret_test.sh"),
    ]);
    run.expect(1);
    w.assert_untouched(&env);
    assert!(!env.repo.join("secret_test.sh").exists());
    w.spied("linker");
    w.assert_no_secret(&env, &[&run], &[]);
    let out = run.stdout() + &run.stderr();
    // The link leaves the lane's tree: the graded tree is refused before any holdout
    // file is laid in.
    assert!(
        out.contains("hidden links to") && out.contains("outside the lane's tree"),
        "{out}"
    );
}

#[test]
fn a_lane_that_switches_the_users_head_is_caught_put_back_and_never_merged() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    // The agent reaches into the user's repository itself and switches its HEAD.
    let head = env.repo.join(".git/HEAD");
    env.agent(
        "switcher",
        "",
        &format!(
            "{}write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nwrite {} ref: refs/heads/elsewhere\\n\n",
            w.agent_spy("switcher"),
            head.display()
        ),
    );
    let run = env.bakeoff(&[
        "race",
        "--sandbox",
        "off",
        "add a fourth line",
        "-a",
        "switcher",
        "--check",
        &w.check_spy("grep -q four src/lib.txt"),
        "--merge",
    ]);
    run.expect(1);
    w.assert_untouched(&env);
    w.spied("switcher");
    w.assert_no_secret(&env, &[&run], &[]);
    let out = run.stdout() + &run.stderr();
    assert!(out.contains("reached past its worktree"), "{out}");
    assert!(out.contains("HEAD moved from ref: refs/heads/main"), "{out}");
}

#[test]
fn a_lane_that_writes_into_the_checkout_is_reported_and_never_merged() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    env.agent(
        "sprayer",
        "",
        &format!(
            "{}write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nwrite {} planted by a lane\\n\n",
            w.agent_spy("sprayer"),
            env.repo.join("planted.txt").display()
        ),
    );
    let run = env.bakeoff(&[
        "race",
        "--sandbox",
        "off",
        "add a fourth line",
        "-a",
        "sprayer",
        "--check",
        &w.check_spy("grep -q four src/lib.txt"),
        "--merge",
    ]);
    run.expect(1);
    let out = run.stdout() + &run.stderr();
    assert!(
        out.contains("files in the checkout changed: planted.txt"),
        "{out}"
    );
    // Reported, never merged, and nothing else of the user's changed.
    w.assert_untouched_but(&env, &["planted.txt"]);
    w.spied("sprayer");
    w.assert_no_secret(&env, &[&run], &[]);
}
