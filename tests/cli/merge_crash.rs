//! A crash at any point of a merge ends, after `bakeoff resume`, in the merged state and
//! never between: the branch, the index and the work tree all at the merge commit, and
//! one `merged` in the journal. Before the merge has touched the user's checkout, the
//! crash leaves the old state exactly. The crash points are injected (debug builds only):
//! `BAKEOFF_CRASH_AT=merge:…` has bakeoff SIGKILL itself there. Each crash runs under a
//! [`Witness`]: the user's stash, untracked and ignored files outlive it and the resume.

use std::os::unix::process::ExitStatusExt;

use crate::support::{Run, TestEnv};
use crate::witness::Witness;

/// What the winner's merge changes, as `git diff --name-only` lists it.
const MERGED: &[&str] = &[
    "docs/old.txt",
    "src/deep/new_c.txt",
    "src/lib.txt",
    "src/new_a.txt",
    "src/new_b.txt",
];

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
        // The witness's messages do not name the point; a failure's output does.
        eprintln!("crash point {point}");
        let mut env = TestEnv::new();
        env.write("docs/old.txt", "to be removed\n");
        env.commit("docs");
        let w = Witness::new(&mut env);
        env.agent(
            "winner",
            "",
            &format!(
                "{}write src/lib.txt one\\ntwo\\nthree\\nfour\\n\n\
                 write src/new_a.txt a\\n\nwrite src/new_b.txt b\\n\nwrite src/deep/new_c.txt c\\n\n\
                 delete docs/old.txt\n",
                w.agent_spy("winner")
            ),
        );
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
            w.assert_untouched(&env);
        }
        let resumed = env.bakeoff(&["resume", "last"]);
        resumed.expect(0);
        // The new state, whole: nothing but the user's own untracked work is left over.
        assert_eq!(env.git(&["rev-list", "--count", "HEAD"]).trim(), "3", "{point}");
        assert_eq!(
            env.git(&["status", "--porcelain", "--untracked-files=all"])
                .trim(),
            "?? notes/draft.txt",
            "{point}: the checkout is between states"
        );
        w.assert_merged_only(&env, MERGED);
        assert_eq!(
            std::fs::read_to_string(env.repo.join("src/lib.txt")).unwrap(),
            "one\ntwo\nthree\nfour\n"
        );
        assert!(env.repo.join("src/deep/new_c.txt").is_file(), "{point}");
        assert!(!env.repo.join("docs/old.txt").exists(), "{point}");
        let merged = env.events().iter().filter(|e| e["type"] == "merged").count();
        assert_eq!(merged, 1, "{point}: merged {merged} times");
        // And merging again is a no-op.
        let again = env.bakeoff(&["merge", "last"]);
        again.expect(0);
        assert_eq!(env.git(&["rev-list", "--count", "HEAD"]).trim(), "3", "{point}");
        w.assert_merged_only(&env, MERGED);
        w.spied("winner");
        w.assert_no_secret(&env, &[&Run(out), &resumed, &again], &[]);
    }
}
