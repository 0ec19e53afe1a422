//! A crash at any point of a merge ends, after `bakeoff resume`, in the merged state and
//! never between: the branch, the index and the work tree all at the merge commit, and
//! one `merged` in the journal. Before the merge has touched the user's checkout, the
//! crash leaves the old state exactly. The crash points are injected (debug builds only):
//! `BAKEOFF_CRASH_AT=merge:…` has bakeoff SIGKILL itself there.

use std::os::unix::process::ExitStatusExt;

use crate::support::TestEnv;

const POINTS: &[(&str, bool)] = &[
    // (point, whether the user's checkout is still exactly as it was)
    ("merge:commit-written", true),
    ("merge:intent-written", true),
    ("merge:checkout", false),
    ("merge:worktree-updated", false),
    ("merge:ref-moved", false),
];

#[test]
fn a_merge_killed_anywhere_is_finished_by_resume() {
    for (point, untouched) in POINTS {
        let mut env = TestEnv::new();
        env.write("docs/old.txt", "to be removed\n");
        env.commit("docs");
        env.agent(
            "winner",
            "",
            "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\n\
             write src/new_a.txt a\\n\nwrite src/new_b.txt b\\n\nwrite src/deep/new_c.txt c\\n\n\
             delete docs/old.txt\n",
        );
        let before = env.checkout_snapshot();
        let out = env
            .command(
                &env.repo,
                &["race", "add a fourth line", "-a", "winner", "--merge"],
            )
            .env("BAKEOFF_CRASH_AT", point)
            .output()
            .unwrap();
        assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{point}: {out:?}");
        if *untouched {
            assert_eq!(env.checkout_snapshot(), before, "{point}: the checkout changed");
        }
        let resumed = env.bakeoff(&["resume", "last"]);
        resumed.expect(0);
        // The new state, whole.
        assert_eq!(env.git(&["rev-list", "--count", "HEAD"]).trim(), "3", "{point}");
        assert_eq!(
            env.git(&["status", "--porcelain", "--untracked-files=all"])
                .trim(),
            "",
            "{point}: the checkout is between states"
        );
        assert_eq!(
            std::fs::read_to_string(env.repo.join("src/lib.txt")).unwrap(),
            "one\ntwo\nthree\nfour\n"
        );
        assert!(env.repo.join("src/deep/new_c.txt").is_file(), "{point}");
        assert!(!env.repo.join("docs/old.txt").exists(), "{point}");
        let merged = env.events().iter().filter(|e| e["type"] == "merged").count();
        assert_eq!(merged, 1, "{point}: merged {merged} times");
        // And merging again is a no-op.
        env.bakeoff(&["merge", "last"]).expect(0);
        assert_eq!(env.git(&["rev-list", "--count", "HEAD"]).trim(), "3", "{point}");
    }
}
