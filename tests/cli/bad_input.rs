//! Bad input exits 2 with a message naming the fix, creates nothing, and leaves the
//! user's checkout, index and HEAD exactly as they were. The refusals that could reach
//! into the checkout or a provider run under a [`Witness`].

use crate::support::{Run, TestEnv};
use crate::witness::Witness;

/// Runs `args` and asserts exit 2, a message containing `want`, no race recorded and a
/// byte-identical checkout; returns the run for a witness to search.
#[track_caller]
fn refused(env: &TestEnv, args: &[&str], want: &[&str]) -> Run {
    let before = env.snapshot();
    let races = env.races();
    let run = env.bakeoff(args);
    run.expect(2);
    let err = run.stderr();
    for w in want {
        assert!(err.contains(w), "stderr lacks {w:?}:\n{err}");
    }
    assert_eq!(env.snapshot(), before, "the checkout changed");
    assert_eq!(env.races(), races, "a race was recorded");
    run
}

/// [`refused`] under `w`: the checkout is as the witness found it and no canary shows.
#[track_caller]
fn refused_witnessed(w: &Witness, env: &TestEnv, args: &[&str], want: &[&str]) {
    let run = refused(env, args, want);
    w.assert_untouched(env);
    w.assert_no_secret(env, &[&run], &[]);
}

#[test]
fn not_a_git_repository() {
    let env = TestEnv::new();
    let dir = env.root().join("plain");
    std::fs::create_dir_all(&dir).unwrap();
    let run = env.bakeoff_in(&dir, &["race", "do it", "-a", "command:x"]);
    run.expect(2);
    assert!(run.stderr().contains("not a git repository"), "{}", run.stderr());
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "created files in a non-repo"
    );
}

#[test]
fn repository_without_commits() {
    let env = TestEnv::new();
    let dir = env.root().join("empty");
    std::fs::create_dir_all(&dir).unwrap();
    env.git_in(&dir, &["init", "-q", "-b", "main"]);
    let run = env.bakeoff_in(&dir, &["race", "do it", "-a", "claude:claude-opus-4-6"]);
    run.expect(2);
    assert!(run.stderr().contains("has no commits"), "{}", run.stderr());
    assert!(!dir.join(".git/bakeoff").exists());
}

#[test]
fn unknown_base_ref() {
    let mut env = TestEnv::new();
    env.agent("a", "", "say hi");
    refused(
        &env,
        &["race", "do it", "-a", "a", "--base", "no-such-branch"],
        &["no-such-branch"],
    );
}

#[test]
fn unknown_adapter() {
    let env = TestEnv::new();
    refused(
        &env,
        &["race", "do it", "-a", "cladue:opus"],
        &["unknown adapter 'cladue'", "claude"],
    );
}

#[test]
fn agent_cli_missing_from_path() {
    let env = TestEnv::new();
    refused(
        &env,
        &["race", "do it", "-a", "codex:gpt-5.5"],
        &["'codex' not found", "npm"],
    );
}

#[test]
fn invalid_config_names_file_and_line() {
    let mut env = TestEnv::new();
    env.config("[race]\njobs = 2\ntimeout = \"whenever\"\n");
    refused(
        &env,
        &["race", "do it", "-a", "claude:x"],
        &["config.toml line 3", "race.timeout", "30m"],
    );
}

#[test]
fn config_syntax_error_names_file_and_line() {
    let mut env = TestEnv::new();
    env.config("[race\n");
    refused(
        &env,
        &["race", "do it", "-a", "claude:x"],
        &["config.toml", "line 1"],
    );
}

#[test]
fn empty_spec() {
    let mut env = TestEnv::new();
    env.agent("a", "", "say hi");
    refused(
        &env,
        &["race", "  \n ", "-a", "a"],
        &["the spec is empty", "hint:"],
    );
    let spec = env.root().join("empty.md");
    std::fs::write(&spec, "\n\n").unwrap();
    refused(
        &env,
        &["race", "--spec-file", spec.to_str().unwrap(), "-a", "a"],
        &["the spec is empty"],
    );
}

#[test]
fn missing_spec_file() {
    let mut env = TestEnv::new();
    env.agent("a", "", "say hi");
    refused(
        &env,
        &["race", "--spec-file", "/nonexistent/spec.md", "-a", "a"],
        &["cannot read spec file"],
    );
}

#[test]
fn lane_name_collision() {
    let mut env = TestEnv::new();
    env.agent("a", "", "say hi");
    refused(
        &env,
        &["race", "do it", "-a", "a", "-a", "a"],
        &["two lanes are both named 'a'", "*N"],
    );
    refused(
        &env,
        &["race", "do it", "-a", "x=a", "-a", "x=a"],
        &["two lanes are both named 'x'"],
    );
}

#[test]
fn merge_onto_dirty_target() {
    let mut env = TestEnv::new();
    env.agent("a", "", "write new.txt hi");
    // Made before the witness, so its snapshot holds the edit: the witness stashes only
    // its own edit of README.md.
    env.write("src/lib.txt", "changed but not committed\n");
    let w = Witness::new(&mut env);
    refused_witnessed(
        &w,
        &env,
        &["race", "do it", "-a", "a", "--merge"],
        &["uncommitted changes", "src/lib.txt", "stash"],
    );
}

#[test]
fn merge_of_a_race_with_no_passing_lane() {
    let mut env = TestEnv::new();
    env.agent("a", "", "write new.txt hi");
    env.bakeoff(&["race", "do it", "-a", "a", "--check", "false"])
        .expect(1);
    let before = env.snapshot();
    let run = env.bakeoff(&["merge"]);
    run.expect(2);
    assert!(run.stderr().contains("no passing lane"), "{}", run.stderr());
    assert!(run.stderr().contains("--lane"), "{}", run.stderr());
    assert_eq!(env.snapshot(), before);
}

#[test]
fn unknown_configured_agent_lists_the_known_ones() {
    let mut env = TestEnv::new();
    env.agent("fast", "", "say hi");
    refused(
        &env,
        &["race", "do it", "-a", "slow"],
        &["unknown agent 'slow'", "fast"],
    );
}

#[test]
fn holdout_folder_missing() {
    let mut env = TestEnv::new();
    env.agent("a", "", "say hi");
    refused(
        &env,
        &[
            "race",
            "do it",
            "-a",
            "a",
            "--holdout",
            "/nonexistent",
            "--holdout-check",
            "true",
        ],
        &["holdout folder /nonexistent does not exist"],
    );
}

#[test]
fn bad_flag_is_a_usage_error() {
    let env = TestEnv::new();
    refused(
        &env,
        &["race", "do it", "-a", "claude:x", "--jobs", "many"],
        &["--jobs"],
    );
    refused(
        &env,
        &["race", "do it", "-a", "claude:x", "--jobs", "0"],
        &["--jobs must be at least 1"],
    );
}

#[test]
fn an_io_failure_names_the_path_and_its_cause() {
    let env = TestEnv::new();
    let run = env.bakeoff(&["demo", "--dir", "/dev/null/demo"]);
    run.expect(2);
    let err = run.stderr();
    assert!(err.contains("error: cannot create /dev/null/demo\n"), "{err}");
    assert!(err.contains("caused by: Not a directory"), "{err}");
}

#[test]
fn reviewers_per_lane_zero_or_above_the_pool_is_refused() {
    let mut env = TestEnv::new();
    env.reviews = true;
    // The witness's canary is the reviewer's key.
    let w = Witness::new(&mut env);
    env.agent("a", "", "say hi");
    for n in ["0", "2"] {
        refused_witnessed(
            &w,
            &env,
            &[
                "race",
                "do it",
                "-a",
                "a",
                "--reviewer",
                "openai/gpt-5.5",
                "--reviewers-per-lane",
                n,
            ],
            &[
                &format!("--reviewers-per-lane {n}"),
                "pool of 1 reviewer",
                "between 1 and 1",
            ],
        );
    }
}

#[test]
fn a_spec_with_a_nul_byte_is_refused() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    env.agent("a", "", "say hi");
    // An argument cannot hold a NUL byte; a spec file can.
    let file = env.root().join("spec.md");
    std::fs::write(&file, b"do\0it\n").unwrap();
    refused_witnessed(
        &w,
        &env,
        &["race", "--spec-file", file.to_str().unwrap(), "-a", "a"],
        &["NUL byte"],
    );
}

#[test]
fn a_worktree_root_that_cannot_be_created_is_refused() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    env.agent("a", "", "say hi");
    let file = env.root().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let root = file.join("worktrees");
    env.config(&format!("[worktree]\nroot = \"{}\"\n", root.display()));
    refused_witnessed(
        &w,
        &env,
        &["race", "do it", "-a", "a"],
        &["cannot be created", &root.display().to_string()],
    );
}

#[test]
fn a_repository_with_submodules_is_refused() {
    let mut env = TestEnv::new();
    env.agent("a", "", "say hi");
    let sub = env.root().join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    env.git_in(&sub, &["init", "-q", "-b", "main"]);
    std::fs::write(sub.join("x.txt"), "x\n").unwrap();
    env.git_in(&sub, &["add", "-A"]);
    env.git_in(
        &sub,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "-m",
            "sub",
        ],
    );
    env.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        sub.to_str().unwrap(),
        "vendor/sub",
    ]);
    env.commit("add a submodule");
    // After the commit, which would take the witness's untracked work with it.
    let w = Witness::new(&mut env);
    refused_witnessed(
        &w,
        &env,
        &["race", "do it", "-a", "a"],
        &[
            "submodules",
            "vendor/sub",
            "does not race repositories with submodules yet",
        ],
    );
}
