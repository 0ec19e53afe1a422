//! Just enough reading of a unified diff for review: where each file's section starts
//! and ends, the file's path, and which lines a hunk adds at which new line number.
//! Hunk bodies are walked by their header counts, so an added line that looks like a
//! header (`+++ x`, `diff --git …`) is never mistaken for one.

/// One file's part of a diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileSection<'a> {
    /// The new path, or the old one for a deletion.
    pub path: String,
    /// The section's text, its header included, each line with its newline.
    pub text: &'a str,
}

/// A line the diff adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Added<'a> {
    /// 1-based line number in the new file.
    pub line: u32,
    /// The line without its leading `+`.
    pub text: &'a str,
}

/// Splits a diff into its file sections. Text before the first file header (a commit
/// message, say) belongs to no file and is dropped.
pub(crate) fn sections(diff: &str) -> Vec<FileSection<'_>> {
    let lines: Vec<(usize, &str)> = line_spans(diff);
    let mut starts = Vec::new();
    let mut hunk_left = (0u32, 0u32);
    for (i, &(_, line)) in lines.iter().enumerate() {
        if hunk_left != (0, 0) {
            hunk_left = consume(hunk_left, line);
            continue;
        }
        if line.starts_with("diff --git ") {
            starts.push(i);
        } else if line.starts_with("--- ")
            && lines.get(i + 1).is_some_and(|(_, next)| next.starts_with("+++ "))
            && !starts.last().is_some_and(|&s| in_header(&lines, s, i))
        {
            // A plain `diff -u` section, without a `diff --git` line of its own.
            starts.push(i);
        } else if let Some(counts) = hunk_counts(line) {
            hunk_left = counts;
        }
    }
    starts
        .iter()
        .enumerate()
        .map(|(n, &start)| {
            let begin = lines[start].0;
            let end = starts.get(n + 1).map(|&next| lines[next].0).unwrap_or(diff.len());
            let text = &diff[begin..end];
            FileSection {
                path: path_of(text),
                text,
            }
        })
        .collect()
}

/// The lines a file section adds, numbered in the new file.
pub(crate) fn added_lines(section: &str) -> Vec<Added<'_>> {
    let mut added = Vec::new();
    let mut hunk_left = (0u32, 0u32);
    let mut new_line = 0u32;
    for line in section.lines() {
        if hunk_left == (0, 0) {
            if let Some(counts) = hunk_counts(line) {
                hunk_left = counts;
                new_line = new_start(line).unwrap_or(1);
            }
            continue;
        }
        if let Some(text) = line.strip_prefix('+') {
            added.push(Added { line: new_line, text });
            new_line += 1;
        } else if line.starts_with(' ') || line.is_empty() {
            new_line += 1;
        }
        hunk_left = consume(hunk_left, line);
    }
    added
}

/// The path a section is about: `+++ b/x`, else `--- a/x` (a deletion), else the
/// `diff --git a/x b/x` line (binary or mode-only changes have no `---`/`+++`).
fn path_of(section: &str) -> String {
    let mut old = None;
    for line in section.lines() {
        if line.starts_with("@@") {
            break;
        }
        if let Some(p) = line.strip_prefix("+++ ") {
            if let Some(p) = clean_path(p, "b/") {
                return p;
            }
        } else if let Some(p) = line.strip_prefix("--- ") {
            old = clean_path(p, "a/");
        }
    }
    if let Some(p) = old {
        return p;
    }
    let first = section.lines().next().unwrap_or("");
    first
        .strip_prefix("diff --git ")
        .and_then(|rest| {
            rest.rfind(" b/")
                .map(|i| rest[i + 3..].trim_matches('"').to_string())
        })
        .unwrap_or_else(|| "(unknown file)".to_string())
}

fn clean_path(raw: &str, prefix: &str) -> Option<String> {
    // Drop a trailing timestamp (`diff -u` writes `--- x\t2024-…`) and git's quotes.
    let raw = raw.split('\t').next().unwrap_or(raw).trim().trim_matches('"');
    if raw == "/dev/null" {
        return None;
    }
    Some(raw.strip_prefix(prefix).unwrap_or(raw).to_string())
}

/// True when line `i` is still in the header part of the section starting at `start`
/// (no hunk yet): a `--- `/`+++ ` pair there belongs to that `diff --git` section.
fn in_header(lines: &[(usize, &str)], start: usize, i: usize) -> bool {
    lines[start].1.starts_with("diff --git ") && !lines[start..i].iter().any(|(_, l)| l.starts_with("@@"))
}

/// `@@ -a,b +c,d @@` → (b, d); a missing count is 1.
fn hunk_counts(line: &str) -> Option<(u32, u32)> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let count = |r: &str| -> Option<u32> {
        match r.split_once(',') {
            Some((_, n)) => n.parse().ok(),
            None => r.parse::<u32>().ok().map(|_| 1),
        }
    };
    Some((count(old)?, count(new)?))
}

fn new_start(line: &str) -> Option<u32> {
    let plus = line.find(" +")?;
    let rest = &line[plus + 2..];
    let end = rest.find([',', ' '])?;
    rest[..end].parse().ok()
}

/// Counts one hunk body line against the (old, new) lines the hunk has left.
fn consume((old, new): (u32, u32), line: &str) -> (u32, u32) {
    match line.as_bytes().first() {
        Some(b'+') => (old, new.saturating_sub(1)),
        Some(b'-') => (old.saturating_sub(1), new),
        // "\ No newline at end of file" counts as neither.
        Some(b'\\') => (old, new),
        // A context line; some tools strip the space from an empty one.
        _ => (old.saturating_sub(1), new.saturating_sub(1)),
    }
}

/// Each line's byte offset and text (without its newline).
fn line_spans(text: &str) -> Vec<(usize, &str)> {
    let mut spans = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        spans.push((offset, line.trim_end_matches('\n').trim_end_matches('\r')));
        offset += line.len();
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "\
diff --git a/src/a.rs b/src/a.rs
index 1..2 100644
--- a/src/a.rs
+++ b/src/a.rs
@@ -1,3 +1,4 @@
 fn a() {
-    old();
+    new();
+++ tricky added line
 }
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/img.png b/img.png
Binary files differ
diff --git a/src/b.rs b/src/b.rs
--- a/src/b.rs
+++ b/src/b.rs
@@ -10,2 +10,3 @@ fn ctx()
 x
+y
 z
";

    #[test]
    fn splits_by_file() {
        let s = sections(DIFF);
        let paths: Vec<&str> = s.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["src/a.rs", "gone.txt", "img.png", "src/b.rs"]);
        let joined: String = s.iter().map(|f| f.text).collect();
        assert_eq!(joined, DIFF);
        assert!(s[0].text.contains("+++ tricky added line"));
    }

    #[test]
    fn plain_diff_u_sections() {
        let d = "--- a.txt\t2024-01-01\n+++ a.txt\t2024-01-02\n@@ -1 +1 @@\n-x\n+y\n--- b.txt\n+++ b.txt\n@@ -1 +1 @@\n-p\n+q\n";
        let paths: Vec<String> = sections(d).into_iter().map(|f| f.path).collect();
        assert_eq!(paths, ["a.txt", "b.txt"]);
    }

    #[test]
    fn added_lines_are_numbered_in_the_new_file() {
        let s = sections(DIFF);
        let a: Vec<(u32, &str)> = added_lines(s[0].text).iter().map(|a| (a.line, a.text)).collect();
        assert_eq!(a, [(2, "    new();"), (3, "++ tricky added line")]);
        let b: Vec<(u32, &str)> = added_lines(s[3].text).iter().map(|a| (a.line, a.text)).collect();
        assert_eq!(b, [(11, "y")]);
        assert!(added_lines(s[1].text).is_empty());
    }
}
