//! The scripted fake agent's behaviours, each driven through a real race: usage in every
//! CLI's format, sleeping past the deadline, failing, flooding, lingering children and
//! ignoring SIGTERM.

use std::time::{Duration, Instant};

use crate::support::TestEnv;
use crate::witness::Witness;

fn agent_outcome(env: &TestEnv, lane: &str) -> serde_json::Value {
    let finished = env.lane_events(lane, "agent-finished");
    assert_eq!(finished.len(), 1, "{finished:?}");
    finished[0]["outcome"].clone()
}

#[test]
fn usage_is_parsed_in_every_cli_format() {
    let mut env = TestEnv::new();
    // (format, whether that CLI reports cost)
    let formats = [
        ("claude", true),
        ("codex", false),
        ("gemini", false),
        ("aider", true),
        ("opencode", true),
        ("qwen", true),
    ];
    for (format, _) in formats {
        let cost = if format == "codex" || format == "gemini" {
            "-"
        } else {
            "0.25"
        };
        env.agent(
            format,
            format,
            &format!("write {format}.txt hi\\n\nusage {format} 3 1200 340 {cost} sess-{format}\n"),
        );
    }
    let mut args = vec!["race", "report usage"];
    for (format, _) in formats {
        args.extend(["-a", format]);
    }
    env.bakeoff(&args).expect(0);
    for (format, has_cost) in formats {
        let usage = &agent_outcome(&env, format)["usage"];
        assert_eq!(usage["output_tokens"], 340, "{format}: {usage}");
        if has_cost {
            assert_eq!(usage["cost_usd"], 0.25, "{format}: {usage}");
        } else {
            assert!(
                usage["cost_usd"].is_null(),
                "{format} must say cost unknown, not 0: {usage}"
            );
        }
    }
}

#[test]
fn live_progress_is_reported_while_the_agent_runs() {
    let mut env = TestEnv::new();
    env.agent(
        "talky",
        "claude",
        "progress claude 1 100 10 0.01 Read: src/lib.txt\nsleep 1500\nwrite x.txt x\\n\nprogress claude 2 300 40 0.03 Edit: x.txt\nusage claude 2 300 40 0.03 s1\n",
    );
    // Progress is coalesced to one event per read of the agent's logs (every 200 ms):
    // the pause puts the two turns in different reads.
    env.bakeoff(&["race", "talk", "-a", "talky"]).expect(0);
    let progress = env.lane_events("talky", "lane-progress");
    assert!(progress.len() >= 2, "{progress:?}");
    let actions: Vec<_> = progress
        .iter()
        .filter_map(|p| p["last_action"].as_str())
        .collect();
    assert!(actions.iter().any(|a| a.contains("x.txt")), "{actions:?}");
}

#[test]
fn a_failing_agent_is_recorded_and_its_work_still_checked() {
    let mut env = TestEnv::new();
    env.agent("crashy", "", "write half.txt half done\\n\nfail out of ideas\n");
    let run = env.bakeoff(&["race", "try", "-a", "crashy", "--check", "test -f half.txt"]);
    run.expect(0);
    let outcome = agent_outcome(&env, "crashy");
    assert_eq!(outcome["exit"]["kind"], "code");
    assert_eq!(outcome["exit"]["value"], 1);
    let checks = env.lane_events("crashy", "check-finished");
    assert_eq!(checks[0]["check"]["passed"], true);
}

#[test]
fn an_agent_past_its_deadline_is_stopped_and_gated() {
    let mut env = TestEnv::new();
    env.config("[race]\ngrace = \"1s\"\n");
    env.agent("slow", "", "write x.txt x\\n\nsleep 60000\n");
    let started = Instant::now();
    let run = env.bakeoff(&["race", "hurry", "-a", "slow", "--timeout", "2s"]);
    run.expect(1);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the deadline was not enforced"
    );
    assert_eq!(agent_outcome(&env, "slow")["timed_out"], true);
    assert!(run.stdout().contains("agent timed out"), "{}", run.stdout());
}

#[test]
fn an_agent_that_ignores_sigterm_is_killed_after_the_grace_period() {
    let mut env = TestEnv::new();
    env.config("[race]\ngrace = \"1s\"\n");
    env.agent("stubborn", "", "ignore-sigterm\nwrite x.txt x\\n\nsleep 60000\n");
    let started = Instant::now();
    env.bakeoff(&[
        "race",
        "--sandbox",
        "off",
        "hurry",
        "-a",
        "stubborn",
        "--timeout",
        "1s",
    ])
    .expect(1);
    assert!(started.elapsed() < Duration::from_secs(30));
    let outcome = agent_outcome(&env, "stubborn");
    assert_eq!(outcome["timed_out"], true);
    assert_eq!(outcome["exit"]["kind"], "signal");
    assert_eq!(
        outcome["exit"]["value"], 9,
        "SIGKILL after the grace period: {outcome}"
    );
}

#[test]
fn a_lingering_child_is_not_left_behind() {
    let mut env = TestEnv::new();
    let pidfile = env.root().join("linger.pid");
    env.agent(
        "parent",
        "",
        &format!("write x.txt x\\n\nlinger {} 300\n", pidfile.display()),
    );
    let started = Instant::now();
    env.bakeoff(&["race", "--sandbox", "off", "fork", "-a", "parent"])
        .expect(0);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "waited for the lingering child"
    );
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    assert!(!alive(pid), "child {pid} of the agent survived the lane");
}

#[test]
fn fifty_megabytes_of_output_are_streamed_and_capped_at_the_default() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    env.agent(
        "loud",
        "claude",
        &format!(
            "{}flood 52428800\nwrite x.txt x\\n\nflood 1048576 nolines\nusage claude 1 10 10 0.01 s\n",
            w.agent_spy("loud")
        ),
    );
    let run = env.bakeoff(&["race", "shout", "-a", "loud"]);
    run.expect(0);
    let log = env.last_race_dir().join("lanes/loud/agent.stdout.log");
    let size = std::fs::metadata(&log).unwrap().len();
    assert!(size <= 16 * 1024 * 1024 + 100, "log has {size} bytes");
    assert!(size >= 16 * 1024 * 1024 - 200 * 1024, "log has {size} bytes");
    assert_eq!(agent_outcome(&env, "loud")["usage"]["cost_usd"], 0.01);
    w.assert_untouched(&env);
    w.spied("loud");
    w.assert_no_secret(&env, &[&run], &[]);
}

#[test]
fn a_flood_is_cut_to_the_configured_cap_and_the_end_of_the_stream_is_still_parsed() {
    const CAP: u64 = 1024 * 1024;
    let mut env = TestEnv::new();
    env.config(&format!("[race]\nlog-bytes = {CAP}\n"));
    let w = Witness::new(&mut env);
    // The spy's dump goes to a file, not the stream: the log's first line stays the
    // agent's first words.
    env.agent(
        "loud",
        "claude",
        &format!(
            "{}say the first line\nflood 67108864\nwrite x.txt x\\n\nsay the last words\nusage claude 1 10 10 0.02 s\n",
            w.agent_spy("loud")
        ),
    );
    let run = env.bakeoff(&["race", "shout", "-a", "loud"]);
    run.expect(0);
    let log = env.last_race_dir().join("lanes/loud/agent.stdout.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let marker = text
        .lines()
        .find(|l| l.starts_with("[bakeoff: ") && l.ends_with(" bytes cut here]"))
        .unwrap_or_else(|| panic!("no marker in the log"));
    assert!(
        text.len() as u64 <= CAP + marker.len() as u64 + 1,
        "log has {} bytes",
        text.len()
    );
    let first = text.lines().next().unwrap();
    assert!(first.contains("the first line"), "{first}");
    assert!(text.contains("the last words"));
    let last = text.lines().last().unwrap();
    assert!(last.contains("0.02"), "{last}");
    let cut: u64 = marker["[bakeoff: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(cut >= 64 * 1024 * 1024 - CAP, "cut {cut}");
    // The stream's end was parsed live: the usage after the flood.
    assert_eq!(agent_outcome(&env, "loud")["usage"]["cost_usd"], 0.02);
    w.assert_untouched(&env);
    w.spied("loud");
    w.assert_no_secret(&env, &[&run], &[]);
}

/// True if the process exists and is not a zombie.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.split(") ").nth(1).unwrap_or("").starts_with('Z'),
        Err(_) => false,
    }
}

#[test]
fn two_hundred_thousand_stream_json_lines_journal_a_handful_of_events_and_the_same_usage() {
    let mut env = TestEnv::new();
    // About 3,600 bytes a turn in three lines: 240 MB is some 200,000 lines.
    env.agent(
        "busy",
        "claude",
        "flood-format claude 240000000\nwrite x.txt x\\n\nusage claude 66000 12345 678 0.4215 sess-busy\n",
    );
    env.bakeoff(&["race", "work", "-a", "busy"]).expect(0);
    let journal = std::fs::read_to_string(env.last_race_dir().join("events.jsonl")).unwrap();
    let lines = journal.lines().count();
    assert!(lines < 2_000, "events.jsonl has {lines} lines");
    let progress = env.lane_events("busy", "lane-progress");
    assert!(!progress.is_empty());
    let outcome = agent_outcome(&env, "busy");
    assert_eq!(outcome["usage"]["cost_usd"], 0.4215);
    assert_eq!(outcome["usage"]["turns"], 66000);
    assert_eq!(outcome["usage"]["input_tokens"], 12345);
    assert_eq!(outcome["usage"]["output_tokens"], 678);
    assert_eq!(outcome["session_id"], "sess-busy");
    // The last progress is the final usage, as the live display ends on it.
    assert_eq!(progress.last().unwrap()["usage"], outcome["usage"]);
    // And the live ones counted the flood's turns as they went.
    let turns = |p: &serde_json::Value| p["usage"]["turns"].as_u64().unwrap_or(0);
    let live = &progress[..progress.len() - 1];
    assert!(live.iter().any(|p| turns(p) > 1_000), "{progress:?}");
}
