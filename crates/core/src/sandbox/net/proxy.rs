//! The proxy on the host side of a lane's network: it accepts HTTP/1.1 proxy requests on
//! a Unix socket, lets through those to an allowed `host:port`, and turns the others
//! away with a 403 and a line in the refused log.
//!
//! Two kinds of request are served, one per connection:
//! - `CONNECT host:port`: a tunnel, which is what HTTPS clients and the in-sandbox
//!   bridge's forwards use.
//! - an absolute-form plain HTTP request (`GET http://host:port/path HTTP/1.1`): the
//!   request line is rewritten to origin form, `Connection: close` is set and the rest
//!   of the connection is spliced to that origin. A connection is bound to the origin of
//!   its first request: the origin closes it after its reply, so a client that reuses it
//!   for another origin finds it closed, and no byte of it ever reaches any other host.

use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixListener, UnixStream};
use tokio::task::{JoinHandle, JoinSet};

use super::allow::{split_host_port, Allow};
use super::head::{read_head, Head, HeadError, MAX_HEADERS};

/// How long the proxy tries to reach an allowed destination before replying 502.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The reason logged for a destination the allow list does not hold.
const NOT_ALLOWED: &str = "not an allowed host";

/// A running proxy. Dropping it (or [`Proxy::shutdown`]) stops accepting, ends the
/// connections it is serving and removes its socket file.
#[derive(Debug)]
pub struct Proxy {
    socket: PathBuf,
    refused: Arc<AtomicUsize>,
    accepting: JoinHandle<()>,
}

impl Proxy {
    /// Listens on `socket_path` (replacing a stale socket left there, never another kind
    /// of file) and serves every connection on a task of the current tokio runtime, which
    /// it must be called from. Requests the allow list turns away, and allowed ones whose
    /// destination cannot be reached, are appended to `refused_log` as JSON lines.
    pub fn start(socket_path: &Path, allow: Allow, refused_log: PathBuf) -> io::Result<Proxy> {
        remove_stale_socket(socket_path)?;
        let listener = UnixListener::bind(socket_path)?;
        let refused = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Shared {
            allow,
            log: RefusedLog {
                path: refused_log,
                writing: tokio::sync::Mutex::new(()),
            },
            refused: Arc::clone(&refused),
        });
        Ok(Proxy {
            socket: socket_path.to_owned(),
            refused,
            accepting: tokio::spawn(accept(listener, shared)),
        })
    }

    /// The socket the proxy listens on.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// How many requests were turned away so far: one per line of the refused log.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    /// Stops the proxy now; the same as dropping it.
    pub fn shutdown(self) {}
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Aborting the accept loop drops its set of connections, which aborts them too.
        self.accepting.abort();
        let _ = fs::remove_file(&self.socket);
    }
}

fn remove_stale_socket(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => fs::remove_file(path),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a socket", path.display()),
        )),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
    }
}

/// What every connection of one proxy shares.
struct Shared {
    allow: Allow,
    log: RefusedLog,
    refused: Arc<AtomicUsize>,
}

async fn accept(listener: UnixListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve(stream, Arc::clone(&shared)));
                }
                // Out of file descriptors, most likely: give finished connections a
                // moment to free theirs rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serves one connection: one request, then a tunnel or a splice to its origin.
async fn serve(mut client: UnixStream, shared: Arc<Shared>) {
    let (head, request) = match read_request(&mut client).await {
        Ok(read) => read,
        Err(Some(Unreadable { code, reason, body })) => return reply(&mut client, code, reason, body).await,
        Err(None) => return,
    };
    if !shared.allow.allows(&request.host, request.port) {
        shared.refuse(&request, NOT_ALLOWED).await;
        let body = format!(
            "bakeoff refused {}:{}: a lane run with --network provider may only reach its provider's hosts\n",
            request.host, request.port
        );
        return reply(&mut client, 403, "Forbidden", &body).await;
    }
    let mut origin = match connect(&request.host, request.port).await {
        Ok(origin) => origin,
        Err(err) => {
            shared.refuse(&request, &format!("cannot connect: {err}")).await;
            let body = format!(
                "bakeoff's proxy cannot reach {}:{}: {err}\n",
                request.host, request.port
            );
            return reply(&mut client, 502, "Bad Gateway", &body).await;
        }
    };
    let sent = match &request.forward_head {
        None => {
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await
        }
        Some(head) => origin.write_all(head).await,
    };
    if sent.is_err() || origin.write_all(head.rest()).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut origin).await;
}

/// The reply to a request that cannot be read.
struct Unreadable {
    code: u16,
    reason: &'static str,
    body: &'static str,
}

/// Reads the request on a new connection; the error is the reply to send, if the
/// client is still there to hear one.
async fn read_request(client: &mut UnixStream) -> Result<(Head, Request), Option<Unreadable>> {
    let too_large = Unreadable {
        code: 431,
        reason: "Request Header Fields Too Large",
        body: "the request head is too large\n",
    };
    let head = match read_head(client).await {
        Ok(head) => head,
        Err(HeadError::TooLarge) => return Err(Some(too_large)),
        Err(HeadError::TimedOut) => {
            return Err(Some(Unreadable {
                code: 408,
                reason: "Request Timeout",
                body: "the request head did not arrive in time\n",
            }))
        }
        Err(HeadError::Closed | HeadError::Io) => return Err(None),
    };
    match Request::parse(&head.bytes[..head.len]) {
        Ok(request) => Ok((head, request)),
        Err(Bad::TooManyHeaders) => Err(Some(too_large)),
        Err(Bad::Malformed) => Err(Some(Unreadable {
            code: 400,
            reason: "Bad Request",
            body: "bakeoff's proxy cannot read this request\n",
        })),
    }
}

async fn connect(host: &str, port: u16) -> io::Result<TcpStream> {
    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host, port))).await {
        Ok(connected) => connected,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "timed out")),
    }
}

/// Replies with a short plain-text body and closes.
async fn reply<W: AsyncWrite + Unpin>(stream: &mut W, code: u16, reason: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

impl Shared {
    async fn refuse(&self, request: &Request, reason: &str) {
        self.log.append(request, reason).await;
        self.refused.fetch_add(1, Ordering::SeqCst);
    }
}

/// The JSON-lines file of requests the proxy turned away.
struct RefusedLog {
    path: PathBuf,
    /// One line at a time, so that lines of concurrent connections never interleave.
    writing: tokio::sync::Mutex<()>,
}

impl RefusedLog {
    async fn append(&self, request: &Request, reason: &str) {
        let mut line = serde_json::json!({
            "at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "host": request.host,
            "port": request.port,
            "method": request.method,
            "reason": reason,
        })
        .to_string();
        line.push('\n');
        let _writing = self.writing.lock().await;
        let path = self.path.clone();
        // Written with std on a blocking thread, and awaited, so the line is in the file
        // before the client hears the refusal (tokio's `File` would still be writing).
        let written = tokio::task::spawn_blocking(move || {
            let mut file = fs::OpenOptions::new().create(true).append(true).open(path)?;
            file.write_all(line.as_bytes())
        })
        .await;
        // The log is a record for the person reading the race afterwards; failing to
        // write it must not change what the agent sees, so a write error is dropped.
        drop(written);
    }
}

/// A request the proxy can act on.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    method: String,
    host: String,
    port: u16,
    /// For plain HTTP, the head to send the origin; `None` for CONNECT.
    forward_head: Option<Vec<u8>>,
}

/// Why a request head was not understood.
#[derive(Debug, PartialEq, Eq)]
enum Bad {
    Malformed,
    TooManyHeaders,
}

/// Headers meant for the proxy, or for this one hop, that are not passed to the origin.
const HOP_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
];

impl Request {
    fn parse(head: &[u8]) -> Result<Request, Bad> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(head) {
            Ok(httparse::Status::Complete(_)) => {}
            Err(httparse::Error::TooManyHeaders) => return Err(Bad::TooManyHeaders),
            Ok(httparse::Status::Partial) | Err(_) => return Err(Bad::Malformed),
        }
        let (Some(method), Some(target), Some(version)) = (parsed.method, parsed.path, parsed.version) else {
            return Err(Bad::Malformed);
        };
        if method.eq_ignore_ascii_case("CONNECT") {
            let (host, port) = authority(target)?;
            return Ok(Request {
                method: "CONNECT".to_owned(),
                host,
                port,
                forward_head: None,
            });
        }
        // Only plain HTTP is forwarded; an `https://` URL must come as a CONNECT.
        let rest = target.strip_prefix("http://").ok_or(Bad::Malformed)?;
        let (authority_text, path) = match rest.find(['/', '?']) {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        let (host, port) = if authority_text.contains(':') {
            authority(authority_text)?
        } else {
            (plain_host(authority_text)?, 80)
        };
        let path = match path {
            "" => "/".to_owned(),
            query if query.starts_with('?') => format!("/{query}"),
            path => path.to_owned(),
        };
        let mut forward = format!("{method} {path} HTTP/1.{version}\r\n").into_bytes();
        for header in parsed.headers.iter() {
            if HOP_HEADERS
                .iter()
                .any(|hop| header.name.eq_ignore_ascii_case(hop))
            {
                continue;
            }
            forward.extend_from_slice(header.name.as_bytes());
            forward.extend_from_slice(b": ");
            forward.extend_from_slice(header.value);
            forward.extend_from_slice(b"\r\n");
        }
        forward.extend_from_slice(b"Connection: close\r\n\r\n");
        Ok(Request {
            method: method.to_owned(),
            host,
            port,
            forward_head: Some(forward),
        })
    }
}

/// Reads `host:port` (or `[v6]:port`) as a request names its destination.
fn authority(text: &str) -> Result<(String, u16), Bad> {
    let (host, port) = split_host_port(text).ok_or(Bad::Malformed)?;
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|&port| port != 0)
        .ok_or(Bad::Malformed)?;
    Ok((plain_host(host)?, port))
}

/// A host as it may appear in a request: no user info, nothing empty.
fn plain_host(host: &str) -> Result<String, Bad> {
    if host.is_empty() || host.contains(['@', '/', '[', ']']) {
        return Err(Bad::Malformed);
    }
    Ok(host.to_owned())
}

#[cfg(test)]
mod tests;
