//! Loopback servers and helpers shared by the proxy's and the bridge's tests.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::head::read_head;

/// Every test waits at most this long for anything, so a bug fails instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Awaits `future` for at most [`PATIENCE`].
pub async fn soon<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(PATIENCE, future).await.expect("timed out")
}

/// A TCP server on 127.0.0.1 that echoes every connection back; its port.
pub async fn echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut reader, mut writer) = stream.split();
                let _ = tokio::io::copy(&mut reader, &mut writer).await;
            });
        }
    });
    port
}

/// An HTTP server on 127.0.0.1 that takes one request, sends its head on the channel,
/// and answers `200 ok`; its port.
pub async fn http_server() -> (u16, oneshot::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, receiver) = oneshot::channel();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let head = read_head(&mut stream).await.unwrap();
        let _ = sender.send(String::from_utf8_lossy(&head.bytes[..head.len]).into_owned());
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            .await;
    });
    (port, receiver)
}

/// A port of 127.0.0.1 that nothing listens on (it was free a moment ago).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The socket and refused-log paths of a proxy in `dir`.
pub fn paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("proxy.sock"), dir.join("refused.jsonl"))
}

/// The refused log's lines, parsed.
pub fn refused_lines(log: &Path) -> Vec<serde_json::Value> {
    match std::fs::read_to_string(log) {
        Ok(text) => text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Sends `bytes` down `stream` and checks that the same bytes come back.
pub async fn round_trip<S: AsyncReadExt + AsyncWriteExt + Unpin>(stream: &mut S, bytes: &[u8]) {
    stream.write_all(bytes).await.unwrap();
    let mut back = vec![0; bytes.len()];
    soon(stream.read_exact(&mut back)).await.unwrap();
    assert_eq!(back, bytes);
}
