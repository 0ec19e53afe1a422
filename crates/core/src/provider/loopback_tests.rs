//! End-to-end tests of the client against the fake provider on 127.0.0.1 (the same
//! loopback server the demo and the agent CLIs' tests use, with its fault injection):
//! retries with the provider's wait and with backoff, no retry on a rejected key, a
//! stalled stream, and the fallback chain.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bakeoff_fake_provider::{FakeProvider, Fault, Script, Usage};
use serde_json::json;

use super::*;

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

async fn serve(script: Script) -> FakeProvider {
    FakeProvider::start(script).await.unwrap()
}

#[tokio::test]
async fn retries_overload_with_backoff_and_rate_limit_with_the_asked_wait() {
    let server = serve(
        Script::builder()
            .fault(Fault::Overloaded)
            .fault(Fault::RateLimited {
                retry_after: None,
                retry_after_ms: Some(40),
            })
            .text("hello")
            .build(),
    )
    .await;
    let base = server.base_url();
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
    let first = &server.requests()[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("POST", "/v1/messages")
    );
    assert_eq!(first.header("x-api-key"), Some("sk-ant-loop"));
    assert_eq!(first.header("anthropic-version"), Some("2023-06-01"));
}

#[tokio::test]
async fn a_rejected_key_is_not_retried_and_does_not_fall_back() {
    let rejecting = serve(Script::builder().fault(Fault::Unauthorized).text("hello").build()).await;
    let good = serve(Script::builder().text("hello").build()).await;
    let (base, good_base) = (rejecting.base_url(), good.base_url());
    let sleeper = Arc::new(Recorder::default());
    let bad = Client::new(
        spec(WireFormat::Anthropic, &base),
        Some(ApiKey::new("k")),
        options(sleeper.clone()),
    )
    .unwrap();
    let fallback = Client::new(
        spec(WireFormat::Anthropic, &good_base),
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
    assert_eq!(rejecting.requests().len(), 1);
    assert!(good.requests().is_empty(), "a rejected key fell back");
    assert!(sleeper.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_stalled_stream_times_out_and_the_chain_falls_back() {
    // The head and the first event, then silence with the connection open.
    let slow = serve(
        Script::builder()
            .fault(Fault::Stall {
                after_bytes: 1,
                ms: 3000,
                resume: false,
            })
            .build(),
    )
    .await;
    let good = serve(
        Script::builder()
            .text("fine")
            .usage(Usage {
                input: 2,
                output: 1,
                ..Usage::default()
            })
            .build(),
    )
    .await;
    let (slow, good) = (slow.base_url(), good.base_url());
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
