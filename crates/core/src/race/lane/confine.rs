//! Each child a lane starts, confined by the race's sandbox (`crate::sandbox`): what it
//! sees is decided here, from the lane and the kind of child; how it is built is the
//! sandbox module's.

use std::collections::BTreeMap;

use super::*;
use crate::sandbox::net::{Allow, Proxy};
use crate::sandbox::{Bwrap, LaneGit, LaneGitSource, NetView, Network, View};

/// The port the bridge's HTTP proxy listens on inside a sandbox (`HTTPS_PROXY`), unless
/// a provider's own loopback port is that one.
const PROXY_PORT: u16 = 3128;

/// A lane's running proxy and the folder of its socket.
pub(super) struct LaneProxy {
    proxy: Proxy,
    _dir: tempfile::TempDir,
    /// The ports forwarded to loopback providers, and the proxy's own.
    forwards: Vec<u16>,
    port: u16,
}

/// A race's sandbox, as its lanes use it.
#[derive(Clone, Debug)]
pub struct Confinement {
    pub bwrap: Bwrap,
    pub network: Network,
    /// The user's HOME: hidden, its toolchain homes shown read-only.
    pub user_home: Option<PathBuf>,
    /// The repository's shared git directory (the user's `.git`).
    pub common_dir: PathBuf,
    /// Where every race's worktrees of this repository go.
    pub worktrees: PathBuf,
    /// `[sandbox] read` and `write`.
    pub read: Vec<PathBuf>,
    pub write: Vec<PathBuf>,
    /// Each lane's provider, as `host:port` rules, for `--network provider`.
    pub endpoints: BTreeMap<String, Vec<String>>,
}

/// What kind of child a lane is starting, which decides what it sees.
pub(super) enum Child<'a> {
    /// The setup command: the user's own command on the base, before the agent; the
    /// network as the user has it (installs).
    Setup,
    /// The agent: its home writable, its sign-in files shown, its network as asked.
    Agent { sign_in: Vec<(PathBuf, PathBuf)> },
    /// A check in the worktree: code the agent wrote, no network.
    Check,
    /// A holdout check in a graded folder of bakeoff's own.
    Holdout { tree: &'a Path },
}

impl Worker {
    /// `cmd` as the race's sandbox runs it, or unchanged when lanes are not confined.
    /// `extra` are more writable folders (a check's report folder). The file work (the
    /// lane's git directory, the scan of the child's tools) runs off the race's thread,
    /// which the coordinator and every other lane share.
    pub(super) async fn confine(
        &self,
        mut cmd: Command,
        child: Child<'_>,
        extra: &[PathBuf],
    ) -> Result<Command, Stop> {
        let Some(c) = self.shared.plan.sandbox.as_deref() else {
            return Ok(cmd);
        };
        let plan = &self.shared.plan;
        let lane = self.lane();
        let mut protected = vec![plan.repo_top.clone(), c.common_dir.clone(), c.worktrees.clone()];
        protected.extend(plan.record.holdout.clone());
        let mut view = View {
            protected,
            user_home: c.user_home.clone(),
            read: c.read.clone(),
            write: c.write.clone(),
            ..View::default()
        };
        view.writable.extend(extra.iter().cloned());
        let mut lane_git = None;
        match child {
            Child::Holdout { tree } => {
                view.writable.push(tree.to_path_buf());
                view.net = Some(net_for_checks(c.network));
            }
            child => {
                lane_git = Some(self.lane_git_source()?);
                view.writable.push(lane.worktree.clone());
                view.readable.push(c.common_dir.join("objects"));
                match child {
                    Child::Setup => view.net = Some(NetView::Open),
                    Child::Agent { sign_in } => {
                        view.writable.push(plan.dir.agent_home(&lane.name));
                        view.files.extend(sign_in);
                        // What the agent is given to read: the spec, this round's
                        // follow-up, and the configuration a built-in agent loads.
                        let mut given = vec![plan.dir.spec_file(), self.round_path("prompt.md")];
                        given.extend(crate::config::user_config_path());
                        given.push(plan.repo_top.join(crate::config::REPO_FILE));
                        given.extend(plan.config_file.clone());
                        view.files
                            .extend(given.into_iter().filter(|f| f.is_file()).map(|f| (f.clone(), f)));
                        view.net = Some(match (c.network, &self.proxy) {
                            (Network::Open, _) => NetView::Open,
                            (Network::Provider, Some(p)) => NetView::Proxied {
                                socket: p.proxy.socket().to_path_buf(),
                                bakeoff: std::env::current_exe().map_err(|e| {
                                    Stop::Failed(format!("cannot find bakeoff's own executable for the lane's network bridge: {e}"))
                                })?,
                                proxy_port: p.port,
                                forwards: p.forwards.clone(),
                            },
                            _ => NetView::Isolated,
                        });
                        if let Some(p) = self.proxy.as_ref().filter(|_| c.network == Network::Provider) {
                            let url = format!("http://127.0.0.1:{}", p.port);
                            for k in [
                                "HTTPS_PROXY",
                                "https_proxy",
                                "HTTP_PROXY",
                                "http_proxy",
                                "ALL_PROXY",
                                "all_proxy",
                            ] {
                                set_env(&mut cmd, k, &url);
                            }
                            // Loopback providers are reached through the bridge's
                            // forwards on the same ports, not through the proxy.
                            for k in ["NO_PROXY", "no_proxy"] {
                                set_env(&mut cmd, k, "127.0.0.1,localhost,::1");
                            }
                        }
                    }
                    _ => view.net = Some(net_for_checks(c.network)),
                }
            }
        }
        let bwrap = c.bwrap.clone();
        let dot_git = lane.worktree.join(".git");
        blocking(move || {
            if let Some(source) = lane_git {
                view.files.push((source.write()?.dot_git, dot_git));
            }
            Ok(bwrap.wrap(cmd, &view))
        })
        .await?
    }

    /// Where the lane's own git directory comes from: refreshed to the lane's branch and
    /// bakeoff's index before each child (see `sandbox::LaneGit`).
    fn lane_git_source(&self) -> Result<OwnedLaneGit, Stop> {
        let plan = &self.shared.plan;
        let c = plan
            .sandbox
            .as_deref()
            .expect("only a sandboxed lane has its own git");
        let lane = self.lane();
        Ok(OwnedLaneGit {
            repo_top: plan.repo_top.clone(),
            common_dir: c.common_dir.clone(),
            branch: lane.branch.clone(),
            index: c
                .common_dir
                .join("worktrees")
                .join(&lane.worktree_name)
                .join("index"),
            home: plan.dir.agent_home(&lane.name),
        })
    }
}

/// What a lane's git directory is written from, owned, for a blocking thread.
struct OwnedLaneGit {
    repo_top: PathBuf,
    common_dir: PathBuf,
    branch: String,
    index: PathBuf,
    home: PathBuf,
}

impl OwnedLaneGit {
    fn write(self) -> Result<LaneGit, Stop> {
        let repo = git::Repo::discover(&self.repo_top).map_err(|e| Stop::Failed(e.to_string()))?;
        let commit = repo
            .resolve_commit(&format!("refs/heads/{}", self.branch))
            .map_err(|e| Stop::Failed(format!("the lane's branch: {e}")))?;
        let source = LaneGitSource {
            objects: &self.common_dir.join("objects"),
            commit: &commit,
            branch: &self.branch,
            index: Some(&self.index),
            shallow: Some(&self.common_dir.join("shallow")),
        };
        std::fs::create_dir_all(&self.home)
            .and_then(|_| LaneGit::write(&self.home, &source))
            .map_err(|e| Stop::Failed(format!("cannot lay out the lane's git directory: {e}")))
    }
}

impl Worker {
    /// Under `--network provider`, starts the lane's proxy once: its socket in a short
    /// folder of its own (a Unix socket's path is limited to about 100 bytes), its
    /// refusals logged in the lane's folder.
    pub(super) fn start_proxy(&mut self) -> Result<(), Stop> {
        let Some(c) = self.shared.plan.sandbox.as_deref() else {
            return Ok(());
        };
        if c.network != Network::Provider || self.proxy.is_some() {
            return Ok(());
        }
        let lane = self.lane().name.clone();
        let rules = c.endpoints.get(&lane).cloned().unwrap_or_default();
        let allow =
            Allow::parse(&rules).map_err(|e| Stop::Failed(format!("the lane's provider hosts: {e}")))?;
        let mut forwards: Vec<u16> = rules
            .iter()
            .filter_map(|r| r.strip_prefix("127.0.0.1:").and_then(|p| p.parse().ok()))
            .collect();
        forwards.sort_unstable();
        forwards.dedup();
        let port = (PROXY_PORT..)
            .find(|p| !forwards.contains(p))
            .unwrap_or(PROXY_PORT);
        let dir = short_temp_dir()
            .map_err(|e| Stop::Failed(format!("cannot make a folder for the lane's proxy: {e}")))?;
        let log = self.lane_dir.join("network-refused.jsonl");
        self.shared.seal.open_log(&log);
        let proxy = Proxy::start(&dir.path().join("proxy.sock"), allow, log)
            .map_err(|e| Stop::Failed(format!("cannot start the lane's network proxy: {e}")))?;
        self.proxy = Some(LaneProxy {
            proxy,
            _dir: dir,
            forwards,
            port,
        });
        Ok(())
    }
}

/// A folder for a Unix socket: under the temp folder when its path is short enough,
/// else under `/tmp`.
fn short_temp_dir() -> std::io::Result<tempfile::TempDir> {
    let b = tempfile::Builder::new().prefix("bakeoff-net-").tempdir()?;
    if b.path().as_os_str().len() <= 80 {
        return Ok(b);
    }
    tempfile::Builder::new().prefix("bakeoff-net-").tempdir_in("/tmp")
}

fn set_env(cmd: &mut Command, name: &str, value: &str) {
    cmd.env.retain(|(k, _)| k != name);
    cmd.env.push((name.into(), value.into()));
}

/// Checks run code the agent wrote: no network unless the user opened it.
fn net_for_checks(network: Network) -> NetView {
    match network {
        Network::Open => NetView::Open,
        _ => NetView::Isolated,
    }
}
