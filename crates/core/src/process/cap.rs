//! A log's cap on disk: the child keeps writing the whole stream into its file and the
//! line callback reads all of it, but what is kept is the head and the tail, with a line
//! saying how many bytes were cut between them.
//!
//! Why not a pipe bakeoff copies from: the child writing its own file is what keeps a
//! chatty agent cheap and unable to stall on a full pipe (see `run.rs`). So the middle is
//! freed as it is read instead, by punching holes in the file (its blocks go back to the
//! file system while the child's offset keeps growing), and when the child is gone the
//! file is compacted into head, marker and tail. Where holes cannot be punched the file
//! grows until it is compacted; either way memory stays flat.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Holes are punched in whole blocks of this size.
const BLOCK: u64 = 4096;

/// How far from a cut a line break is looked for, so the cut falls between lines.
const LINE_SEARCH: u64 = 64 * 1024;

/// One log's cap, and how much of its middle has been freed so far.
#[derive(Debug)]
pub struct Cap {
    head: u64,
    tail: u64,
    /// Everything in `[align_up(head), punched)` has been freed.
    punched: u64,
}

impl Cap {
    /// At most `limit` bytes kept (plus the marker line): half head, half tail.
    pub fn new(limit: u64) -> Cap {
        let head = limit / 2;
        Cap {
            head,
            tail: limit - head,
            punched: align_up(head),
        }
    }

    /// Frees the part of the middle that has been read (`read` bytes so far) and will
    /// not be in the tail. Best effort: a file system without hole punching keeps it.
    pub fn free_read(&mut self, file: &File, read: u64) {
        let end = align_down(read.saturating_sub(self.tail));
        if end > self.punched {
            punch_hole(file, self.punched, end - self.punched);
            self.punched = end;
        }
    }

    /// Rewrites the finished file of `size` bytes as head, marker and tail; returns the
    /// bytes cut (0 when the file was within the cap).
    pub fn compact(&self, file: &File, size: u64) -> io::Result<u64> {
        if size <= self.head + self.tail {
            return Ok(0);
        }
        let head_end = after_last_newline(file, self.head)?;
        let tail_start = after_first_newline(file, size - self.tail, size)?;
        let cut = tail_start - head_end;
        let mid_line = head_end > 0 && byte_at(file, head_end - 1)? != b'\n';
        let marker = format!(
            "{}[bakeoff: {cut} bytes cut here]\n",
            if mid_line { "\n" } else { "" }
        );
        let marker_len = marker.len() as u64;
        if cut <= marker_len {
            // Cutting would not make the file shorter: it is within the cap and a marker.
            return Ok(0);
        }
        file.write_all_at(marker.as_bytes(), head_end)?;
        // Forward copy to a lower offset: every chunk is read before anything above it
        // is written.
        let mut buf = vec![0; 64 * 1024];
        let (mut src, mut dst) = (tail_start, head_end + marker_len);
        while src < size {
            let n = (size - src).min(buf.len() as u64) as usize;
            file.read_exact_at(&mut buf[..n], src)?;
            file.write_all_at(&buf[..n], dst)?;
            src += n as u64;
            dst += n as u64;
        }
        file.set_len(dst)?;
        Ok(cut)
    }
}

/// The offset just after the last line break before `end` (within [`LINE_SEARCH`]), or
/// `end` when there is none.
fn after_last_newline(file: &File, end: u64) -> io::Result<u64> {
    let start = end.saturating_sub(LINE_SEARCH);
    let mut buf = vec![0; (end - start) as usize];
    file.read_exact_at(&mut buf, start)?;
    Ok(memchr::memrchr(b'\n', &buf).map_or(end, |i| start + i as u64 + 1))
}

/// The offset just after the first line break at or after `start` (within
/// [`LINE_SEARCH`]), or `start` when there is none.
fn after_first_newline(file: &File, start: u64, size: u64) -> io::Result<u64> {
    if start == 0 {
        return Ok(0);
    }
    // A line break just before `start` means the tail already starts a line.
    if byte_at(file, start - 1)? == b'\n' {
        return Ok(start);
    }
    let end = size.min(start + LINE_SEARCH);
    let mut buf = vec![0; (end - start) as usize];
    file.read_exact_at(&mut buf, start)?;
    Ok(match memchr::memchr(b'\n', &buf) {
        // Keep the last line even when it is the only one in the tail.
        Some(i) if start + (i as u64) + 1 < size => start + i as u64 + 1,
        _ => start,
    })
}

fn byte_at(file: &File, at: u64) -> io::Result<u8> {
    let mut b = [0];
    file.read_exact_at(&mut b, at)?;
    Ok(b[0])
}

fn align_up(n: u64) -> u64 {
    n.div_ceil(BLOCK) * BLOCK
}

fn align_down(n: u64) -> u64 {
    n / BLOCK * BLOCK
}

#[cfg(target_os = "linux")]
fn punch_hole(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: fallocate only reads its integer arguments; a failure (EOPNOTSUPP on a file
    // system without holes) leaves the file as it was, which compaction still handles.
    unsafe {
        libc::fallocate(
            file.as_raw_fd(),
            libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
            offset as libc::off_t,
            len as libc::off_t,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn punch_hole(_file: &File, _offset: u64, _len: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn capped(text: &str, limit: u64) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, text).unwrap();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let mut cap = Cap::new(limit);
        cap.free_read(&file, text.len() as u64);
        cap.compact(&file, text.len() as u64).unwrap();
        std::fs::read_to_string(&path).unwrap()
    }

    #[test]
    fn within_the_cap_the_log_is_untouched() {
        assert_eq!(capped("a\nb\n", 100), "a\nb\n");
    }

    #[test]
    fn over_the_cap_head_and_tail_are_kept_whole_lines_with_a_marker() {
        let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let out = capped(&text, 100);
        assert!(out.starts_with("line 0\n"), "{out}");
        assert!(out.ends_with("line 999\n"), "{out}");
        assert!(out.contains(" bytes cut here]\n"), "{out}");
        assert!(out.len() <= 100 + 40, "{}", out.len());
        let kept: usize = out
            .lines()
            .filter(|l| l.starts_with("line "))
            .map(|l| l.len() + 1)
            .sum();
        let cut: usize = out
            .split("[bakeoff: ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(kept + cut, text.len());
    }

    #[test]
    fn holes_in_a_large_log_do_not_lose_the_tail() {
        let text: String = (0..200_000).map(|i| format!("line {i}\n")).collect();
        let out = capped(&text, 64 * 1024);
        assert!(out.starts_with("line 0\n"));
        assert!(out.ends_with("line 199999\n"));
        assert!(out.len() <= 64 * 1024 + 40);
    }
}
