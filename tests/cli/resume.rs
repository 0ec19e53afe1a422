//! `bakeoff resume`: a race whose bakeoff was SIGKILLed mid-race is finished from its
//! records, with nothing left running from before the crash.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use bakeoff_testkit::fake_provider::{FakeProvider, Script};
use serde_json::json;

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
    agent(env, "quick", "write quick.txt x\\n\n");
    agent(
        env,
        "slow",
        &format!(
            "linger {} 300\nwrite slow.txt x\\n\nsleep 20000\n",
            pidfile.display()
        ),
    );
    // The agents' pids are read from /proc: lanes unsandboxed, in bakeoff's own PID
    // namespace.
    let mut args = vec![
        "race",
        "--sandbox",
        "off",
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

    let id = env
        .last_race_dir()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(race_processes(&env, &id), vec![crash.linger_pid]);

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
    assert_eq!(
        race_processes(&env, &id),
        Vec::<u32>::new(),
        "agent processes survived"
    );
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

/// A scripted agent under an Anthropic model's name, so a reviewer of another lab can be
/// assigned when a test configures one.
fn agent(env: &mut TestEnv, name: &str, script: &str) {
    env.agent_as(name, "claude-sonnet-4-6", "", script);
}

/// The journal's events, skipping a torn line.
pub(crate) fn all_events(env: &TestEnv) -> Vec<serde_json::Value> {
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

pub(crate) fn wait_for_pid(pidfile: &Path) -> u32 {
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
pub(crate) fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

#[track_caller]
pub(crate) fn wait_dead(pid: u32) {
    let until = Instant::now() + Duration::from_secs(5);
    while alive(pid) {
        assert!(Instant::now() < until, "process {pid} is still alive");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Live processes whose environment says they were started for this race, in this test
/// (tests running at once may have races of the same id).
pub(crate) fn race_processes(env: &TestEnv, race: &str) -> Vec<u32> {
    let markers = [
        format!("BAKEOFF_RACE={race}"),
        format!("HOME={}", env.home.display()),
    ];
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| {
                markers
                    .iter()
                    .all(|m| environ.split(|b| *b == 0).any(|v| v == m.as_bytes()))
            })
        })
        .filter(|&pid| alive(pid))
        .collect()
}

#[test]
fn a_race_whose_bakeoff_is_alive_is_not_resumed() {
    let mut env = TestEnv::new();
    let pidfile = env.root().join("linger.pid");
    env.agent(
        "sleepy",
        "",
        &format!("linger {} 300\nsleep 20000\n", pidfile.display()),
    );
    let mut child = env
        .command(&env.repo, &["race", "--sandbox", "off", "sleep", "-a", "sleepy"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    assert!(lines.any(|l| l.unwrap() == "[sleepy] running"));
    let linger = wait_for_pid(&pidfile);

    let run = env.bakeoff(&["resume", "last"]);
    run.expect(2);
    assert!(run.stderr().contains("still running"), "{}", run.stderr());
    assert!(alive(linger), "resume killed a live race's agent");

    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(child.wait().unwrap().code(), Some(130));
    wait_dead(linger);
}

#[test]
fn reviews_of_kept_lanes_are_kept_and_a_missing_reviewer_key_stops_the_resume() {
    let approve = json!({"verdict": "approve", "score": 90, "summary": "fine", "findings": []});
    let script = Script::builder()
        .model("gpt-5.5")
        .json(approve.clone())
        .json(approve)
        .build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let mut env = TestEnv::new();
    env.reviews = true;
    env.set_env("OPENAI_BASE_URL", &format!("{}/v1", server.base_url()));
    env.set_env("OPENAI_API_KEY", "canary-openai-resume-5521");
    crash_mid_race(&mut env, &["--reviewer", "openai/gpt-5.5"]);
    assert_eq!(lane_events(&env, "quick", "review-finished").len(), 1);

    // Without the reviewer's key: exit 3 like preflight, and the race is not taken up.
    let out = env
        .command(&env.repo, &["resume", "last"])
        .env_remove("OPENAI_API_KEY")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("OPENAI_API_KEY"));
    assert!(!all_events(&env).iter().any(|e| e["type"] == "race-resumed"));

    env.bakeoff(&["resume", "last"]).expect(0);
    // quick's review was kept, not asked again; slow was reviewed once, after the resume.
    assert_eq!(lane_events(&env, "quick", "review-finished").len(), 1);
    assert_eq!(lane_events(&env, "slow", "review-finished").len(), 1);
    let turns = server.requests().into_iter().filter(|r| r.is_turn()).count();
    assert_eq!(turns, 2);
    let ranked = all_events(&env)
        .into_iter()
        .find(|e| e["type"] == "ranked")
        .expect("ranked");
    assert_eq!(ranked["leaderboard"]["winner"], "slow");
}

#[test]
fn a_lane_whose_agent_had_finished_resumes_at_its_checks_without_running_the_agent_again() {
    let mut env = TestEnv::new();
    let flag = env.root().join("slow-check.flag");
    agent(&mut env, "done", "write done.txt x\\n\n");
    // The check is slow the first time only (as if whatever hung it were gone).
    let check = format!(
        "if [ -f {0} ]; then test -f done.txt; else touch {0}; sleep 30; fi",
        flag.display()
    );
    let mut child = env
        .command(
            &env.repo,
            &["race", "crash in a check", "-a", "done", "--check", &check],
        )
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    for line in BufReader::new(stderr).lines() {
        if line.unwrap().contains("[done] check") {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();

    let run = env.bakeoff(&["resume", "last"]);
    run.expect(0);
    assert_eq!(
        lane_events(&env, "done", "agent-started").len(),
        1,
        "the agent ran once"
    );
    let checks = lane_events(&env, "done", "check-finished");
    assert_eq!(checks.last().unwrap()["check"]["passed"], true, "{checks:?}");
    let captured = lane_events(&env, "done", "captured");
    assert_eq!(
        captured.len(),
        2,
        "captured before the crash and again from that work"
    );
    assert_eq!(
        captured[0]["capture"]["files"], captured[1]["capture"]["files"],
        "the same work, re-captured"
    );
    assert!(run.stdout().contains("winner: done"), "{}", run.stdout());
}

/// A race stopped with Ctrl-C is resumed like a crashed one: the lane the interrupt cut
/// off runs again, the lane that had ended keeps its result, and the race ends ranked.
#[test]
fn a_race_stopped_with_ctrl_c_resumes() {
    let mut env = TestEnv::new();
    agent(&mut env, "quick", "write quick.txt x\\n\n");
    agent(&mut env, "slow", "sleep 30000\nwrite slow.txt x\\n\n");
    let mut child = env
        .command(
            &env.repo,
            &[
                "race",
                "--sandbox",
                "off",
                "stop",
                "-a",
                "quick",
                "-a",
                "slow",
                "--check",
                "test -f slow.txt",
            ],
        )
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (mut quick_done, mut slow_running) = (false, false);
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        quick_done |= line == "[quick] done";
        slow_running |= line == "[slow] running";
        if quick_done && slow_running {
            break;
        }
    }
    assert!(quick_done && slow_running, "the race never got both lanes going");
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    std::thread::spawn(move || lines.for_each(drop));
    assert_eq!(child.wait().unwrap().code(), Some(130));

    // The cause is gone: slow is quick now.
    env.script("slow", "write slow.txt x\\n\n");
    let run = env.bakeoff(&["resume", "last"]);
    run.expect(0);
    let resumed = all_events(&env)
        .into_iter()
        .find(|e| e["type"] == "race-resumed")
        .expect("a race-resumed event");
    assert_eq!(resumed["kept"], json!(["quick"]), "{resumed}");
    assert_eq!(resumed["rerun"], json!(["slow"]), "{resumed}");
    let ranked: Vec<_> = all_events(&env)
        .into_iter()
        .filter(|e| e["type"] == "ranked")
        .collect();
    assert_eq!(ranked.last().unwrap()["leaderboard"]["winner"], "slow");
    // Resumed once, it is finished: a second resume has nothing to do.
    let again = env.bakeoff(&["resume", "last"]);
    again.expect(0);
    assert!(
        again.stderr().contains("nothing to resume") || again.stdout().contains("nothing to resume"),
        "{}",
        again.stderr()
    );
}
