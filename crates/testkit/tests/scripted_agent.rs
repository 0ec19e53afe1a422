//! The `scripted-agent` binary as a lane runs it: a script's edits land in the current
//! directory, its exit code is the script's, and bad usage is refused with exit 2. (Also
//! makes `cargo test --workspace` build the binary the CLI tests race.)

use std::process::Command;

const EXE: &str = env!("CARGO_BIN_EXE_scripted-agent");

#[test]
fn runs_a_script_in_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.script");
    std::fs::write(&script, "write out.txt hello\\n\nexit 3\n").unwrap();
    let spec = dir.path().join("spec.md");
    std::fs::write(&spec, "the task").unwrap();
    let out = Command::new(EXE)
        .arg("--script")
        .arg(&script)
        .arg(&spec)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.txt")).unwrap(),
        "hello\n"
    );
}

#[test]
fn bad_usage_exits_2() {
    let out = Command::new(EXE).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: scripted-agent"));
    let out = Command::new(EXE)
        .args(["--script", "/nonexistent/s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/s"));
}
