//! Secrets in a diff never reach a reviewer. Before a diff is sent to another lab's model,
//! every value of a key bakeoff holds and every string shaped like a well-known token
//! (Anthropic, OpenAI, Google, GitHub, Slack, AWS keys, PEM private keys) is replaced by
//! `[redacted]`; an added line that held one is reported as bakeoff's own finding.
//!
//! The names and shapes of secrets are `crate::secret`'s.

use super::diff::{added_lines, sections};
use crate::secret::{is_secret_name, token_spans};
use crate::vocab::{Finding, FindingSource, Severity};

/// What a redacted secret becomes in the text a reviewer sees.
pub const REDACTED: &str = "[redacted]";

/// Values shorter than this are not treated as secrets: they would match ordinary text.
const MIN_SECRET: usize = 8;

const PEM_BEGIN: &str = "-----BEGIN ";
const PEM_KEY: &str = "PRIVATE KEY-----";

/// The values of the secrets in an environment (`*_API_KEY`, `*_TOKEN`, … as the agent
/// module names them), for [`redact`].
pub fn known_values<'a>(env: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    env.into_iter()
        .filter(|(k, v)| is_secret_name(k) && v.len() >= MIN_SECRET)
        .map(|(_, v)| v.to_string())
        .collect()
}

/// The diff with every secret redacted, and a finding per added line that held one.
/// `known` are the values of the keys in bakeoff's own environment.
pub fn redact(diff: &str, known: &[String]) -> (String, Vec<Finding>) {
    let known: Vec<&str> = known
        .iter()
        .map(String::as_str)
        .filter(|v| v.len() >= MIN_SECRET)
        .collect();
    let mut findings = Vec::new();
    for section in sections(diff) {
        for added in added_lines(section.text) {
            if let Some(what) = first_secret(added.text, &known) {
                findings.push(Finding {
                    severity: Severity::Blocker,
                    file: section.path.clone(),
                    line: Some(added.line),
                    title: format!("The change adds a secret ({what})"),
                    body: format!(
                        "An added line holds {what}. It was redacted before any reviewer saw the diff; a secret \
                         committed to the repository must be revoked."
                    ),
                    suggestion: Some("remove it and read it from the environment instead".to_string()),
                    source: FindingSource::Bakeoff,
                });
            }
        }
    }
    (redact_text(diff, &known), findings)
}

/// What kind of secret `line` holds first, if any.
fn first_secret(line: &str, known: &[&str]) -> Option<&'static str> {
    if known.iter().any(|k| line.contains(k)) {
        return Some("a key bakeoff holds");
    }
    if line.contains(PEM_BEGIN) && line.contains(PEM_KEY) {
        return Some("a private key");
    }
    token_spans(line).first().map(|(_, _, what)| *what)
}

fn redact_text(text: &str, known: &[&str]) -> String {
    let mut out = text.to_string();
    // Longest first, so a key that contains another is redacted whole.
    let mut known: Vec<&str> = known.to_vec();
    known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    for k in known {
        out = out.replace(k, REDACTED);
    }
    let mut lines: Vec<String> = Vec::new();
    let mut in_pem = false;
    for line in out.split_inclusive('\n') {
        if line.contains(PEM_BEGIN) && line.contains(PEM_KEY) {
            in_pem = true;
            lines.push(line.to_string());
            continue;
        }
        if in_pem {
            if line.contains("-----END ") {
                in_pem = false;
                lines.push(line.to_string());
            } else {
                // Keep the diff's own first column (`+`, `-`, ` `) so hunks still parse.
                let (mark, _) = line.split_at(line.chars().next().map_or(0, char::len_utf8));
                let eol = if line.ends_with('\n') { "\n" } else { "" };
                lines.push(format!("{mark}{REDACTED}{eol}"));
            }
            continue;
        }
        let mut line = line.to_string();
        for (start, end, _) in token_spans(&line).into_iter().rev() {
            line.replace_range(start..end, REDACTED);
        }
        lines.push(line);
    }
    lines.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = concat!(
        "diff --git a/src/config.py b/src/config.py\n",
        "--- a/src/config.py\n",
        "+++ b/src/config.py\n",
        "@@ -1,2 +1,4 @@\n",
        " import os\n",
        "+KEY = \"sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123\"\n",
        "+TOKEN = \"canary-known-value-42\"\n",
        " task-runner = 1\n",
    );

    #[test]
    fn known_keys_and_token_shapes_are_redacted_and_reported() {
        let (text, findings) = redact(DIFF, &["canary-known-value-42".to_string(), "short".to_string()]);
        assert!(!text.contains("sk-ant-api03"), "{text}");
        assert!(!text.contains("canary-known-value-42"), "{text}");
        assert!(text.contains("task-runner = 1"), "ordinary text is kept: {text}");
        assert_eq!(text.matches(REDACTED).count(), 2, "{text}");
        let places: Vec<(String, Option<u32>)> = findings.iter().map(|f| (f.file.clone(), f.line)).collect();
        assert_eq!(
            places,
            [
                ("src/config.py".to_string(), Some(2)),
                ("src/config.py".to_string(), Some(3))
            ]
        );
        assert!(findings
            .iter()
            .all(|f| f.source == FindingSource::Bakeoff && f.severity == Severity::Blocker));
        assert!(findings[0].title.contains("Anthropic"), "{:?}", findings[0]);
    }

    #[test]
    fn a_private_key_block_is_redacted_line_by_line() {
        let diff = concat!(
            "diff --git a/k.pem b/k.pem\n--- /dev/null\n+++ b/k.pem\n@@ -0,0 +1,3 @@\n",
            "+-----BEGIN RSA PRIVATE KEY-----\n+MIIEowIBAAKCAQEA7\n+-----END RSA PRIVATE KEY-----\n",
        );
        let (text, findings) = redact(diff, &[]);
        assert!(!text.contains("MIIEowIBAAKCAQEA7"), "{text}");
        assert!(text.contains("+[redacted]\n"), "{text}");
        assert_eq!(findings.len(), 1);
    }

    #[test]
    fn nothing_secret_is_left_as_it_was() {
        let diff = "diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-old\n+sk-short and AKIA123\n";
        let (text, findings) = redact(diff, &[]);
        assert_eq!(text, diff);
        assert!(findings.is_empty());
    }
}
