//! Which agent CLI a lane runs: the [`AdapterKind`] users name in `-a adapter:model` and
//! config, and the dispatch from a kind to its [`Adapter`], the one place that lists
//! every adapter.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::adapter::Adapter;
use super::adapters;
use super::error::AgentError;

/// The kind of agent a lane runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdapterKind {
    Claude,
    Codex,
    Gemini,
    Aider,
    OpenCode,
    Qwen,
    Command,
    /// bakeoff's own bash-only loop over a provider (`builtin:provider/model`).
    Builtin,
}

impl AdapterKind {
    /// Every adapter, in the order they are listed to users.
    pub const ALL: [AdapterKind; 8] = [
        AdapterKind::Claude,
        AdapterKind::Codex,
        AdapterKind::Gemini,
        AdapterKind::Aider,
        AdapterKind::OpenCode,
        AdapterKind::Qwen,
        AdapterKind::Command,
        AdapterKind::Builtin,
    ];

    /// The adapter that knows this CLI. The one place every adapter is listed.
    pub fn adapter(self) -> &'static dyn Adapter {
        match self {
            AdapterKind::Claude => &adapters::Claude,
            AdapterKind::Codex => &adapters::Codex,
            AdapterKind::Gemini => &adapters::Gemini,
            AdapterKind::Aider => &adapters::Aider,
            AdapterKind::OpenCode => &adapters::OpenCode,
            AdapterKind::Qwen => &adapters::Qwen,
            AdapterKind::Command => &adapters::Command,
            AdapterKind::Builtin => &adapters::Builtin,
        }
    }

    /// The name users type before `:`.
    pub fn as_str(self) -> &'static str {
        self.adapter().name()
    }

    /// The executable the adapter starts unless the config overrides it; `None` for a
    /// command agent, whose program is the first word of its command, and for the
    /// built-in agent, which is bakeoff itself.
    pub fn default_program(self) -> Option<&'static str> {
        self.adapter().default_program()
    }

    /// How to install the adapter's CLI, for "not found" messages.
    pub fn install_hint(self) -> Option<&'static str> {
        self.adapter().install_hint()
    }
}

/// Every adapter name, in the order they are listed to users, for messages.
pub(super) fn known_names() -> String {
    AdapterKind::ALL.map(AdapterKind::as_str).join(", ")
}

impl fmt::Display for AdapterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AdapterKind {
    type Err = AgentError;

    /// Reads an adapter name, ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        if let Some(kind) = AdapterKind::ALL.into_iter().find(|k| k.as_str() == lower) {
            return Ok(kind);
        }
        Err(AgentError::UnknownAdapter {
            name: s.to_string(),
            input: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in AdapterKind::ALL {
            assert_eq!(kind.as_str().parse::<AdapterKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<AdapterKind>(&json).unwrap(), kind);
        }
    }

    #[test]
    fn parse_cases() {
        let cases: &[(&str, Result<AdapterKind, &str>)] = &[
            ("claude", Ok(AdapterKind::Claude)),
            ("OpenCode", Ok(AdapterKind::OpenCode)),
            (" qwen ", Ok(AdapterKind::Qwen)),
            ("cladue", Err("unknown adapter 'cladue' (known: claude, codex, gemini, aider, opencode, qwen, command, builtin)")),
            ("Builtin", Ok(AdapterKind::Builtin)),
            ("", Err("unknown adapter '' (known: claude, codex, gemini, aider, opencode, qwen, command, builtin)")),
        ];
        for (input, want) in cases {
            let got = input.parse::<AdapterKind>().map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(str::to_string), "input {input:?}");
        }
    }

    #[test]
    fn default_programs() {
        assert_eq!(AdapterKind::OpenCode.default_program(), Some("opencode"));
        assert_eq!(AdapterKind::Command.default_program(), None);
        assert_eq!(AdapterKind::Builtin.default_program(), None);
        assert!(AdapterKind::Command.install_hint().is_none());
    }
}
