//! What one sandboxed child sees, as bubblewrap's arguments.
//!
//! The order of the mounts is the policy, so it is written out once, here:
//!
//! 1. the system read-only (`--ro-bind / /`), a fresh `/dev` and `/proc`, a private
//!    `/tmp`;
//! 2. the user's HOME, and the hidden folders (the user's checkout and git dir, every
//!    lane's worktree), replaced by empty ones (tmpfs: what a child writes there is
//!    its own and gone when it ends);
//! 3. what the user's configuration adds (`[sandbox] read` and `write`);
//! 4. the tools the child runs, where step 1 or 2 hid them: every folder on its `PATH`
//!    and what their links lead to, the program itself, and the toolchain homes
//!    (`~/.rustup`, `~/.cargo`, `~/.nvm`, …) read-only, credential files masked;
//! 5. the protected folders hidden again, so neither the configuration nor a tool can
//!    show them (the user's checkout, git dir and the worktree root);
//! 6. the child's own: its work folder and home writable, the git objects read-only,
//!    its `.git` file and sign-in files read-only.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::net::BridgeSpec;
use super::probe::{find_on_path, Bwrap, SYSTEM_VIEW};
use crate::process::Command;

/// Toolchain homes under the user's HOME that commands need to run at all, shown
/// read-only when they exist. A lane that needs more says so in `[sandbox] read`.
const TOOL_HOMES: &[&str] = &[
    ".rustup",
    ".cargo",
    ".nvm",
    ".volta",
    ".pyenv",
    ".bun",
    ".deno",
    ".local/share/uv",
    ".local/share/pnpm",
    ".local/share/fnm",
    "go/pkg/mod",
];

/// Files inside the toolchain homes that hold credentials, masked with an empty file.
const TOOL_SECRETS: &[&str] = &[".cargo/credentials.toml", ".cargo/credentials"];

/// Where the child's network goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetView {
    /// The machine's network.
    Open,
    /// Its own namespace with nothing but loopback.
    Isolated,
    /// Its own namespace, with bakeoff's bridge in front of the program: the proxy's
    /// socket is bound at [`PROXY_SOCKET`] and the bridge listens on the sandbox's
    /// loopback.
    Proxied {
        /// The proxy's Unix socket on the host.
        socket: PathBuf,
        /// bakeoff's own executable, which runs the bridge (`bakeoff __sandbox-bridge`).
        bakeoff: PathBuf,
        /// Where the bridge's HTTP proxy listens inside (`HTTPS_PROXY`).
        proxy_port: u16,
        /// Loopback ports of providers, forwarded to the same ports on the host.
        forwards: Vec<u16>,
    },
}

/// Where the proxy's socket is inside every sandbox (the private `/tmp`).
pub const PROXY_SOCKET: &str = "/tmp/.bakeoff-proxy.sock";

/// bakeoff's hidden subcommand that runs [`run_bridge`](super::net::run_bridge).
pub const BRIDGE_COMMAND: &str = "__sandbox-bridge";

/// What one child may see and write.
#[derive(Clone, Debug, Default)]
pub struct View {
    /// Replaced by empty folders, before and again after the configuration and tools
    /// are shown: the user's checkout, git dir, every lane's worktree.
    pub protected: Vec<PathBuf>,
    /// The user's HOME: replaced by an empty one the child may write; its toolchain
    /// homes shown read-only.
    pub user_home: Option<PathBuf>,
    /// `[sandbox] read` and `write`.
    pub read: Vec<PathBuf>,
    pub write: Vec<PathBuf>,
    /// The child's own writable folders (its work folder, its home).
    pub writable: Vec<PathBuf>,
    /// Folders it reads (the shared git objects).
    pub readable: Vec<PathBuf>,
    /// Files bound read-only: (on the host, in the sandbox).
    pub files: Vec<(PathBuf, PathBuf)>,
    pub net: Option<NetView>,
}

impl Bwrap {
    /// `cmd` run inside a sandbox showing `view`: the same environment, folder, logs
    /// and limits, with bubblewrap as the program.
    pub fn wrap(&self, mut cmd: Command, view: &View) -> Command {
        let path_var = cmd
            .env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.to_string_lossy().into_owned());
        let program = resolve_program(&cmd.program, path_var.as_deref(), &cmd.cwd);
        let mut a = Args::default();
        a.push(SYSTEM_VIEW);
        // The user's HOME is an empty one the child may write, gone when it ends.
        if let Some(home) = view
            .user_home
            .as_deref()
            .filter(|h| h.is_dir() && *h != Path::new("/"))
        {
            a.push(["--tmpfs"]);
            a.0.push(home.as_os_str().to_owned());
        }
        for dir in &view.protected {
            a.hide(dir);
        }
        for dir in &view.read {
            a.bind("--ro-bind-try", dir, dir);
        }
        for dir in &view.write {
            a.bind("--bind-try", dir, dir);
        }
        let mut tools = tool_paths(&program, path_var.as_deref());
        if let Some(NetView::Proxied { bakeoff, .. }) = &view.net {
            tools.insert(bakeoff.clone());
        }
        let mut shadowed: Vec<&Path> = view.protected.iter().map(PathBuf::as_path).collect();
        shadowed.push(Path::new("/tmp"));
        shadowed.extend(view.user_home.as_deref());
        let protected: Vec<&Path> = view.protected.iter().map(PathBuf::as_path).collect();
        for tool in &tools {
            let under = |roots: &[&Path]| roots.iter().any(|r| tool.starts_with(r));
            // A path inside a folder shown already is shown with it (and binding over a
            // link there would fail).
            let inside_another = tools.iter().any(|t| t != tool && tool.starts_with(t));
            if under(&shadowed) && !under(&protected) && !inside_another {
                a.bind("--ro-bind", tool, tool);
            }
        }
        if let Some(home) = &view.user_home {
            for rel in TOOL_HOMES {
                let dir = home.join(rel);
                if dir.is_dir() {
                    a.bind("--ro-bind", &dir, &dir);
                }
            }
            for rel in TOOL_SECRETS {
                let file = home.join(rel);
                if file.exists() {
                    a.bind("--ro-bind", Path::new("/dev/null"), &file);
                }
            }
        }
        for dir in &view.protected {
            a.hide(dir);
        }
        for dir in &view.readable {
            a.bind("--ro-bind", dir, dir);
        }
        for dir in &view.writable {
            a.bind("--bind", dir, dir);
        }
        for (host, inside) in &view.files {
            a.bind("--ro-bind", host, inside);
        }
        a.push([
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--die-with-parent",
        ]);
        // A new session: a lane cannot push input into bakeoff's terminal (TIOCSTI).
        a.push(["--new-session"]);
        a.push(["--chdir"]);
        a.0.push(cmd.cwd.clone().into_os_string());
        match &view.net {
            None | Some(NetView::Open) => {}
            Some(NetView::Isolated) => a.push(["--unshare-net"]),
            Some(NetView::Proxied { socket, .. }) => {
                a.push(["--unshare-net"]);
                a.bind("--bind", socket, Path::new(PROXY_SOCKET));
            }
        }
        a.push(["--"]);
        match &view.net {
            Some(NetView::Proxied {
                bakeoff,
                proxy_port,
                forwards,
                ..
            }) => {
                let bridge = BridgeSpec {
                    socket: PROXY_SOCKET.into(),
                    proxy_port: *proxy_port,
                    forwards: forwards.clone(),
                    program: program.into_os_string(),
                    args: std::mem::take(&mut cmd.args),
                };
                a.0.push(bakeoff.clone().into_os_string());
                a.0.push(BRIDGE_COMMAND.into());
                a.0.extend(bridge.to_args());
            }
            _ => {
                a.0.push(program.into_os_string());
                a.0.append(&mut cmd.args);
            }
        }
        cmd.program = self.path.clone().into_os_string();
        cmd.args = a.0;
        cmd
    }
}

/// bubblewrap's argument list, built in order.
#[derive(Default)]
struct Args(Vec<OsString>);

impl Args {
    fn push<const N: usize>(&mut self, words: [&str; N]) {
        self.0.extend(words.iter().map(OsString::from));
    }

    fn bind(&mut self, how: &str, host: &Path, inside: &Path) {
        self.0.push(how.into());
        self.0.push(host.as_os_str().to_owned());
        self.0.push(inside.as_os_str().to_owned());
    }

    /// An empty folder over `dir`, when it exists. Not remounted read-only: later
    /// binds make their mount points inside it, and what a child writes there is in a
    /// tmpfs of its own, gone when it ends.
    fn hide(&mut self, dir: &Path) {
        if dir.is_dir() {
            self.push(["--perms", "0555", "--tmpfs"]);
            self.0.push(dir.as_os_str().to_owned());
        }
    }
}

/// The program as an absolute path: looked up on `PATH` when it has no slash, against
/// the child's folder when relative.
fn resolve_program(program: &std::ffi::OsStr, path_var: Option<&str>, cwd: &Path) -> PathBuf {
    let p = Path::new(program);
    if p.components().count() > 1 || p.is_absolute() {
        return if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        };
    }
    find_on_path(&p.to_string_lossy(), path_var).unwrap_or_else(|| p.to_path_buf())
}

/// What has to be visible for the child's tools to run: each folder on `PATH` (the
/// prefix of a virtualenv or a Node install as a whole), where its links lead (a Node
/// package's whole `node_modules`), and the program with its script interpreter.
fn tool_paths(program: &Path, path_var: Option<&str>) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for dir in path_var.unwrap_or_default().split(':').filter(|d| !d.is_empty()) {
        let Ok(dir) = std::fs::canonicalize(dir) else {
            continue;
        };
        out.insert(prefix_of(&dir));
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_type().map(|t| t.is_symlink()).unwrap_or(false) {
                if let Ok(target) = std::fs::canonicalize(e.path()) {
                    out.insert(install_root(&target));
                }
            }
        }
    }
    if program.is_absolute() {
        if !program.is_symlink() {
            out.insert(program.to_path_buf());
        }
        if let Ok(target) = std::fs::canonicalize(program) {
            out.insert(install_root(&target));
            if let Some(interp) = shebang(&target) {
                if let Ok(i) = std::fs::canonicalize(&interp) {
                    out.insert(install_root(&i));
                }
            }
        }
    }
    out
}

/// A `bin` folder stands for its whole prefix when that is a virtualenv (`pyvenv.cfg`)
/// or a Node install (`lib/node_modules`): their programs need the rest.
fn prefix_of(dir: &Path) -> PathBuf {
    match dir.parent() {
        Some(parent)
            if dir.file_name() == Some("bin".as_ref())
                && (parent.join("pyvenv.cfg").is_file() || parent.join("lib/node_modules").is_dir()) =>
        {
            parent.to_path_buf()
        }
        _ => dir.to_path_buf(),
    }
}

/// A file inside a `node_modules` folder needs the whole folder (its dependencies are
/// its siblings); any other file stands alone.
fn install_root(file: &Path) -> PathBuf {
    file.ancestors()
        .filter(|a| a.file_name() == Some("node_modules".as_ref()))
        .last()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| file.to_path_buf())
}

/// The interpreter a script's `#!` line names (`/usr/bin/env node` gives nothing: env
/// finds it on `PATH`, which is shown already).
fn shebang(file: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let n = std::fs::File::open(file).ok()?.read(&mut head).ok()?;
    let line = head[..n].strip_prefix(b"#!")?;
    let line = String::from_utf8_lossy(line.split(|&b| b == b'\n').next()?).into_owned();
    let interp = line.split_whitespace().next()?;
    (!interp.ends_with("/env")).then(|| PathBuf::from(interp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bwrap() -> Bwrap {
        Bwrap {
            path: "/usr/bin/bwrap".into(),
            version: "bubblewrap 0.8.0".into(),
        }
    }

    fn command(program: &str, path: &str) -> Command {
        let mut c = Command::shell(
            "true",
            "/work/lane",
            vec![("PATH".into(), path.into())],
            "/o",
            "/e",
        );
        c.program = program.into();
        c.args = vec!["-c".into(), "x".into()];
        c
    }

    fn words(c: &Command) -> Vec<String> {
        c.args.iter().map(|a| a.to_string_lossy().into_owned()).collect()
    }

    fn position(w: &[String], seq: &[&str]) -> usize {
        w.windows(seq.len())
            .position(|win| win.iter().zip(seq).all(|(a, b)| a == b))
            .unwrap_or_else(|| panic!("{seq:?} not in {w:?}"))
    }

    #[test]
    fn the_lane_binds_come_after_every_hide_and_the_program_last() {
        let root = tempfile::tempdir().unwrap();
        let (checkout, home, work) = (
            root.path().join("repo"),
            root.path().join("home"),
            root.path().join("wt"),
        );
        for d in [&checkout, &home, &work] {
            std::fs::create_dir_all(d).unwrap();
        }
        let view = View {
            user_home: Some(home.clone()),
            protected: vec![checkout.clone()],
            write: vec![root.path().to_path_buf()],
            writable: vec![work.clone()],
            net: Some(NetView::Isolated),
            ..View::default()
        };
        let wrapped = bwrap().wrap(command("/bin/sh", "/usr/bin:/bin"), &view);
        assert_eq!(wrapped.program, OsString::from("/usr/bin/bwrap"));
        let w = words(&wrapped);
        let hide = |d: &Path| position(&w, &["--tmpfs", &d.to_string_lossy()]);
        let user_write = position(&w, &["--bind-try", &root.path().to_string_lossy()]);
        assert!(hide(&home) < user_write);
        // The checkout is hidden again after the configuration could show it.
        let last_hide = w
            .iter()
            .rposition(|a| a == &checkout.to_string_lossy().into_owned())
            .unwrap();
        assert!(last_hide > user_write);
        assert!(position(&w, &["--bind", &work.to_string_lossy()]) > last_hide);
        assert!(w.contains(&"--unshare-net".to_string()) && w.contains(&"--unshare-pid".to_string()));
        assert_eq!(&w[w.len() - 4..], ["--", "/bin/sh", "-c", "x"]);
    }

    #[test]
    fn tools_under_a_hidden_folder_are_shown_and_ones_in_the_checkout_are_not() {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("home");
        let venv = home.join("venv");
        std::fs::create_dir_all(venv.join("bin")).unwrap();
        std::fs::write(venv.join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
        let pkg = home.join("clis/node_modules/@x/cli");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("cli.js"), "#!/usr/bin/env node\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(pkg.join("cli.js"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let bin = home.join("clis/node_modules/.bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(pkg.join("cli.js"), bin.join("cli")).unwrap();
        let checkout = root.path().join("repo");
        std::fs::create_dir_all(checkout.join("tools")).unwrap();
        let path = format!(
            "{}:{}:{}:/usr/bin",
            venv.join("bin").display(),
            bin.display(),
            checkout.join("tools").display()
        );
        let view = View {
            user_home: Some(home.clone()),
            protected: vec![checkout.clone()],
            ..View::default()
        };
        let w = words(&bwrap().wrap(command("cli", &path), &view));
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap().to_string_lossy().into_owned();
        assert!(
            w.windows(2).any(|x| x[0] == "--ro-bind" && x[1] == canon(&venv)),
            "{w:?}"
        );
        let modules = canon(&home.join("clis/node_modules"));
        assert!(
            w.windows(2).any(|x| x[0] == "--ro-bind" && x[1] == modules),
            "{w:?}"
        );
        let tools = canon(&checkout.join("tools"));
        assert!(
            !w.windows(2).any(|x| x[0] == "--ro-bind" && x[1] == tools),
            "{w:?}"
        );
        // The program is found on PATH before it is handed to bubblewrap.
        assert!(w.contains(&bin.join("cli").to_string_lossy().into_owned()));
    }

    #[test]
    fn a_proxied_child_runs_behind_the_bridge() {
        let view = View {
            net: Some(NetView::Proxied {
                socket: "/tmp/bko-1/p.sock".into(),
                bakeoff: "/opt/bakeoff".into(),
                proxy_port: 3128,
                forwards: vec![8080],
            }),
            ..View::default()
        };
        let w = words(&bwrap().wrap(command("/bin/sh", "/usr/bin"), &view));
        let at = position(&w, &["--", "/opt/bakeoff", BRIDGE_COMMAND]);
        let bridge = BridgeSpec::from_args(w[at + 3..].iter().map(OsString::from)).unwrap();
        assert_eq!(bridge.socket, PathBuf::from(PROXY_SOCKET));
        assert_eq!((bridge.proxy_port, bridge.forwards), (3128, vec![8080]));
        assert_eq!(bridge.program, OsString::from("/bin/sh"));
        assert_eq!(bridge.args, vec![OsString::from("-c"), OsString::from("x")]);
        assert!(position(&w, &["--bind", "/tmp/bko-1/p.sock", PROXY_SOCKET]) < at);
        assert!(w.contains(&"--unshare-net".to_string()));
    }
}
