//! What `bakeoff agents` says about each adapter: the headless command it starts (built
//! by the real invocation code with placeholders, so it cannot drift from what a race
//! runs) and how the agent's cost reaches bakeoff, both from the adapter's own file.

use std::path::Path;

use crate::agent::{invocation, AdapterKind, AgentSpec, InvocationContext};

/// One adapter, described for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterRow {
    pub name: &'static str,
    /// The program started, `None` for a command agent.
    pub program: Option<&'static str>,
    /// The headless command with `MODEL`, `SPEC` and friends in place of real values.
    pub command: String,
    /// Where the lane's tokens and cost come from.
    pub cost: &'static str,
}

/// Every adapter, in the order users see them.
pub fn adapter_rows() -> Vec<AdapterRow> {
    AdapterKind::ALL
        .into_iter()
        .map(|kind| AdapterRow {
            name: kind.as_str(),
            program: kind.default_program(),
            command: headless_command(kind),
            cost: kind.adapter().cost_source(),
        })
        .collect()
}

fn headless_command(kind: AdapterKind) -> String {
    let adapter = kind.adapter();
    if let Some(command) = adapter.example_command() {
        return command.to_string();
    }
    let ctx = InvocationContext {
        spec_text: "SPEC",
        spec_file: Path::new("SPEC_FILE"),
        worktree: Path::new("WORKTREE"),
        lane_dir: Path::new("LANE_DIR"),
        max_cost_usd: None,
        base_env: &[],
        is_root: false,
        bakeoff_exe: Some(Path::new("bakeoff")),
        repo_top: None,
        config_file: None,
    };
    match invocation(&AgentSpec::new(kind, adapter.example_model()), &ctx) {
        Ok(inv) => std::iter::once(inv.program.as_str())
            .chain(inv.args.iter().map(String::as_str))
            .map(quote)
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => format!("({e})"),
    }
}

/// Quotes a word the way a shell user would have to type it.
fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@{}+,".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_adapter_has_a_row_with_its_real_command() {
        let rows = adapter_rows();
        assert_eq!(rows.len(), AdapterKind::ALL.len());
        let by_name = |n: &str| rows.iter().find(|r| r.name == n).unwrap();
        let claude = by_name("claude");
        assert!(
            claude
                .command
                .starts_with("claude -p SPEC --output-format stream-json"),
            "{}",
            claude.command
        );
        assert!(by_name("codex").command.starts_with("codex exec --json"));
        assert!(by_name("command").command.contains("{spec_file}"));
        for row in &rows {
            assert!(!row.command.starts_with('('), "{row:?}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("plain-word_1.2"), "plain-word_1.2");
        assert_eq!(quote("two words"), "'two words'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
    }
}
