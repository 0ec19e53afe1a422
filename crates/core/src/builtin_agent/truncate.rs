//! Keeping a command's output within what the model is shown: the head and the tail,
//! with a note of how much was cut from the middle. Errors usually sit at the end and
//! context at the start, so both ends are kept. Pure, apart from reading only the two
//! ends of a large output file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Output as the model sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truncated {
    pub text: String,
    /// Bytes of the whole output.
    pub total_bytes: u64,
    /// Bytes left out of the middle (0 when all of it fit).
    pub cut_bytes: u64,
}

/// Cuts `output` (all `total` bytes of it, or for a large output its first and last
/// `limit` bytes joined) to at most `limit` bytes of text plus a note: the first half of
/// the limit from the head, the rest from the tail, both on UTF-8 boundaries.
pub fn truncate(head: &[u8], tail: &[u8], total: u64, limit: usize) -> Truncated {
    if total <= limit as u64 && tail.is_empty() {
        return Truncated {
            text: String::from_utf8_lossy(head).into_owned(),
            total_bytes: total,
            cut_bytes: 0,
        };
    }
    let head_keep = limit / 2;
    let tail_keep = limit - head_keep;
    let head_part = utf8_prefix(&head[..head_keep.min(head.len())]);
    let tail_src = if tail.is_empty() { head } else { tail };
    let tail_part = utf8_suffix(&tail_src[tail_src.len().saturating_sub(tail_keep)..]);
    let kept = (head_part.len() + tail_part.len()) as u64;
    let cut = total.saturating_sub(kept);
    let text = format!(
        "{}\n[… {cut} bytes cut from the middle of {total} bytes of output …]\n{}",
        String::from_utf8_lossy(head_part),
        String::from_utf8_lossy(tail_part),
    );
    Truncated {
        text,
        total_bytes: total,
        cut_bytes: cut,
    }
}

/// The longest prefix of `bytes` that does not end inside a UTF-8 character.
fn utf8_prefix(bytes: &[u8]) -> &[u8] {
    match std::str::from_utf8(bytes) {
        Ok(_) => bytes,
        // An error at the very end is a character cut in half; anything earlier is
        // binary output, shown lossily as it is.
        Err(e) if e.error_len().is_none() => &bytes[..e.valid_up_to()],
        Err(_) => bytes,
    }
}

/// The longest suffix of `bytes` that does not start inside a UTF-8 character.
fn utf8_suffix(bytes: &[u8]) -> &[u8] {
    let skip = bytes
        .iter()
        .take(3)
        .take_while(|b| (**b & 0b1100_0000) == 0b1000_0000)
        .count();
    &bytes[skip..]
}

/// Reads what a command printed into `path`, never more than twice `limit` bytes,
/// and truncates it.
pub fn read_truncated(path: &Path, limit: usize) -> std::io::Result<Truncated> {
    let mut file = File::open(path)?;
    let total = file.metadata()?.len();
    if total <= 2 * limit as u64 {
        let mut all = Vec::new();
        file.read_to_end(&mut all)?;
        let total = all.len() as u64;
        return Ok(truncate(&all, &[], total, limit));
    }
    let mut head = vec![0; limit];
    file.read_exact(&mut head)?;
    file.seek(SeekFrom::End(-(limit as i64)))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    Ok(truncate(&head, &tail, total, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_cases() {
        // (output, limit, text, cut)
        let cases: &[(&str, usize, &str, u64)] = &[
            ("", 10, "", 0),
            ("short", 10, "short", 0),
            ("exactly10!", 10, "exactly10!", 0),
            (
                "0123456789abcdefghij",
                10,
                "01234\n[… 10 bytes cut from the middle of 20 bytes of output …]\nfghij",
                10,
            ),
            (
                "0123456789abcdefghij",
                5,
                "01\n[… 15 bytes cut from the middle of 20 bytes of output …]\nhij",
                15,
            ),
            // A cut through a multi-byte character keeps whole characters only.
            (
                "ééééé-ééééé",
                7,
                "é\n[… 15 bytes cut from the middle of 21 bytes of output …]\néé",
                15,
            ),
        ];
        for (output, limit, text, cut) in cases {
            let got = truncate(output.as_bytes(), &[], output.len() as u64, *limit);
            assert_eq!(got.text, *text, "{output:?} at {limit}");
            assert_eq!(got.cut_bytes, *cut, "{output:?} at {limit}");
            assert_eq!(got.total_bytes, output.len() as u64);
        }
    }

    #[test]
    fn large_files_are_read_at_both_ends_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut text = String::from("START\n");
        text.push_str(&"x".repeat(100_000));
        text.push_str("\nEND");
        std::fs::write(&path, &text).unwrap();
        let got = read_truncated(&path, 20).unwrap();
        assert!(got.text.starts_with("START\nxxxx"), "{}", got.text);
        assert!(got.text.ends_with("xxxxxx\nEND"), "{}", got.text);
        assert_eq!(got.total_bytes, text.len() as u64);
        assert_eq!(got.cut_bytes, text.len() as u64 - 20);

        std::fs::write(&path, "all of it\n").unwrap();
        let got = read_truncated(&path, 20).unwrap();
        assert_eq!((got.text.as_str(), got.cut_bytes), ("all of it\n", 0));
    }
}
