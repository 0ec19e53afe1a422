//! Sandboxed lanes against a hostile agent: it sees nothing of the user's checkout,
//! HOME, records or other lanes, writes nowhere but its worktree and home, leaves no
//! process behind, and reaches no host but its provider's. `--sandbox on` without a
//! sandbox refuses to start; `off` is recorded.
//!
//! These need bubblewrap (`scripts/install-sandbox.sh`). Under `CI` a machine that cannot
//! sandbox fails them; elsewhere they say so and pass.

use std::io::{Read, Write};
use std::net::TcpListener;

use crate::support::TestEnv;
use crate::witness::Witness;

/// Whether lanes can be sandboxed here: bubblewrap starts with a lane's namespaces.
fn sandbox_here() -> bool {
    let works = std::process::Command::new("bwrap")
        .args(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"])
        .args(["--unshare-pid", "--unshare-net", "--", "true"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !works {
        assert!(
            std::env::var_os("CI").is_none(),
            "bubblewrap cannot make a sandbox here: run scripts/install-sandbox.sh"
        );
        eprintln!("skipped: bubblewrap cannot make a sandbox on this machine");
    }
    works
}

fn race_json(env: &TestEnv) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(env.last_race_dir().join("race.json")).unwrap()).unwrap()
}

#[test]
fn a_sandboxed_lane_sees_and_writes_nothing_of_the_users_and_leaves_nothing_running() {
    if !sandbox_here() {
        return;
    }
    let mut env = TestEnv::new();
    env.strict_sandbox();
    let w = Witness::new(&mut env);
    // The user's HOME holds a key file; a port on the host's loopback listens.
    let ssh = env.home.join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("id_ed25519"), "canary-home-key-5101\n").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let repo = env.repo.display().to_string();
    let home = env.home.display().to_string();
    let spy = w.dump("agent");
    let spy_dir = spy.parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&spy_dir).unwrap();
    // Beside the spy: the one folder of the test the strict sandbox shows.
    let script = spy_dir.join("hostile.sh");
    std::fs::write(
        &script,
        format!(
            "env > {spy}\n\
             exec > seen.txt 2>&1\n\
             echo checkout:; cat {repo}/README.md {repo}/.env; ls -a {repo}\n\
             echo records:; ls $BAKEOFF_RACE_DIR; cat $BAKEOFF_RACE_DIR/race.json\n\
             echo home:; cat {home}/.ssh/id_ed25519\n\
             echo planted > {repo}/planted.txt\n\
             echo planted > {home}/planted.txt\n\
             echo forged >> $BAKEOFF_RACE_DIR/events.jsonl\n\
             git -c core.hooksPath=/dev/null checkout -q -b mine && echo mine > mine.txt && git add -A && git commit -qm mine && echo committed\n\
             printf 'gitdir: {repo}/.git\\n' > .git || echo cannot rewrite .git\n\
             setsid sh -c 'echo $$ > daemon.pid; exec sleep 300' &\n\
             sleep 0.2\n\
             python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), 2); print(\"reached the host\")' || echo no way out\n\
             echo one > src/lib.txt; echo two >> src/lib.txt; echo three >> src/lib.txt; echo four >> src/lib.txt\n",
            spy = spy.display(),
        ),
    )
    .unwrap();
    env.config(&format!(
        "[agents.hostile]\nadapter = \"command\"\nmodel = \"m\"\ncommand = [\"sh\", \"{}\"]\n\
         [sandbox]\nmode = \"on\"\nwrite = [\"{}\"]\n",
        script.display(),
        spy_dir.display()
    ));
    let run = env.bakeoff(&["race", "add a fourth line", "-a", "hostile"]);
    run.expect(0);
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err(), "the lane reached the host's loopback");

    let record = race_json(&env);
    assert_eq!(record["sandbox"]["active"], true, "{}", record["sandbox"]);
    let seen = std::fs::read_to_string(env.worktree_of("hostile").join("seen.txt")).unwrap();
    for leak in ["# sample", "canary-", "\"lanes\""] {
        assert!(!seen.contains(leak), "the lane saw {leak:?}:\n{seen}");
    }
    assert!(seen.contains("committed"), "git works in the lane:\n{seen}");
    assert!(seen.contains("no way out"), "{seen}");
    // Nothing it wrote outside its worktree is anywhere.
    assert!(!env.repo.join("planted.txt").exists());
    assert!(!env.home.join("planted.txt").exists());
    assert!(!std::fs::read_to_string(env.last_race_dir().join("events.jsonl"))
        .unwrap()
        .contains("forged"));
    // Its commit and branch were its own: the lane's branch holds bakeoff's capture.
    assert!(env.git(&["branch", "--list", "mine"]).trim().is_empty());
    let captured = &env.lane_events("hostile", "captured")[0]["capture"];
    assert!(
        captured["files"].to_string().contains("src/lib.txt"),
        "{captured}"
    );
    assert!(env.lane_events("hostile", "breached").is_empty());
    // The daemon died with the lane (its PID namespace).
    let pid_file = env.worktree_of("hostile").join("daemon.pid");
    assert!(pid_file.exists(), "{seen}");
    let leftover = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .any(|c| String::from_utf8_lossy(&c).contains("sleep\u{0}300"));
    assert!(!leftover, "the lane's setsid daemon outlived it");
    w.assert_untouched(&env);
    assert_eq!(
        std::fs::read_to_string(ssh.join("id_ed25519")).unwrap(),
        "canary-home-key-5101\n"
    );
    w.assert_no_secret_in(&[&run], &[]);
    assert!(!w.spied("agent").contains("canary-witness"));
}

#[test]
fn under_network_provider_a_lane_reaches_its_provider_and_nothing_else_and_refusals_are_logged() {
    if !sandbox_here() {
        return;
    }
    let provider = TcpListener::bind("127.0.0.1:0").unwrap();
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let (p, o) = (
        provider.local_addr().unwrap().port(),
        other.local_addr().unwrap().port(),
    );
    let server = std::thread::spawn(move || {
        let (mut s, _) = provider.accept().unwrap();
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).unwrap();
        s.write_all(b"pong\n").unwrap();
        buf
    });
    let mut env = TestEnv::new();
    let py = format!(
        "import socket, urllib.request\n\
         s = socket.create_connection(('127.0.0.1', {p}), 5); s.sendall(b'ping\\n'); print('provider:', s.recv(5))\n\
         try:\n    urllib.request.urlopen('http://127.0.0.1:{o}/', timeout=5); print('reached the other port')\n\
         except Exception as e:\n    print('refused:', e)\n\
         try:\n    urllib.request.urlopen('http://example.invalid/', timeout=5); print('reached a remote host')\n\
         except Exception as e:\n    print('refused:', e)\n"
    );
    let script = env.root().join("net.py");
    std::fs::write(&script, py).unwrap();
    env.config(&format!(
        "[agents.net]\nadapter = \"command\"\nmodel = \"m\"\nbase-url = \"http://127.0.0.1:{p}\"\n\
         command = [\"sh\", \"-c\", \"python3 {} > seen.txt 2>&1; echo x > x.txt\"]\n",
        script.display()
    ));
    env.bakeoff(&["race", "talk", "-a", "net", "--sandbox", "on"])
        .expect(0);
    assert_eq!(&server.join().unwrap(), b"ping\n");
    assert_eq!(race_json(&env)["sandbox"]["network"], "provider");
    let seen = std::fs::read_to_string(env.worktree_of("net").join("seen.txt")).unwrap();
    assert!(seen.contains("provider: b'pong\\n'"), "{seen}");
    assert!(!seen.contains("reached"), "{seen}");
    let log = std::fs::read_to_string(env.last_race_dir().join("lanes/net/network-refused.jsonl")).unwrap();
    let refused: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // The other loopback port is the sandbox's own, where nothing listens; the remote
    // host went to the proxy, which refused and logged it.
    assert!(refused.iter().any(|r| r["host"] == "example.invalid"), "{log}");
    other.set_nonblocking(true).unwrap();
    assert!(other.accept().is_err());
}

#[test]
fn sandbox_on_without_a_sandbox_refuses_to_start_and_off_is_recorded() {
    let mut env = TestEnv::new();
    env.strict_sandbox();
    env.config("[sandbox]\nbwrap = \"/nonexistent/bwrap\"\n");
    env.agent("a", "", "write x.txt x\\n\n");
    let before = env.snapshot();
    let run = env.bakeoff(&["race", "x", "-a", "a", "--sandbox", "on"]);
    run.expect(2);
    assert!(run.stderr().contains("/nonexistent/bwrap"), "{}", run.stderr());
    assert!(run.stderr().contains("--sandbox off"), "{}", run.stderr());
    assert_eq!(env.races(), 0);
    assert_eq!(env.snapshot(), before);
    let doctor = env.bakeoff(&["doctor"]);
    assert!(
        doctor.stdout().contains("sandbox") && doctor.stdout().contains("unavailable"),
        "{}",
        doctor.stdout()
    );

    // auto says once why lanes run unconfined, and races.
    let run = env.bakeoff(&["race", "x", "-a", "a"]);
    run.expect(0);
    assert_eq!(
        run.stderr().matches("lanes run unsandboxed").count(),
        1,
        "{}",
        run.stderr()
    );
    let record = race_json(&env);
    assert_eq!(record["sandbox"]["mode"], "auto");
    assert_eq!(record["sandbox"]["active"], false);

    let run = env.bakeoff(&["race", "x", "-a", "a", "--sandbox", "off"]);
    run.expect(0);
    assert!(!run.stderr().contains("unsandboxed"), "{}", run.stderr());
    let record = race_json(&env);
    assert_eq!(record["sandbox"]["mode"], "off");
    assert_eq!(record["sandbox"]["unconfined_because"], "--sandbox off");
}
