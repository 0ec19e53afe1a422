//! An incremental Server-Sent Events parser: feed it the body's bytes as they arrive, in
//! chunks split anywhere (inside a line, a UTF-8 character, or a `\r\n`), and take out
//! whole events. Follows the WHATWG event-stream rules: `\n`, `\r\n` or `\r` end a line,
//! `:` starts a comment, `data:` lines join with `\n`, an empty line dispatches.

/// One event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field; empty means the default `message`.
    pub event: String,
    pub data: String,
}

#[derive(Debug, Default)]
pub(crate) struct SseParser {
    line: Vec<u8>,
    /// The previous chunk ended in `\r`; a `\n` opening the next one belongs to it.
    after_cr: bool,
    event: String,
    data: String,
    has_data: bool,
}

impl SseParser {
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// Feeds bytes; returns the events they completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        for &b in bytes {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' => self.end_line(&mut out),
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(&mut out);
                }
                _ => self.line.push(b),
            }
        }
        out
    }

    /// The end of the body: a last event not followed by an empty line still counts
    /// (some servers omit it).
    pub fn finish(&mut self) -> Option<SseEvent> {
        let mut out = Vec::new();
        if !self.line.is_empty() {
            self.end_line(&mut out);
        }
        self.end_line(&mut out);
        out.pop()
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            if self.has_data {
                out.push(SseEvent {
                    event: std::mem::take(&mut self.event),
                    data: std::mem::take(&mut self.data),
                });
            }
            self.event.clear();
            self.data.clear();
            self.has_data = false;
            return;
        }
        let line = String::from_utf8_lossy(&line);
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "event" => self.event = value.to_string(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Parses `bytes` fed in chunks of `size` bytes.
    pub(crate) fn parse_chunked(bytes: &[u8], size: usize) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        let mut events: Vec<SseEvent> = bytes.chunks(size.max(1)).flat_map(|c| parser.feed(c)).collect();
        events.extend(parser.finish());
        events
    }

    #[test]
    fn events_survive_any_split() {
        let stream = "event: a\r\ndata: {\"x\":\r\ndata:  \"é\"}\r\n\r\n: keep-alive\n\nid: 7\nretry: 10\ndata: two\n\nevent: empty\n\ndata:last";
        let want = vec![
            SseEvent {
                event: "a".into(),
                data: "{\"x\":\n \"é\"}".into(),
            },
            SseEvent {
                event: String::new(),
                data: "two".into(),
            },
            SseEvent {
                event: String::new(),
                data: "last".into(),
            },
        ];
        for size in 1..=stream.len() {
            assert_eq!(parse_chunked(stream.as_bytes(), size), want, "chunk size {size}");
        }
    }

    #[test]
    fn bare_cr_ends_lines_and_field_without_colon_is_empty() {
        let got = parse_chunked(b"data\rdata: b\r\r", 1);
        assert_eq!(
            got,
            vec![SseEvent {
                event: String::new(),
                data: "\nb".into()
            }]
        );
    }
}
