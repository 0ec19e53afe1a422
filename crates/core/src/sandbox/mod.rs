//! Lane sandboxes: every child a lane starts (its setup, its agent, its checks and
//! holdout checks) runs under bubblewrap, seeing the system read-only, its own work
//! folder and home writable, and nothing of the user's checkout, HOME, records or other
//! lanes (`policy`); with its own git administration (`lane_git`); with its network
//! open, cut, or limited to its provider's hosts through bakeoff's proxy (`net`).
//! `probe` finds out whether this machine can do it; `mode` is what the user asked.

mod lane_git;
mod mode;
pub mod net;
mod policy;
mod probe;

pub use lane_git::{LaneGit, LaneGitSource};
pub use mode::{Network, SandboxMode, SandboxRecord};
pub use policy::{NetView, View, BRIDGE_COMMAND, PROXY_SOCKET};
pub use probe::{probe, Bwrap, Unavailable};

use std::path::PathBuf;

/// `[sandbox]` and the flags, resolved.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SandboxSettings {
    pub mode: SandboxMode,
    /// `None`: `provider` when sandboxed.
    pub network: Option<Network>,
    /// `[sandbox] bwrap`: bubblewrap's binary, instead of the one on `PATH`.
    pub bwrap: Option<PathBuf>,
    /// `[sandbox] read` and `write`: more folders a lane's children see.
    pub read: Vec<PathBuf>,
    pub write: Vec<PathBuf>,
}

/// What a race does about sandboxes, decided once before it starts.
#[derive(Clone, Debug)]
pub struct Decision {
    /// The bubblewrap lanes run under; `None` when they run unconfined.
    pub bwrap: Option<Bwrap>,
    pub record: SandboxRecord,
    /// `auto` on a machine without a sandbox: what to tell the user, once.
    pub notice: Option<String>,
}

/// Decides from the settings and the machine; `on` without a sandbox is the error.
pub fn decide(settings: &SandboxSettings, path_var: Option<&str>) -> Result<Decision, Unavailable> {
    let network = settings.network.unwrap_or(Network::Provider);
    let unconfined = |because: String, notice: Option<String>| Decision {
        bwrap: None,
        record: SandboxRecord {
            mode: settings.mode,
            active: false,
            bwrap: None,
            unconfined_because: Some(because),
            network: Network::Open,
        },
        notice,
    };
    match settings.mode {
        SandboxMode::Off => Ok(unconfined("--sandbox off".into(), None)),
        mode => match probe(settings.bwrap.as_deref(), path_var) {
            Ok(bwrap) => Ok(Decision {
                record: SandboxRecord {
                    mode,
                    active: true,
                    bwrap: Some(bwrap.to_string()),
                    unconfined_because: None,
                    network,
                },
                bwrap: Some(bwrap),
                notice: None,
            }),
            Err(why) if mode == SandboxMode::Auto => {
                let notice = format!(
                    "lanes run unsandboxed, as you, with your files and network in reach: {} ({}; --sandbox off silences this)",
                    why.reason, why.fix
                );
                Ok(unconfined(why.reason.clone(), Some(notice)))
            }
            Err(why) => Err(why),
        },
    }
}
