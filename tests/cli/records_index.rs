//! The race index (`.git/bakeoff/race-index.jsonl`): `list` says the same with it and
//! without it, whatever happened to it or to the race folders since it was written.

use std::path::PathBuf;

use crate::support::TestEnv;

fn index(env: &TestEnv) -> PathBuf {
    env.repo.join(".git/bakeoff/race-index.jsonl")
}

/// The index's lines, parsed; panics on a line that is not JSON.
fn index_lines(env: &TestEnv) -> Vec<serde_json::Value> {
    std::fs::read_to_string(index(env))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect()
}

fn list(env: &TestEnv) -> String {
    let run = env.bakeoff(&["list"]);
    run.expect(0);
    run.stdout()
}

/// Three ended races of one lane each: a winner later merged by `bakeoff merge`, a
/// winner, and no winner.
fn three_races(env: &mut TestEnv) {
    env.agent(
        "a",
        "claude",
        "write src/lib.txt alpha\\n\nusage claude 1 10 10 0.02 s\n",
    );
    env.agent("b", "", "write src/lib.txt beta\\n\n");
    env.bakeoff(&["race", "First race", "-a", "a"]).expect(0);
    env.bakeoff(&["merge", "last"]).expect(0);
    env.bakeoff(&["race", "Second race", "-a", "b"]).expect(0);
    env.bakeoff(&["race", "Third race", "-a", "a", "--check", "false"])
        .expect(1);
}

fn race_dirs(env: &TestEnv) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(env.repo.join(".git/bakeoff/races"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn list_from_the_index_is_list_from_the_races() {
    let mut env = TestEnv::new();
    three_races(&mut env);
    // The merge added a line of its own: the race's last line is the one that counts.
    assert_eq!(index_lines(&env).len(), 4);
    let indexed = list(&env);
    for want in ["merged a", "winner b", "no winner", "First race", "1 lane "] {
        assert!(indexed.contains(want), "list lacks {want:?}:\n{indexed}");
    }
    // The same list listed again from the index, and after it compacted the index.
    assert_eq!(list(&env), indexed);
    assert_eq!(index_lines(&env).len(), 3);
    std::fs::remove_file(index(&env)).unwrap();
    assert_eq!(list(&env), indexed, "list without the index differs");
    // That list wrote the index again.
    assert_eq!(index_lines(&env).len(), 3);
    assert_eq!(list(&env), indexed);
    // `show last` and prefixes resolve through the index as they did without it.
    let show = env.bakeoff(&["show", "last"]);
    show.expect(0);
    assert!(show.stdout().contains("Third race"), "{}", show.stdout());
    std::fs::remove_file(index(&env)).unwrap();
    let again = env.bakeoff(&["show", "last"]);
    again.expect(0);
    assert_eq!(again.stdout(), show.stdout());
}

#[test]
fn a_race_without_a_line_is_listed_and_a_removed_one_is_not() {
    let mut env = TestEnv::new();
    three_races(&mut env);
    let full = list(&env);
    // A race with no line (crashed, recorded by an older bakeoff, or ended while the
    // index was unwritable) is read from its folder.
    let lines: Vec<String> = std::fs::read_to_string(index(&env))
        .unwrap()
        .lines()
        .filter(|l| !l.contains("second-race"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(index(&env), lines.concat()).unwrap();
    assert_eq!(list(&env), full);
    assert!(
        index_lines(&env)
            .iter()
            .any(|l| l["id"].as_str().unwrap().contains("second-race")),
        "list did not put the race back in the index"
    );
    // A race whose folder is gone is not listed, and its line is dropped.
    let first = race_dirs(&env)
        .into_iter()
        .find(|d| d.to_string_lossy().contains("first-race"))
        .unwrap();
    std::fs::remove_dir_all(&first).unwrap();
    let listed = list(&env);
    assert!(!listed.contains("first-race"), "{listed}");
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(index_lines(&env)
        .iter()
        .all(|l| !l["id"].as_str().unwrap().contains("first-race")));
}

#[test]
fn a_torn_index_line_is_skipped_and_the_next_line_starts_its_own() {
    let mut env = TestEnv::new();
    three_races(&mut env);
    let full = list(&env);
    // A bakeoff that died in the middle of its append.
    let mut text = std::fs::read(index(&env)).unwrap();
    text.extend_from_slice(b"{\"v\":1,\"id\":\"2026");
    std::fs::write(index(&env), &text).unwrap();
    assert_eq!(list(&env), full);
    // The list rewrote the index without the torn line.
    assert_eq!(index_lines(&env).len(), 3);
    // Torn again, then a race ends: its line is not glued to the torn one.
    let mut text = std::fs::read(index(&env)).unwrap();
    text.extend_from_slice(b"{\"v\":1,\"id\":\"2026");
    std::fs::write(index(&env), &text).unwrap();
    env.bakeoff(&["race", "Fourth race", "-a", "b"]).expect(0);
    let text = std::fs::read_to_string(index(&env)).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert!(last["id"].as_str().unwrap().contains("fourth-race"), "{text}");
    let listed = list(&env);
    assert!(
        listed.contains("fourth-race") && listed.starts_with(&full),
        "{listed}"
    );
}

#[test]
fn clean_keeps_the_index_right() {
    let mut env = TestEnv::new();
    three_races(&mut env);
    let full = list(&env);
    // Without --purge the records stay, and so does what list says of them.
    env.bakeoff(&["clean", "--all"]).expect(0);
    assert_eq!(list(&env), full);
    let second = full
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    env.bakeoff(&["clean", &second, "--purge"]).expect(0);
    let ids: Vec<String> = index_lines(&env)
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(!ids.contains(&second), "{ids:?}");
    let listed = list(&env);
    assert_eq!(listed.lines().count(), 2);
    assert!(!listed.contains(&second), "{listed}");
    env.bakeoff(&["clean", "--all", "--purge"]).expect(0);
    assert_eq!(index_lines(&env).len(), 0);
    assert!(list(&env).starts_with("no races yet"));
}

#[test]
fn list_with_a_full_index_reads_no_race_record() {
    let mut env = TestEnv::new();
    three_races(&mut env);
    // Built from the races' own files: this list reads them and writes the index.
    std::fs::remove_file(index(&env)).unwrap();
    let full = list(&env);
    assert_eq!(index_lines(&env).len(), 3);
    // Blank every journal (keeping its length, which is what an index line checks) and
    // spoil every race.json: a list that opened either would say something else.
    let mut saved = Vec::new();
    for dir in race_dirs(&env) {
        for name in ["events.jsonl", "race.json"] {
            let path = dir.join(name);
            let text = std::fs::read(&path).unwrap();
            std::fs::write(&path, vec![b' '; text.len()]).unwrap();
            saved.push((path, text));
        }
    }
    assert_eq!(list(&env), full, "list read a race's files despite the index");
    // The same files without the index: list has to read them, and says so.
    std::fs::rename(index(&env), index(&env).with_extension("saved")).unwrap();
    let unindexed = list(&env);
    assert!(unindexed.contains("(unreadable record)"), "{unindexed}");
    // Put everything back for the replay check the environment runs when dropped.
    for (path, text) in saved {
        std::fs::write(path, text).unwrap();
    }
    std::fs::rename(index(&env).with_extension("saved"), index(&env)).unwrap();
    assert_eq!(list(&env), full);
}

#[test]
fn a_journal_that_grew_since_its_line_is_read_again() {
    let mut env = TestEnv::new();
    env.agent("b", "", "write src/lib.txt beta\\n\n");
    env.bakeoff(&["race", "Only race", "-a", "b"]).expect(0);
    assert!(list(&env).contains("winner b"));
    // A merge by a bakeoff that writes no index line (an older one): the journal grew.
    let events = race_dirs(&env)[0].join("events.jsonl");
    let merged = format!(
        "{{\"v\":1,\"at_ms\":1,\"type\":\"merged\",\"lane\":\"b\",\"strategy\":\"squash\",\"target\":\"main\",\"commit\":\"{}\"}}\n",
        "0".repeat(40)
    );
    let mut text = std::fs::read(&events).unwrap();
    text.extend_from_slice(merged.as_bytes());
    std::fs::write(&events, text).unwrap();
    assert!(list(&env).contains("merged b"), "{}", list(&env));
}
