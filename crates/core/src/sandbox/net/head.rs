//! Reading the head of an HTTP/1 message (request or reply) off a stream: capped in size
//! and bounded in time, with the bytes that came after it kept for whoever reads on.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// The most a request or reply head may take, request line and headers together.
pub const HEAD_LIMIT: usize = 16 * 1024;

/// How long a peer has to send a whole head, so that an idle client cannot pin a task.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// How many headers a head may carry; more is treated like a head that is too large.
pub(crate) const MAX_HEADERS: usize = 100;

/// A head as read: `bytes[..len]` is the head up to and including its blank line, and
/// what follows is the start of the body or of the tunnelled stream.
#[derive(Debug)]
pub(crate) struct Head {
    pub bytes: Vec<u8>,
    pub len: usize,
}

impl Head {
    /// What the peer sent after the head.
    pub fn rest(&self) -> &[u8] {
        &self.bytes[self.len..]
    }
}

/// Why no head could be read.
#[derive(Debug)]
pub(crate) enum HeadError {
    /// The peer closed before its head was complete (or sent nothing).
    Closed,
    /// The head is longer than [`HEAD_LIMIT`].
    TooLarge,
    /// The peer did not finish its head within [`HEAD_TIMEOUT`].
    TimedOut,
    /// Reading failed (the peer reset the connection, most likely).
    Io,
}

/// Reads until the blank line that ends a head, within [`HEAD_LIMIT`] and
/// [`HEAD_TIMEOUT`] (for the whole head, not for each read, so a client trickling a
/// byte at a time is cut off too).
pub(crate) async fn read_head<R: AsyncRead + Unpin>(stream: &mut R) -> Result<Head, HeadError> {
    match tokio::time::timeout(HEAD_TIMEOUT, read_head_untimed(stream)).await {
        Ok(head) => head,
        Err(_) => Err(HeadError::TimedOut),
    }
}

async fn read_head_untimed<R: AsyncRead + Unpin>(stream: &mut R) -> Result<Head, HeadError> {
    let mut bytes = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let read = stream.read(&mut chunk).await.map_err(|_| HeadError::Io)?;
        if read == 0 {
            return Err(HeadError::Closed);
        }
        // The blank line may straddle two reads: look back three bytes.
        let from = bytes.len().saturating_sub(3);
        bytes.extend_from_slice(&chunk[..read]);
        if let Some(at) = find_blank_line(&bytes[from..]) {
            let len = from + at + 4;
            if len > HEAD_LIMIT {
                return Err(HeadError::TooLarge);
            }
            return Ok(Head { bytes, len });
        }
        if bytes.len() > HEAD_LIMIT {
            return Err(HeadError::TooLarge);
        }
    }
}

fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes, b"\r\n\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_head_split_across_reads_is_found_and_the_rest_kept() {
        let (mut client, mut server) = tokio::io::duplex(64);
        let writer = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            for part in [&b"GET / HTTP/1.1\r\nHost: a\r"[..], b"\n", b"\r", b"\nbody"] {
                client.write_all(part).await.unwrap();
                client.flush().await.unwrap();
                tokio::task::yield_now().await;
            }
            client
        });
        let head = read_head(&mut server).await.unwrap();
        assert_eq!(&head.bytes[..head.len], b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        let mut rest = head.rest().to_vec();
        drop(writer.await.unwrap());
        server.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"body");
    }

    #[tokio::test]
    async fn a_head_past_the_limit_or_cut_short_is_an_error() {
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(HEAD_LIMIT));
        let mut reader = long.as_bytes();
        assert!(matches!(read_head(&mut reader).await, Err(HeadError::TooLarge)));
        let mut reader = &b"GET / HTTP/1.1\r\n"[..];
        assert!(matches!(read_head(&mut reader).await, Err(HeadError::Closed)));
    }
}
