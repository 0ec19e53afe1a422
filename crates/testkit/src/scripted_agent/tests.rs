//! Tests of the scripted agent: parsing, every file step in a temp dir, output steps and
//! the record formats.

use std::path::Path;

use serde_json::Value;

use super::script::{parse, unescape, Step};
use super::steps::{binary_byte, Runner};
use super::*;

/// The result of running a script in a directory: exit code or failing line, and output.
struct Outcome {
    code: Result<i32, (usize, String)>,
    stdout: String,
    stderr: String,
}

fn run_in(dir: &Path, script: &str, spec: Option<&Path>) -> Outcome {
    let steps = parse(script).expect("script parses");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = Runner::in_dir(dir.to_path_buf(), spec, &steps, &mut out, &mut err)
        .run_all(&steps)
        .map_err(|e| (e.line, e.problem));
    Outcome {
        code,
        stdout: String::from_utf8(out).expect("utf-8 stdout"),
        stderr: String::from_utf8(err).expect("utf-8 stderr"),
    }
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

#[test]
fn parse_errors_name_the_line() {
    let cases = [
        ("frobnicate x", 1, "unknown step `frobnicate`"),
        ("# comment\n\n  write", 3, "missing PATH"),
        ("say ok\nsleep soon", 2, "bad MS `soon`"),
        ("chmod f 999", 1, "bad mode `999`"),
        ("delete a b", 1, "unexpected extra argument `b`"),
        ("usage claude 1 2", 1, "missing OUTPUT_TOKENS"),
        ("usage klaude 1 2 3", 1, "unknown format `klaude`"),
        ("usage claude 1 2 3 -0.5", 1, "bad cost `-0.5`"),
        ("say bad \\q escape", 1, "unknown escape `\\q`"),
        ("replace f \\s", 1, "missing TO"),
        ("flood 10 sideways", 1, "bad flood mode `sideways`"),
        ("git", 1, "git needs arguments"),
        ("exit 1.5", 1, "bad CODE `1.5`"),
    ];
    for (script, line, problem) in cases {
        let err = parse(script).expect_err(script);
        assert_eq!(err.line, line, "{script}");
        assert!(err.problem.contains(problem), "{script}: {}", err.problem);
    }
}

#[test]
fn text_arguments_take_the_rest_of_the_line_with_escapes() {
    let steps = parse("write a/b.txt  two  words\\n\\tand \\\\ # not a comment\nsay\n").expect("parses");
    assert_eq!(
        steps[0].step,
        Step::Write {
            path: "a/b.txt".into(),
            text: "two  words\n\tand \\ # not a comment".into()
        }
    );
    assert_eq!(steps[1].step, Step::Say { text: String::new() });
    assert_eq!(steps[1].number, 2);
    assert_eq!(unescape("a\\sb").as_deref(), Ok("a b"));
    assert!(unescape("trailing\\").is_err());
}

#[test]
fn progress_tells_cost_from_action() {
    let steps = parse(
        "progress claude 1 10 20 0.5 cargo test --all\nprogress codex 2 1 1 ls -la\nprogress aider 3 1 1 - x",
    )
    .expect("parses");
    let expect = [
        (Some(0.5), Some("cargo test --all")),
        (None, Some("ls -la")),
        (None, Some("x")),
    ];
    for (line, (cost, action)) in steps.iter().zip(expect) {
        match &line.step {
            Step::Progress(p) => {
                assert_eq!(p.cost, cost);
                assert_eq!(p.action.as_deref(), action);
            }
            other => panic!("not progress: {other:?}"),
        }
    }
}

#[test]
fn file_steps_edit_the_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = "\
write src/lib.rs fn main() {}\\n
append src/lib.rs // more\\n
replace src/lib.rs main run
mkdir empty/nested
write old.txt old
rename old.txt moved/new.txt
chmod src/lib.rs 755
binary data.bin 300
symlink src/lib.rs link.rs
write gone/file x
delete gone
write gone.txt x
delete gone.txt
";
    let outcome = run_in(dir.path(), script, None);
    assert_eq!(outcome.code, Ok(0));
    let root = dir.path();
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).expect("lib.rs");
    assert_eq!(lib, "fn run() {}\n// more\n");
    assert!(root.join("empty/nested").is_dir());
    assert!(!root.join("old.txt").exists());
    assert_eq!(
        std::fs::read_to_string(root.join("moved/new.txt")).expect("moved"),
        "old"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(root.join("src/lib.rs"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755);
    let bin = std::fs::read(root.join("data.bin")).expect("data.bin");
    assert_eq!(bin.len(), 300);
    assert_eq!(bin[0], 0);
    assert!(bin[1] >= 0x80);
    assert!(bin.iter().enumerate().all(|(i, b)| *b == binary_byte(i as u64)));
    assert_eq!(
        std::fs::read_link(root.join("link.rs")).expect("link"),
        Path::new("src/lib.rs")
    );
    assert!(!root.join("gone").exists() && !root.join("gone.txt").exists());
}

#[test]
fn failing_steps_report_their_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("f.txt"), "hello world").expect("seed");
    let outcome = run_in(dir.path(), "say hi\nreplace f.txt absent\\sword x", None);
    let (line, problem) = outcome.code.expect_err("replace fails");
    assert_eq!(line, 2);
    assert!(problem.contains("`absent word` not found"), "{problem}");
    assert_eq!(outcome.stdout, "hi\n");

    let (line, problem) = run_in(dir.path(), "delete nothing-here", None)
        .code
        .expect_err("delete fails");
    assert_eq!(line, 1);
    assert!(problem.contains("nothing-here"), "{problem}");

    let (_, problem) = run_in(dir.path(), "copy-spec spec.md", None)
        .code
        .expect_err("no spec");
    assert!(problem.contains("no spec file"), "{problem}");
}

#[test]
fn output_and_exit_steps() {
    let dir = tempfile::tempdir().expect("temp dir");
    let outcome = run_in(dir.path(), "say out\nstderr err\\tx\nexit 7\nsay never", None);
    assert_eq!(outcome.code, Ok(7));
    assert_eq!(
        (outcome.stdout.as_str(), outcome.stderr.as_str()),
        ("out\n", "err\tx\n")
    );

    let outcome = run_in(dir.path(), "fail broke it\nsay never", None);
    assert_eq!(outcome.code, Ok(1));
    assert_eq!(
        (outcome.stdout.as_str(), outcome.stderr.as_str()),
        ("", "broke it\n")
    );

    let outcome = run_in(dir.path(), "sleep 1\nflood 250", None);
    assert_eq!(outcome.stdout.len(), 250);
    assert_eq!(outcome.stdout.lines().next().map(str::len), Some(99));
    assert_eq!(outcome.stdout.matches('\n').count(), 2);
    let outcome = run_in(dir.path(), "flood 150000 nolines", None);
    assert_eq!(outcome.stdout.len(), 150_000);
    assert!(!outcome.stdout.contains('\n'));
}

#[test]
fn copy_spec_copies_the_spec() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("task.md");
    std::fs::write(&spec, "# Fix it\n").expect("spec");
    let outcome = run_in(dir.path(), "copy-spec out/SPEC_SEEN.md", Some(&spec));
    assert_eq!(outcome.code, Ok(0));
    let copied = std::fs::read_to_string(dir.path().join("out/SPEC_SEEN.md")).expect("copy");
    assert_eq!(copied, "# Fix it\n");
}

#[test]
fn git_steps_commit_without_global_config() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script =
        "git init -q -b main\nwrite a.txt a\ngit add -A\ngit commit -q -m first\ngit no-such-command";
    let outcome = run_in(dir.path(), script, None);
    let (line, problem) = outcome.code.expect_err("last git fails");
    assert_eq!(line, 5);
    assert!(problem.contains("git no-such-command"), "{problem}");
    assert!(outcome.stdout.is_empty(), "git output goes to stderr");
    let log = std::process::Command::new("git")
        .args(["log", "--format=%an <%ae> %s"])
        .current_dir(dir.path())
        .output()
        .expect("git log");
    assert_eq!(
        String::from_utf8_lossy(&log.stdout),
        "scripted-agent <agent@bakeoff.invalid> first\n"
    );
}

#[test]
fn linger_leaves_a_child_and_records_its_pid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let outcome = run_in(dir.path(), "linger pids/sleep.pid 30", None);
    assert_eq!(outcome.code, Ok(0));
    let pid: i32 = std::fs::read_to_string(dir.path().join("pids/sleep.pid"))
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    // SAFETY: signal 0 only checks that the process exists.
    assert_eq!(unsafe { libc::kill(pid, 0) }, 0, "the lingering child runs");
    // SAFETY: the pid is the `sleep` this test started; it is reaped by the runtime or init.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

#[test]
fn linger_setsid_leaves_a_child_in_a_session_of_its_own() {
    let dir = tempfile::tempdir().expect("temp dir");
    let outcome = run_in(dir.path(), "linger setsid sleep.pid 30", None);
    assert_eq!(outcome.code, Ok(0));
    let pid: i32 = std::fs::read_to_string(dir.path().join("sleep.pid"))
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    // SAFETY: getsid and getpgid only read the process's ids.
    let (sid, pgid) = unsafe { (libc::getsid(pid), libc::getpgid(pid)) };
    // SAFETY: the pid is the `sleep` this test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    assert_eq!(
        (sid, pgid),
        (pid, pid),
        "the child leads its own session and group"
    );
}

#[test]
fn claude_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = "progress claude 1 100 20\nprogress claude 2 150 30 0.01 cargo test\nusage claude 2 250 50 0.0375 sess-1";
    let outcome = run_in(dir.path(), script, None);
    let lines = json_lines(&outcome.stdout);
    let kinds: Vec<&str> = lines.iter().filter_map(|l| l["type"].as_str()).collect();
    assert_eq!(kinds, ["system", "assistant", "assistant", "user", "result"]);
    assert!(outcome.stdout.starts_with("{\"type\":\"system\""));
    assert_eq!(lines[0]["session_id"], "sess-1");
    assert_eq!(lines[1]["message"]["usage"]["input_tokens"], 100);
    assert_eq!(lines[1]["message"]["usage"]["output_tokens"], 20);
    assert_eq!(lines[2]["message"]["content"][0]["type"], "tool_use");
    assert_eq!(
        lines[2]["message"]["content"][0]["input"]["command"],
        "cargo test"
    );
    let result = &lines[4];
    assert_eq!(result["subtype"], "success");
    assert_eq!(result["is_error"], false);
    assert_eq!(result["num_turns"], 2);
    assert_eq!(result["total_cost_usd"], 0.0375);
    assert_eq!(result["usage"]["input_tokens"], 250);
    assert_eq!(result["usage"]["output_tokens"], 50);
    assert_eq!(result["session_id"], "sess-1");
    assert!(result["result"].is_string());
}

#[test]
fn codex_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = "progress codex 1 10 10\nprogress codex 2 10 10 ls\nusage codex 2 300 40 - th-9";
    let lines = json_lines(&run_in(dir.path(), script, None).stdout);
    let kinds: Vec<&str> = lines.iter().filter_map(|l| l["type"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "thread.started",
            "turn.started",
            "item.completed",
            "item.started",
            "item.completed",
            "item.completed",
            "turn.completed"
        ]
    );
    assert_eq!(lines[0]["thread_id"], "th-9");
    assert_eq!(lines[2]["item"]["id"], "item_0");
    assert_eq!(lines[2]["item"]["type"], "agent_message");
    assert_eq!(lines[4]["item"]["type"], "command_execution");
    assert_eq!(lines[4]["item"]["command"], "ls");
    assert_eq!(lines[4]["item"]["exit_code"], 0);
    let usage = &lines[6]["usage"];
    assert_eq!(
        (usage["input_tokens"].as_u64(), usage["output_tokens"].as_u64()),
        (Some(300), Some(40))
    );
    assert_eq!(usage["cached_input_tokens"], 0);
    assert!(lines.iter().all(|l| l.get("total_cost_usd").is_none()));
}

#[test]
fn gemini_prints_one_object_at_the_end() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stdout = run_in(dir.path(), "progress gemini 1 5 5\nusage gemini 3 1000 200", None).stdout;
    let value: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert!(value["response"].is_string());
    let models = value["stats"]["models"].as_object().expect("models");
    assert_eq!(models.len(), 1);
    let model = models.values().next().expect("a model");
    assert_eq!(model["api"]["totalRequests"], 3);
    assert_eq!(model["tokens"]["prompt"], 1000);
    assert_eq!(model["tokens"]["candidates"], 200);
    assert_eq!(model["tokens"]["total"], 1200);
}

#[test]
fn qwen_prints_a_claude_like_result() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stdout = run_in(dir.path(), "progress qwen 1 5 5\nusage qwen 4 10 20", None).stdout;
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["type"], "result");
    assert_eq!(lines[0]["is_error"], false);
    assert_eq!(lines[0]["num_turns"], 4);
    assert_eq!(lines[0]["usage"]["output_tokens"], 20);
    assert!(lines[0].get("total_cost_usd").is_none());
}

#[test]
fn opencode_step_finishes_sum_to_the_totals() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = "progress opencode 1 100 10 0.25 ls\nusage opencode 2 300 30 1.0 ses_x";
    let lines = json_lines(&run_in(dir.path(), script, None).stdout);
    let finishes: Vec<&Value> = lines.iter().filter(|l| l["type"] == "step_finish").collect();
    assert_eq!(finishes.len(), 2);
    let sum = |f: &dyn Fn(&Value) -> f64| finishes.iter().map(|l| f(&l["part"])).sum::<f64>();
    assert_eq!(sum(&|p| p["tokens"]["input"].as_f64().unwrap_or(-1.0)), 300.0);
    assert_eq!(sum(&|p| p["tokens"]["output"].as_f64().unwrap_or(-1.0)), 30.0);
    assert_eq!(sum(&|p| p["cost"].as_f64().unwrap_or(-1.0)), 1.0);
    assert!(lines
        .iter()
        .any(|l| l["type"] == "tool_use" && l["part"]["state"]["input"]["command"] == "ls"));
    assert!(lines.iter().all(|l| l["sessionID"] == "ses_x"));
}

#[test]
fn aider_token_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = "progress aider 1 2100 215 0.0096\nusage aider 2 14600 1215 0.0196\nusage aider 1 5 6";
    let stdout = run_in(dir.path(), script, None).stdout;
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "Tokens: 2.1k sent, 215 received. Cost: $0.0096 message, $0.0096 session.",
            "Tokens: 12k sent, 1.0k received. Cost: $0.01 message, $0.02 session.",
            "Tokens: 0 sent, 0 received.",
        ]
    );
}

#[test]
fn run_reads_parses_then_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.txt");
    let err = run(&missing, None).expect_err("missing script");
    assert!(err.to_string().contains("missing.txt"), "{err}");

    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "exit 0\n\nwibble\n").expect("script");
    let err = run(&bad, None).expect_err("bad script");
    assert_eq!(
        err.to_string(),
        format!("{}:3: unknown step `wibble`", bad.display())
    );

    let good = dir.path().join("good.txt");
    std::fs::write(&good, "# nothing but an exit\nexit 7\n").expect("script");
    assert_eq!(run(&good, None).expect("runs"), 7);
}

#[test]
fn env_dump_appends_the_environment_it_was_given() {
    let dir = tempfile::tempdir().expect("temp dir");
    let outcome = run_in(dir.path(), "env-dump seen/env.txt\nenv-dump seen/env.txt", None);
    assert_eq!(outcome.code, Ok(0));
    let dump = std::fs::read_to_string(dir.path().join("seen/env.txt")).expect("dump");
    let path = format!("PATH={}\n", std::env::var("PATH").unwrap_or_default());
    assert_eq!(dump.matches(&path).count(), 2, "{dump}");
}
