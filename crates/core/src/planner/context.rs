//! What the planner sees of the repository: a distilled, bounded view at the base
//! commit — the file tree (capped), the README (capped) and the files the task names
//! (capped each) — and never a holdout file, by name or by content.

use std::path::Path;

use crate::error::Error;
use crate::git;

/// The most paths of the file tree the planner is shown.
pub const TREE_PATHS: usize = 400;
/// The most bytes of the README the planner is shown.
pub const README_BYTES: usize = 8 * 1024;
/// The most bytes of each file the task names.
pub const FILE_BYTES: usize = 16 * 1024;
/// The most files the task names that are shown.
pub const NAMED_FILES: usize = 8;

/// The repository as the planner sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoView {
    /// The first [`TREE_PATHS`] visible paths at the base, sorted.
    pub tree: Vec<String>,
    /// How many visible paths the base has in all.
    pub tree_total: usize,
    pub readme: Option<Excerpt>,
    /// The files the task names, in the order it names them.
    pub named: Vec<Excerpt>,
}

/// The head of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt {
    pub path: String,
    pub text: String,
    /// Bytes of the file left out.
    pub cut: usize,
}

/// The paths the planner must never see: the holdout folder (where it is inside the
/// repository), the paths its files are laid in at, and the paths the holdout checks'
/// commands name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hidden {
    /// Repository-relative paths; a path is hidden when it is one of them or under one.
    paths: Vec<String>,
}

impl Hidden {
    /// The hidden paths of a repository at `repo_top` whose files at the base are
    /// `tracked`, for the holdout folder `holdout` and the holdout checks' commands.
    pub fn new(
        repo_top: &Path,
        holdout: Option<&Path>,
        holdout_commands: &[String],
        tracked: &[String],
    ) -> Hidden {
        let mut paths = Vec::new();
        if let Some(dir) = holdout {
            let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
            let top = repo_top.canonicalize().unwrap_or_else(|_| repo_top.to_path_buf());
            if let Ok(rel) = dir.strip_prefix(&top) {
                let rel = rel.to_string_lossy().into_owned();
                if !rel.is_empty() {
                    paths.push(rel);
                }
            }
            // Holdout files are laid in at their path under the folder.
            let mut stack = vec![dir.clone()];
            while let Some(d) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&d) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let p = entry.path();
                    if entry.file_type().is_ok_and(|t| t.is_dir()) {
                        stack.push(p);
                    } else if let Ok(rel) = p.strip_prefix(&dir) {
                        paths.push(rel.to_string_lossy().into_owned());
                    }
                }
            }
        }
        for command in holdout_commands {
            for word in words(command) {
                let named = tracked
                    .iter()
                    .any(|t| t == &word || t.starts_with(&format!("{}/", word.trim_end_matches('/'))));
                if named {
                    paths.push(word.trim_end_matches('/').to_string());
                }
            }
        }
        paths.sort();
        paths.dedup();
        Hidden { paths }
    }

    /// Whether the planner must not see `path`.
    pub fn hides(&self, path: &str) -> bool {
        self.paths
            .iter()
            .any(|h| path == h || (path.starts_with(h.as_str()) && path[h.len()..].starts_with('/')))
    }
}

/// The words of a text that could be paths: split on whitespace and quoting, with
/// sentence punctuation and a leading `./` taken off.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "`\"'(),;<>[]{}=".contains(c))
        .map(|w| w.trim_end_matches(['.', ':', '!', '?']))
        .map(|w| w.strip_prefix("./").unwrap_or(w))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The paths of `visible` the task names: a word that is a path, or a file name (with
/// an extension) or a tail of a path that ends one; at most [`NAMED_FILES`], in the
/// order the task names them.
pub fn named_paths(task: &str, visible: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in words(task) {
        let exact = visible.iter().filter(|p| **p == word);
        let tail = format!("/{word}");
        let by_tail = visible
            .iter()
            .filter(|p| word.contains('.') && p.ends_with(&tail));
        for p in exact.chain(by_tail) {
            if out.len() < NAMED_FILES && !out.contains(p) {
                out.push(p.clone());
            }
        }
    }
    out
}

/// The view of the repository at `base` for `task`, with `hidden` left out.
pub fn view(
    repo_top: &Path,
    base: &str,
    task: &str,
    tracked: &[String],
    hidden: &Hidden,
) -> Result<RepoView, Error> {
    let visible: Vec<String> = tracked.iter().filter(|p| !hidden.hides(p)).cloned().collect();
    let read = |path: &str, cap: usize| -> Result<Option<Excerpt>, Error> {
        let Some(bytes) = git::file_at(repo_top, base, path).map_err(Error::Git)? else {
            return Ok(None);
        };
        if bytes.contains(&0) {
            return Ok(Some(Excerpt {
                path: path.to_string(),
                text: "(a binary file)".to_string(),
                cut: bytes.len(),
            }));
        }
        let (text, cut) = head(&bytes, cap);
        Ok(Some(Excerpt {
            path: path.to_string(),
            text,
            cut,
        }))
    };
    let readme = visible
        .iter()
        .find(|p| !p.contains('/') && p.to_ascii_lowercase().starts_with("readme"))
        .cloned();
    let readme = match readme {
        Some(p) => read(&p, README_BYTES)?,
        None => None,
    };
    let mut named = Vec::new();
    for path in named_paths(task, &visible) {
        if let Some(e) = read(&path, FILE_BYTES)? {
            named.push(e);
        }
    }
    Ok(RepoView {
        tree: visible.iter().take(TREE_PATHS).cloned().collect(),
        tree_total: visible.len(),
        readme,
        named,
    })
}

/// The first `cap` bytes of `bytes` as text, cut at a character boundary, and how many
/// bytes were left out.
fn head(bytes: &[u8], cap: usize) -> (String, usize) {
    let text = String::from_utf8_lossy(bytes);
    if text.len() <= cap {
        return (text.into_owned(), 0);
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text[..end].to_string(), text.len() - end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_task_names_files_by_path_or_name() {
        let visible = paths(&["src/lib.rs", "src/retry.rs", "README.md", "docs/retry.md"]);
        let cases: &[(&str, &[&str])] = &[
            ("Fix `src/retry.rs`.", &["src/retry.rs"]),
            (
                "see retry.rs and README.md, then ./src/lib.rs:",
                &["src/retry.rs", "README.md", "src/lib.rs"],
            ),
            ("make retry faster", &[]),
            ("retry.md or src/nothing.rs", &["docs/retry.md"]),
        ];
        for (task, want) in cases {
            assert_eq!(named_paths(task, &visible), paths(want), "{task}");
        }
    }

    #[test]
    fn holdout_paths_and_what_is_under_them_are_hidden() {
        let tracked = paths(&["qa/secret_test.sh", "tests/hidden.sh", "src/lib.rs", "qa2/x"]);
        let top = std::path::Path::new("/nonexistent-repo");
        let hidden = Hidden::new(
            top,
            None,
            &["sh tests/hidden.sh --fast".to_string(), "make qa".to_string()],
            &tracked,
        );
        assert!(hidden.hides("tests/hidden.sh"));
        assert!(!hidden.hides("src/lib.rs"));
        let hidden = Hidden {
            paths: paths(&["qa"]),
        };
        assert!(hidden.hides("qa/secret_test.sh") && hidden.hides("qa"));
        assert!(!hidden.hides("qa2/x"));
    }

    #[test]
    fn heads_are_cut_at_a_character_boundary() {
        assert_eq!(head(b"abc", 10), ("abc".to_string(), 0));
        assert_eq!(head("aé".as_bytes(), 2), ("a".to_string(), 2));
    }
}
