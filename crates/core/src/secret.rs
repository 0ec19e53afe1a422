//! What a secret looks like: the variables that hold one, by name, and the strings
//! shaped like a well-known token, whatever holds them. Lanes' environments drop both;
//! diffs have both redacted before a reviewer sees them.
//!
//! Written by hand rather than with a regex crate: the shapes are fixed prefixes followed
//! by a run of token characters, which a prefix search and a scan say exactly.

/// Secret variables known by name; any name that ends in one of [`SECRET_SUFFIXES`] or
/// holds one of [`SECRET_WORDS`] is a secret too.
pub const KNOWN_SECRETS: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "OPENAI_API_KEY",
    "CODEX_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OPENROUTER_API_KEY",
    "DEEPSEEK_API_KEY",
    "MISTRAL_API_KEY",
    "XAI_API_KEY",
    "GROQ_API_KEY",
    "DASHSCOPE_API_KEY",
    "MOONSHOT_API_KEY",
    "ZHIPUAI_API_KEY",
    "TOGETHER_API_KEY",
    "FIREWORKS_API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SESSION_TOKEN",
    "AZURE_OPENAI_API_KEY",
    // Not a value but a door: whoever holds the socket signs as the user (git push).
    "SSH_AUTH_SOCK",
    "GPG_AGENT_INFO",
    "TOKEN",
    "API_KEY",
];

/// Name endings that mark a variable as a secret (`GITHUB_TOKEN`, `NPM_TOKEN`,
/// `STRIPE_KEY`, `GITLAB_PAT`).
pub const SECRET_SUFFIXES: &[&str] = &["_KEY", "_KEY_ID", "_TOKEN", "_PAT"];

/// Words that mark a variable as a secret wherever they are in its name
/// (`DB_PASSWORD`, `SECRET_KEY_BASE`, `GOOGLE_APPLICATION_CREDENTIALS`).
pub const SECRET_WORDS: &[&str] = &["SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"];

/// True when the variable holds a credential bakeoff should not hand to every agent.
/// Names are compared ignoring ASCII case, so `openai_api_key` is a secret too.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    KNOWN_SECRETS.contains(&upper.as_str())
        || SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s))
        || SECRET_WORDS.iter().any(|w| upper.contains(w))
}

/// (prefix, the least number of token characters after it, what it is).
const SHAPES: &[(&str, usize, &str)] = &[
    ("sk-ant-", 20, "an Anthropic API key"),
    ("sk-proj-", 20, "an OpenAI API key"),
    ("sk-", 32, "an OpenAI-style API key"),
    ("AIza", 35, "a Google API key"),
    ("ghp_", 36, "a GitHub token"),
    ("github_pat_", 40, "a GitHub token"),
    ("xoxb-", 20, "a Slack token"),
    ("xoxp-", 20, "a Slack token"),
    ("AKIA", 16, "an AWS access key id"),
];

/// True when `value` holds a token of a well-known shape anywhere.
pub fn is_token_shaped(value: &str) -> bool {
    !token_spans(value).is_empty()
}

/// Byte ranges of token-shaped strings in `line`, in order, not overlapping.
pub fn token_spans(line: &str) -> Vec<(usize, usize, &'static str)> {
    let is_token = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut spans: Vec<(usize, usize, &'static str)> = Vec::new();
    for (prefix, least, what) in SHAPES {
        for (at, _) in line.match_indices(prefix) {
            // A token starts a word: `task-…` is not `sk-…`.
            if line[..at].chars().last().is_some_and(is_token) {
                continue;
            }
            let body = &line[at + prefix.len()..];
            let len = body.find(|c: char| !is_token(c)).unwrap_or(body.len());
            if len >= *least
                && !spans
                    .iter()
                    .any(|(s, e, _)| at < *e && *s < at + prefix.len() + len)
            {
                spans.push((at, at + prefix.len() + len, what));
            }
        }
    }
    spans.sort();
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        let cases = [
            ("OPENAI_API_KEY", true),
            ("openai_api_key", true),
            ("AWS_ACCESS_KEY_ID", true),
            ("GITLAB_AUTH_TOKEN", true),
            ("STRIPE_SECRET_KEY", true),
            ("GITHUB_TOKEN", true),
            ("gh_token", true),
            ("NPM_TOKEN", true),
            ("GITLAB_PAT", true),
            ("DB_PASSWORD", true),
            ("SECRET_KEY_BASE", true),
            ("GOOGLE_APPLICATION_CREDENTIALS", true),
            ("SSH_AUTH_SOCK", true),
            ("PATH", false),
            ("MAX_TOKENS", false),
            ("CARGO_HOME", false),
            ("LANG", false),
            ("API_KEYBOARD", false),
            ("ANTHROPIC_BASE_URL", false),
            ("HOME", false),
        ];
        for (name, want) in cases {
            assert_eq!(is_secret_name(name), want, "{name}");
        }
    }

    #[test]
    fn a_token_is_found_by_its_shape_whatever_holds_it() {
        assert!(is_token_shaped("ghp_0123456789abcdefghijklmnopqrstuvwxyz"));
        assert!(is_token_shaped("Bearer sk-ant-api03-abcdefghijklmnopqrstuvwxyz"));
        assert!(!is_token_shaped("/usr/local/bin:/usr/bin"));
        assert!(!is_token_shaped("task-runner sk-short"));
    }
}
