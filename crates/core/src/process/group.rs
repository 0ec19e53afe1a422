//! Signalling a child's whole process group, and a guard that kills the group if the
//! future running it is dropped half way (so nothing is orphaned on cancellation by drop).

/// A process group led by a child we spawned.
#[derive(Debug)]
pub struct Group {
    pgid: libc::pid_t,
    /// False once the group has been SIGKILLed after the leader was reaped: from then on
    /// the id may in principle be reused, so it must not be signalled again.
    live: bool,
}

impl Group {
    /// The group whose id is the leader's pid (the child was spawned with
    /// `process_group(0)`).
    pub fn new(leader_pid: u32) -> Option<Group> {
        let pgid = libc::pid_t::try_from(leader_pid).ok().filter(|p| *p > 0)?;
        Some(Group { pgid, live: true })
    }

    /// SIGTERM to every process in the group.
    pub fn terminate(&self) {
        self.signal(libc::SIGTERM);
    }

    /// SIGKILL to every process in the group.
    pub fn kill(&self) {
        self.signal(libc::SIGKILL);
    }

    /// SIGKILL to what the leader left behind, once, after the leader was reaped. The
    /// group id stays reserved while any member lives, so this cannot hit a stranger
    /// unless the pid space wrapped in between; after it the group is not signalled again.
    pub fn kill_leftovers(&mut self) {
        self.kill();
        self.live = false;
    }

    fn signal(&self, signal: libc::c_int) {
        if self.live {
            // SAFETY: kill(2) has no memory-safety preconditions. A negative pid addresses
            // the group; ESRCH (group already gone) is the expected outcome and ignored.
            unsafe {
                libc::kill(-self.pgid, signal);
            }
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}
