//! `bakeoff resume`: a race whose bakeoff was SIGKILLed mid-race is finished from its
//! records, with nothing left running from before the crash.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::TestEnv;

/// What a crashed race left: the slow lane's agent and the sleep it left behind.
struct Crash {
    agent_pid: u32,
    linger_pid: u32,
}

/// Two lanes: `quick` ends at once (and fails the check), `slow` leaves a lingering
/// child, writes its file and sleeps. bakeoff is SIGKILLed once `quick` is done and `slow`
/// runs. Then `slow`'s script is made fast, as if the crash's cause were gone, and still
/// leaves a lingering child.
fn crash_mid_race(env: &mut TestEnv, extra: &[&str]) -> Crash {
    let root = env.root();
    let pidfile = root.join("linger-1.pid");
    env.agent("quick", "", "write quick.txt x\\n\n");
    env.agent(
        "slow",
        "",
        &format!(
            "linger {} 300\nwrite slow.txt x\\n\nsleep 20000\n",
            pidfile.display()
        ),
    );
    let mut args = vec![
        "race",
        "crash",
        "-a",
        "quick",
        "-a",
        "slow",
        "--check",
        "test -f slow.txt",
    ];
    args.extend_from_slice(extra);
    let mut child = env
        .command(&env.repo, &args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (mut quick_done, mut slow_running) = (false, false);
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        quick_done |= line == "[quick] done";
        slow_running |= line == "[slow] running";
        if quick_done && slow_running {
            break;
        }
    }
    assert!(quick_done && slow_running, "the race did not get going");
    let linger_pid = wait_for_pid(&pidfile);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();

    let agent_pid = lane_events(env, "slow", "agent-started")[0]["pid"]
        .as_u64()
        .unwrap() as u32;
    // The agent died with bakeoff (PR_SET_PDEATHSIG); what it left behind did not.
    wait_dead(agent_pid);
    assert!(alive(linger_pid), "the lingering child outlived the crash");

    env.script(
        "slow",
        &format!(
            "linger {} 300\nwrite slow.txt x\\n\n",
            root.join("linger-2.pid").display()
        ),
    );
    Crash {
        agent_pid,
        linger_pid,
    }
}

#[test]
fn resume_keeps_ended_lanes_reruns_the_rest_and_merges() {
    let mut env = TestEnv::new();
    let before = env.checkout_snapshot();
    let crash = crash_mid_race(&mut env, &["--merge"]);
    assert_eq!(
        env.checkout_snapshot(),
        before,
        "the crash changed the user's checkout"
    );
    // A crash mid-write leaves half a line at the journal's end.
    let events = env.last_race_dir().join("events.jsonl");
    let mut f = std::fs::OpenOptions::new().append(true).open(&events).unwrap();
    f.write_all(br#"{"v":1,"at_ms":2,"type":"lane-sta"#).unwrap();
    drop(f);

    let started = Instant::now();
    env.bakeoff(&["resume", "last"]).expect(0);
    assert!(started.elapsed() < Duration::from_secs(20));

    let resumed = all_events(&env)
        .into_iter()
        .find(|e| e["type"] == "race-resumed")
        .expect("a race-resumed event");
    assert_eq!(resumed["kept"], serde_json::json!(["quick"]));
    assert_eq!(resumed["rerun"], serde_json::json!(["slow"]));
    assert_eq!(resumed["killed"], serde_json::json!([crash.agent_pid]));
    // quick's agent ran once; slow's ran again and finished this time.
    assert_eq!(lane_events(&env, "quick", "agent-started").len(), 1);
    assert_eq!(lane_events(&env, "quick", "agent-finished").len(), 1);
    assert_eq!(lane_events(&env, "slow", "agent-started").len(), 2);
    assert_eq!(lane_events(&env, "slow", "agent-finished").len(), 1);
    let ranked = all_events(&env)
        .into_iter()
        .find(|e| e["type"] == "ranked")
        .expect("ranked");
    assert_eq!(ranked["leaderboard"]["winner"], "slow");
    let merged = all_events(&env)
        .into_iter()
        .find(|e| e["type"] == "merged")
        .expect("merged");
    assert_eq!(merged["lane"], "slow");
    assert_eq!(env.git(&["show", "HEAD:slow.txt"]), "x\n");
    assert!(all_events(&env).last().unwrap()["type"] == "race-finished");

    wait_dead(crash.linger_pid);
    wait_dead(wait_for_pid(&env.root().join("linger-2.pid")));
    let id = resumed["race"].as_str().unwrap().to_string();
    assert_eq!(race_processes(&id), Vec::<u32>::new(), "agent processes survived");
}

#[test]
fn resume_without_merge_leaves_the_checkout_alone_and_a_finished_race_as_it_is() {
    let mut env = TestEnv::new();
    let before = (env.snapshot(), env.checkout_snapshot());
    let crash = crash_mid_race(&mut env, &[]);
    env.bakeoff(&["resume", "last"]).expect(0);
    assert_eq!(
        env.checkout_snapshot(),
        before.1,
        "resume changed the user's checkout"
    );
    wait_dead(crash.linger_pid);
    assert_eq!(lane_events(&env, "quick", "agent-finished").len(), 1);
    assert_eq!(lane_events(&env, "slow", "agent-finished").len(), 1);

    // A finished race: said so, and nothing changes.
    let journal = std::fs::read(env.last_race_dir().join("events.jsonl")).unwrap();
    let run = env.bakeoff(&["resume", "last"]);
    run.expect(0);
    assert!(run.stdout().contains("already finished"), "{}", run.stdout());
    assert_eq!(
        std::fs::read(env.last_race_dir().join("events.jsonl")).unwrap(),
        journal
    );
    // With the lanes cleaned, nothing of the race is left in the repository.
    env.bakeoff(&["clean", "last"]).expect(0);
    assert_eq!(env.snapshot(), before.0);
}

/// The journal's events, skipping a torn line.
fn all_events(env: &TestEnv) -> Vec<serde_json::Value> {
    std::fs::read_to_string(env.last_race_dir().join("events.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn lane_events(env: &TestEnv, lane: &str, ty: &str) -> Vec<serde_json::Value> {
    all_events(env)
        .into_iter()
        .filter(|e| e["type"] == ty && e["lane"] == lane)
        .collect()
}

fn wait_for_pid(pidfile: &Path) -> u32 {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(pid) = std::fs::read_to_string(pidfile)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return pid;
        }
        assert!(Instant::now() < until, "no pid in {}", pidfile.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Alive and not a zombie (an orphan's zombie waits for whatever reaps in this container).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

#[track_caller]
fn wait_dead(pid: u32) {
    let until = Instant::now() + Duration::from_secs(5);
    while alive(pid) {
        assert!(Instant::now() < until, "process {pid} is still alive");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Live processes whose environment says they were started for this race.
fn race_processes(race: &str) -> Vec<u32> {
    let marker = format!("BAKEOFF_RACE={race}");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == marker.as_bytes()))
        })
        .filter(|&pid| alive(pid))
        .collect()
}
