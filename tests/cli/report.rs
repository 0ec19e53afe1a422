//! `bakeoff report` over a real race of scripted agents reviewed on the fake provider:
//! the HTML page in headless Chromium, the Markdown as a CommonMark renderer reads it,
//! the JSON's shape, the `report.html` every race writes, and bad input.

use std::path::{Path, PathBuf};

use bakeoff_testkit::chromium::{chromium, console_messages, screenshot, watching_dialogs};
use bakeoff_testkit::fake_provider::{FakeProvider, Script};
use serde_json::json;

use crate::support::TestEnv;

/// What the `tidy` lane's diff carries: markup a page must show, never run.
const EVIL: &str = "<script>alert(1)</script>";

/// A finding whose model-written text tries to inject markup.
fn review(verdict: &str, score: u8, findings: serde_json::Value) -> serde_json::Value {
    json!({"verdict": verdict, "score": score, "summary": format!("{verdict} <b>at</b> {score}"), "findings": findings})
}

/// A lane of a scripted agent under an Anthropic model's name, its usage read as Claude
/// Code's.
fn lane(env: &mut TestEnv, name: &str, script: &str) {
    env.agent_as(name, "claude-sonnet-4-6", "claude", script);
}

/// A race of two lanes reviewed by OpenAI's model on the fake provider: `good` passes
/// the check, `tidy` fails it and its diff holds [`EVIL`].
fn raced(server: &FakeProvider) -> (TestEnv, String) {
    let mut env = TestEnv::new();
    env.reviews = true;
    env.set_env("OPENAI_BASE_URL", &format!("{}/v1", server.base_url()));
    env.set_env("OPENAI_API_KEY", "canary-report-openai");
    lane(
        &mut env,
        "good",
        "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nusage claude 2 1000 200 0.30 s-good\n",
    );
    lane(
        &mut env,
        "tidy",
        &format!("write src/lib.txt broken\\n\nwrite notes.html <p>hi</p>{EVIL}\\n\nusage claude 1 500 100 0.05 s-tidy\n"),
    );
    let run = env.bakeoff(&[
        "race",
        "Add a <em>fourth</em> line",
        "-a",
        "good",
        "-a",
        "tidy",
        "--check",
        "grep -q four src/lib.txt",
        "--reviewer",
        "openai/gpt-5.5",
    ]);
    run.expect(0);
    (env, run.stdout())
}

fn server() -> FakeProvider {
    let finding = json!([{
        "severity": "major", "file": "src/lib.txt", "line": 1,
        "title": "drops <img src=x onerror=alert(2)> lines",
        "body": "the <script>alert(3)</script> body\nsecond line",
        "suggestion": "keep `one`"
    }]);
    let script = Script::builder()
        .model("gpt-5.5")
        .json(review("request_changes", 40, finding.clone()))
        .json(review("request_changes", 40, finding))
        .build();
    FakeProvider::start_on_thread(script).unwrap()
}

/// Where this test binary keeps what a person may want to look at: target/report-html.
fn keep_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report-html");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn report_html_renders_in_chromium_with_every_lane_and_nothing_run() {
    let server = server();
    let (env, race_out) = raced(&server);
    let records = env.last_race_dir();
    let page_path = records.join("report.html");
    // Every race writes its page and names it.
    assert!(
        race_out.contains(&format!("report: {}", page_path.display())),
        "{race_out}"
    );
    let run = env.bakeoff(&["report", "--format", "html"]);
    run.expect(0);
    assert_eq!(run.stdout().trim(), page_path.display().to_string());
    let page = std::fs::read_to_string(&page_path).unwrap();
    assert!(!page.contains(EVIL), "raw markup from the diff");
    assert!(!page.contains("<img src=x"), "raw markup from a finding");
    assert!(!page.contains("<em>fourth"), "raw markup from the spec");
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("<link"));
    assert_eq!(page.matches("<script").count(), 1, "only the page's own script");

    let dir = tempfile::tempdir().unwrap();
    let watched = dir.path().join("report.html");
    std::fs::write(&watched, watching_dialogs(&page)).unwrap();
    let (shot, png) = screenshot(dir.path(), &watched);
    assert!(shot.status.success(), "chromium failed: {}", shot.stderr);
    assert_eq!(
        console_messages(&shot.stderr),
        Vec::<&str>::new(),
        "{}",
        shot.stderr
    );
    let bytes = std::fs::read(&png).expect("chromium wrote no screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10 * 1024);
    std::fs::write(keep_dir().join("race-report.png"), &bytes).unwrap();
    std::fs::copy(&page_path, keep_dir().join("race-report.html")).unwrap();

    let dom = chromium(dir.path(), &watched, &["--dump-dom".into()]);
    assert!(dom.status.success(), "chromium failed: {}", dom.stderr);
    assert_eq!(
        console_messages(&dom.stderr),
        Vec::<&str>::new(),
        "{}",
        dom.stderr
    );
    let dom = dom.stdout;
    assert!(
        dom.contains("data-script=\"ran\""),
        "the script did not finish: {dom}"
    );
    for want in [
        "<h3>good</h3>",
        "<h3>tidy</h3>",
        // A diff line of each lane.
        "<td class=\"code\">+four</td>",
        "<td class=\"code\">+broken</td>",
        // The diff's markup, as text.
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "drops &lt;img src=x onerror=alert(2)&gt; lines",
        "claude-sonnet-4-6",
        "Leaderboard",
        "winner: good",
        "Add a &lt;em&gt;fourth&lt;/em&gt; line",
        "class=\"pass\">passed",
        "class=\"fail\">failed",
        "$0.30",
    ] {
        assert!(dom.contains(want), "{want:?} missing from the DOM:\n{dom}");
    }
    assert_eq!(
        dom.matches("<script").count(),
        2,
        "the dialog watch and the page's own"
    );
}

/// Every raw HTML piece of a Markdown document, as pulldown-cmark parses it.
fn raw_html(md: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser};
    Parser::new(md)
        .filter_map(|e| match e {
            Event::Html(h) | Event::InlineHtml(h) => Some(h.to_string()),
            _ => None,
        })
        .collect()
}

/// `html` with the report's own tags and the marker taken out.
fn foreign_html(pieces: &[String]) -> Vec<String> {
    pieces
        .iter()
        .map(|p| {
            [
                "<!-- bakeoff-report -->",
                "<details>",
                "<summary>",
                "</summary>",
                "</details>",
            ]
            .iter()
            .fold(p.clone(), |s, tag| s.replace(tag, ""))
        })
        .filter(|rest| rest.contains('<') || rest.contains('>'))
        .collect()
}

#[test]
fn report_md_and_json_of_a_race() {
    let server = server();
    let (env, _) = raced(&server);

    let run = env.bakeoff(&["report", "last", "--format", "md"]);
    run.expect(0);
    let md = run.stdout();
    std::fs::write(keep_dir().join("race-report.md"), &md).unwrap();
    assert_eq!(md.lines().next(), Some("<!-- bakeoff-report -->"), "{md}");
    assert!(md.chars().count() < 65_536);
    assert_eq!(foreign_html(&raw_html(&md)), Vec::<String>::new(), "{md}");
    let mut rendered = String::new();
    pulldown_cmark::html::push_html(&mut rendered, pulldown_cmark::Parser::new(&md));
    for raw in [
        EVIL,
        "<img src=x",
        "<script>alert(3)",
        "<em>fourth",
        "<b>at</b>",
        "<p>hi</p>",
    ] {
        assert!(!rendered.contains(raw), "{raw:?} survived:\n{rendered}");
    }
    for want in [
        "### Leaderboard",
        "winner: good",
        "| 1 | good |",
        "claude-sonnet-4-6 (anthropic)",
        "+four",
        "+broken",
        "drops &lt;img src=x onerror=alert(2)&gt; lines",
        "grep -q four src/lib.txt",
        "❌ failed",
        "✅ passed",
    ] {
        assert!(md.contains(want), "{want:?} missing:\n{md}");
    }
    // The Markdown shown is the Markdown written with -o.
    let out = env.root().join("pr.md");
    let written = env.bakeoff(&["report", "--format", "md", "-o", out.to_str().unwrap()]);
    written.expect(0);
    assert_eq!(written.stdout().trim(), out.display().to_string());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), md);

    let run = env.bakeoff(&["report", "--format", "json"]);
    run.expect(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["verdict"], "winner: good");
    let lanes = report["lanes"].as_array().unwrap();
    assert_eq!(lanes.len(), 2);
    let by = |name: &str| lanes.iter().find(|l| l["name"] == name).unwrap().clone();
    let (good, tidy) = (by("good"), by("tidy"));
    assert_eq!(good["agent"], "good");
    assert_eq!(good["model"], "command:claude-sonnet-4-6");
    assert_eq!(good["lab"], "anthropic");
    assert_eq!(good["cost_usd"], 0.30);
    assert_eq!(tidy["cost_usd"], 0.05);
    assert_eq!(good["checks"][0]["passed"], true);
    assert_eq!(tidy["checks"][0]["passed"], false);
    assert_eq!(tidy["checks"][0]["command"], "grep -q four src/lib.txt");
    assert_eq!(good["reviews"][0]["ok"], true);
    assert_eq!(good["reviews"][0]["findings"][0]["severity"], "major");
    assert!(tidy["diff"]["patch"].as_str().unwrap().contains(EVIL));
    assert_eq!(report["leaderboard"]["rows"][0]["lane"], "good");
    assert!(report["leaderboard"]["rows"][0]["reason"].is_string());
    let mut stack = vec![&report];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(map) => {
                for k in ["Ok", "Err"] {
                    assert!(!map.contains_key(k), "a Rust-shaped {k:?} in {v}");
                }
                stack.extend(map.values());
            }
            serde_json::Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
}

#[test]
fn a_huge_diff_keeps_the_markdown_under_githubs_limit_and_keeps_the_leaderboard() {
    let mut env = TestEnv::new();
    env.agent(
        "big",
        "",
        &format!("write big.txt {}\n", "a line of text\\n".repeat(20_000)),
    );
    env.agent("small", "", "write src/lib.txt one\\n\n");
    let run = env.bakeoff(&["race", "Write a big file", "-a", "big", "-a", "small"]);
    run.expect(0);
    // The race names the page it wrote beside its records.
    let page = env.last_race_dir().join("report.html");
    assert!(page.is_file());
    assert!(
        run.stdout().contains(&format!("report: {}", page.display())),
        "{}",
        run.stdout()
    );

    let run = env.bakeoff(&["report", "--format", "md"]);
    run.expect(0);
    let md = run.stdout();
    assert!(md.chars().count() < 65_536, "{} characters", md.chars().count());
    assert!(md.len() > 30_000, "the budget is used, not thrown away");
    assert!(md.starts_with("<!-- bakeoff-report -->\n"));
    for want in [
        "### Leaderboard",
        "| big |",
        "| small |",
        "left out",
        "--format html",
    ] {
        assert!(
            md.contains(want),
            "{want:?} missing:\n{}",
            &md[..md.len().min(4000)]
        );
    }
    assert_eq!(foreign_html(&raw_html(&md)), Vec::<String>::new());
}

#[test]
fn bad_input_is_refused_with_the_fix_and_writes_nothing() {
    let mut env = TestEnv::new();
    // Before any race: nothing to report.
    let none = env.bakeoff(&["report"]);
    none.expect(2);
    assert!(
        none.stderr().contains("no races recorded yet"),
        "{}",
        none.stderr()
    );
    assert_eq!(none.stdout(), "");

    env.agent("a", "", "write src/lib.txt alpha\\n\n");
    env.bakeoff(&["race", "One", "-a", "a"]).expect(0);
    env.bakeoff(&["race", "Two", "-a", "a"]).expect(0);
    let out = env.root().join("out.html");
    let o = out.to_str().unwrap();
    let page = env.last_race_dir().join("report.html");
    let before = std::fs::read(&page).unwrap();
    // Args, the words stderr must contain.
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["report", "no-such-race", "-o", o],
            &["no race 'no-such-race'", "bakeoff list"],
        ),
        (
            &["report", "2", "--format", "html", "-o", o],
            &["ambiguous", "give more of the id"],
        ),
        (
            &["report", "--format", "pdf", "-o", o],
            &["pdf", "md", "html", "json"],
        ),
        (
            &["report", "no-such-race", "--format", "html"],
            &["no race 'no-such-race'"],
        ),
    ];
    for (args, want) in cases {
        let run = env.bakeoff(args);
        run.expect(2);
        assert_eq!(run.stdout(), "", "{args:?}");
        for w in *want {
            assert!(
                run.stderr().contains(w),
                "{args:?}: stderr lacks {w:?}:\n{}",
                run.stderr()
            );
        }
        assert!(!out.exists(), "{args:?} wrote {o}");
        assert_eq!(
            std::fs::read(&page).unwrap(),
            before,
            "{args:?} rewrote report.html"
        );
    }
    // The ambiguous prefix names the candidates.
    let run = env.bakeoff(&["report", "2"]);
    let ids: Vec<String> = std::fs::read_dir(env.repo.join(".git/bakeoff/races"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for id in &ids {
        assert!(
            run.stderr().contains(id.as_str()),
            "{id} not listed:\n{}",
            run.stderr()
        );
    }
    // A race whose bakeoff holds its lock is still running: its sealed folder gets no
    // page, and -o writes one elsewhere.
    {
        use std::os::fd::AsRawFd;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(env.last_race_dir().join("lock"))
            .unwrap();
        // SAFETY: flock(2) on a descriptor this test owns.
        assert_eq!(
            unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
            0
        );
        let run = env.bakeoff(&["report", "--format", "html"]);
        run.expect(2);
        assert_eq!(run.stdout(), "");
        assert!(
            run.stderr().contains("still running") && run.stderr().contains("-o FILE"),
            "{}",
            run.stderr()
        );
        assert_eq!(std::fs::read(&page).unwrap(), before);
        env.bakeoff(&["report", "--format", "html", "-o", o]).expect(0);
        assert!(std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("<!DOCTYPE html>"));
    }
    // A merge later shows on the race's page.
    env.bakeoff(&["merge", "last"]).expect(0);
    let page = std::fs::read_to_string(&page).unwrap();
    assert!(page.contains("merged a (squash) into main"), "{page}");
}

#[test]
fn a_report_html_that_cannot_be_written_is_a_warning_not_a_failed_race() {
    let mut env = TestEnv::new();
    env.agent("honest", "", "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\n");
    // A lane that, once the honest lane's work is captured, takes the page's place in the
    // records with a folder (and is breached for it): the race still ends as it should.
    let script = env.root().join("scripts/squatter.sh");
    std::fs::create_dir_all(script.parent().unwrap()).unwrap();
    std::fs::write(
        &script,
        "set -e\n\
         i=0\n\
         until grep -q '\"captured\",\"lane\":\"honest\"' \"$BAKEOFF_RACE_DIR/events.jsonl\"; do\n\
         \x20 i=$((i + 1)); [ $i -lt 600 ] || exit 9; sleep 0.05\n\
         done\n\
         mkdir -p \"$BAKEOFF_RACE_DIR/report.html/taken\"\n",
    )
    .unwrap();
    env.config(&format!(
        "[agents.squatter]\nadapter = \"command\"\nmodel = \"scripted\"\ncommand = [\"sh\", \"{}\"]\n",
        script.display()
    ));
    let run = env.bakeoff(&[
        "race",
        "--sandbox",
        "off",
        "add a fourth line",
        "-a",
        "honest",
        "-a",
        "squatter",
    ]);
    run.expect(0);
    assert!(
        run.stderr().contains("warning: no report.html for race ") && run.stderr().contains("report.html"),
        "{}",
        run.stderr()
    );
    assert!(!run.stdout().contains("report: "), "{}", run.stdout());
    assert!(
        !env.last_race_dir().join("report.html.tmp").exists(),
        "a half-written page left behind"
    );
    assert!(run.stdout().contains("winner"), "{}", run.stdout());
    // The page can still be had elsewhere.
    let out = env.root().join("page.html");
    env.bakeoff(&["report", "--format", "html", "-o", out.to_str().unwrap()])
        .expect(0);
    assert!(std::fs::read_to_string(&out).unwrap().contains("squatter"));
}
