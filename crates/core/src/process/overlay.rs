//! A child that sees a directory as an overlay: a shared, read-only lower directory
//! with the child's writes going to its own upper directory.
//!
//! The mount is made in the forked child before `exec`, in a user and mount namespace
//! of its own (unprivileged overlay mounts need Linux 5.11), so nothing outside the
//! child and its descendants sees it, and it is gone when they are. The user namespace
//! maps the user's own uid and gid to themselves: files the child writes are the user's.
//! A sandbox started inside it (bubblewrap) sees the mounted directory as any other.
//!
//! Hand-written on `libc` rather than through a crate: the work has to happen between
//! `fork` and `exec`, where only async-signal-safe calls are allowed, and the crates
//! that wrap these calls (nix, rustix) allocate while formatting their arguments.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The directories of one overlay mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overlay {
    /// The shared directory the child reads through; never written.
    pub lower: PathBuf,
    /// Where the child's writes go.
    pub upper: PathBuf,
    /// The overlay's own scratch directory, on the same file system as `upper`.
    pub work: PathBuf,
    /// Where the child sees the merged directory; must exist.
    pub target: PathBuf,
}

/// Everything the child needs, made before the fork so the child allocates nothing.
pub(super) struct Prepared {
    target: CString,
    cwd: CString,
    options: CString,
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
}

impl Overlay {
    /// The mount's arguments, or why these paths cannot be given to the kernel (its
    /// option string separates directories with `,` and `:`). `cwd` is the child's
    /// folder, entered again once the overlay is over it.
    pub(super) fn prepare(&self, cwd: &Path) -> io::Result<Prepared> {
        let mut options = b"lowerdir=".to_vec();
        for (key, dir) in [
            ("", &self.lower),
            (",upperdir=", &self.upper),
            (",workdir=", &self.work),
        ] {
            let bytes = dir.as_os_str().as_bytes();
            if bytes.iter().any(|b| matches!(b, b',' | b':' | b'\\' | 0)) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{} holds a character an overlay mount cannot take (, : \\)",
                        dir.display()
                    ),
                ));
            }
            options.extend_from_slice(key.as_bytes());
            options.extend_from_slice(bytes);
        }
        options.extend_from_slice(b",userxattr");
        // SAFETY: getuid and getgid have no preconditions and cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        Ok(Prepared {
            target: c_path(&self.target)?,
            cwd: c_path(cwd)?,
            options: CString::new(options).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?,
            uid_map: format!("{uid} {uid} 1").into_bytes(),
            gid_map: format!("{gid} {gid} 1").into_bytes(),
        })
    }
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

impl Prepared {
    /// Enters a new user and mount namespace and mounts the overlay. Runs in the forked
    /// child: only system calls on memory made before the fork.
    pub(super) fn enter(&self) -> io::Result<()> {
        // SAFETY: each call gets valid NUL-terminated strings or buffers owned by `self`,
        // which outlives the calls; none of them allocates.
        unsafe {
            if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) != 0 {
                return Err(io::Error::last_os_error());
            }
            write_file(c"/proc/self/setgroups", b"deny")?;
            write_file(c"/proc/self/uid_map", &self.uid_map)?;
            write_file(c"/proc/self/gid_map", &self.gid_map)?;
            // Nothing mounted here may reach the namespace bakeoff runs in.
            let root = c"/";
            if libc::mount(
                std::ptr::null(),
                root.as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            let fs = c"overlay";
            if libc::mount(
                fs.as_ptr(),
                self.target.as_ptr(),
                fs.as_ptr(),
                0,
                self.options.as_ptr().cast(),
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            // The child was put in its folder before the mount, which now hides it.
            if libc::chdir(self.cwd.as_ptr()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

/// # Safety
/// Async-signal-safe: open, write and close only.
unsafe fn write_file(path: &std::ffi::CStr, bytes: &[u8]) -> io::Result<()> {
    let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let written = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
    let err = io::Error::last_os_error();
    libc::close(fd);
    if written != bytes.len() as isize {
        return Err(err);
    }
    Ok(())
}

/// Whether a child can be given an overlay whose folders are in `dir`: mounts one of
/// scratch folders there for `sh -c :`. The error says why not (an old kernel, user
/// namespaces turned off, a file system without user extended attributes).
pub fn probe(dir: &Path) -> io::Result<()> {
    use std::os::unix::process::CommandExt;
    let scratch = tempfile::Builder::new()
        .prefix(".bakeoff-probe-")
        .tempdir_in(dir)?;
    let at = |name: &str| -> io::Result<PathBuf> {
        let p = scratch.path().join(name);
        std::fs::create_dir(&p)?;
        Ok(p)
    };
    let overlay = Overlay {
        lower: at("lower")?,
        upper: at("upper")?,
        work: at("work")?,
        target: at("target")?,
    };
    std::fs::write(overlay.lower.join("seen"), b"")?;
    let prepared = overlay.prepare(&overlay.target)?;
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", "test -e seen && : > written"])
        .current_dir(&overlay.target)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: `enter` makes only async-signal-safe system calls on memory prepared
    // before the fork.
    unsafe {
        cmd.pre_exec(move || prepared.enter());
    }
    let status = cmd.status();
    // The overlay's work folder is left unreadable by the kernel; make it removable.
    make_removable(&overlay.work);
    if !status?.success() || !overlay.upper.join("written").exists() {
        return Err(io::Error::other(
            "a child in the overlay did not see the shared folder",
        ));
    }
    Ok(())
}

fn make_removable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let _ = std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o700));
        }
    }
}
