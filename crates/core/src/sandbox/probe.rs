//! Can this machine sandbox a lane? Finds bubblewrap and starts it once with the
//! namespaces a lane needs, so a machine that forbids them (no unprivileged user
//! namespaces, a container without them delegated) is found before any lane starts.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The view of the system every sandboxed child starts from: all of it read-only, a
/// fresh `/dev` and `/proc`, a `/tmp` of its own.
pub(crate) const SYSTEM_VIEW: [&str; 9] = [
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--tmpfs",
    "/tmp",
];

/// A bubblewrap that starts lanes on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bwrap {
    pub path: PathBuf,
    /// What `bwrap --version` printed, e.g. `bubblewrap 0.8.0`.
    pub version: String,
}

impl std::fmt::Display for Bwrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.version, self.path.display())
    }
}

/// Why lanes cannot be sandboxed here, with what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailable {
    pub reason: String,
    pub fix: String,
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Finds bubblewrap (`configured`, `[sandbox] bwrap`, or `bwrap` on `path_var`) and
/// checks that it can make the namespaces a lane runs in.
pub fn probe(configured: Option<&Path>, path_var: Option<&str>) -> Result<Bwrap, Unavailable> {
    if !cfg!(target_os = "linux") {
        return Err(Unavailable {
            reason: "lane sandboxes are built on bubblewrap, which is Linux-only".into(),
            fix: "race with --sandbox off on this system (docs/sandbox.md says what that leaves open)".into(),
        });
    }
    let path = match configured {
        Some(p) if p.is_file() => p.to_path_buf(),
        Some(p) => {
            return Err(Unavailable {
                reason: format!("[sandbox] bwrap = {} does not exist", p.display()),
                fix: "point [sandbox] bwrap at bubblewrap's binary, remove it to use the one on PATH, or race with --sandbox off".into(),
            })
        }
        None => find_on_path("bwrap", path_var).ok_or_else(|| Unavailable {
            reason: "bubblewrap (bwrap) is not installed".into(),
            fix: "install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), or race with --sandbox off".into(),
        })?,
    };
    let version = Command::new(&path)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .ok_or_else(|| Unavailable {
            reason: format!("{} --version failed", path.display()),
            fix: "reinstall bubblewrap".into(),
        })?;
    // The namespaces and mounts every lane gets; `true` is looked up on the sandbox's
    // read-only view of the system.
    let tried = Command::new(&path)
        .args(SYSTEM_VIEW)
        .args([
            "--unshare-pid",
            "--unshare-net",
            "--die-with-parent",
            "--",
            "true",
        ])
        .stdin(Stdio::null())
        .output();
    match tried {
        Ok(out) if out.status.success() => Ok(Bwrap { path, version }),
        Ok(out) => Err(Unavailable {
            reason: format!(
                "{} cannot make a sandbox here: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            fix: "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 also kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for bwrap), or race with --sandbox off".into(),
        }),
        Err(e) => Err(Unavailable {
            reason: format!("cannot run {}: {e}", path.display()),
            fix: "reinstall bubblewrap, or race with --sandbox off".into(),
        }),
    }
}

/// The first executable `name` in the directories of `path_var`.
pub(crate) fn find_on_path(name: &str, path_var: Option<&str>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    path_var?
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(name))
        .find(|p| {
            p.metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_bwrap_that_does_not_exist_says_so() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let err = probe(Some(Path::new("/nonexistent/bwrap")), None).unwrap_err();
        assert!(err.reason.contains("/nonexistent/bwrap"), "{err}");
    }

    #[test]
    fn no_bwrap_on_path_says_how_to_install_it() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let err = probe(None, Some(&dir.path().to_string_lossy())).unwrap_err();
        assert!(err.reason.contains("not installed"), "{err}");
        assert!(err.fix.contains("apt-get install bubblewrap"));
    }
}
