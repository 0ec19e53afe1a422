//! What a race needs of the machine is checked before anything is created: ports inside
//! the port range for every lane, and open files for the lanes asked (the soft limit is
//! raised when the hard one allows; else the race is refused, naming the limit).

use std::os::unix::process::CommandExt;

use crate::support::{Run, TestEnv};

/// `bakeoff args` with its open-files limit set to `soft`/`hard` from the start.
fn with_open_files(env: &TestEnv, args: &[&str], soft: u64, hard: u64) -> Run {
    let mut cmd = env.command(&env.repo, args);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: soft as libc::rlim_t,
                rlim_max: hard as libc::rlim_t,
            };
            match libc::setrlimit(libc::RLIMIT_NOFILE, &limit) {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        });
    }
    Run(cmd.output().unwrap())
}

fn lanes(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("l{i}=w")).collect()
}

fn race_args(lanes: &[String]) -> Vec<&str> {
    let mut args = vec!["race", "add a line"];
    for l in lanes {
        args.extend(["-a", l.as_str()]);
    }
    args
}

#[test]
fn lanes_whose_ports_run_past_the_last_port_are_refused() {
    let mut env = TestEnv::new();
    env.agent("w", "", "write x.txt x\\n\n");
    env.config("[worktree]\nport-base = 65000\n");
    let before = env.snapshot();
    let lanes = lanes(8);
    let run = env.bakeoff(&race_args(&lanes));
    run.expect(2);
    assert!(
        run.stderr().contains("past the last port (65535)"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("port-base to 64736 or less"),
        "{}",
        run.stderr()
    );
    assert_eq!(env.snapshot(), before);
    assert_eq!(env.races(), 0);
}

#[test]
fn a_hard_open_files_limit_too_low_for_the_lanes_is_refused_before_anything_is_made() {
    let mut env = TestEnv::new();
    env.agent("w", "", "write x.txt x\\n\n");
    let before = env.snapshot();
    let lanes = lanes(8);
    let run = with_open_files(&env, &race_args(&lanes), 100, 100);
    run.expect(2);
    let err = run.stderr();
    assert!(
        err.contains("8 lanes need about") && err.contains("may open 100"),
        "{err}"
    );
    assert!(err.contains("ulimit -n"), "{err}");
    assert_eq!(env.snapshot(), before);
    assert_eq!(env.races(), 0);
}

#[test]
fn a_low_soft_open_files_limit_is_raised_and_every_lane_runs() {
    let mut env = TestEnv::new();
    env.agent("w", "", "write x.txt x\\n\nsleep 300\n");
    let lanes = lanes(16);
    // 48 open files is fewer than sixteen lanes use at once.
    let run = with_open_files(&env, &race_args(&lanes), 48, 4096);
    run.expect(0);
    let failed: Vec<_> = env
        .events()
        .into_iter()
        .filter(|e| e["type"] == "lane-failed")
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(
        env.events().iter().filter(|e| e["type"] == "captured").count(),
        16
    );
}
