//! Races that coexist in one repository: races started at once each get their own id and
//! records, `last` is the newest race, an ambiguous name says what it matches, `clean`
//! leaves a live race alone, and merging a merged lane again changes nothing. Each test
//! runs under a [`Witness`].

use std::collections::BTreeSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Run, TestEnv};
use crate::witness::Witness;

/// The ids `bakeoff list` shows, in its order.
fn listed(env: &TestEnv) -> Vec<String> {
    let list = env.bakeoff(&["list"]);
    list.expect(0);
    list.stdout()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect()
}

/// A witness, and the agent `w` (a spy) that writes `out.txt`.
fn witnessed(env: &mut TestEnv) -> Witness {
    let w = Witness::new(env);
    env.agent("w", "", &format!("{}write out.txt x\\n\n", w.agent_spy("w")));
    w
}

#[test]
fn twenty_races_at_once_each_get_their_own_id_and_records() {
    let mut env = TestEnv::new();
    let w = witnessed(&mut env);
    // The same spec for all, so they all want the same id.
    let children: Vec<Child> = (0..20)
        .map(|_| {
            env.command(&env.repo, &["race", "the same spec", "-a", "w"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|child| Run(child.wait_with_output().unwrap()))
        .collect();
    for run in &runs {
        run.expect(0);
    }
    // Twenty races ended at once, each appending its index line: none torn or glued.
    let index = std::fs::read_to_string(env.repo.join(".git/bakeoff/race-index.jsonl")).unwrap();
    let indexed: BTreeSet<String> = index
        .lines()
        .map(|l| {
            let line: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}"));
            line["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!((index.lines().count(), indexed.len()), (20, 20), "{index}");
    let ids = listed(&env);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 20, "{ids:?}");
    assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), indexed);
    assert_eq!(env.races(), 20);
    for id in &ids {
        let dir = env.repo.join(".git/bakeoff/races").join(id);
        let record: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("race.json")).unwrap()).unwrap();
        assert_eq!(record["id"], id.as_str());
        let branch = record["lanes"][0]["branch"].as_str().unwrap();
        assert_eq!(branch, format!("bakeoff/{id}/w"));
        let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
        let last: serde_json::Value = serde_json::from_str(events.lines().last().unwrap()).unwrap();
        assert_eq!(last["type"], "race-finished", "race {id}");
        assert!(
            dir.join("leaderboard.json").is_file(),
            "race {id} has no leaderboard"
        );
    }
    w.assert_untouched(&env);
    w.spied("w");
    w.assert_no_secret(&env, &runs.iter().collect::<Vec<_>>(), &[]);
}

#[test]
fn last_is_the_newest_race_not_the_last_name() {
    let mut env = TestEnv::new();
    let w = witnessed(&mut env);
    let first = env.bakeoff(&["race", "zebra first", "-a", "w"]);
    first.expect(0);
    let second = env.bakeoff(&["race", "apple second", "-a", "w"]);
    second.expect(0);
    let ids = listed(&env);
    assert_eq!(ids.len(), 2);
    assert!(ids[1].ends_with("apple-second"), "list is oldest first: {ids:?}");
    let show = env.bakeoff(&["show", "last"]);
    show.expect(0);
    let head = show.stdout().lines().next().unwrap().to_string();
    assert!(head.contains("apple-second"), "{head}");
    w.assert_untouched(&env);
    w.spied("w");
    w.assert_no_secret(&env, &[&first, &second, &show], &[]);
}

#[test]
fn an_ambiguous_prefix_names_its_candidates() {
    let mut env = TestEnv::new();
    let w = witnessed(&mut env);
    let mut runs = vec![
        env.bakeoff(&["race", "one", "-a", "w"]),
        env.bakeoff(&["race", "two", "-a", "w"]),
    ];
    for run in &runs {
        run.expect(0);
    }
    let ids = listed(&env);
    for args in [&["show", "20"][..], &["diff", "20", "w"], &["clean", "20"]] {
        let run = env.bakeoff(args);
        run.expect(2);
        let err = run.stderr();
        assert!(err.contains("ambiguous"), "{args:?}: {err}");
        for id in &ids {
            assert!(err.contains(id.as_str()), "{args:?} does not name {id}: {err}");
        }
        runs.push(run);
    }
    w.assert_untouched(&env);
    w.spied("w");
    w.assert_no_secret(&env, &runs.iter().collect::<Vec<_>>(), &[]);
}

/// Polls the races' journals until `lane`'s agent has started in one (at most 30 s).
fn wait_until_agent_started(env: &TestEnv, lane: &str) {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let races = std::fs::read_dir(env.repo.join(".git/bakeoff/races"));
        let started = races.into_iter().flatten().flatten().any(|e| {
            std::fs::read_to_string(e.path().join("events.jsonl")).is_ok_and(|text| {
                text.lines().any(|l| {
                    let e: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
                    e["type"] == "agent-started" && e["lane"] == lane
                })
            })
        });
        if started {
            return;
        }
        assert!(Instant::now() < until, "lane {lane}'s agent never started");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A race in the background, killed if the test fails before it ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn clean_leaves_a_live_race_alone() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    env.agent(
        "quick",
        "",
        &format!("{}write out.txt x\\n\n", w.agent_spy("quick")),
    );
    env.agent(
        "slow",
        "",
        &format!("{}write out.txt x\\n\nsleep 60000\n", w.agent_spy("slow")),
    );
    let mut runs = vec![env.bakeoff(&["race", "a finished race", "-a", "quick"])];
    runs[0].expect(0);
    let finished = listed(&env).remove(0);
    // The live race's output goes to files under the test's root, where the witness
    // searches for canaries.
    let out = std::fs::File::create(env.root().join("live.stdout")).unwrap();
    let err = std::fs::File::create(env.root().join("live.stderr")).unwrap();
    let mut child = Reaped(
        env.command(&env.repo, &["race", "take your time", "-a", "slow"])
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap(),
    );
    wait_until_agent_started(&env, "slow");
    let id = listed(&env).pop().unwrap();
    let worktree = env.worktree_of("slow");
    let branch = format!("bakeoff/{id}/slow");
    assert!(worktree.is_dir());

    for args in [&["clean", id.as_str()][..], &["clean", "last", "--purge"]] {
        let run = env.bakeoff(args);
        run.expect(2);
        assert!(run.stderr().contains(&id), "{}", run.stderr());
        assert!(run.stderr().contains("still running"), "{}", run.stderr());
        assert!(run.stderr().contains("Ctrl-C"), "{}", run.stderr());
        runs.push(run);
    }
    // With --all, the other races are cleaned and the live one is named.
    let run = env.bakeoff(&["clean", "--all", "--purge"]);
    run.expect(2);
    assert!(
        run.stdout().contains(&format!("cleaned race {finished}")),
        "{}",
        run.stdout()
    );
    assert!(!run.stdout().contains(&id), "{}", run.stdout());
    assert!(run.stderr().contains(&id), "{}", run.stderr());
    assert!(worktree.is_dir(), "the live race's worktree was removed");
    assert_eq!(
        env.git(&[
            "for-each-ref",
            "--format=%(refname)",
            &format!("refs/heads/{branch}")
        ])
        .trim(),
        format!("refs/heads/{branch}")
    );
    assert_eq!(env.races(), 1);
    w.assert_untouched(&env);
    runs.push(run);

    // Ctrl-C ends the race; then it is cleaned like any other.
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.0.id() as i32, libc::SIGINT) };
    let until = Instant::now() + Duration::from_secs(30);
    while child.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < until, "the race did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    }
    let cleaned = env.bakeoff(&["clean", &id]);
    cleaned.expect(0);
    assert!(!worktree.exists());
    assert_eq!(env.git(&["branch", "--list", &branch]), "");
    runs.push(cleaned);
    w.assert_untouched(&env);
    w.spied("quick");
    w.spied("slow");
    w.assert_no_secret(&env, &runs.iter().collect::<Vec<_>>(), &[]);
}

#[test]
fn merging_a_merged_lane_again_changes_nothing() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    env.agent(
        "w",
        "",
        &format!("{}write src/lib.txt merged\\n\n", w.agent_spy("w")),
    );
    let mut runs = vec![env.bakeoff(&["race", "rewrite lib", "-a", "w", "--merge"])];
    runs[0].expect(0);
    w.assert_merged_only(&env, &["src/lib.txt"]);
    let count = env.git(&["rev-list", "--count", "HEAD"]);
    let before = env.snapshot();
    let events = env.events().len();
    for args in [&["merge", "last"][..], &["merge", "last", "--lane", "w"]] {
        let run = env.bakeoff(args);
        run.expect(0);
        assert!(run.stdout().contains("merged already"), "{}", run.stdout());
        runs.push(run);
    }
    assert_eq!(env.git(&["rev-list", "--count", "HEAD"]), count);
    assert_eq!(env.snapshot(), before);
    assert_eq!(
        env.events().len(),
        events,
        "a merge that did nothing was journaled"
    );
    // Still exactly one merge commit on the user's old HEAD.
    w.assert_merged_only(&env, &["src/lib.txt"]);
    w.spied("w");
    w.assert_no_secret(&env, &runs.iter().collect::<Vec<_>>(), &[]);
}
