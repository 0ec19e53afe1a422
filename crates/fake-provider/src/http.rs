//! A small HTTP/1.1 server side, written by hand on purpose: fault injection needs
//! byte-level control of the response (a reset after N body bytes, a stall in the middle
//! of an event, a chunked body that never gets its terminator), which a server framework
//! would hide. Request heads are parsed with `httparse`; bodies may come with
//! `Content-Length` or `Transfer-Encoding: chunked` (Node's fetch sends either).

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MAX_HEAD: usize = 256 * 1024;
const MAX_BODY: usize = 64 * 1024 * 1024;
const MAX_HEADERS: usize = 128;

/// One request as read from the wire.
#[derive(Debug)]
pub(crate) struct Request {
    pub method: String,
    pub target: String,
    /// Header names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The client asked to close after this request (or spoke HTTP/1.0 without keep-alive).
    pub close: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Read the next request from `stream`, using and refilling `buf` (which keeps bytes of
/// a pipelined next request). `Ok(None)` when the client closed or stayed idle.
pub(crate) async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    idle: Duration,
) -> io::Result<Option<Request>> {
    let (mut request, head_len, body_kind) = loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let headers: Vec<(String, String)> = parsed
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_ascii_lowercase(),
                            String::from_utf8_lossy(h.value).trim().to_string(),
                        )
                    })
                    .collect();
                let version = parsed.version.unwrap_or(1);
                let request = Request {
                    method: parsed.method.unwrap_or("GET").to_string(),
                    target: parsed.path.unwrap_or("/").to_string(),
                    headers,
                    body: Vec::new(),
                    close: false,
                };
                let connection = request.header("connection").unwrap_or("").to_ascii_lowercase();
                let close =
                    connection.contains("close") || (version == 0 && !connection.contains("keep-alive"));
                let body_kind = body_kind(&request)?;
                break (Request { close, ..request }, head_len, body_kind);
            }
            Ok(httparse::Status::Partial) => {
                if buf.len() > MAX_HEAD {
                    return Err(invalid("request head too large"));
                }
                if read_more(stream, buf, idle).await? == 0 {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "request head cut short",
                    ));
                }
            }
            Err(e) => return Err(invalid(&format!("bad request head: {e}"))),
        }
    };
    buf.drain(..head_len);

    let expects_continue = request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if expects_continue && body_kind != BodyKind::None {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    }

    request.body = match body_kind {
        BodyKind::None => Vec::new(),
        BodyKind::Length(len) => {
            while buf.len() < len {
                if read_more(stream, buf, idle).await? == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "request body cut short",
                    ));
                }
            }
            buf.drain(..len).collect()
        }
        BodyKind::Chunked => loop {
            if let Some((body, used)) = decode_chunked(buf)? {
                buf.drain(..used);
                break body;
            }
            if buf.len() > MAX_BODY + MAX_HEAD {
                return Err(invalid("request body too large"));
            }
            if read_more(stream, buf, idle).await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "chunked body cut short",
                ));
            }
        },
    };
    Ok(Some(request))
}

#[derive(Debug, PartialEq, Eq)]
enum BodyKind {
    None,
    Length(usize),
    Chunked,
}

fn body_kind(request: &Request) -> io::Result<BodyKind> {
    if let Some(te) = request.header("transfer-encoding") {
        if te.to_ascii_lowercase().contains("chunked") {
            return Ok(BodyKind::Chunked);
        }
    }
    match request.header("content-length") {
        Some(v) => {
            let len: usize = v.parse().map_err(|_| invalid("bad content-length"))?;
            if len > MAX_BODY {
                return Err(invalid("request body too large"));
            }
            Ok(BodyKind::Length(len))
        }
        None => Ok(BodyKind::None),
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>, idle: Duration) -> io::Result<usize> {
    let mut chunk = [0u8; 16 * 1024];
    let n = match tokio::time::timeout(idle, stream.read(&mut chunk)).await {
        Ok(result) => result?,
        Err(_) => return Ok(0),
    };
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

/// Decode a complete chunked body at the start of `buf`: the body and the bytes used, or
/// `None` when more bytes are needed. Trailers are skipped.
pub(crate) fn decode_chunked(buf: &[u8]) -> io::Result<Option<(Vec<u8>, usize)>> {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let Some(line_end) = find_crlf(&buf[pos..]) else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&buf[pos..pos + line_end]).map_err(|_| invalid("bad chunk size"))?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
        if size > MAX_BODY || body.len() + size > MAX_BODY {
            return Err(invalid("request body too large"));
        }
        pos += line_end + 2;
        if size == 0 {
            // Trailer lines until an empty line; bounded by the buffer's length.
            loop {
                let Some(end) = find_crlf(&buf[pos..]) else {
                    return Ok(None);
                };
                pos += end + 2;
                if end == 0 {
                    return Ok(Some((body, pos)));
                }
            }
        }
        if buf.len() < pos + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&buf[pos..pos + size]);
        if &buf[pos + size..pos + size + 2] != b"\r\n" {
            return Err(invalid("chunk not followed by CRLF"));
        }
        pos += size + 2;
    }
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

/// A response body: whole with `Content-Length`, or pieces sent as chunks (one SSE event
/// per chunk, flushed one by one).
#[derive(Clone, Debug)]
pub(crate) enum Body {
    Fixed(Vec<u8>),
    Chunks(Vec<Vec<u8>>),
}

impl Body {
    pub fn len(&self) -> usize {
        match self {
            Body::Fixed(b) => b.len(),
            Body::Chunks(c) => c.iter().map(Vec::len).sum(),
        }
    }
}

/// How the response is delivered: whole, or broken on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// Broken deliveries are chosen only by scripted faults (the `faults` feature); the
// transport keeps them in every build so it has one shape.
#[cfg_attr(not(feature = "faults"), allow(dead_code))]
pub(crate) enum Delivery {
    Complete,
    /// Reset the connection before sending anything.
    ResetBefore,
    /// Send the head and this many body bytes, then reset.
    ResetAfter(usize),
    /// Send the head and `after` body bytes, pause, then close or send the rest.
    Stall {
        after: usize,
        ms: u64,
        resume: bool,
    },
    /// Send the head and this many body bytes, then close without finishing the body.
    Truncate(usize),
}

/// A response ready to write.
#[derive(Clone, Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    pub delivery: Delivery,
}

impl Response {
    pub fn new(status: u16, headers: Vec<(String, String)>, body: Body) -> Response {
        Response {
            status,
            headers,
            body,
            delivery: Delivery::Complete,
        }
    }
}

/// Whether the connection may serve another request after this response.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum After {
    KeepOpen,
    Close,
}

/// Write `response`, honouring its delivery. `head_only` for HEAD requests.
pub(crate) async fn write_response(
    stream: &mut TcpStream,
    response: &Response,
    keep_alive: bool,
    head_only: bool,
    event_delay: Duration,
) -> io::Result<After> {
    if response.delivery == Delivery::ResetBefore {
        reset(stream);
        return Ok(After::Close);
    }
    let chunked = matches!(response.body, Body::Chunks(_));
    let head = response_head(response, chunked, keep_alive);
    stream.write_all(head.as_bytes()).await?;
    if head_only {
        stream.flush().await?;
        return Ok(after(keep_alive));
    }

    let pieces: Vec<&[u8]> = match &response.body {
        Body::Fixed(b) => vec![b.as_slice()],
        Body::Chunks(c) => c.iter().map(Vec::as_slice).collect(),
    };
    let limit = match response.delivery {
        Delivery::Complete | Delivery::ResetBefore => usize::MAX,
        Delivery::ResetAfter(n) | Delivery::Truncate(n) => n,
        Delivery::Stall { after, .. } => after,
    };
    let rest = write_up_to(stream, &pieces, limit, chunked, event_delay).await?;
    finish_delivery(stream, response.delivery, rest, chunked, keep_alive).await
}

/// The status line and headers, with `date`, the body's framing and `connection`, up to
/// the blank line.
fn response_head(response: &Response, chunked: bool, keep_alive: bool) -> String {
    let mut head = format!("HTTP/1.1 {} {}\r\n", response.status, reason(response.status));
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "date: {}\r\n",
        chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT")
    ));
    if chunked {
        head.push_str("transfer-encoding: chunked\r\n");
    } else {
        head.push_str(&format!("content-length: {}\r\n", response.body.len()));
    }
    head.push_str(if keep_alive {
        "connection: keep-alive\r\n\r\n"
    } else {
        "connection: close\r\n\r\n"
    });
    head
}

/// Writes the body's pieces up to `limit` bytes in all, pausing `event_delay` before
/// every chunk but the first; returns what is left unsent, in order.
async fn write_up_to<'a>(
    stream: &mut TcpStream,
    pieces: &[&'a [u8]],
    limit: usize,
    chunked: bool,
    event_delay: Duration,
) -> io::Result<Vec<&'a [u8]>> {
    let mut sent = 0usize;
    let mut rest: Vec<&[u8]> = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        if sent >= limit {
            rest.push(piece);
            continue;
        }
        let take = piece.len().min(limit - sent);
        if i > 0 && chunked && !event_delay.is_zero() {
            tokio::time::sleep(event_delay).await;
        }
        write_piece(stream, &piece[..take], chunked).await?;
        sent += take;
        if take < piece.len() {
            rest.push(&piece[take..]);
        }
    }
    Ok(rest)
}

/// After the first part of the body: end it, or break the connection as `delivery`
/// says (for a stall, pause and then close or send `rest`).
async fn finish_delivery(
    stream: &mut TcpStream,
    delivery: Delivery,
    rest: Vec<&[u8]>,
    chunked: bool,
    keep_alive: bool,
) -> io::Result<After> {
    match delivery {
        Delivery::Complete => end_body(stream, chunked, keep_alive).await,
        Delivery::ResetAfter(_) => {
            stream.flush().await?;
            reset(stream);
            Ok(After::Close)
        }
        Delivery::Truncate(_) => {
            stream.flush().await?;
            stream.shutdown().await?;
            Ok(After::Close)
        }
        Delivery::Stall { ms, resume, .. } => {
            stream.flush().await?;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            if !resume {
                stream.shutdown().await?;
                return Ok(After::Close);
            }
            for piece in rest {
                write_piece(stream, piece, chunked).await?;
            }
            end_body(stream, chunked, keep_alive).await
        }
        Delivery::ResetBefore => Ok(After::Close),
    }
}

/// Ends a body sent in full: the chunked terminator when chunked, then a flush.
async fn end_body(stream: &mut TcpStream, chunked: bool, keep_alive: bool) -> io::Result<After> {
    if chunked {
        stream.write_all(b"0\r\n\r\n").await?;
    }
    stream.flush().await?;
    Ok(after(keep_alive))
}

/// Whether the connection stays open after a response delivered in full.
fn after(keep_alive: bool) -> After {
    if keep_alive {
        After::KeepOpen
    } else {
        After::Close
    }
}

async fn write_piece(stream: &mut TcpStream, bytes: &[u8], chunked: bool) -> io::Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    if chunked {
        let mut framed = format!("{:x}\r\n", bytes.len()).into_bytes();
        framed.extend_from_slice(bytes);
        framed.extend_from_slice(b"\r\n");
        stream.write_all(&framed).await?;
    } else {
        stream.write_all(bytes).await?;
    }
    stream.flush().await
}

/// Make the coming close a TCP reset: with SO_LINGER 0 the kernel sends RST, not FIN, so
/// the client sees "connection reset by peer" as when a proxy or server dies.
fn reset(stream: &TcpStream) {
    let _ = stream.set_zero_linger();
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Site Overloaded",
        _ => "Status",
    }
}
