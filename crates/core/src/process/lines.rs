//! Splitting a byte stream into lines for parsing, with flat memory: a line longer than
//! [`MAX_LINE`] is handed on cut to that length and the rest of it is skipped.

/// The longest line handed to the callback, in bytes.
pub const MAX_LINE: usize = 64 * 1024;

/// Incremental line splitter for one stream.
#[derive(Debug, Default)]
pub struct LineSplitter {
    /// The start of a line whose newline has not arrived yet; never longer than MAX_LINE.
    partial: Vec<u8>,
    /// The current line was already handed on truncated; drop bytes until its newline.
    skipping: bool,
}

impl LineSplitter {
    /// Feeds one chunk, calling `emit` for every line it completes (or truncates).
    pub fn feed(&mut self, mut chunk: &[u8], emit: &mut dyn FnMut(&str)) {
        while !chunk.is_empty() {
            match memchr::memchr(b'\n', chunk) {
                Some(end) => {
                    self.finish_line(&chunk[..end], emit);
                    chunk = &chunk[end + 1..];
                }
                None => {
                    self.extend_partial(chunk, emit);
                    return;
                }
            }
        }
    }

    /// Hands on whatever is left of a last line without a newline.
    pub fn finish(&mut self, emit: &mut dyn FnMut(&str)) {
        if !self.skipping && !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            emit_line(&line, emit);
        }
        self.partial.clear();
        self.skipping = false;
    }

    /// `tail` ends at a newline: completes the current line.
    fn finish_line(&mut self, tail: &[u8], emit: &mut dyn FnMut(&str)) {
        if self.skipping {
            self.skipping = false;
        } else if self.partial.is_empty() && tail.len() <= MAX_LINE {
            // The common case: the whole line is inside one chunk, so no copy.
            emit_line(tail, emit);
        } else {
            self.extend_partial(tail, emit);
            if !self.skipping {
                let line = std::mem::take(&mut self.partial);
                emit_line(&line, emit);
            }
        }
        self.skipping = false;
        self.partial.clear();
    }

    /// Buffers the middle of a line, cutting it at MAX_LINE.
    fn extend_partial(&mut self, bytes: &[u8], emit: &mut dyn FnMut(&str)) {
        if self.skipping {
            return;
        }
        let room = MAX_LINE - self.partial.len();
        if bytes.len() <= room {
            self.partial.extend_from_slice(bytes);
        } else {
            self.partial.extend_from_slice(&bytes[..room]);
            let line = std::mem::take(&mut self.partial);
            emit_line(&line, emit);
            self.skipping = true;
        }
    }
}

/// Strips a trailing `\r` and decodes lossily.
fn emit_line(line: &[u8], emit: &mut dyn FnMut(&str)) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // `from_utf8` validates a word at a time on ASCII; `from_utf8_lossy` walks chunk by
    // chunk and was half of bakeoff's CPU on a flood. Valid text is the common case.
    match std::str::from_utf8(line) {
        Ok(text) => emit(text),
        Err(_) => emit(&String::from_utf8_lossy(line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut lines = Vec::new();
        let mut splitter = LineSplitter::default();
        let mut emit = |l: &str| lines.push(l.to_owned());
        for chunk in chunks {
            splitter.feed(chunk, &mut emit);
        }
        splitter.finish(&mut emit);
        lines
    }

    #[test]
    fn splits_across_chunks() {
        let cases: &[(&[&[u8]], &[&str])] = &[
            (&[b"a\nb\n"], &["a", "b"]),
            (&[b"a", b"b\nc"], &["ab", "c"]),
            (&[b"crlf\r\n", b"x\r", b"\n"], &["crlf", "x"]),
            (&[b"\n\n"], &["", ""]),
            (&[b"", b"tail"], &["tail"]),
            (&[b"bad \xff utf8\n"], &["bad \u{fffd} utf8"]),
        ];
        for (chunks, want) in cases {
            assert_eq!(split(chunks), *want, "chunks {chunks:?}");
        }
    }

    #[test]
    fn long_lines_are_cut_and_the_rest_skipped() {
        let long = vec![b'a'; MAX_LINE * 3 + 5];
        let mut chunks: Vec<&[u8]> = long.chunks(1000).collect();
        chunks.push(b"\nnext\n");
        let lines = split(&chunks);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), MAX_LINE);
        assert_eq!(lines[1], "next");
    }

    #[test]
    fn a_line_of_exactly_max_is_whole() {
        let mut exact = vec![b'b'; MAX_LINE];
        exact.push(b'\n');
        let (first, second) = exact.split_at(10);
        let lines = split(&[first, second, b"z"]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), MAX_LINE);
        assert_eq!(lines[1], "z");
        assert_eq!(split(&[&exact]).len(), 1);
    }

    #[test]
    fn one_long_line_in_one_chunk_is_cut() {
        let mut long = vec![b'c'; MAX_LINE + 1];
        long.push(b'\n');
        let lines = split(&[&long]);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), MAX_LINE);
    }
}
