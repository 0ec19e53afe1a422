//! The fallback for models that answer without tool calls: the first ```` ```bash ````
//! fenced block of the reply is the command, and a line `BAKEOFF_SUBMIT` outside any
//! block ends the run. Pure.

/// The line a model without tools writes when it is done.
pub const SUBMIT_MARKER: &str = "BAKEOFF_SUBMIT";

/// Info strings that mark a shell block.
const SHELL_LANGS: &[&str] = &["bash", "sh", "shell"];

/// What a tool-less reply asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextAction {
    /// The body of the first complete shell block.
    pub command: Option<String>,
    /// A line that is exactly [`SUBMIT_MARKER`], outside any fenced block.
    pub submit: bool,
}

/// Reads a reply that had no tool calls.
pub fn parse_reply(text: &str) -> TextAction {
    let mut action = TextAction::default();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some((fence, info)) = opening_fence(line) else {
            action.submit |= line.trim() == SUBMIT_MARKER;
            continue;
        };
        let mut body = Vec::new();
        let mut closed = false;
        for inner in lines.by_ref() {
            if is_closing_fence(inner, fence) {
                closed = true;
                break;
            }
            body.push(inner);
        }
        let lang = info.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        // An unclosed block is a reply cut off mid-command; running half of it could
        // do harm, so it does not count.
        if closed && action.command.is_none() && SHELL_LANGS.contains(&lang.as_str()) {
            let command = body.join("\n");
            if !command.trim().is_empty() {
                action.command = Some(command);
            }
        }
    }
    action
}

/// Whether the first line of a command's output is the marker (the model ran
/// `echo BAKEOFF_SUBMIT`, as mini-swe-agent's scaffold asks).
pub fn output_submits(output: &str) -> bool {
    output.lines().next().is_some_and(|l| l.trim() == SUBMIT_MARKER)
}

/// A fence opening: up to three spaces, three or more backticks or tildes, an info
/// string. Returns the fence and the info string.
fn opening_fence(line: &str) -> Option<(&str, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let ch = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.len() - rest.trim_start_matches(ch).len();
    if len < 3 {
        return None;
    }
    let (fence, info) = rest.split_at(len);
    if ch == '`' && info.contains('`') {
        return None;
    }
    Some((fence, info.trim()))
}

fn is_closing_fence(line: &str, fence: &str) -> bool {
    let trimmed = line.trim();
    let Some(ch) = fence.chars().next() else {
        return false;
    };
    let indent = line.len() - line.trim_start_matches(' ').len();
    indent <= 3 && trimmed.len() >= fence.len() && trimmed.chars().all(|c| c == ch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_parser_cases() {
        let cases: &[(&str, Option<&str>, bool)] = &[
            ("Let me look.\n```bash\nls -la\n```\n", Some("ls -la"), false),
            (
                "Two blocks:\n```bash\nfirst\n```\nthen\n```bash\nsecond\n```",
                Some("first"),
                false,
            ),
            (
                "```python\nprint(1)\n```\n```sh\ncat a.txt | wc -l\n```",
                Some("cat a.txt | wc -l"),
                false,
            ),
            (
                "```bash\ncat <<'EOF' > f.txt\nline one\n\nline three\nEOF\n```",
                Some("cat <<'EOF' > f.txt\nline one\n\nline three\nEOF"),
                false,
            ),
            ("````bash\necho ```\n````", Some("echo ```"), false),
            ("~~~shell\npwd\n~~~", Some("pwd"), false),
            ("  ```Bash title\nmake\n  ```", Some("make"), false),
            ("```bash\nunterminated", None, false),
            ("```bash\n\n```", None, false),
            ("```\nls\n```", None, false),
            ("All done.\nBAKEOFF_SUBMIT\n", None, true),
            ("  BAKEOFF_SUBMIT  ", None, true),
            ("I will print BAKEOFF_SUBMIT when done", None, false),
            (
                "```bash\necho BAKEOFF_SUBMIT\n```",
                Some("echo BAKEOFF_SUBMIT"),
                false,
            ),
            (
                "```bash\ngit diff --stat\n```\nBAKEOFF_SUBMIT",
                Some("git diff --stat"),
                true,
            ),
            ("", None, false),
        ];
        for (text, command, submit) in cases {
            let got = parse_reply(text);
            assert_eq!(got.command.as_deref(), *command, "{text:?}");
            assert_eq!(got.submit, *submit, "{text:?}");
        }
    }

    #[test]
    fn submission_by_output() {
        assert!(output_submits("BAKEOFF_SUBMIT\n"));
        assert!(!output_submits("ok\nBAKEOFF_SUBMIT\n"));
        assert!(!output_submits(""));
    }
}
