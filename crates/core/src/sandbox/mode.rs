//! What the user asked of the sandbox: `--sandbox auto|on|off` and `--network
//! open|provider|none`, and what a race recorded of it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// `--sandbox`: whether lanes run confined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// Confine every lane where the machine allows it; say once why not where it does not.
    #[default]
    Auto,
    /// Refuse to start without a sandbox.
    On,
    /// Run lanes as the user, unconfined (marked so in the race's records).
    Off,
}

impl FromStr for SandboxMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(SandboxMode::Auto),
            "on" => Ok(SandboxMode::On),
            "off" => Ok(SandboxMode::Off),
            other => Err(format!("unknown sandbox mode '{other}' (use auto, on or off)")),
        }
    }
}

impl fmt::Display for SandboxMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SandboxMode::Auto => "auto",
            SandboxMode::On => "on",
            SandboxMode::Off => "off",
        })
    }
}

/// `--network`: where a sandboxed lane's agent may connect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Network {
    /// The machine's network, as the user has it.
    Open,
    /// Only the hosts of the lane's own provider, through bakeoff's proxy.
    #[default]
    Provider,
    /// Nothing but the sandbox's own loopback.
    None,
}

impl FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(Network::Open),
            "provider" => Ok(Network::Provider),
            "none" => Ok(Network::None),
            other => Err(format!(
                "unknown network mode '{other}' (use open, provider or none)"
            )),
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Network::Open => "open",
            Network::Provider => "provider",
            Network::None => "none",
        })
    }
}

/// What a race recorded of its sandbox, in `race.json`: what was asked, whether lanes
/// were confined, and why not when they were not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxRecord {
    pub mode: SandboxMode,
    /// Lanes ran under bubblewrap.
    pub active: bool,
    /// The bubblewrap binary and its version, when active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bwrap: Option<String>,
    /// Why lanes ran unconfined (`auto` on a machine without a sandbox, or `off`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unconfined_because: Option<String>,
    pub network: Network,
}

impl SandboxRecord {
    /// The record of a race from before sandboxes: unconfined.
    pub fn legacy() -> SandboxRecord {
        SandboxRecord {
            mode: SandboxMode::Off,
            active: false,
            bwrap: None,
            unconfined_because: Some("recorded before bakeoff had a sandbox".into()),
            network: Network::Open,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_print_the_same_words() {
        for m in ["auto", "on", "off"] {
            assert_eq!(m.parse::<SandboxMode>().unwrap().to_string(), m);
        }
        for n in ["open", "provider", "none"] {
            assert_eq!(n.parse::<Network>().unwrap().to_string(), n);
        }
        assert!("yes"
            .parse::<SandboxMode>()
            .unwrap_err()
            .contains("auto, on or off"));
        assert!("all"
            .parse::<Network>()
            .unwrap_err()
            .contains("open, provider or none"));
    }
}
