//! The live display as a person sees it: a real race in a pseudo-terminal of a given
//! size, its output fed chunk by chunk into a terminal emulator (vt100), and every
//! screen state checked: no lane line, summary line or table line wraps, and at the end
//! every lane is on the screen by name or counted in the summary line.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::TestEnv;

/// A pseudo-terminal of `rows` × `cols`: (master, slave).
fn open_pty(rows: u16, cols: u16) -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors into the pointers it is given and reads the
    // window size; the name and termios pointers may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// What the terminal showed of one race.
struct Screens {
    /// Every row that went by, scrollback first, as the final screen left them.
    transcript: Vec<String>,
    /// How many screen states were checked.
    states: usize,
    /// All the bytes drawn, escape codes included.
    raw: String,
    code: i32,
}

/// A window resized while the race runs: to `rows` × `cols`, at the first screen state
/// `when` holds for.
///
/// `planned` is text that only a frame planned for the new size draws. The program reads
/// the size when it plans a frame, so frames planned before the resize can still be on
/// their way (in the pseudo-terminal's buffer, or being written) when the window
/// changes; a terminal shows those at the old size until the next redraw, and they say
/// nothing about whether the program plans for the new one. The emulator therefore takes
/// the new size where the program's first frame for it begins to show `planned`: what
/// came before is checked at the old size, everything after at the new one, so a frame
/// drawn at the old width after the program saw the new size still fails the checks.
struct Resize {
    rows: u16,
    cols: u16,
    when: fn(&vt100::Screen) -> bool,
    planned: &'static str,
}

/// Sets the terminal's size, as a terminal window does when the user resizes it.
fn set_pty_size(master: &OwnedFd, rows: u16, cols: u16) {
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize from the pointer.
    let rc = unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &size) };
    assert_eq!(rc, 0, "TIOCSWINSZ: {}", std::io::Error::last_os_error());
}

/// Runs `bakeoff ARGS` in `env` on a `rows` × `cols` terminal (stdin, stdout and stderr
/// all on it, as in a shell) and checks every screen state on the way with `check`.
fn race_on_terminal(
    env: &TestEnv,
    rows: u16,
    cols: u16,
    args: &[&str],
    check: impl Fn(&vt100::Screen, &str),
) -> Screens {
    race_on_resized_terminal(env, rows, cols, None, args, check)
}

/// [`race_on_terminal`], with the window resized on the way when `resize` says.
fn race_on_resized_terminal(
    env: &TestEnv,
    rows: u16,
    cols: u16,
    mut resize: Option<Resize>,
    args: &[&str],
    check: impl Fn(&vt100::Screen, &str),
) -> Screens {
    let (master, slave) = open_pty(rows, cols);
    let mut cmd = env.command(&env.repo, args);
    // The display takes the terminal path when stderr is a terminal, whatever else is
    // set; TERM as a terminal's shell has it.
    cmd.env("TERM", "xterm-256color")
        .env_remove("CI")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec: a session of its own,
    // with the terminal as its controlling terminal, as a shell would start it.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child: Child = cmd.spawn().unwrap();
    // The parent's copies of the slave went with `cmd`: the master reads EIO once the
    // child and everything it started have closed theirs.
    drop(cmd);

    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let control = master.try_clone().unwrap();
    let mut reader = File::from(master);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });

    let mut parser = vt100::Parser::new(rows, cols, 10_000);
    let mut raw = Vec::new();
    // How much of `raw` the emulator has been given.
    let mut fed = 0;
    // A resize the program has not drawn for yet, and where in `raw` it happened.
    let mut pending: Option<(Resize, usize)> = None;
    let mut states = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut code = None;
    loop {
        assert!(
            Instant::now() < deadline,
            "the race did not end in time; the screen:\n{}",
            parser.screen().contents()
        );
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(chunk) => {
                raw.extend_from_slice(&chunk);
                let mut feed = |parser: &mut vt100::Parser, to: usize| {
                    if to > fed {
                        parser.process(&raw[fed..to]);
                        fed = to;
                        states += 1;
                        check(parser.screen(), &String::from_utf8_lossy(&raw[..fed]));
                    }
                };
                match pending.take() {
                    None => {
                        feed(&mut parser, raw.len());
                        if resize.as_ref().is_some_and(|r| (r.when)(parser.screen())) {
                            let r = resize.take().unwrap();
                            set_pty_size(&control, r.rows, r.cols);
                            pending = Some((r, raw.len()));
                        }
                    }
                    Some((r, since)) => {
                        match memchr::memmem::find(&raw[since..], r.planned.as_bytes()) {
                            Some(at) => {
                                feed(&mut parser, since + at);
                                parser.screen_mut().set_size(r.rows, r.cols);
                                feed(&mut parser, raw.len());
                            }
                            None => {
                                // Held back: the start of `planned`, split between chunks.
                                let keep = r.planned.len() - 1;
                                feed(&mut parser, raw.len().saturating_sub(keep));
                                pending = Some((r, since));
                            }
                        }
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if code.is_none() {
            code = child.try_wait().unwrap().map(|s| s.code().unwrap_or(-1));
        }
    }
    let code = code.unwrap_or_else(|| child.wait().unwrap().code().unwrap_or(-1));
    assert!(
        resize.is_none(),
        "the race ended before the window was resized:\n{}",
        parser.screen().contents()
    );
    assert!(
        pending.is_none(),
        "the program never drew a frame for the resized window:\n{}",
        String::from_utf8_lossy(&raw)
    );
    Screens {
        transcript: transcript(parser.screen_mut()),
        states,
        raw: String::from_utf8_lossy(&raw).into_owned(),
        code,
    }
}

/// Every row of the screen and its scrollback, top to bottom.
fn transcript(screen: &mut vt100::Screen) -> Vec<String> {
    let (_, cols) = screen.size();
    screen.set_scrollback(usize::MAX);
    let back = screen.scrollback();
    let mut rows = Vec::new();
    for offset in (1..=back).rev() {
        screen.set_scrollback(offset);
        rows.push(screen.rows(0, cols).next().unwrap_or_default());
    }
    screen.set_scrollback(0);
    rows.extend(screen.rows(0, cols));
    rows
}

/// Checks one screen state: the display's own lines never wrap, the live area's lane
/// lines and summary line and the leaderboard's rows; a wrapped one fails with the screen
/// shown. Everything else is ordinary text that scrolls (the race's messages, the lines
/// after the verdict, such as the report's path) and may wrap as any printed text does:
/// the check names what must fit rather than listing what may not.
fn no_wrapped_display_line(screen: &vt100::Screen, raw: &str, lanes: &[String]) {
    let (rows, cols) = screen.size();
    let texts: Vec<String> = screen.rows(0, cols).collect();
    // The leaderboard follows the frozen live area: from its header, or from the top
    // once the header has scrolled away, to the verdict; what follows the verdict is text.
    let table_started = plain(raw).contains("#  lane");
    let header = texts.iter().position(|r| is_table_header(r));
    let verdict = texts.iter().position(|r| is_verdict(r));
    let table = match (table_started, header) {
        (false, _) => None,
        (true, Some(h)) => Some(h..=verdict.filter(|&v| v >= h).unwrap_or(texts.len())),
        (true, None) => Some(0..=verdict.unwrap_or(texts.len())),
    };
    let mut display = false;
    for row in 0..rows {
        let i = usize::from(row);
        let text = &texts[i];
        // A row another wraps into belongs to the line that started above it.
        if row == 0 || !screen.row_wrapped(row - 1) {
            display = table.as_ref().is_some_and(|t| t.contains(&i))
                || is_summary(text)
                || lane_of(text, lanes).is_some();
        }
        assert!(
            !(display && screen.row_wrapped(row)),
            "row {row} wraps: {text:?}\nthe screen:\n{}\nthe output so far:\n{raw:?}",
            texts.join("\n")
        );
    }
}

/// `text` without its escape sequences (colors, cursor movements).
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: `ESC [`, parameters, then a final byte in `@`..=`~`.
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn is_table_header(row: &str) -> bool {
    row.trim_start().starts_with("#  lane")
}

fn is_verdict(row: &str) -> bool {
    row.starts_with("winner:") || row.starts_with("no lane passed")
}

/// The live area as it was left at the end: the last block of lane lines (and the
/// summary line) above the leaderboard's header, past the race's closing messages.
fn final_live_area<'a>(transcript: &'a [String], lanes: &[String]) -> Vec<&'a str> {
    let header = transcript
        .iter()
        .rposition(|r| is_table_header(r))
        .unwrap_or_else(|| panic!("no leaderboard:\n{}", transcript.join("\n")));
    let is_live = |row: &str| is_summary(row) || lane_of(row, lanes).is_some();
    let bottom = transcript[..header]
        .iter()
        .rposition(|r| is_live(r))
        .unwrap_or_else(|| panic!("no live area:\n{}", transcript.join("\n")));
    let top = transcript[..bottom]
        .iter()
        .rposition(|r| !is_live(r))
        .map_or(0, |i| i + 1);
    transcript[top..=bottom].iter().map(String::as_str).collect()
}

fn is_summary(row: &str) -> bool {
    row.starts_with('+') && row.contains(" more: ") || row.contains(" lanes: ")
}

/// The lane a live line is about: its first word is the lane's name, or the start of it
/// cut with `…`.
fn lane_of<'a>(row: &str, lanes: &'a [String]) -> Option<&'a str> {
    let word = row.split_whitespace().next()?;
    let state = row.split_whitespace().any(|w| {
        [
            "queued",
            "setting",
            "running",
            "capturing",
            "checking",
            "reviewing",
            "done",
            "failed",
            "cancelled",
        ]
        .contains(&w)
    });
    if !state {
        return None;
    }
    lanes
        .iter()
        .find(|l| match word.strip_suffix('…') {
            Some(cut) => l.starts_with(cut),
            None => *l == word,
        })
        .map(String::as_str)
}

/// How many lanes a summary line counts: `+5 more: …` or `12 lanes: …`.
fn counted(summary: &str) -> usize {
    let head = summary.split(':').next().unwrap();
    head.trim_start_matches('+')
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a count: {summary:?}"))
}

/// Every lane is in the final live area, by name or counted, and each once.
fn every_lane_accounted_for(screens: &Screens, lanes: &[String]) {
    let area = final_live_area(&screens.transcript, lanes);
    let mut named: Vec<&str> = area.iter().filter_map(|r| lane_of(r, lanes)).collect();
    let summaries: Vec<&&str> = area.iter().filter(|r| is_summary(r)).collect();
    let count: usize = summaries.iter().map(|s| counted(s)).sum();
    let shown = named.len();
    named.sort_unstable();
    named.dedup();
    assert_eq!(named.len(), shown, "a lane shown twice: {area:#?}");
    assert!(summaries.len() <= 1, "{area:#?}");
    assert_eq!(
        shown + count,
        lanes.len(),
        "lanes not accounted for in the live area {area:#?}\nthe whole output:\n{}",
        screens.transcript.join("\n")
    );
}

/// The leaderboard's rows are no wider than the terminal and name every lane.
fn leaderboard_fits(screens: &Screens, lanes: &[String], cols: u16) {
    let t = &screens.transcript;
    let header = t.iter().rposition(|r| is_table_header(r)).unwrap();
    let end = t[header..]
        .iter()
        .position(|r| is_verdict(r))
        .map(|i| header + i)
        .unwrap_or_else(|| panic!("no verdict line:\n{}", t.join("\n")));
    let table = &t[header..=end];
    for row in table {
        assert!(row.chars().count() <= cols as usize, "{row:?}");
    }
    let text = table.join("\n");
    for lane in lanes {
        // A long name may wrap inside its cell; its start is on a row of its own.
        let start: String = lane.chars().take(8).collect();
        assert!(text.contains(&start), "{lane} not in the leaderboard:\n{text}");
    }
}

/// A lane's agent: a few turns of progress with a long last action, a pause between
/// them so the display draws them, and an edit.
fn steady_agent(env: &mut TestEnv, name: &str, pause_ms: u64) {
    env.agent(
        name,
        "claude",
        &format!(
            "progress claude 1 1200 150 0.01 Read: src/lib.txt and everything around it to understand the layout\n\
             sleep {pause_ms}\n\
             progress claude 2 5400 900 0.04 Edit: src/lib.txt replacing the second line with a much longer one\n\
             sleep {pause_ms}\n\
             write src/lib.txt one\\ntwo\\nthree\\n{name}\\n\n\
             usage claude 3 8000 1200 0.06 s-{name}\n"
        ),
    );
}

fn few_lanes(env: &mut TestEnv) -> Vec<String> {
    let lanes: Vec<String> = [
        "alpha-lane-with-a-rather-long-name",
        "bravo",
        "charlie-third",
        "delta",
    ]
    .map(String::from)
    .to_vec();
    for lane in &lanes {
        steady_agent(env, lane, 400);
    }
    lanes
}

fn race_args(lanes: &[String]) -> Vec<&str> {
    let mut args = vec!["race", "add a line"];
    for lane in lanes {
        args.extend(["-a", lane.as_str()]);
    }
    args.extend(["--check", "grep -q three src/lib.txt"]);
    args
}

#[test]
fn four_lanes_on_a_narrow_terminal_never_wrap() {
    let mut env = TestEnv::new();
    let lanes = few_lanes(&mut env);
    // In color: the codes must take no width in the lines or in the table.
    let mut args = race_args(&lanes);
    args.extend(["--color", "always"]);
    let screens = race_on_terminal(&env, 24, 60, &args, |screen, raw| {
        no_wrapped_display_line(screen, raw, &lanes)
    });
    assert!(
        screens.code == 0 || screens.code == 1,
        "exit {}:\n{}",
        screens.code,
        screens.transcript.join("\n")
    );
    assert!(screens.states > 1, "{}", screens.transcript.join("\n"));
    // The lane names bold, the finished lanes' marks green, the leaderboard's tiers too.
    assert!(
        screens.raw.contains("\x1b[1malpha-lane") && screens.raw.contains("\x1b[32m✓"),
        "not in color: {:?}",
        screens.raw
    );
    assert!(screens.raw.contains("\x1b[32mFULL"), "{:?}", screens.raw);
    every_lane_accounted_for(&screens, &lanes);
    leaderboard_fits(&screens, &lanes, 60);
    // All four have a line of their own on 24 rows.
    let area = final_live_area(&screens.transcript, &lanes);
    assert_eq!(area.len(), 4, "{area:#?}");
}

#[test]
fn four_lanes_on_a_wide_terminal_show_every_column() {
    let mut env = TestEnv::new();
    let lanes = few_lanes(&mut env);
    let screens = race_on_terminal(&env, 30, 200, &race_args(&lanes), |screen, raw| {
        no_wrapped_display_line(screen, raw, &lanes)
    });
    assert!(screens.code == 0 || screens.code == 1, "exit {}", screens.code);
    every_lane_accounted_for(&screens, &lanes);
    leaderboard_fits(&screens, &lanes, 200);
    let area = final_live_area(&screens.transcript, &lanes);
    // Wide enough for the tokens and the cost beside the summary.
    for line in &area {
        assert!(line.contains(" tok ") && line.contains('$'), "{line:?}");
    }
    let text = screens.transcript.join("\n");
    // The whole leaderboard header: no column was left out.
    assert!(
        text.contains("agent") && text.contains("model") && text.contains("reviews"),
        "{text}"
    );
}

#[test]
fn twelve_lanes_on_ten_rows_are_summarised() {
    let mut env = TestEnv::new();
    steady_agent(&mut env, "w", 250);
    let lanes: Vec<String> = (1..=12).map(|i| format!("w-{i}")).collect();
    let args = [
        "race",
        "add a line",
        "-a",
        "w*12",
        "--jobs",
        "4",
        "--check",
        "grep -q three src/lib.txt",
    ];
    let saw_summary = std::sync::atomic::AtomicBool::new(false);
    let screens = race_on_terminal(&env, 10, 80, &args, |screen, raw| {
        no_wrapped_display_line(screen, raw, &lanes);
        let (_, cols) = screen.size();
        if screen.rows(0, cols).any(|r| is_summary(&r)) {
            saw_summary.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    assert!(screens.code == 0 || screens.code == 1, "exit {}", screens.code);
    assert!(
        saw_summary.load(std::sync::atomic::Ordering::Relaxed),
        "no summary line was drawn:\n{}",
        screens.transcript.join("\n")
    );
    every_lane_accounted_for(&screens, &lanes);
    leaderboard_fits(&screens, &lanes, 80);
    // Ten rows leave eight lines for the live area: seven lanes and the summary.
    let area = final_live_area(&screens.transcript, &lanes);
    assert_eq!(area.len(), 8, "{area:#?}");
    assert!(is_summary(area[7]), "{area:#?}");
}

/// A lane line once showed wrapped here, drawn at 120 columns just after the window
/// became 50 wide. That was the test's race, not the display's: the display reads the
/// size anew each time it plans a frame, and the frame that wrapped had been planned and
/// written before the resize, then given to the emulator after it had taken the new
/// size. [`Resize::planned`] now has the emulator take the new size where the program's
/// first frame for it begins, so every frame is checked at the size it was planned for.
#[test]
fn a_resized_window_is_planned_for_at_the_next_redraw() {
    let mut env = TestEnv::new();
    steady_agent(&mut env, "w", 700);
    let lanes: Vec<String> = (1..=6).map(|i| format!("w-{i}")).collect();
    let args = [
        "race",
        "add a line",
        "-a",
        "w*6",
        "--check",
        "grep -q three src/lib.txt",
    ];
    // Once a lane runs on 24 × 120, the window shrinks to 7 × 50: room for four
    // lanes and the summary, at a width without the tokens.
    let resize = Resize {
        rows: 7,
        cols: 50,
        when: |screen| {
            let (_, cols) = screen.size();
            screen.rows(0, cols).any(|r| r.contains(" running "))
        },
        // At 24 rows all six lanes have a line; only a frame planned for 7 rows counts
        // two of them in the summary.
        planned: "+2 more: ",
    };
    let narrow_summary = std::sync::atomic::AtomicBool::new(false);
    let screens = race_on_resized_terminal(&env, 24, 120, Some(resize), &args, |screen, raw| {
        no_wrapped_display_line(screen, raw, &lanes);
        let (_, cols) = screen.size();
        if cols == 50 && screen.rows(0, cols).any(|r| is_summary(&r)) {
            narrow_summary.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    assert!(screens.code == 0 || screens.code == 1, "exit {}", screens.code);
    assert!(
        narrow_summary.load(std::sync::atomic::Ordering::Relaxed),
        "no summary line after the resize:\n{}",
        screens.transcript.join("\n")
    );
    every_lane_accounted_for(&screens, &lanes);
    leaderboard_fits(&screens, &lanes, 50);
    let area = final_live_area(&screens.transcript, &lanes);
    assert_eq!(area.len(), 5, "{area:#?}");
    for line in &area {
        // indicatif pads the last line with spaces to the width; the text is shorter.
        assert!(
            line.trim_end().chars().count() < 50 && !line.contains(" tok "),
            "{line:?}"
        );
    }
}
