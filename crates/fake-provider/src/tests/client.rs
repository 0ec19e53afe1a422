//! A tiny raw HTTP/1.1 client for the tests: it sees exactly what the server sends,
//! including a missing chunk terminator or a reset, which a real client would hide.

use std::io;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::http::decode_chunked;
use crate::FakeProvider;

pub const TIMEOUT: Duration = Duration::from_secs(2);

pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// SSE events as (event name, data) pairs.
    pub fn events(&self) -> Vec<(Option<String>, String)> {
        parse_sse(&self.text())
    }

    /// SSE data parsed as JSON, `[DONE]` skipped.
    pub fn data_json(&self) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|(_, d)| d != "[DONE]")
            .map(|(_, d)| serde_json::from_str(&d).unwrap_or_else(|e| panic!("bad data {d}: {e}")))
            .collect()
    }
}

pub fn parse_sse(text: &str) -> Vec<(Option<String>, String)> {
    let normalized = text.replace("\r\n", "\n");
    normalized
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut name = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_string());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push(d.to_string());
                }
            }
            (name, data.join("\n"))
        })
        .collect()
}

impl Client {
    pub async fn connect(server: &FakeProvider) -> Client {
        let stream = TcpStream::connect(server.addr()).await.expect("connect");
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await
    }

    pub async fn request(&mut self, method: &str, path: &str, body: &str) -> io::Result<Resp> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
             x-api-key: test\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        self.send_raw(head.as_bytes()).await?;
        self.send_raw(body.as_bytes()).await?;
        self.read(method == "HEAD").await
    }

    pub async fn post(&mut self, path: &str, body: &Value) -> Resp {
        self.request("POST", path, &body.to_string())
            .await
            .expect("response")
    }

    async fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout(TIMEOUT, self.stream.read(&mut chunk))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "client read timed out"))??;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Read one response; an error when the connection breaks before it is complete.
    pub async fn read_response(&mut self) -> io::Result<Resp> {
        self.read(false).await
    }

    async fn read(&mut self, head_only: bool) -> io::Result<Resp> {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            if self.fill().await? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "eof in head"));
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .unwrap_or("")
            .split(' ')
            .nth(1)
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let find = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let body = if head_only {
            Vec::new()
        } else if find("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            loop {
                if let Some((body, used)) = decode_chunked(&self.buf)? {
                    self.buf.drain(..used);
                    break body;
                }
                if self.fill().await? == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "eof in chunked body",
                    ));
                }
            }
        } else {
            let len: usize = find("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
            while self.buf.len() < len {
                if self.fill().await? == 0 {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "eof in body"));
                }
            }
            self.buf.drain(..len).collect()
        };
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    /// Read everything until the connection ends: the bytes and how it ended.
    pub async fn read_to_end(&mut self) -> (Vec<u8>, io::Result<()>) {
        loop {
            match self.fill().await {
                Ok(0) => return (std::mem::take(&mut self.buf), Ok(())),
                Ok(_) => {}
                Err(e) => return (std::mem::take(&mut self.buf), Err(e)),
            }
        }
    }
}

/// Unwrap a chunked body that may lack its terminator: the payload bytes received.
pub fn dechunk_partial(raw: &[u8]) -> Vec<u8> {
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(0, |i| i + 4);
    let mut rest = &raw[head_end..];
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else {
            break;
        };
        let Ok(size) = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap_or("x"), 16) else {
            break;
        };
        if size == 0 {
            break;
        }
        let start = eol + 2;
        let end = (start + size).min(rest.len());
        out.extend_from_slice(&rest[start..end]);
        if end < start + size || rest.len() < end + 2 {
            break;
        }
        rest = &rest[end + 2..];
    }
    out
}
