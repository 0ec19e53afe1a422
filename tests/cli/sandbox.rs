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
pub(crate) fn sandbox_here() -> bool {
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

/// A race of hostile lanes in the strict sandbox (the sandbox as a user gets it), each
/// running `body` as a shell script in its worktree with its output in `seen.txt`.
/// `{repo}`, `{home}` and `{spy}` in `body` stand for the user's checkout, the user's HOME
/// and a folder of the test the lanes may write (where a hook that ran would leave word).
struct Hostile {
    env: TestEnv,
    w: Witness,
    run: crate::support::Run,
    spy: std::path::PathBuf,
}

impl Hostile {
    fn race(lanes: &[&str], body: &str) -> Option<Hostile> {
        Hostile::race_with(lanes, body, |_| {})
    }

    /// [`race`](Self::race), with `prepare` run on the environment before the race.
    fn race_with(lanes: &[&str], body: &str, prepare: impl FnOnce(&TestEnv)) -> Option<Hostile> {
        if !sandbox_here() {
            return None;
        }
        let mut env = TestEnv::new();
        env.strict_sandbox();
        let w = Witness::new(&mut env);
        prepare(&env);
        let spy = w.dump("agent").parent().unwrap().to_path_buf();
        let body = body
            .replace("{repo}", &env.repo.display().to_string())
            .replace("{home}", &env.home.display().to_string())
            .replace("{spy}", &spy.display().to_string());
        let script = spy.join("hostile.sh");
        std::fs::write(
            &script,
            format!(
                "env > {}\nexec > seen.txt 2>&1\n{body}\necho one >> src/lib.txt\n",
                w.dump("agent").display()
            ),
        )
        .unwrap();
        let mut config = String::new();
        let mut args = vec!["race", "add a line"];
        for lane in lanes {
            config += &format!(
                "[agents.{lane}]\nadapter = \"command\"\nmodel = \"m\"\ncommand = [\"sh\", \"{}\"]\n",
                script.display()
            );
            args.extend(["-a", lane]);
        }
        config += &format!("[sandbox]\nmode = \"on\"\nwrite = [\"{}\"]\n", spy.display());
        env.config(&config);
        let run = env.bakeoff(&args);
        run.expect(0);
        assert_eq!(race_json(&env)["sandbox"]["active"], true);
        Some(Hostile { env, w, run, spy })
    }

    /// What `lane` printed.
    fn seen(&self, lane: &str) -> String {
        std::fs::read_to_string(self.env.worktree_of(lane).join("seen.txt")).unwrap()
    }

    /// The user's checkout, keys and records are as they were, the lane was not marked
    /// as a breach (it changed nothing it could not), and no canary left the race.
    #[track_caller]
    fn assert_nothing_reached(&self, lanes: &[&str]) {
        self.w.assert_untouched(&self.env);
        self.w.assert_no_secret_in(&[&self.run], &[]);
        assert!(!self.w.spied("agent").contains("canary-witness"));
        for lane in lanes {
            assert!(self.env.lane_events(lane, "breached").is_empty(), "{lane}");
            let captured = &self.env.lane_events(lane, "captured")[0]["capture"];
            assert!(
                captured["files"].to_string().contains("src/lib.txt"),
                "{captured}"
            );
        }
    }
}

#[test]
fn a_sandboxed_lane_cannot_read_or_write_the_users_checkout() {
    let body = "cat {repo}/README.md {repo}/.env {repo}/notes/draft.txt && echo read the checkout\n\
                echo planted > {repo}/planted.txt\n\
                echo appended >> {repo}/README.md\n\
                rm -f {repo}/src/lib.txt\n";
    let Some(h) = Hostile::race(&["hostile"], body) else {
        return;
    };
    let seen = h.seen("hostile");
    for leak in ["# sample", "canary-", "the user's", "read the checkout"] {
        assert!(!seen.contains(leak), "the lane saw {leak:?}:\n{seen}");
    }
    assert!(!h.env.repo.join("planted.txt").exists());
    h.assert_nothing_reached(&["hostile"]);
}

#[test]
fn a_sandboxed_lane_cannot_read_a_key_in_the_users_home() {
    let body = "cat {home}/.ssh/id_canary && echo read the key\n\
                ls -a {home} {home}/.ssh\n";
    let Some(h) = Hostile::race_with(&["hostile"], body, |env| {
        std::fs::create_dir_all(env.home.join(".ssh")).unwrap();
        std::fs::write(env.home.join(".ssh/id_canary"), "canary-home-key-5101\n").unwrap();
    }) else {
        return;
    };
    let seen = h.seen("hostile");
    assert!(
        !seen.contains("canary-home-key") && !seen.contains("read the key"),
        "{seen}"
    );
    assert!(
        !seen.contains("id_canary\n"),
        "the lane listed the user's .ssh:\n{seen}"
    );
    assert_eq!(
        std::fs::read_to_string(h.env.home.join(".ssh/id_canary")).unwrap(),
        "canary-home-key-5101\n"
    );
    h.assert_nothing_reached(&["hostile"]);
}

#[test]
fn a_sandboxed_lane_cannot_write_the_users_home_but_has_a_home_of_its_own() {
    let body = "echo planted > {home}/planted.txt\n\
                mkdir -p {home}/.config/autostart && echo planted > {home}/.config/autostart/x.desktop\n\
                echo mine > \"$HOME/mine.txt\" && echo wrote its own home\n";
    let Some(h) = Hostile::race(&["hostile"], body) else {
        return;
    };
    let seen = h.seen("hostile");
    assert!(seen.contains("wrote its own home"), "{seen}");
    assert!(!h.env.home.join("planted.txt").exists());
    assert!(!h.env.home.join(".config/autostart").exists());
    h.assert_nothing_reached(&["hostile"]);
}

#[test]
fn a_sandboxed_lane_cannot_read_another_lanes_worktree() {
    // Each lane leaves a canary in its worktree, waits for the other to do the same, and
    // then reads every sibling worktree it can find, by path and through git.
    let body = "echo canary-lane-$BAKEOFF_LANE > lane-canary.txt\n\
                sleep 0.5\n\
                cat ../*/lane-canary.txt \"$(dirname \"$PWD\")\"/*/lane-canary.txt\n\
                git worktree list\n\
                for w in $(git worktree list --porcelain | sed -n 's/^worktree //p'); do cat \"$w/lane-canary.txt\"; done\n\
                rm -f lane-canary.txt\n";
    let Some(h) = Hostile::race(&["one", "two"], body) else {
        return;
    };
    for (lane, other) in [("one", "two"), ("two", "one")] {
        let seen = h.seen(lane);
        assert!(
            !seen.contains(&format!("canary-lane-{other}")),
            "{lane} read {other}'s worktree:\n{seen}"
        );
    }
    h.assert_nothing_reached(&["one", "two"]);
}

#[test]
fn a_sandboxed_lane_cannot_repoint_its_git_at_the_users_repository() {
    let body = "printf 'gitdir: {repo}/.git\\n' > .git || echo cannot rewrite .git\n\
                git --git-dir={repo}/.git update-ref refs/heads/forged HEAD\n\
                GIT_DIR={repo}/.git git -c user.name=x -c user.email=x@x commit -q --allow-empty -m forged\n\
                git -c user.name=x -c user.email=x@x checkout -q -b mine && git add -A && \
                git -c user.name=x -c user.email=x@x commit -q -m mine && echo committed in the lane\n";
    let Some(h) = Hostile::race(&["hostile"], body) else {
        return;
    };
    let seen = h.seen("hostile");
    assert!(seen.contains("cannot rewrite .git"), "{seen}");
    // Git works in the lane, on git state of its own that nothing reads back.
    assert!(seen.contains("committed in the lane"), "{seen}");
    assert!(h
        .env
        .git(&["branch", "--list", "mine", "forged"])
        .trim()
        .is_empty());
    let dot_git = std::fs::read_to_string(h.env.worktree_of("hostile").join(".git")).unwrap();
    assert!(dot_git.contains(".git/worktrees/"), "{dot_git}");
    h.assert_nothing_reached(&["hostile"]);
}

#[test]
fn hooks_a_sandboxed_lane_plants_never_run() {
    // Hooks in the user's git dir, in the git dir the lane's git names, and a hooks path
    // in either config; then the lane is merged, which is when a planted hook would run.
    let body = "hook='#!/bin/sh\ntouch {spy}/hook-ran\n'\n\
                for d in {repo}/.git/hooks \"$(git rev-parse --git-common-dir)/hooks\"; do\n\
                  mkdir -p \"$d\"; for h in pre-commit post-commit post-merge post-checkout reference-transaction; do\n\
                    printf \"$hook\" > \"$d/$h\"; chmod +x \"$d/$h\"; done; done\n\
                git config core.hooksPath {spy}\n\
                git config --file {repo}/.git/config core.hooksPath {spy}\n\
                printf \"$hook\" > {spy}/post-merge; chmod +x {spy}/post-merge\n";
    let Some(h) = Hostile::race(&["hostile"], body) else {
        return;
    };
    h.assert_nothing_reached(&["hostile"]);
    let hooks = std::fs::read_dir(h.env.repo.join(".git/hooks"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    assert!(hooks.iter().all(|f| f.ends_with(".sample")), "{hooks:?}");
    let config = std::fs::read_to_string(h.env.repo.join(".git/config")).unwrap();
    assert!(!config.contains("hooksPath"), "{config}");
    h.env.bakeoff(&["merge"]).expect(0);
    assert!(!h.spy.join("hook-ran").exists(), "a planted hook ran");
}

#[test]
fn a_sandboxed_lane_cannot_forge_the_races_records() {
    let body = "ls \"$BAKEOFF_RACE_DIR\" && cat \"$BAKEOFF_RACE_DIR/race.json\"\n\
                echo forged >> \"$BAKEOFF_RACE_DIR/events.jsonl\"\n\
                ls {repo}/.git/bakeoff/races\n";
    let Some(h) = Hostile::race(&["hostile"], body) else {
        return;
    };
    let seen = h.seen("hostile");
    assert!(!seen.contains("\"lanes\""), "the lane read race.json:\n{seen}");
    let events = std::fs::read_to_string(h.env.last_race_dir().join("events.jsonl")).unwrap();
    assert!(!events.contains("forged"));
    h.assert_nothing_reached(&["hostile"]);
}

#[test]
fn a_sandboxed_lane_cannot_reach_the_hosts_loopback() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let body = format!(
        "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), 2); print(\"reached the host\")' || echo no way out\n"
    );
    let Some(h) = Hostile::race(&["hostile"], &body) else {
        return;
    };
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err(), "the lane reached the host's loopback");
    let seen = h.seen("hostile");
    assert!(seen.contains("no way out"), "{seen}");
    h.assert_nothing_reached(&["hostile"]);
}

#[test]
fn a_setsid_daemon_dies_with_its_lane() {
    let body = "setsid sh -c 'echo $$ > daemon.pid; exec sleep 3517' &\n\
                nohup setsid sh -c 'exec sleep 3518' > /dev/null 2>&1 &\n\
                sleep 0.2\n";
    let Some(h) = Hostile::race(&["hostile"], body) else {
        return;
    };
    assert!(
        h.env.worktree_of("hostile").join("daemon.pid").exists(),
        "{}",
        h.seen("hostile")
    );
    let leftover = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .any(|c| {
            let c = String::from_utf8_lossy(&c);
            c.contains("sleep\u{0}3517") || c.contains("sleep\u{0}3518")
        });
    assert!(!leftover, "the lane's setsid daemon outlived it");
    h.assert_nothing_reached(&["hostile"]);
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
         except Exception as e:\n    print('refused:', e)\n\
         import os, urllib.parse\n\
         proxy = urllib.parse.urlsplit(os.environ['HTTPS_PROXY'])\n\
         s = socket.create_connection((proxy.hostname, proxy.port), 5)\n\
         s.sendall(b'CONNECT 127.0.0.1:{o} HTTP/1.1\\r\\nHost: 127.0.0.1:{o}\\r\\n\\r\\n')\n\
         print('through the proxy:', s.recv(12))\n"
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
    // Asked of the proxy itself, the other loopback port is refused and logged too.
    assert!(seen.contains("through the proxy: b'HTTP/1.1 403'"), "{seen}");
    assert!(
        refused.iter().any(|r| r["host"] == "127.0.0.1" && r["port"] == o),
        "{log}"
    );
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
