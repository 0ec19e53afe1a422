//! A unified diff (a lane's `diff.patch`) read back into files and lines, for the
//! reports to lay out: each file's path, whether it is binary, and its lines with their
//! kind and their numbers in the old and the new file.

/// One line of a file's diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchLine {
    pub kind: LineKind,
    /// The line without its `+`, `-` or ` ` prefix (a hunk header or note whole).
    pub text: String,
    /// Its number in the old file (removed and context lines).
    pub old: Option<u32>,
    /// Its number in the new file (added and context lines).
    pub new: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Context,
    Added,
    Removed,
    /// `@@ -a,b +c,d @@ …`
    Hunk,
    /// `\ No newline at end of file`, `Binary files … differ`, mode changes.
    Note,
}

/// One file of a diff.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatchFile {
    /// The new path (the old one for a deletion).
    pub path: String,
    pub lines: Vec<PatchLine>,
    /// Every byte of the file's part of the patch, headers included.
    pub raw: String,
}

impl PatchFile {
    pub fn insertions(&self) -> usize {
        self.lines.iter().filter(|l| l.kind == LineKind::Added).count()
    }
    pub fn deletions(&self) -> usize {
        self.lines.iter().filter(|l| l.kind == LineKind::Removed).count()
    }
}

/// The files of a unified diff as git writes it (`diff --git a/X b/Y` per file).
pub fn parse(patch: &str) -> Vec<PatchFile> {
    let mut files: Vec<PatchFile> = Vec::new();
    let (mut old, mut new) = (0u32, 0u32);
    let mut in_hunk = false;
    for line in patch.split_inclusive('\n') {
        let bare = line.strip_suffix('\n').unwrap_or(line);
        let bare = bare.strip_suffix('\r').unwrap_or(bare);
        if let Some(rest) = bare.strip_prefix("diff --git ") {
            files.push(PatchFile {
                path: path_of_header(rest),
                ..PatchFile::default()
            });
            in_hunk = false;
        }
        let Some(file) = files.last_mut() else {
            continue;
        };
        file.raw.push_str(line);
        if bare.starts_with("diff --git ") {
            continue;
        }
        if let Some(header) = bare.strip_prefix("@@ ") {
            (old, new) = hunk_starts(header);
            in_hunk = true;
            file.lines.push(note(LineKind::Hunk, bare));
            continue;
        }
        if !in_hunk {
            if let Some(path) = bare.strip_prefix("+++ b/") {
                file.path = path.to_string();
            } else if bare.starts_with("Binary files") || bare.contains(" mode ") {
                file.lines.push(note(LineKind::Note, bare));
            }
            continue;
        }
        let (kind, text) = match bare.chars().next() {
            Some('+') => (LineKind::Added, &bare[1..]),
            Some('-') => (LineKind::Removed, &bare[1..]),
            Some(' ') => (LineKind::Context, &bare[1..]),
            Some('\\') => (LineKind::Note, bare),
            // An empty context line some tools write without its space.
            None => (LineKind::Context, ""),
            Some(_) => (LineKind::Note, bare),
        };
        let (o, n) = match kind {
            LineKind::Added => (None, Some(bump(&mut new))),
            LineKind::Removed => (Some(bump(&mut old)), None),
            LineKind::Context => (Some(bump(&mut old)), Some(bump(&mut new))),
            _ => (None, None),
        };
        file.lines.push(PatchLine {
            kind,
            text: text.to_string(),
            old: o,
            new: n,
        });
    }
    files
}

fn bump(n: &mut u32) -> u32 {
    let at = *n;
    *n += 1;
    at
}

fn note(kind: LineKind, text: &str) -> PatchLine {
    PatchLine {
        kind,
        text: text.to_string(),
        old: None,
        new: None,
    }
}

/// `a/x b/x` → `x`; a quoted or odd header is kept as it is until `+++` names the file.
fn path_of_header(rest: &str) -> String {
    match rest.rsplit_once(" b/") {
        Some((_, path)) => path.to_string(),
        None => rest.to_string(),
    }
}

/// The first old and new line numbers of `-a,b +c,d @@`.
fn hunk_starts(header: &str) -> (u32, u32) {
    let mut parts = header.split_whitespace();
    let start = |p: Option<&str>, sign: char| {
        p.and_then(|p| p.strip_prefix(sign))
            .and_then(|p| p.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(1)
    };
    let old = start(parts.next(), '-');
    let new = start(parts.next(), '+');
    (old, new)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "diff --git a/src/lib.rs b/src/lib.rs\nindex 1..2 100644\n--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n fn a() {}\n-fn b() {}\n+fn c() {}\n \n\\ No newline at end of file\ndiff --git a/logo.png b/logo.png\nnew file mode 100644\nBinary files /dev/null and b/logo.png differ\n";

    #[test]
    fn files_lines_and_numbers() {
        let files = parse(PATCH);
        assert_eq!(files.len(), 2);
        let f = &files[0];
        assert_eq!(f.path, "src/lib.rs");
        assert_eq!((f.insertions(), f.deletions()), (1, 1));
        let kinds: Vec<LineKind> = f.lines.iter().map(|l| l.kind).collect();
        use LineKind::*;
        assert_eq!(kinds, [Hunk, Context, Removed, Added, Context, Note]);
        assert_eq!((f.lines[2].old, f.lines[2].new), (Some(2), None));
        assert_eq!((f.lines[3].old, f.lines[3].new), (None, Some(2)));
        assert_eq!((f.lines[4].old, f.lines[4].new), (Some(3), Some(3)));
        assert_eq!(f.lines[3].text, "fn c() {}");
        assert_eq!(files[1].path, "logo.png");
        assert_eq!(files[1].lines[1].kind, Note);
        assert_eq!(format!("{}{}", files[0].raw, files[1].raw), PATCH);
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(parse("").is_empty());
        assert!(parse("garbage before any header\n").is_empty());
    }
}
