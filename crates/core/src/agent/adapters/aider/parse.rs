//! aider's plain-text output (`--no-pretty`): one
//! `Tokens: 1.2k sent, 340 received. Cost: $0.0123 message, $0.0456 session.` line per
//! model call, `Applied edit to PATH` per edit, and litellm errors.

use crate::agent::output::{OutputParser, OutputStream, ParsedOutcome};
use crate::agent::parse::{add, Act, Tracker};

/// Parses aider's text output.
#[derive(Debug, Default)]
pub struct AiderParser {
    tracker: Tracker,
    error: Option<String>,
}

impl AiderParser {
    /// A parser that has seen no output yet.
    pub fn new() -> AiderParser {
        AiderParser::default()
    }

    fn report(&mut self, report: &str) {
        let (tokens, cost) = match report.split_once("Cost:") {
            Some((tokens, cost)) => (tokens, Some(cost)),
            None => (report, None),
        };
        let usage = &mut self.tracker.usage;
        add(&mut usage.turns, 1);
        for part in tokens.split(',') {
            let part = part.trim().trim_end_matches('.');
            let Some((number, label)) = part.split_once(' ') else {
                continue;
            };
            // "cache write" and "cache hit" are reported besides "sent", not in it;
            // only "sent" is counted so the prompt is not counted twice.
            match (label.trim(), count(number)) {
                ("sent", Some(n)) => add(&mut usage.input_tokens, n),
                ("received", Some(n)) => add(&mut usage.output_tokens, n),
                _ => {}
            }
        }
        for part in cost.into_iter().flat_map(|c| c.split(',')) {
            let part = part.trim().trim_end_matches('.');
            if let Some((amount, "session")) = part.split_once(' ') {
                if let Ok(dollars) = amount.trim_start_matches('$').parse::<f64>() {
                    if dollars.is_finite() && dollars >= 0.0 {
                        // The session figure is already cumulative.
                        usage.cost_usd = Some(dollars);
                    }
                }
            }
        }
    }
}

/// aider's token counts: `340`, `1.2k`, `12k`, `1.5M`.
fn count(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, scale) = match text.chars().last()? {
        'k' | 'K' => (&text[..text.len() - 1], 1e3),
        'm' | 'M' => (&text[..text.len() - 1], 1e6),
        _ => (text, 1.0),
    };
    let value = number.parse::<f64>().ok()? * scale;
    (0.0..1e18).contains(&value).then(|| value.round() as u64)
}

impl OutputParser for AiderParser {
    fn line(&mut self, _stream: OutputStream, line: &str) -> bool {
        let line = line.trim();
        if let Some(report) = line.strip_prefix("Tokens:") {
            self.report(report);
        } else if let Some(path) = line.strip_prefix("Applied edit to ") {
            self.tracker.act(Act::Tool("Edit", Some(path)));
        } else if let Some(command) = line.strip_prefix("Running ") {
            self.tracker.act(Act::Tool("Shell", Some(command)));
        } else if line.starts_with("litellm.") && line.contains("Error") {
            self.error = Some(line.to_string());
        }
        self.tracker.moved()
    }

    fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    fn finish(&mut self) -> ParsedOutcome {
        ParsedOutcome {
            usage: self.tracker.usage.clone(),
            session_id: None,
            final_message: None,
            error: self.error.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::Progress;
    use crate::vocab::Usage;

    #[test]
    fn session() {
        let out = r#"Aider v0.86.1
Main model: openai/gpt-5.5 with diff edit format
Git repo: .git with 42 files
Repo-map: using 4096 tokens, auto refresh

I'll change the retry loop to back off.

src/retry.rs
<<<<<<< SEARCH
    sleep(1);
=======
    sleep(backoff(attempt));
>>>>>>> REPLACE

Tokens: 4.7k sent, 340 received. Cost: $0.0123 message, $0.0123 session.
Applied edit to src/retry.rs
Running cargo test
Tokens: 12k sent, 2.1k cache hit, 1.5k received. Cost: $0.04 message, $0.0523 session.
Tokens: 1.5M sent, 1 received.
"#;
        let mut p = AiderParser::new();
        let progress: Vec<Progress> = crate::agent::parse::progress_per_line(&mut p, out.lines());
        let actions: Vec<Option<&str>> = progress.iter().map(|p| p.last_action.as_deref()).collect();
        assert_eq!(
            actions,
            vec![
                None,
                Some("Edit: src/retry.rs"),
                Some("Shell: cargo test"),
                Some("Shell: cargo test"),
                Some("Shell: cargo test")
            ]
        );
        assert_eq!(
            p.finish(),
            ParsedOutcome {
                usage: Usage {
                    turns: Some(3),
                    input_tokens: Some(4700 + 12000 + 1_500_000),
                    output_tokens: Some(340 + 1500 + 1),
                    cost_usd: Some(0.0523),
                },
                session_id: None,
                final_message: None,
                error: None,
            }
        );
    }

    #[test]
    fn errors_and_garbage() {
        let out = "Tokens:\nTokens: lots sent, x received. Cost: $abc session.\nTokens: -1k sent\n\u{0}\nlitellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key provided\n";
        let mut p = AiderParser::new();
        for l in out.lines() {
            p.line(OutputStream::Stderr, l);
        }
        let outcome = p.finish();
        assert_eq!(outcome.usage.turns, Some(3));
        assert_eq!(outcome.usage.input_tokens, None);
        assert_eq!(outcome.usage.cost_usd, None);
        assert!(outcome.error.unwrap().starts_with("litellm.AuthenticationError"));
    }

    #[test]
    fn counts() {
        let cases = [
            ("340", Some(340)),
            ("1.2k", Some(1200)),
            ("12k", Some(12000)),
            ("1.5M", Some(1_500_000)),
            ("k", None),
            ("", None),
            ("-3", None),
            ("1e30", None),
            ("NaN", None),
        ];
        for (text, want) in cases {
            assert_eq!(count(text), want, "{text}");
        }
    }
}
