use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

use super::*;
use crate::sandbox::net::head::HEAD_LIMIT;
use crate::sandbox::net::test_support::{
    echo_server, free_port, http_server, paths, refused_lines, round_trip, soon,
};

/// Starts a proxy in `dir` with these rules.
fn proxy_in(dir: &Path, rules: &[String]) -> Proxy {
    let (socket, log) = paths(dir);
    Proxy::start(&socket, Allow::parse(rules).unwrap(), log).unwrap()
}

/// A reply as read so far: the head, and whatever came with it.
struct Reply {
    stream: UnixStream,
    head: String,
    rest: Vec<u8>,
}

impl Reply {
    /// Everything after the head, up to the proxy closing the connection.
    async fn body(mut self) -> String {
        soon(self.stream.read_to_end(&mut self.rest)).await.unwrap();
        String::from_utf8(self.rest).unwrap()
    }
}

/// Sends a request and reads the reply head, up to its blank line.
async fn ask(socket: &Path, request: &str) -> Reply {
    let mut stream = UnixStream::connect(socket).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = soon(read_head(&mut stream)).await.unwrap();
    Reply {
        stream,
        head: String::from_utf8_lossy(&head.bytes[..head.len]).into_owned(),
        rest: head.rest().to_vec(),
    }
}

#[tokio::test]
async fn an_allowed_connect_tunnels_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let port = echo_server().await;
    let proxy = proxy_in(dir.path(), &[format!("127.0.0.1:{port}")]);
    let request = format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    let mut reply = ask(proxy.socket(), &request).await;
    assert_eq!(reply.head, "HTTP/1.1 200 Connection established\r\n\r\n");
    assert!(reply.rest.is_empty());
    round_trip(&mut reply.stream, b"hello through the tunnel").await;
    round_trip(&mut reply.stream, &[0, 1, 2, 255]).await;
    assert_eq!(proxy.refused(), 0);
    assert!(refused_lines(&paths(dir.path()).1).is_empty());
}

#[tokio::test]
async fn bytes_sent_with_the_connect_reach_the_destination() {
    let dir = tempfile::tempdir().unwrap();
    let port = echo_server().await;
    let proxy = proxy_in(dir.path(), &[format!("127.0.0.1:{port}")]);
    let mut stream = UnixStream::connect(proxy.socket()).await.unwrap();
    let request = format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\nearly");
    stream.write_all(request.as_bytes()).await.unwrap();
    let expected = b"HTTP/1.1 200 Connection established\r\n\r\nearly";
    let mut back = vec![0; expected.len()];
    soon(stream.read_exact(&mut back)).await.unwrap();
    assert_eq!(back, expected);
}

#[tokio::test]
async fn a_connect_to_another_host_is_refused_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = proxy_in(dir.path(), &["api.anthropic.com:443".to_owned()]);
    let reply = ask(proxy.socket(), "CONNECT evil.example:443 HTTP/1.1\r\n\r\n").await;
    assert!(
        reply.head.starts_with("HTTP/1.1 403 Forbidden\r\n"),
        "{}",
        reply.head
    );
    let body = reply.body().await;
    assert!(body.contains("evil.example:443"), "{body}");
    assert!(body.contains("--network provider"), "{body}");
    assert_eq!(proxy.refused(), 1);
    let lines = refused_lines(&paths(dir.path()).1);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["host"], "evil.example");
    assert_eq!(lines[0]["port"], 443);
    assert_eq!(lines[0]["method"], "CONNECT");
    assert_eq!(lines[0]["reason"], "not an allowed host");
    let at = lines[0]["at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
}

#[tokio::test]
async fn an_allowed_host_on_another_port_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let port = echo_server().await;
    let other = free_port();
    let proxy = proxy_in(dir.path(), &[format!("127.0.0.1:{port}")]);
    let reply = ask(
        proxy.socket(),
        &format!("CONNECT 127.0.0.1:{other} HTTP/1.1\r\n\r\n"),
    )
    .await;
    assert!(reply.head.starts_with("HTTP/1.1 403 "), "{}", reply.head);
    let lines = refused_lines(&paths(dir.path()).1);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["port"], other);
}

#[tokio::test]
async fn an_allowed_destination_that_cannot_be_reached_is_a_502_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let proxy = proxy_in(dir.path(), &[format!("127.0.0.1:{port}")]);
    let reply = ask(
        proxy.socket(),
        &format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n"),
    )
    .await;
    assert!(reply.head.starts_with("HTTP/1.1 502 "), "{}", reply.head);
    let lines = refused_lines(&paths(dir.path()).1);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0]["reason"].as_str().unwrap().starts_with("cannot connect"),
        "{lines:?}"
    );
    assert_eq!(proxy.refused(), 1);
}

#[tokio::test]
async fn a_plain_http_request_goes_to_its_origin_in_origin_form() {
    let dir = tempfile::tempdir().unwrap();
    let (port, received) = http_server().await;
    let proxy = proxy_in(dir.path(), &[format!("127.0.0.1:{port}")]);
    let request = format!(
        "GET http://127.0.0.1:{port}/v1/models?limit=2 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Proxy-Connection: keep-alive\r\nX-Kept: yes\r\n\r\n"
    );
    let reply = ask(proxy.socket(), &request).await;
    assert!(reply.head.starts_with("HTTP/1.1 200 OK\r\n"), "{}", reply.head);
    assert_eq!(reply.body().await, "ok");
    let received = soon(received).await.unwrap();
    assert_eq!(
        received,
        format!("GET /v1/models?limit=2 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Kept: yes\r\nConnection: close\r\n\r\n")
    );
}

#[tokio::test]
async fn a_plain_http_request_to_another_host_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = proxy_in(dir.path(), &["api.anthropic.com:443".to_owned()]);
    let reply = ask(
        proxy.socket(),
        "POST http://api.anthropic.com/v1 HTTP/1.1\r\n\r\n",
    )
    .await;
    assert!(
        reply.head.starts_with("HTTP/1.1 403 "),
        "port 80 is not allowed: {}",
        reply.head
    );
    let lines = refused_lines(&paths(dir.path()).1);
    assert_eq!(lines[0]["method"], "POST");
    assert_eq!(lines[0]["port"], 80);
}

#[tokio::test]
async fn a_malformed_request_is_a_400_and_closed() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = proxy_in(dir.path(), &["127.0.0.1:1".to_owned()]);
    for request in [
        "hello there\r\n\r\n",
        "CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n",
        "CONNECT 127.0.0.1:http HTTP/1.1\r\n\r\n",
        "GET /relative HTTP/1.1\r\n\r\n",
        "GET https://127.0.0.1:1/ HTTP/1.1\r\n\r\n",
        "GET http://user@127.0.0.1:1/ HTTP/1.1\r\n\r\n",
    ] {
        let reply = ask(proxy.socket(), request).await;
        assert!(
            reply.head.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{request:?}: {}",
            reply.head
        );
        reply.body().await;
    }
    assert_eq!(proxy.refused(), 0);
}

#[tokio::test]
async fn an_oversized_head_is_refused_and_closed() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = proxy_in(dir.path(), &["127.0.0.1:1".to_owned()]);
    let request = format!(
        "CONNECT 127.0.0.1:1 HTTP/1.1\r\nX-Long: {}\r\n\r\n",
        "a".repeat(HEAD_LIMIT)
    );
    let reply = ask(proxy.socket(), &request).await;
    assert!(reply.head.starts_with("HTTP/1.1 431 "), "{}", reply.head);
    assert!(reply.body().await.contains("too large"));
}

#[tokio::test]
async fn dropping_the_proxy_removes_its_socket_and_a_stale_one_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (socket, _) = paths(dir.path());
    let stale = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    drop(stale);
    let proxy = proxy_in(dir.path(), &[]);
    assert!(UnixStream::connect(&socket).await.is_ok());
    proxy.shutdown();
    assert!(!socket.exists());
    std::fs::write(&socket, "not a socket").unwrap();
    assert!(Proxy::start(&socket, Allow::default(), dir.path().join("log")).is_err());
}

#[test]
fn requests_are_read_as_the_proxy_acts_on_them() {
    let connect = Request::parse(b"connect [::1]:8443 HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(
        (connect.method.as_str(), connect.host.as_str(), connect.port),
        ("CONNECT", "::1", 8443)
    );
    assert_eq!(connect.forward_head, None);
    let get =
        Request::parse(b"GET http://Example.com?q=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").unwrap();
    assert_eq!((get.host.as_str(), get.port), ("Example.com", 80));
    assert_eq!(
        get.forward_head.as_deref(),
        Some(&b"GET /?q=1 HTTP/1.0\r\nConnection: close\r\n\r\n"[..])
    );
}
