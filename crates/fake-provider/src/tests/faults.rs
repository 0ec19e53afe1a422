//! Every fault on every format: status, headers and body shape, and how the connection
//! breaks.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::client::{dechunk_partial, parse_sse, Client, Resp};
use crate::{FakeProvider, Fault, Script};

/// (path, body) of a model request in each format, streaming or not.
fn requests(stream: bool) -> Vec<(&'static str, String, Value)> {
    let gemini = if stream {
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    } else {
        "/v1beta/models/gemini-2.5-pro:generateContent"
    };
    vec![
        (
            "anthropic",
            "/v1/messages".to_string(),
            json!({"model": "m", "stream": stream}),
        ),
        (
            "chat",
            "/v1/chat/completions".to_string(),
            json!({"model": "m", "stream": stream}),
        ),
        (
            "responses",
            "/v1/responses".to_string(),
            json!({"model": "m", "stream": stream}),
        ),
        ("gemini", gemini.to_string(), json!({"contents": []})),
    ]
}

/// Send one request per format (stream and not) answered by `fault`; check each reply.
async fn each_format(fault: Fault, check: impl Fn(&str, bool, &Resp)) {
    for stream in [false, true] {
        for (name, path, body) in requests(stream) {
            let server = FakeProvider::start(Script::builder().fault(fault.clone()).build())
                .await
                .unwrap();
            let mut c = Client::connect(&server).await;
            let r = c.post(&path, &body).await;
            check(name, stream, &r);
        }
    }
}

#[tokio::test]
async fn rate_limited_sets_retry_headers_and_gemini_retry_info() {
    let fault = Fault::RateLimited {
        retry_after: Some(2),
        retry_after_ms: Some(1500),
    };
    each_format(fault, |name, _, r| {
        assert_eq!(r.status, 429, "{name}");
        assert_eq!(r.header("retry-after"), Some("2"), "{name}");
        assert_eq!(r.header("retry-after-ms"), Some("1500"), "{name}");
        let body = r.json();
        match name {
            "anthropic" => {
                assert_eq!(body["type"], "error");
                assert_eq!(body["error"]["type"], "rate_limit_error");
                assert_eq!(r.header("x-should-retry"), Some("true"));
            }
            "gemini" => {
                assert_eq!(body["error"]["code"], 429);
                assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
                let info = body["error"]["details"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|d| d["@type"] == "type.googleapis.com/google.rpc.RetryInfo")
                    .expect("RetryInfo");
                assert_eq!(info["retryDelay"], "1.500s");
                // What Gemini CLI reads to call it retryable rather than a spent quota.
                assert!(body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("Please retry in 1.500s."));
                let quota = body["error"]["details"][0]["violations"][0]["quotaId"]
                    .as_str()
                    .unwrap();
                assert!(quota.contains("PerMinute"), "{quota}");
            }
            _ => {
                assert_eq!(body["error"]["code"], "rate_limit_exceeded");
                assert!(body["error"]["message"].as_str().unwrap().contains("1.500s"));
            }
        }
    })
    .await;
}

#[tokio::test]
async fn rate_limit_then_success_on_the_same_connection() {
    let script = Script::builder()
        .fault(Fault::RateLimited {
            retry_after: None,
            retry_after_ms: Some(10),
        })
        .text("recovered")
        .build();
    let server = FakeProvider::start(script).await.unwrap();
    let mut c = Client::connect(&server).await;
    let r = c.post("/v1/messages", &json!({"model": "m"})).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), None);
    let r = c.post("/v1/messages", &json!({"model": "m"})).await;
    assert_eq!(r.json()["content"][0]["text"], "recovered");
}

#[tokio::test]
async fn overloaded_is_529_for_anthropic_and_503_elsewhere() {
    each_format(Fault::Overloaded, |name, _, r| {
        let body = r.json();
        match name {
            "anthropic" => {
                assert_eq!(r.status, 529);
                assert_eq!(body["error"]["type"], "overloaded_error");
            }
            "gemini" => {
                assert_eq!(r.status, 503);
                assert_eq!(body["error"]["status"], "UNAVAILABLE");
            }
            _ => {
                assert_eq!(r.status, 503);
                assert_eq!(body["error"]["type"], "server_error");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn status_codes_carry_the_format_error() {
    for code in [500, 502, 503, 504] {
        each_format(Fault::Status { code }, |name, _, r| {
            assert_eq!(r.status, code, "{name}");
            let body = r.json();
            match name {
                "anthropic" => assert_eq!(body["error"]["type"], "api_error"),
                "gemini" => assert_eq!(body["error"]["code"], code),
                _ => assert_eq!(body["error"]["type"], "server_error"),
            }
        })
        .await;
    }
}

#[tokio::test]
async fn auth_and_billing_errors() {
    each_format(Fault::Unauthorized, |name, _, r| {
        assert_eq!(r.status, 401, "{name}");
        let body = r.json();
        match name {
            "anthropic" => assert_eq!(body["error"]["type"], "authentication_error"),
            "gemini" => assert_eq!(body["error"]["status"], "UNAUTHENTICATED"),
            _ => assert_eq!(body["error"]["code"], "invalid_api_key"),
        }
    })
    .await;
    each_format(Fault::InsufficientQuota, |name, _, r| {
        assert_eq!(r.header("retry-after"), None);
        let body = r.json();
        match name {
            "anthropic" => {
                assert_eq!(r.status, 400);
                assert!(body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("credit balance"));
            }
            "gemini" => {
                assert_eq!(r.status, 429);
                let details = body["error"]["details"].as_array().unwrap();
                assert!(details
                    .iter()
                    .all(|d| d["@type"] != "type.googleapis.com/google.rpc.RetryInfo"));
            }
            _ => {
                assert_eq!(r.status, 429);
                assert_eq!(body["error"]["code"], "insufficient_quota");
                assert_eq!(body["error"]["type"], "insufficient_quota");
            }
        }
    })
    .await;
    each_format(Fault::SpendCap, |name, _, r| {
        assert_eq!(r.status, 429, "{name}");
        assert_eq!(r.header("retry-after"), None);
        if name == "anthropic" {
            let body = r.json();
            assert_eq!(body["error"]["type"], "rate_limit_error");
            assert!(body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("usage limits"));
            assert_eq!(r.header("x-should-retry"), Some("false"));
        }
    })
    .await;
}

#[tokio::test]
async fn html_error_page() {
    each_format(Fault::HtmlErrorPage, |_, _, r| {
        assert_eq!(r.status, 502);
        assert_eq!(r.header("content-type"), Some("text/html"));
        assert!(r.text().contains("<title>502 Bad Gateway</title>"));
    })
    .await;
}

#[tokio::test]
async fn malformed_json_whole_and_streamed() {
    each_format(Fault::MalformedJson, |name, stream, r| {
        assert_eq!(r.status, 200, "{name}");
        if !stream {
            assert!(serde_json::from_slice::<Value>(&r.body).is_err(), "{name}");
            return;
        }
        let events = parse_sse(&r.text());
        let broken = events
            .iter()
            .filter(|(_, d)| d != "[DONE]" && serde_json::from_str::<Value>(d).is_err())
            .count();
        assert_eq!(broken, 1, "{name}: one torn event, {events:?}");
        assert!(events.len() >= 3, "{name}");
    })
    .await;
}

/// Send one request answered by `fault` and read until the connection ends.
async fn broken(fault: Fault, path: &str, body: Value) -> (Vec<u8>, std::io::Result<()>, Duration) {
    let server = FakeProvider::start(Script::builder().fault(fault).build())
        .await
        .unwrap();
    let mut c = Client::connect(&server).await;
    let body = body.to_string();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let start = Instant::now();
    c.send_raw(head.as_bytes()).await.unwrap();
    let (bytes, end) = c.read_to_end().await;
    (bytes, end, start.elapsed())
}

#[tokio::test]
async fn reset_before_and_mid_stream() {
    for stream in [false, true] {
        for (name, path, body) in requests(stream) {
            let (bytes, end, _) = broken(Fault::Reset { after_bytes: None }, &path, body.clone()).await;
            assert!(bytes.is_empty(), "{name}");
            let err = end.expect_err("a reset, not a clean close");
            assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{name}");

            let (bytes, end, _) = broken(
                Fault::Reset {
                    after_bytes: Some(40),
                },
                &path,
                body,
            )
            .await;
            assert!(bytes.starts_with(b"HTTP/1.1 200 OK\r\n"), "{name}");
            let payload = if stream {
                dechunk_partial(&bytes)
            } else {
                bytes.clone()
            };
            assert!(!payload.is_empty(), "{name}: some body before the reset");
            assert_eq!(
                end.unwrap_err().kind(),
                std::io::ErrorKind::ConnectionReset,
                "{name}"
            );
        }
    }
}

#[tokio::test]
async fn stall_goes_silent_then_closes_or_resumes() {
    let (bytes, end, elapsed) = broken(
        Fault::Stall {
            after_bytes: 30,
            ms: 300,
            resume: false,
        },
        "/v1/messages",
        json!({"model": "m", "stream": true}),
    )
    .await;
    assert!(elapsed >= Duration::from_millis(280), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert!(end.is_ok());
    let payload = dechunk_partial(&bytes);
    assert_eq!(payload.len(), 30);
    assert!(!bytes.ends_with(b"0\r\n\r\n"));

    let script = Script::builder()
        .fault(Fault::Stall {
            after_bytes: 10,
            ms: 150,
            resume: true,
        })
        .build();
    let server = FakeProvider::start(script).await.unwrap();
    let mut c = Client::connect(&server).await;
    let start = Instant::now();
    let r = c
        .post("/v1/chat/completions", &json!({"model": "m", "stream": true}))
        .await;
    assert!(start.elapsed() >= Duration::from_millis(140));
    assert_eq!(r.events().last().unwrap().1, "[DONE]");
}

#[tokio::test]
async fn truncated_stream_has_no_terminator() {
    for stream in [false, true] {
        for (name, path, body) in requests(stream) {
            let (bytes, end, _) = broken(Fault::TruncatedStream, &path, body).await;
            assert!(end.is_ok(), "{name}: a clean close, not a reset");
            assert!(bytes.starts_with(b"HTTP/1.1 200 OK\r\n"), "{name}");
            if stream {
                assert!(!bytes.ends_with(b"0\r\n\r\n"), "{name}");
                let payload = String::from_utf8_lossy(&dechunk_partial(&bytes)).into_owned();
                let events = parse_sse(&payload);
                assert!(events.len() >= 2, "{name}: {payload}");
                let last = &events.last().unwrap().1;
                assert!(
                    serde_json::from_str::<Value>(last).is_err(),
                    "{name}: cut mid-event: {last}"
                );
            } else {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let (head, body) = text.split_once("\r\n\r\n").unwrap();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(body.len() < len, "{name}");
            }
        }
    }
}

#[tokio::test]
async fn stream_error_breaks_off_with_the_format_error_event() {
    each_format(Fault::StreamError, |name, stream, r| {
        if !stream {
            assert!(r.status == 529 || r.status == 503, "{name}: {}", r.status);
            return;
        }
        assert_eq!(r.status, 200, "{name}");
        let events = r.events();
        let (event, data) = events.last().unwrap();
        let last: Value = serde_json::from_str(data).unwrap();
        assert!(events.len() >= 3, "{name}");
        match name {
            "anthropic" => {
                assert_eq!(event.as_deref(), Some("error"));
                assert_eq!(last["error"]["type"], "overloaded_error");
            }
            "responses" => {
                assert_eq!(event.as_deref(), Some("response.failed"));
                assert_eq!(last["response"]["status"], "failed");
                assert_eq!(last["sequence_number"], events.len() - 1);
            }
            "gemini" => assert_eq!(last["error"]["status"], "INTERNAL"),
            _ => {
                assert_eq!(last["error"]["type"], "server_error");
                assert!(events.iter().all(|(_, d)| d != "[DONE]"));
            }
        }
    })
    .await;
}
