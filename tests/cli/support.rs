//! The hermetic test environment: a temp repository, a temp HOME and config, no git
//! identity, no provider keys, and the real `bakeoff` executable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BAKEOFF: &str = env!("CARGO_BIN_EXE_bakeoff");

/// The scripted fake agent: the testkit's own binary, built beside `bakeoff` by
/// `cargo test --workspace` (the `bakeoff` release binary does not contain it).
pub fn scripted_agent() -> PathBuf {
    let path = Path::new(BAKEOFF).with_file_name("scripted-agent");
    assert!(
        path.is_file(),
        "{} is missing: run the tests with `cargo test --workspace` (or `cargo build -p bakeoff-testkit`)",
        path.display()
    );
    path
}

pub struct TestEnv {
    pub tmp: tempfile::TempDir,
    pub repo: PathBuf,
    pub home: PathBuf,
    /// Extra directory put first on PATH, for fake agent CLIs.
    pub bin: PathBuf,
    config: String,
    extra_env: Vec<(String, String)>,
    /// Races get `--no-review` unless a test configures reviewers: most tests are about
    /// the race core and have no provider to review with.
    pub reviews: bool,
    /// The sandbox as a user gets it: see [`TestEnv::strict_sandbox`].
    strict: bool,
}

/// The variables every child gets: nothing of the developer's machine leaks in.
fn hermetic(cmd: &mut Command, home: &Path, bin: &Path) {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    cmd.env_clear()
        .env("PATH", path)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env("LANG", "C.UTF-8")
        .env("TMPDIR", home.parent().unwrap());
}

impl TestEnv {
    /// A repository on branch `main` with one commit of a few files.
    pub fn new() -> TestEnv {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let repo = root.join("repo");
        let home = root.join("home");
        let bin = root.join("bin");
        for d in [&repo, &home, &bin] {
            std::fs::create_dir_all(d).unwrap();
        }
        let env = TestEnv {
            tmp,
            repo,
            home,
            bin,
            config: String::new(),
            extra_env: Vec::new(),
            reviews: false,
            strict: false,
        };
        env.git(&["init", "-q", "-b", "main"]);
        env.write("README.md", "# sample\n");
        env.write("src/lib.txt", "one\ntwo\nthree\n");
        env.write(
            "tests/test_lib.sh",
            "#!/bin/sh\nassert_eq() { [ \"$1\" = \"$2\" ] || exit 1; }\nassert_eq 1 1\nassert_eq 2 2\n",
        );
        env.write(".gitignore", "*.log\n.env\n");
        env.commit("initial");
        env.write_config();
        env
    }

    /// Drops the test root from what sandboxed lanes may write: the sandbox as a user
    /// gets it, for tests of what it hides (and for tests that write `[sandbox]`).
    pub fn strict_sandbox(&mut self) {
        self.strict = true;
        self.write_config();
    }

    pub fn root(&self) -> PathBuf {
        self.tmp.path().canonicalize().unwrap()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.repo.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn commit(&self, msg: &str) {
        self.git(&["add", "-A"]);
        self.git(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "-m",
            msg,
        ]);
    }

    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.repo, args)
    }

    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        hermetic(&mut cmd, &self.home, &self.bin);
        let out = cmd.current_dir(dir).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A git command's raw output, for output that need not be text.
    pub fn git_bytes(&self, args: &[&str]) -> Vec<u8> {
        let mut cmd = Command::new("git");
        hermetic(&mut cmd, &self.home, &self.bin);
        let out = cmd.current_dir(&self.repo).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}");
        out.stdout
    }

    /// Sets an extra environment variable for bakeoff runs.
    /// A PATH of the environment's own `bin` with `git` linked in, so which agent CLIs
    /// bakeoff finds is up to the test, not the machine.
    pub fn only_git_on_path(&mut self) {
        let path = std::env::var("PATH").unwrap_or_default();
        let git = std::env::split_paths(&path)
            .map(|dir| dir.join("git"))
            .find(|p| p.is_file())
            .expect("git on the test's PATH");
        std::os::unix::fs::symlink(git, self.bin.join("git")).unwrap();
        let bin = self.bin.display().to_string();
        self.set_env("PATH", &bin);
    }

    /// A branch `feature` whose one commit drops a line, co-authored by Claude: a change
    /// for `bakeoff review` whose author's lab is known.
    pub fn claude_feature_commit(&self) {
        self.git(&["switch", "-q", "-c", "feature"]);
        self.write("src/lib.txt", "one\nthree\n");
        self.commit("drop a line\n\nCo-authored-by: Claude <noreply@anthropic.com>");
    }

    pub fn set_env(&mut self, k: &str, v: &str) {
        self.extra_env.push((k.into(), v.into()));
    }

    /// Adds TOML to the user's config file.
    pub fn config(&mut self, toml: &str) {
        self.config.push_str(toml);
        self.config.push('\n');
        self.write_config();
    }

    fn write_config(&self) {
        let dir = self.home.join(".config/bakeoff");
        std::fs::create_dir_all(&dir).unwrap();
        // Sandboxed lanes (where this machine has bubblewrap) may write under the
        // test's root, where tests' agents and checks leave what they saw; the checkout,
        // the records and the worktrees stay hidden whatever the configuration says.
        // Last in the file, so the tests' own lines keep their numbers.
        let mut text = self.config.clone();
        // They read the project's own test machinery (the scripted agent, the installed
        // CLIs, the Python fixtures) wherever the checkout is, /tmp included.
        if !self.strict {
            text.push_str(&format!(
                "\n[sandbox]\nwrite = [\"{}\"]\nread = [\"{}\"]\n",
                self.root().display(),
                env!("CARGO_MANIFEST_DIR")
            ));
        }
        std::fs::write(dir.join("config.toml"), text).unwrap();
    }

    /// Writes a scripted-agent script outside the repository and returns its path.
    pub fn script(&self, name: &str, text: &str) -> PathBuf {
        let dir = self.root().join("scripts");
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(format!("{name}.script"));
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Defines `[agents.NAME]`: a scripted agent whose output is parsed as `parser`'s.
    pub fn agent(&mut self, name: &str, parser: &str, script: &str) {
        self.agent_as(name, "scripted", parser, script);
    }

    /// [`TestEnv::agent`] under a model's name (`claude-sonnet-4-6`: an Anthropic lane,
    /// so a reviewer of another lab can be assigned).
    pub fn agent_as(&mut self, name: &str, model: &str, parser: &str, script: &str) {
        let path = self.script(name, script);
        let parser = match parser {
            "" => String::new(),
            p => format!("parser = \"{p}\"\n"),
        };
        self.config(&format!(
            "[agents.{name}]\nadapter = \"command\"\nmodel = \"{model}\"\n{parser}command = [\"{}\", \"--script\", \"{}\", \"{{spec_file}}\"]\n",
            scripted_agent().display(),
            path.display()
        ));
    }

    pub fn bakeoff(&self, args: &[&str]) -> Run {
        self.bakeoff_in(&self.repo, args)
    }

    pub fn bakeoff_in(&self, dir: &Path, args: &[&str]) -> Run {
        let out = self.command(dir, args).output().unwrap();
        Run(out)
    }

    pub fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(BAKEOFF);
        hermetic(&mut cmd, &self.home, &self.bin);
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        cmd.current_dir(dir).args(args);
        if args.first() == Some(&"race") && !self.reviews && !args.contains(&"--reviewer") {
            cmd.arg("--no-review");
        }
        cmd
    }

    /// Everything about the user's checkout that bakeoff must not change by mistake.
    pub fn snapshot(&self) -> Snapshot {
        let mut files = BTreeMap::new();
        walk(&self.repo, &self.repo, &mut files);
        Snapshot {
            head: self.git(&["rev-parse", "HEAD"]),
            head_ref: self.git(&["symbolic-ref", "-q", "HEAD"]),
            status: self.git(&["status", "--porcelain=v2", "--untracked-files=all"]),
            index: std::fs::read(self.repo.join(".git/index")).unwrap_or_default(),
            refs: self.git(&["for-each-ref"]),
            worktrees: self.git(&["worktree", "list", "--porcelain"]),
            files,
        }
    }

    /// [`snapshot`](Self::snapshot) without bakeoff's own lane branches and worktrees:
    /// the user's checkout alone, for comparing while a race's lanes still exist.
    pub fn checkout_snapshot(&self) -> Snapshot {
        let mut s = self.snapshot();
        s.refs = s
            .refs
            .lines()
            .filter(|l| !l.contains("\trefs/heads/bakeoff/"))
            .map(|l| format!("{l}\n"))
            .collect();
        s.worktrees = s.worktrees.split("\n\n").next().unwrap_or_default().to_string();
        s
    }

    /// The newest race's journal, parsed.
    pub fn events(&self) -> Vec<serde_json::Value> {
        let dir = self.last_race_dir();
        std::fs::read_to_string(dir.join("events.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    pub fn last_race_dir(&self) -> PathBuf {
        let races = self.repo.join(".git/bakeoff/races");
        let mut ids: Vec<_> = std::fs::read_dir(&races)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        ids.sort();
        ids.pop().expect("a race was recorded")
    }

    pub fn races(&self) -> usize {
        std::fs::read_dir(self.repo.join(".git/bakeoff/races"))
            .map(|r| r.count())
            .unwrap_or(0)
    }

    /// The events of one type for one lane.
    pub fn lane_events(&self, lane: &str, ty: &str) -> Vec<serde_json::Value> {
        self.events()
            .into_iter()
            .filter(|e| e["type"] == ty && e["lane"] == lane)
            .collect()
    }

    pub fn worktree_of(&self, lane: &str) -> PathBuf {
        let race: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(self.last_race_dir().join("race.json")).unwrap())
                .unwrap();
        let lane = race["lanes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == lane)
            .unwrap();
        PathBuf::from(lane["worktree"].as_str().unwrap())
    }
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if rel == ".git" {
            continue;
        }
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            walk(root, &p, out);
        } else if ft.is_symlink() {
            out.insert(
                rel,
                std::fs::read_link(&p)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
                    .into_bytes(),
            );
        } else {
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub head: String,
    head_ref: String,
    pub status: String,
    pub index: Vec<u8>,
    refs: String,
    worktrees: String,
    files: BTreeMap<String, Vec<u8>>,
}

impl Snapshot {
    /// This snapshot as a merge of `files` would leave alone: without HEAD's commit, the
    /// index, the checked-out branch's ref, and those files and their status lines.
    pub fn without(&self, files: &[&str]) -> Snapshot {
        let mut s = self.clone();
        s.head.clear();
        s.index.clear();
        let branch = format!("\t{}", s.head_ref.trim());
        s.refs = s
            .refs
            .lines()
            .filter(|l| !l.ends_with(&branch))
            .map(|l| format!("{l}\n"))
            .collect();
        s.worktrees = s.worktrees.lines().filter(|l| !l.starts_with("HEAD ")).collect();
        for f in files {
            s.files.remove(*f);
        }
        s.status = s
            .status
            .lines()
            .filter(|l| !files.iter().any(|f| l.ends_with(&format!(" {f}"))))
            .map(|l| format!("{l}\n"))
            .collect();
        s
    }
}

/// A finished bakeoff run.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Asserts the exit code, showing both streams when it is wrong.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Run {
        assert_eq!(
            self.code(),
            code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// The journal-replay property, checked for every race a test leaves behind: the
/// standings folded from a race's journal (`events.jsonl` and `race.json` alone) equal
/// what the live race ranked (`results.json`, `leaderboard.json`). Returns how many races
/// were checked.
pub fn check_replay(repo: &Path) -> usize {
    use bakeoff_core::journal::{read_events, RaceRecord, RaceSummary};
    let Ok(entries) = std::fs::read_dir(repo.join(".git/bakeoff/races")) else {
        return 0;
    };
    let mut checked = 0;
    for dir in entries.flatten().map(|e| e.path()) {
        let (Ok(results), Ok(board)) = (
            std::fs::read_to_string(dir.join("results.json")),
            std::fs::read_to_string(dir.join("leaderboard.json")),
        ) else {
            continue;
        };
        let record: RaceRecord =
            serde_json::from_str(&std::fs::read_to_string(dir.join("race.json")).unwrap()).unwrap();
        let events = read_events(&dir.join("events.jsonl")).unwrap();
        let standings = bakeoff_core::race::standings(&record, &RaceSummary::from_events(&events));
        let live: serde_json::Value = serde_json::from_str(&results).unwrap();
        assert_eq!(
            serde_json::to_value(&standings.results).unwrap(),
            live,
            "race {}: the lane results folded from its journal differ from what the live race ranked",
            record.id
        );
        let live: serde_json::Value = serde_json::from_str(&board).unwrap();
        assert_eq!(
            serde_json::to_value(&standings.leaderboard).unwrap(),
            live,
            "race {}: the leaderboard folded from its journal differs from the live one",
            record.id
        );
        checked += 1;
    }
    checked
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            check_replay(&self.repo);
        }
    }
}

/// Where `scripts/install-python-fixtures.sh` put the venv and the sdists. Missing is a
/// failure, not a skip: the suite is part of what bakeoff is tested with.
pub fn py_fixtures() -> PathBuf {
    let dir = std::env::var_os("PY_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".py-fixtures"));
    assert!(
        dir.join("venv/bin/python").is_file(),
        "{} has no Python venv: run scripts/install-python-fixtures.sh",
        dir.display()
    );
    dir
}

/// Copies a tree, `.git` left out and symlinks kept as links.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_name() == ".git" {
            continue;
        }
        let ft = entry.file_type().unwrap();
        if ft.is_dir() {
            copy_tree(&src, &dst);
        } else if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}
