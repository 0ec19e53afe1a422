//! Asking an installed program for its version without letting it hang bakeoff: the
//! child reads nothing (stdin is `/dev/null`), runs in its own process group, and the
//! whole group is killed when it has not answered by the deadline.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// How long `PROGRAM --version` may take. Node-based CLIs need a second or two to start
/// on a cold cache; anything slower is stuck, not starting.
pub const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest version text kept; a CLI that prints a banner gets cut here.
const MAX_VERSION_CHARS: usize = 80;

/// Runs `program --version` and returns the first non-empty line it printed (stdout, else
/// stderr), or why there is none.
pub async fn version_of(program: &Path, timeout: Duration) -> Result<String, String> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Version banners in color would print escape codes into the report.
        .env("NO_COLOR", "1")
        .process_group(0)
        .kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| format!("cannot start it: {e}"))?;
    let group = child.id().and_then(|id| i32::try_from(id).ok());
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(out)) => {
            let line = first_line(&out.stdout).or_else(|| first_line(&out.stderr));
            match (out.status.success(), line) {
                (true, Some(line)) => Ok(line),
                (true, None) => Err("`--version` printed nothing".to_string()),
                (false, line) => Err(format!(
                    "`--version` failed ({}){}",
                    out.status,
                    line.map(|l| format!(": {l}")).unwrap_or_default()
                )),
            }
        }
        Ok(Err(e)) => Err(format!("`--version` could not be read: {e}")),
        Err(_) => {
            // Dropping the wait killed the leader; its children may still hold the
            // pipes, so the whole group goes.
            if let Some(group) = group {
                // SAFETY: killpg only sends a signal; a group that is already gone
                // yields ESRCH, which is fine.
                unsafe {
                    libc::killpg(group, libc::SIGKILL);
                }
            }
            Err(format!(
                "`--version` gave no answer within {}s",
                timeout.as_secs_f64()
            ))
        }
    }
}

/// The first non-empty line, trimmed, without escape sequences or other control
/// characters, cut to length.
fn first_line(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let clean = text
        .lines()
        .map(|l| strip_controls(l).trim().to_string())
        .find(|l| !l.is_empty())?;
    let mut cut: String = clean.chars().take(MAX_VERSION_CHARS).collect();
    if clean.chars().count() > MAX_VERSION_CHARS {
        cut.push('…');
    }
    Some(cut)
}

/// Drops ANSI CSI sequences (`ESC [ … final`) and every other control character.
fn strip_controls(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            // Parameters and intermediates, up to and including the final byte.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else if !c.is_control() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::time::Instant;

    use super::*;

    fn script(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn version_cases() {
        let tmp = tempfile::tempdir().unwrap();
        let rt = rt();
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("echo '  '; echo 'tool 1.2.3 (abc)'", Ok("tool 1.2.3 (abc)")),
            ("echo 'v9' >&2", Ok("v9")),
            ("printf '\\033[1m2.0\\033[0m\\n'", Ok("2.0")),
            ("true", Err("`--version` printed nothing")),
            (
                "echo 'unknown flag' >&2; exit 3",
                Err("`--version` failed (exit status: 3): unknown flag"),
            ),
            ("read x; echo \"got $x\"", Ok("got")),
        ];
        for (i, (body, want)) in cases.iter().enumerate() {
            let path = script(tmp.path(), &format!("t{i}"), body);
            let got = rt.block_on(version_of(&path, Duration::from_secs(5)));
            assert_eq!(got.as_deref().map_err(|e| e.as_str()), *want, "{body}");
        }
        let long = script(tmp.path(), "long", &format!("echo {}", "x".repeat(200)));
        let got = rt.block_on(version_of(&long, Duration::from_secs(5))).unwrap();
        assert_eq!(got.chars().count(), MAX_VERSION_CHARS + 1);
    }

    #[test]
    fn a_hanging_program_and_its_children_are_killed_at_the_deadline() {
        let tmp = tempfile::tempdir().unwrap();
        let marker = tmp.path().join("child-alive");
        // The child outlives its parent's death unless the whole group is killed.
        let path = script(
            tmp.path(),
            "hang",
            &format!("(sleep 2; touch {}) & sleep 30", marker.display()),
        );
        let start = Instant::now();
        let got = rt().block_on(version_of(&path, Duration::from_millis(300)));
        assert_eq!(got, Err("`--version` gave no answer within 0.3s".to_string()));
        assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
        std::thread::sleep(Duration::from_millis(2500));
        assert!(!marker.exists(), "a child of the program survived");
    }
}
