//! Headless Chromium for the tests of bakeoff's HTML pages (the bench's report, the
//! race's report): run it on a page, read what the page printed to its console, take a
//! screenshot, dump the DOM. `scripts/install-chromium.sh` installs it; a machine without
//! it fails the tests that need it, with that hint, rather than skipping them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a headless Chromium run printed and made.
pub struct Run {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs Chromium headless on `page` with `args`, with its own profile in `dir` and its
/// output in files (a full pipe cannot stall it), killed after a minute.
pub fn chromium(dir: &Path, page: &Path, args: &[String]) -> Run {
    let (out_path, err_path) = (dir.join("chromium.stdout"), dir.join("chromium.stderr"));
    // Chromium 148's `--headless` is the new headless mode, the only one it has.
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run chromium ({e}): run scripts/install-chromium.sh to install it")
        });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within a minute on {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        status,
        stdout: std::fs::read_to_string(out_path).unwrap(),
        stderr: std::fs::read_to_string(err_path).unwrap(),
    }
}

/// The page's console messages in Chromium's log: `[…:INFO:CONSOLE:6] "x", source:
/// file:///…/page.html (6)`. Chromium logs every level (log, warn, error, uncaught
/// exceptions) at INFO with no level of its own, so a page that must not complain must
/// print nothing at all.
pub fn console_messages(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE:") && l.contains("\", source: "))
        .collect()
}

/// A 1280×2000 screenshot of `page`, as `dir/shot.png`.
pub fn screenshot(dir: &Path, page: &Path) -> (Run, PathBuf) {
    let png = dir.join("shot.png");
    let run = chromium(
        dir,
        page,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2000".into(),
        ],
    );
    (run, png)
}

/// A script that, put before everything else in a page, turns every dialog the page
/// opens (`alert`, `confirm`, `prompt`) into a console message, which
/// [`console_messages`] then shows: headless Chromium dismisses dialogs silently.
pub const DIALOG_WATCH: &str = "<script>(function(){['alert','confirm','prompt'].forEach(function(n){\
window[n]=function(m){console.error('dialog '+n+': '+m);};});})();</script>";

/// `html` with [`DIALOG_WATCH`] as the first thing in its `<head>` (or at its very start).
pub fn watching_dialogs(html: &str) -> String {
    match html.find("<head>") {
        Some(at) => {
            let at = at + "<head>".len();
            format!("{}{DIALOG_WATCH}{}", &html[..at], &html[at..])
        }
        None => format!("{DIALOG_WATCH}{html}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The console check is worth something only if it catches a page that complains:
    /// an error logged, an exception thrown and a dialog opened each show.
    #[test]
    fn the_console_check_catches_a_broken_page() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("broken.html");
        std::fs::write(
            &page,
            watching_dialogs(
                "<!DOCTYPE html>\n<html><head></head><body>\n<p>broken</p>\n<script>\nconsole.error(\"x\");\nalert(1);\nnull.f();\n</script>\n</body></html>\n",
            ),
        )
        .unwrap();
        let (run, _) = screenshot(dir.path(), &page);
        assert!(run.status.success(), "chromium failed: {}", run.stderr);
        let messages = console_messages(&run.stderr);
        assert_eq!(messages.len(), 3, "{}", run.stderr);
        assert!(
            messages[0].contains(":CONSOLE:5] \"x\", source: file://"),
            "{messages:?}"
        );
        assert!(messages[1].contains("dialog alert: 1"), "{messages:?}");
        assert!(messages[2].contains("Uncaught TypeError"), "{messages:?}");
    }
}
