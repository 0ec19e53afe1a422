//! `list`, `show`, `diff` and `clean` over recorded races.

use crate::support::TestEnv;

#[test]
fn list_show_diff_and_clean() {
    let mut env = TestEnv::new();
    env.agent(
        "a",
        "claude",
        "write src/lib.txt alpha\\n\nusage claude 1 10 10 0.02 s\n",
    );
    env.agent("b", "claude", "write src/lib.txt beta\\n\nwrite extra.txt e\\n\n");
    env.bakeoff(&["list"]).expect(0);
    env.bakeoff(&["race", "Rewrite the lib", "-a", "a", "-a", "b"])
        .expect(0);

    let list = env.bakeoff(&["list"]);
    list.expect(0);
    assert!(
        list.stdout().contains("rewrite-the-lib") && list.stdout().contains("winner"),
        "{}",
        list.stdout()
    );

    assert!(list.stdout().contains("2 lanes"), "{}", list.stdout());
    let listed: serde_json::Value = serde_json::from_str(&env.bakeoff(&["list", "--json"]).stdout()).unwrap();
    assert_eq!(listed[0]["lanes"], 2, "{listed}");
    assert_eq!(
        listed[0]["status"].as_str().map(|s| s.contains("winner")),
        Some(true),
        "{listed}"
    );
    let shown: serde_json::Value =
        serde_json::from_str(&env.bakeoff(&["show", "last", "--json"]).stdout()).unwrap();
    assert_eq!(shown["id"], listed[0]["id"]);
    assert_eq!(shown["lanes"][0]["name"], "a");
    assert_eq!(shown["lanes"][0]["result"]["cost_usd"], 0.02, "{shown}");
    assert_eq!(
        shown["leaderboard"]["rows"].as_array().unwrap().len(),
        2,
        "{shown}"
    );

    let show = env.bakeoff(&["show", "last"]);
    show.expect(0);
    let text = show.stdout();
    for want in [
        "lane a",
        "lane b",
        "$0.02",
        "cost unknown",
        "diff: 1 file,",
        "1 turn,",
        "winner",
    ] {
        assert!(text.contains(want), "show lacks {want:?}:\n{text}");
    }

    let diff = env.bakeoff(&["diff", "last", "a"]);
    diff.expect(0);
    assert!(
        diff.stdout().contains("+alpha") && diff.stdout().contains("-one"),
        "{}",
        diff.stdout()
    );
    // The race is `last` unless named.
    assert_eq!(env.bakeoff(&["diff", "a"]).stdout(), diff.stdout());
    assert_eq!(
        env.bakeoff(&["diff", "a", "b"]).stdout(),
        env.bakeoff(&["diff", "last", "a", "b"]).stdout()
    );
    let between = env.bakeoff(&["diff", "last", "a", "b"]);
    between.expect(0);
    assert!(
        between.stdout().contains("-alpha") && between.stdout().contains("+beta"),
        "{}",
        between.stdout()
    );
    assert!(between.stdout().contains("extra.txt"));
    env.bakeoff(&["diff", "last", "zzz"]).expect(2);

    let worktrees: Vec<_> = ["a", "b"].iter().map(|l| env.worktree_of(l)).collect();
    assert!(worktrees.iter().all(|w| w.is_dir()));
    env.bakeoff(&["clean", "last"]).expect(0);
    assert!(
        worktrees.iter().all(|w| !w.exists()),
        "worktree directories left behind"
    );
    let list = env.git(&["worktree", "list", "--porcelain"]);
    assert_eq!(
        list.matches("worktree ").count(),
        1,
        "stale worktree entries:\n{list}"
    );
    assert_eq!(
        env.git(&["branch", "--list", "bakeoff/*"]),
        "",
        "lane branches left behind"
    );
    // Records stay until purged.
    env.bakeoff(&["show", "last"]).expect(0);
    env.bakeoff(&["clean", "--all", "--purge"]).expect(0);
    assert_eq!(env.races(), 0);
}

#[test]
fn show_of_an_unknown_race_says_how_to_find_one() {
    let env = TestEnv::new();
    let run = env.bakeoff(&["show", "last"]);
    run.expect(2);
    assert!(run.stderr().contains("no races recorded yet"), "{}", run.stderr());
}

#[test]
fn reading_commands_end_quietly_when_their_reader_goes_away() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut env = TestEnv::new();
    // A diff larger than a pipe's buffer, so the writer is still writing when the reader
    // leaves.
    env.agent("a", "", &format!("write big.txt {}\n", "line\\n".repeat(40_000)));
    env.bakeoff(&["race", "Write a big file", "-a", "a"]).expect(0);
    for args in [&["diff", "last", "a"][..], &["show", "last"][..]] {
        let mut child = env
            .command(&env.repo, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        drop(out); // like `| head -1`
        let result = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
