//! End-to-end tests of the client against a tiny scripted HTTP server on 127.0.0.1:
//! retries with the provider's wait and with backoff, no retry on a rejected key, a
//! stalled stream, and the fallback chain. (The full fake provider lives elsewhere.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// One scripted reply: raw bytes, then optionally hold the connection open.
struct Reply {
    bytes: String,
    hold: Duration,
}

fn reply(status: &str, headers: &[&str], body: &str) -> Reply {
    let mut head = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    Reply {
        bytes: format!("{head}\r\n{body}"),
        hold: Duration::ZERO,
    }
}

/// Serves `replies` in order, one per connection; returns the base URL and the request
/// heads received.
async fn serve(replies: Vec<Reply>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        for reply in replies {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Read the head and the body its content-length announces.
            while let Ok(n) = socket.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        log.lock().unwrap().push(text);
                        break;
                    }
                }
            }
            let _ = socket.write_all(reply.bytes.as_bytes()).await;
            let _ = socket.flush().await;
            tokio::time::sleep(reply.hold).await;
        }
    });
    (base, seen)
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Duration>>);

impl Sleeper for Recorder {
    fn sleep(&self, d: Duration) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.0.lock().unwrap().push(d);
        Box::pin(async {})
    }
}

fn options(sleeper: Arc<Recorder>) -> ClientOptions {
    ClientOptions {
        request_timeout: Duration::from_secs(10),
        stall_timeout: Duration::from_millis(300),
        max_retries: 3,
        base_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(1),
        seed: 7,
        sleeper,
        ..ClientOptions::default()
    }
}

fn spec(format: WireFormat, base: &str) -> ProviderSpec {
    ProviderSpec {
        name: "anthropic".into(),
        format,
        base_url: base.into(),
        key_vars: vec!["ANTHROPIC_API_KEY".into()],
        key_optional: false,
        legacy_max_tokens: false,
    }
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "claude-opus-4-6".into(),
        system: None,
        messages: vec![Message::user("hi")],
        tools: vec![],
        response_schema: None,
        max_tokens: 50,
        temperature: None,
        stream: false,
    }
}

const OK_BODY: &str = r#"{"model":"claude-opus-4-6","content":[{"type":"text","text":"hello"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}"#;
const OVERLOADED: &str = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;

#[tokio::test]
async fn retries_overload_with_backoff_and_rate_limit_with_the_asked_wait() {
    let (base, seen) = serve(vec![
        reply("529 Overloaded", &["content-type: application/json"], OVERLOADED),
        reply(
            "429 Too Many Requests",
            &["retry-after-ms: 40", "content-type: application/json"],
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}"#,
        ),
        reply("200 OK", &["content-type: application/json"], OK_BODY),
    ])
    .await;
    let sleeper = Arc::new(Recorder::default());
    let client = Client::new(
        spec(WireFormat::Anthropic, &base),
        Some(ApiKey::new("sk-ant-loop")),
        options(sleeper.clone()),
    )
    .unwrap();
    let mut events = Vec::new();
    let got = client.chat(&request(), &mut |e| events.push(e)).await.unwrap();
    assert_eq!(got.text, "hello");
    let waits = sleeper.0.lock().unwrap().clone();
    assert_eq!(waits.len(), 2);
    assert!(
        waits[0] >= Duration::from_millis(50) && waits[0] <= Duration::from_millis(100),
        "{waits:?}"
    );
    assert_eq!(waits[1], Duration::from_millis(40));
    let kinds: Vec<String> = events
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(kinds, ["attempt", "retrying", "attempt", "retrying", "attempt"]);
    assert_eq!(
        serde_json::to_value(&events[3]).unwrap(),
        json!({"kind": "retrying", "provider": "anthropic", "model": "claude-opus-4-6", "status": 429, "reason": "rate limited (HTTP 429)", "wait_ms": 40})
    );
    let first = seen.lock().unwrap()[0].to_ascii_lowercase();
    assert!(first.starts_with("post /v1/messages http/1.1"), "{first}");
    assert!(
        first.contains("x-api-key: sk-ant-loop") && first.contains("anthropic-version: 2023-06-01"),
        "{first}"
    );
}

#[tokio::test]
async fn a_rejected_key_is_not_retried_and_does_not_fall_back() {
    let (base, seen) = serve(vec![
        reply(
            "401 Unauthorized",
            &[],
            r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
        ),
        reply("200 OK", &[], OK_BODY),
    ])
    .await;
    let (good, _) = serve(vec![reply("200 OK", &[], OK_BODY)]).await;
    let sleeper = Arc::new(Recorder::default());
    let bad = Client::new(
        spec(WireFormat::Anthropic, &base),
        Some(ApiKey::new("k")),
        options(sleeper.clone()),
    )
    .unwrap();
    let fallback = Client::new(
        spec(WireFormat::Anthropic, &good),
        Some(ApiKey::new("k")),
        options(sleeper.clone()),
    )
    .unwrap();
    let err = chat_with_fallback(
        &[(&bad, "claude-opus-4-6"), (&fallback, "claude-sonnet-4-5")],
        &request(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(err.is_credentials());
    assert_eq!(err.to_string(), "anthropic rejected the API key (HTTP 401) for claude-opus-4-6: invalid x-api-key (check ANTHROPIC_API_KEY)");
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert!(sleeper.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_stalled_stream_times_out_and_the_chain_falls_back() {
    // Headers and one event, then silence with the connection open.
    let ping = "event: ping\ndata: {\"type\":\"ping\"}\n\n";
    let stalled = Reply {
        bytes: format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{ping}\r\n",
            ping.len()
        ),
        hold: Duration::from_secs(3),
    };
    let (slow, _) = serve(vec![stalled]).await;
    let stream_ok = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":2}}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"fine\"}}\n\n\
event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":1}}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    let (good, _) = serve(vec![reply(
        "200 OK",
        &["content-type: text/event-stream"],
        stream_ok,
    )])
    .await;
    let sleeper = Arc::new(Recorder::default());
    let mut opts = options(sleeper.clone());
    opts.max_retries = 0;
    let a = Client::new(
        spec(WireFormat::Anthropic, &slow),
        Some(ApiKey::new("k")),
        opts.clone(),
    )
    .unwrap();
    let b = Client::new(spec(WireFormat::Anthropic, &good), Some(ApiKey::new("k")), opts).unwrap();
    let mut req = request();
    req.stream = true;
    let mut events = Vec::new();
    let got = chat_with_fallback(
        &[(&a, "claude-opus-4-6"), (&b, "claude-sonnet-4-5")],
        &req,
        &mut |e| events.push(e),
    )
    .await
    .unwrap();
    assert!(got.fell_back);
    assert_eq!(got.used.to_string(), "anthropic/claude-sonnet-4-5");
    assert_eq!(got.response.text, "fine");
    assert_eq!(got.response.usage.input, 2);
    assert_eq!(got.reasons, ["anthropic/claude-opus-4-6: stream stalled"]);
    assert!(events.contains(&ProviderEvent::FellBack {
        from: "anthropic/claude-opus-4-6".into(),
        to: "anthropic/claude-sonnet-4-5".into(),
        reason: "stream stalled".into(),
    }));
}

#[tokio::test]
async fn unreachable_server_is_a_network_error_and_missing_key_is_refused_up_front() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let sleeper = Arc::new(Recorder::default());
    let mut opts = options(sleeper);
    opts.max_retries = 1;
    let client = Client::new(
        spec(WireFormat::OpenAiChat, &base),
        Some(ApiKey::new("k")),
        opts.clone(),
    )
    .unwrap();
    let err = client.chat(&request(), &mut |_| {}).await.unwrap_err();
    assert!(matches!(err, ProviderError::Network { .. }), "{err:?}");
    assert!(err.allows_fallback() && !err.is_credentials());
    let err = Client::new(spec(WireFormat::Anthropic, &base), None, opts).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no API key for anthropic (set ANTHROPIC_API_KEY)"
    );
}
