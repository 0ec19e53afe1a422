//! Every process a lane starts ends with the lane, wherever its process group: an agent's
//! or a check's child that called `setsid` is found by the marker in its environment and
//! killed when its parent ends, and `resume` kills what a crashed run left. Each test
//! runs under a [`Witness`].

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::resume::{alive, race_processes, wait_dead, wait_for_pid};
use crate::support::TestEnv;
use crate::witness::Witness;

fn race_id(env: &TestEnv) -> String {
    env.last_race_dir()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

/// A check that leaves `sleep 300` in a session of its own, its pid in `pidfile`.
fn setsid_check(pidfile: &std::path::Path) -> String {
    format!(
        "setsid sh -c 'echo $$ > {}; exec sleep 300' </dev/null >/dev/null 2>&1 &\n\
         while [ ! -s {0} ]; do sleep 0.05; done\ntrue",
        pidfile.display()
    )
}

#[test]
fn an_agents_setsid_child_ends_with_the_race() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    let pidfile = env.root().join("setsid.pid");
    env.agent(
        "daemon",
        "",
        &format!(
            "{}linger setsid {} 300\nwrite a.txt x\\n\n",
            w.agent_spy("daemon"),
            pidfile.display()
        ),
    );
    let run = env.bakeoff(&["race", "--sandbox", "off", "leave a daemon", "-a", "daemon"]);
    run.expect(0);
    let pid = wait_for_pid(&pidfile);
    wait_dead(pid);
    assert_eq!(race_processes(&env, &race_id(&env)), Vec::<u32>::new());
    w.assert_untouched(&env);
    w.spied("daemon");
    w.assert_no_secret(&env, &[&run], &[]);
}

#[test]
fn a_checks_setsid_child_ends_with_the_race() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    let pidfile = env.root().join("check.pid");
    env.agent(
        "plain",
        "",
        &format!("{}write a.txt x\\n\n", w.agent_spy("plain")),
    );
    let check = w.check_spy(&setsid_check(&pidfile));
    let run = env.bakeoff(&[
        "race",
        "--sandbox",
        "off",
        "a check leaves a daemon",
        "-a",
        "plain",
        "--check",
        &check,
    ]);
    run.expect(0);
    let pid = wait_for_pid(&pidfile);
    wait_dead(pid);
    assert_eq!(race_processes(&env, &race_id(&env)), Vec::<u32>::new());
    w.assert_untouched(&env);
    w.spied("plain");
    w.spied("check");
    w.assert_no_secret(&env, &[&run], &[]);
}

#[test]
fn resume_kills_what_a_crashed_runs_agent_and_check_left_in_other_sessions() {
    let mut env = TestEnv::new();
    let w = Witness::new(&mut env);
    let agent_pid = env.root().join("agent-setsid.pid");
    let check_pid = env.root().join("check-setsid.pid");
    let flag = env.root().join("crashed.flag");
    env.agent(
        "done",
        "",
        &format!(
            "{}linger setsid {} 300\nwrite done.txt x\\n\n",
            w.agent_spy("done"),
            agent_pid.display()
        ),
    );
    // The first time, the check leaves a daemon and hangs (bakeoff is killed meanwhile);
    // after the resume it passes at once.
    let check = w.check_spy(&format!(
        "if [ -f {flag} ]; then test -f done.txt; else touch {flag}; {}; sleep 30; fi",
        setsid_check(&check_pid).replace('\n', "; ").replace("&;", "&"),
        flag = flag.display()
    ));
    // The crashed run's output goes to a file under the test's root, where the witness
    // searches for canaries; its errors are read for progress.
    let out = std::fs::File::create(env.root().join("crashed.stdout")).unwrap();
    let mut child = env
        .command(
            &env.repo,
            &[
                "race",
                "--sandbox",
                "off",
                "crash",
                "-a",
                "done",
                "--check",
                &check,
            ],
        )
        .stderr(Stdio::piped())
        .stdout(out)
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut crashed_errors = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        crashed_errors.push_str(&line);
        crashed_errors.push('\n');
        if line.contains("[done] check") {
            break;
        }
    }
    let (agent_left, check_left) = (wait_for_pid(&agent_pid), wait_for_pid(&check_pid));
    // The agent's daemon was killed when the agent ended; the check's still runs.
    wait_dead(agent_left);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
    assert!(alive(check_left), "the check's daemon outlived the crash");
    let id = race_id(&env);
    assert!(race_processes(&env, &id).contains(&check_left));

    let run = env.bakeoff(&["resume", "last"]);
    run.expect(0);
    wait_dead(check_left);
    assert!(
        run.stderr().contains("process(es) of the race left running"),
        "{}",
        run.stderr()
    );
    assert_eq!(race_processes(&env, &id), Vec::<u32>::new());
    w.assert_untouched(&env);
    w.spied("done");
    w.spied("check");
    std::fs::write(env.root().join("crashed.stderr"), crashed_errors).unwrap();
    w.assert_no_secret(&env, &[&run], &[]);
}
