//! Lanes on one shared checkout of the base (`[worktree] shared-base`): the agent starts
//! on an overlay of the base and its lane is settled onto a checkout of its own when it
//! stops. Whatever the agent did, the lane ends exactly as a lane checked out on its
//! own would: the same files, modes and links in its worktree, the same captured tree;
//! and no lane can reach the base another lane reads.
//!
//! Under `CI` a machine that cannot mount a lane's overlay fails these; elsewhere they
//! say so and pass.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::TestEnv;
use crate::witness::Witness;

/// A base with nested folders, a link and an executable, beside the usual files.
fn richer_repo(shared_base: bool) -> TestEnv {
    let mut env = TestEnv::new();
    env.write("docs/a.md", "a\n");
    env.write("docs/b.md", "b\n");
    env.write("docs/deep/c.md", "c\n");
    env.write("tool.sh", "#!/bin/sh\necho tool\n");
    std::fs::set_permissions(env.repo.join("tool.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("docs/a.md", env.repo.join("to-a")).unwrap();
    env.commit("more files");
    env.config(&format!("[worktree]\nshared-base = {shared_base}\n"));
    env
}

/// `[agents.NAME]` running `body` with `sh` in its worktree.
fn sh_agent(env: &mut TestEnv, name: &str, body: &str) {
    let script = env.root().join(format!("{name}.sh"));
    std::fs::write(&script, body).unwrap();
    env.config(&format!(
        "[agents.{name}]\nadapter = \"command\"\nmodel = \"scripted\"\ncommand = [\"sh\", \"{}\"]\n",
        script.display()
    ));
}

fn race_json(env: &TestEnv) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(env.last_race_dir().join("race.json")).unwrap()).unwrap()
}

/// Whether the race's lanes were on the shared base; false only where the machine
/// cannot mount an overlay, which fails under `CI`.
fn was_shared(env: &TestEnv) -> bool {
    let shared = race_json(env)["shared_base"] == true;
    if !shared {
        assert!(
            std::env::var_os("CI").is_none(),
            "lanes were not put on the shared base: this machine cannot mount a lane's overlay"
        );
        eprintln!("skipped: this machine cannot mount a lane's overlay");
    }
    shared
}

/// Every entry of a worktree but `.git`: its kind, mode and content or link target.
fn tree_of(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if rel == ".git" {
                continue;
            }
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let mode = meta.permissions().mode() & 0o7777;
            if meta.file_type().is_symlink() {
                out.insert(
                    rel,
                    format!("link -> {}", std::fs::read_link(&p).unwrap().display()),
                );
            } else if meta.is_dir() {
                out.insert(rel.clone(), format!("dir {mode:o}"));
                walk(root, &p, out);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
                out.insert(rel, format!("file {mode:o} {text:?}"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// What an agent can do to its files, the awkward cases of an overlay included: a file
/// of the base edited in place, deleted, replaced by a folder; a folder of the base
/// deleted and made again, renamed, emptied; modes and links; its own commit.
const EVERYTHING: &str = r#"
echo four >> src/lib.txt
chmod 600 src/lib.txt
rm README.md
rm -rf tests && mkdir tests && echo 'echo replaced' > tests/only.sh
mv docs papers
echo new > papers/deep/new.md
rm papers/b.md
mkdir -p fresh/nested && echo n > fresh/nested/n.txt
mkdir empty
rm tool.sh && mkdir tool.sh && echo inside > tool.sh/file
rm to-a && ln -s src/lib.txt to-a
ln -s missing dangling
chmod 700 fresh
echo ignored > build.log
git add -A && git -c user.name=a -c user.email=a@a commit -qm 'the agent commits' || true
echo after-commit > late.txt
"#;

#[test]
fn a_lane_on_the_shared_base_ends_as_a_lane_checked_out_on_its_own() {
    let mut runs = Vec::new();
    for shared in [true, false] {
        let mut env = richer_repo(shared);
        sh_agent(&mut env, "all", EVERYTHING);
        // Gated (it replaces a test file), which is the point of nothing here.
        env.bakeoff(&["race", "change everything", "-a", "all"]).expect(1);
        runs.push(env);
    }
    let (shared, own) = (&runs[0], &runs[1]);
    if !was_shared(shared) {
        return;
    }
    assert_ne!(
        race_json(own)["shared_base"],
        true,
        "asked for lanes checked out on their own"
    );

    let (wt_shared, wt_own) = (shared.worktree_of("all"), own.worktree_of("all"));
    let files = tree_of(&wt_shared);
    assert_eq!(
        files,
        tree_of(&wt_own),
        "the settled worktree differs from a checked-out one"
    );
    assert_eq!(files["papers/deep/new.md"], "file 644 \"new\\n\"", "{files:#?}");
    assert!(
        !files.contains_key("README.md") && !files.contains_key("docs"),
        "{files:#?}"
    );
    assert_eq!(files["fresh"], "dir 700");

    // The same captured tree (the two repositories hold the same base).
    let tree = |env: &TestEnv| {
        let commit = env.lane_events("all", "captured")[0]["capture"]["commit"]
            .as_str()
            .unwrap()
            .to_string();
        env.git(&["rev-parse", &format!("{commit}^{{tree}}")])
    };
    assert_eq!(tree(shared), tree(own));
    // The worktree is an ordinary one: clean against its capture, unlocked, and nothing
    // of the shared base or the overlay is left.
    assert_eq!(shared.git_in(&wt_shared, &["status", "--porcelain"]), "");
    let race_root = wt_shared.parent().unwrap();
    let left: Vec<_> = std::fs::read_dir(race_root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["all"], "only the lane's worktree is left");
    let list = shared.git(&["worktree", "list", "--porcelain"]);
    assert!(!list.contains("locked"), "{list}");
}

#[test]
fn a_lane_cannot_reach_the_base_another_lane_reads() {
    if !crate::sandbox::sandbox_here() {
        return;
    }
    let mut env = richer_repo(true);
    let w = Witness::new(&mut env);
    let spy = env.root().join("spy");
    // The tamperer writes through every way to the shared files it can think of: in
    // place, through the base's own folder beside its worktree, by unmounting its
    // overlay, by the overlay's upper folder; then tells the honest lane to look.
    sh_agent(
        &mut env,
        "tamper",
        &format!(
            r#"
for f in ../.base/src/lib.txt ../.overlay/honest/upper/src/lib.txt ../honest/src/lib.txt; do
  echo evil >> "$f" 2>/dev/null && echo "wrote $f" >> {spy}/tamper.txt
done
umount "$PWD" 2>/dev/null && echo unmounted >> {spy}/tamper.txt
echo evil >> src/lib.txt
touch {spy}/tampered
"#,
            spy = spy.display()
        ),
    );
    sh_agent(
        &mut env,
        "honest",
        &format!(
            r#"
i=0; while [ ! -e {spy}/tampered ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
cp src/lib.txt {spy}/honest-saw.txt
echo honest >> src/lib.txt
"#,
            spy = spy.display()
        ),
    );
    env.bakeoff(&[
        "race",
        "add a line",
        "-a",
        "tamper",
        "-a",
        "honest",
        "--check",
        "true",
    ])
    .expect(0);
    if !was_shared(&env) {
        return;
    }
    assert!(spy.join("tampered").exists(), "the tamperer ran");
    let wrote = std::fs::read_to_string(spy.join("tamper.txt")).unwrap_or_default();
    assert_eq!(wrote, "", "the tamperer reached what it must not");
    assert_eq!(
        std::fs::read_to_string(spy.join("honest-saw.txt")).unwrap(),
        "one\ntwo\nthree\n",
        "the honest lane read the base as committed"
    );
    let honest = std::fs::read_to_string(env.worktree_of("honest").join("src/lib.txt")).unwrap();
    assert_eq!(honest, "one\ntwo\nthree\nhonest\n");
    let tamper = std::fs::read_to_string(env.worktree_of("tamper").join("src/lib.txt")).unwrap();
    assert_eq!(tamper, "one\ntwo\nthree\nevil\n");
    w.assert_untouched(&env);
}
