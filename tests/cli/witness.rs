//! What a hostile-lane test watches. A witness plants canary secrets in bakeoff's
//! environment and gives the user's checkout things a careless tool would lose (an
//! ignored secret file, untracked work, a stash); spies (the agent, its checks, hooks it
//! plants) dump the environment they were given into one folder. Afterwards the witness
//! asserts the checkout is byte-identical (or changed by exactly the expected merge) and
//! that no canary shows anywhere: in a spy's environment, in any file under the test's
//! root (records, logs, worktrees, the object database unpacked), in bakeoff's output or
//! in a request body a fake provider received.

use std::path::{Path, PathBuf};

use bakeoff_testkit::fake_provider::FakeProvider;

use crate::support::{Run, Snapshot, TestEnv};

/// A value for every key a provider could be reached with, and for secrets that are
/// nobody's business: a lane's agent, checks and git must never see any of them.
pub const CANARIES: &[(&str, &str)] = &[
    ("ANTHROPIC_API_KEY", "canary-witness-anthropic-4101"),
    ("OPENAI_API_KEY", "canary-witness-openai-4102"),
    ("GEMINI_API_KEY", "canary-witness-gemini-4103"),
    ("GITHUB_TOKEN", "canary-witness-github-4104"),
    ("AWS_SECRET_ACCESS_KEY", "canary-witness-aws-4105"),
];

/// The canary planted as `name`: bakeoff's own key for that provider, under a witness.
pub fn canary(name: &str) -> &'static str {
    CANARIES
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no canary is planted as {name}"))
}

/// The bodies of every request `servers` received, for [`Witness::assert_no_secret`].
pub fn request_bodies(servers: &[&FakeProvider]) -> Vec<String> {
    servers
        .iter()
        .flat_map(|s| s.requests())
        .map(|r| r.body_text())
        .collect()
}

/// The user's ignored secrets file: it stays in the checkout and is never copied out.
const DOTENV: &str = "TOKEN=canary-witness-dotenv-4106\n";

pub struct Witness {
    spy: PathBuf,
    before: Snapshot,
}

impl Witness {
    /// Plants the canaries in `env` and the user's own state in its checkout, then
    /// snapshots the checkout.
    pub fn new(env: &mut TestEnv) -> Witness {
        for (k, v) in CANARIES {
            env.set_env(k, v);
        }
        env.write(".env", DOTENV);
        env.write("notes/draft.txt", "the user's untracked work\n");
        env.write("README.md", "# sample, with an edit the user stashed\n");
        env.git(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "stash",
            "push",
            "-q",
            "--",
            "README.md",
        ]);
        let spy = env.root().join("spy");
        std::fs::create_dir_all(&spy).unwrap();
        Witness {
            spy,
            before: env.checkout_snapshot(),
        }
    }

    /// A scripted-agent step that dumps the agent's environment as `who`'s.
    pub fn agent_spy(&self, who: &str) -> String {
        format!("env-dump {}\n", self.dump(who).display())
    }

    /// `cmd` as a check that first dumps its environment.
    pub fn check_spy(&self, cmd: &str) -> String {
        format!("env >> {}; {cmd}", self.dump("check").display())
    }

    /// A hook body (shell) that dumps the environment it ran with.
    pub fn hook_spy(&self) -> String {
        format!("#!/bin/sh\\nenv >> {}\\n", self.dump("hook").display())
    }

    pub fn dump(&self, who: &str) -> PathBuf {
        self.spy.join(format!("{who}.env"))
    }

    /// The user's checkout is exactly as it was.
    #[track_caller]
    pub fn assert_untouched(&self, env: &TestEnv) {
        assert_eq!(
            env.checkout_snapshot(),
            self.before,
            "the user's checkout changed"
        );
    }

    /// The user's checkout is as it was but for `files`, which a lane wrote into it
    /// (bakeoff reports such files; it never deletes what could be the user's).
    #[track_caller]
    pub fn assert_untouched_but(&self, env: &TestEnv, files: &[&str]) {
        let now = env.checkout_snapshot();
        assert_eq!(now.head, self.before.head, "the user's HEAD moved");
        assert_eq!(now.index, self.before.index, "the user's index changed");
        assert_eq!(
            now.without(files),
            self.before.without(files),
            "the user's checkout changed"
        );
    }

    /// The user's checkout changed by one merge and nothing else: the branch moved by
    /// one commit whose first parent is the old HEAD, that commit changed exactly
    /// `files`, and everything else (other files, ignored and untracked ones, the index
    /// against the new HEAD, stash, other refs, worktrees) is as it was.
    #[track_caller]
    pub fn assert_merged_only(&self, env: &TestEnv, files: &[&str]) {
        let now = env.checkout_snapshot();
        assert_eq!(
            env.git(&["rev-parse", "HEAD^1"]),
            self.before.head,
            "the merge is not one commit on the old HEAD"
        );
        let changed = env.git(&["diff", "--name-only", "HEAD^1", "HEAD"]);
        assert_eq!(
            changed.lines().collect::<Vec<_>>(),
            files,
            "the merge changed other files"
        );
        assert_eq!(now.status, self.before.status, "the work tree's status changed");
        assert_eq!(
            now.without(files),
            self.before.without(files),
            "more than the merge changed"
        );
    }

    /// No canary anywhere: spies' dumps, every file under the test's root but the
    /// user's own `.env`, the object database, `runs`' output and `bodies`.
    #[track_caller]
    pub fn assert_no_secret(&self, env: &TestEnv, runs: &[&Run], bodies: &[String]) {
        let mut places = outputs_and_bodies(runs, bodies);
        let dotenv = env.repo.join(".env");
        files_under(&env.root(), &mut |path, bytes| {
            if path != dotenv {
                places.push((path.display().to_string(), bytes));
            }
        });
        places.push((
            "the object database".into(),
            env.git_bytes(&["cat-file", "--batch-all-objects", "--batch"]),
        ));
        assert_no_canary(&places);
    }

    /// No canary in the spies' dumps, `runs`' output or `bodies`: for a test whose lane
    /// itself wrote a secret into its work, so its worktree, branch and records hold one
    /// by the test's design and only what left bakeoff can be searched.
    #[track_caller]
    pub fn assert_no_secret_in(&self, runs: &[&Run], bodies: &[String]) {
        let mut places = outputs_and_bodies(runs, bodies);
        files_under(&self.spy, &mut |path, bytes| {
            places.push((path.display().to_string(), bytes));
        });
        assert_no_canary(&places);
    }

    /// What `who` dumped: asserts it ran, so a clean dump is not a spy that never ran.
    #[track_caller]
    pub fn spied(&self, who: &str) -> String {
        let text =
            std::fs::read_to_string(self.dump(who)).unwrap_or_else(|_| panic!("the {who} spy never ran"));
        assert!(text.contains("PATH="), "{who}'s dump is not an environment");
        text
    }
}

/// Where bakeoff spoke: its output and errors, and what it sent a provider.
fn outputs_and_bodies(runs: &[&Run], bodies: &[String]) -> Vec<(String, Vec<u8>)> {
    let mut places: Vec<(String, Vec<u8>)> = Vec::new();
    for run in runs {
        places.push(("bakeoff's output".into(), run.0.stdout.clone()));
        places.push(("bakeoff's errors".into(), run.0.stderr.clone()));
    }
    for (i, body) in bodies.iter().enumerate() {
        places.push((format!("request body {i}"), body.clone().into_bytes()));
    }
    places
}

#[track_caller]
fn assert_no_canary(places: &[(String, Vec<u8>)]) {
    let secrets = CANARIES
        .iter()
        .map(|(_, v)| *v)
        .chain([DOTENV.trim().trim_start_matches("TOKEN=")]);
    for secret in secrets {
        for (place, bytes) in places {
            assert!(
                memchr::memmem::find(bytes, secret.as_bytes()).is_none(),
                "{secret} leaked into {place}"
            );
        }
    }
}

fn files_under(dir: &Path, each: &mut dyn FnMut(&Path, Vec<u8>)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => files_under(&path, each),
            Ok(t) if t.is_file() => {
                if let Ok(bytes) = std::fs::read(&path) {
                    each(&path, bytes);
                }
            }
            _ => {}
        }
    }
}
