//! `bakeoff demo`: the whole flow, offline.

use crate::support::TestEnv;

#[test]
fn the_demo_races_ranks_and_merges_offline() {
    let env = TestEnv::new();
    let dir = env.root().join("demo");
    let run = env.bakeoff(&["demo", "--dir", dir.to_str().unwrap()]);
    run.expect(0);
    let out = run.stdout();
    assert!(
        out.contains("winner: tidy") || out.contains("winner tidy"),
        "{out}"
    );
    assert!(
        out.contains("weakened test file"),
        "the sneaky lane is gated: {out}"
    );
    assert!(out.contains("where to look next"), "{out}");
    let repo = dir.join("repo");
    let slug = std::process::Command::new("sh")
        .current_dir(&repo)
        .args(["slug.sh", "Hello, World!"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&slug.stdout), "hello-world\n");
    // Every lane was reviewed, offline, by a scripted model of another lab.
    let show = env.bakeoff_in(&repo, &["show", "last"]);
    show.expect(0);
    assert_eq!(
        show.stdout().matches("review by demo-").count(),
        3,
        "{}",
        show.stdout()
    );
    assert!(
        show.stdout().contains("blocker tests/test_slug.sh:2"),
        "{}",
        show.stdout()
    );
    let log = env.git_in(&repo, &["log", "-1", "--format=%B"]);
    assert!(log.contains("Bakeoff-Lane: tidy"), "{log}");
    // Every command "where to look next" suggests runs as it says, `clean --all` last.
    let next: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.contains("where to look next"))
        .skip(1)
        .filter_map(|l| l.strip_prefix("  "))
        .map(|l| l.split('#').next().unwrap().trim())
        .collect();
    assert!(next.len() >= 4, "{out}");
    for command in &next {
        let words: Vec<&str> = command.split_whitespace().collect();
        let run = match words[0] {
            "cd" => {
                assert_eq!(std::path::Path::new(words[1]), repo, "{command}");
                continue;
            }
            "git" => std::process::Command::new("git")
                .current_dir(&repo)
                .args(&words[1..])
                .output()
                .unwrap(),
            exe => {
                assert!(exe.ends_with("bakeoff"), "{command}");
                env.command(&repo, &words[1..]).output().unwrap()
            }
        };
        assert!(
            run.status.success(),
            "`{command}` as the demo suggests: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(!run.stdout.is_empty(), "`{command}` printed nothing");
    }
    // A second demo into the same folder is refused, not mixed in.
    env.bakeoff(&["demo", "--dir", dir.to_str().unwrap()]).expect(2);
}
