//! Every fault of the fake provider on every wire format, streaming and not: the
//! documented outcome (retried and answered, or failed for good with credentials named),
//! and never a lost review.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bakeoff_core::provider::{
    ApiKey, ChatRequest, Client, ClientOptions, Message, ProviderEvent, ProviderSpec, WireFormat,
};
use bakeoff_core::review::reviewer::{self, ChainLink, Job, Reviewer};
use bakeoff_core::review::{CheckSummary, Verdict};
use bakeoff_testkit::fake_provider::{FakeProvider, Fault, Script};

const FORMATS: [WireFormat; 4] = [
    WireFormat::Anthropic,
    WireFormat::OpenAiChat,
    WireFormat::OpenAiResponses,
    WireFormat::Gemini,
];

fn model_of(format: WireFormat) -> &'static str {
    match format {
        WireFormat::Anthropic => "claude-opus-4-6",
        WireFormat::OpenAiChat | WireFormat::OpenAiResponses => "gpt-5.5",
        WireFormat::Gemini => "gemini-3-pro",
    }
}

fn client(server: &FakeProvider, format: WireFormat) -> Client {
    let base = match format {
        WireFormat::OpenAiChat | WireFormat::OpenAiResponses => format!("{}/v1", server.base_url()),
        _ => server.base_url(),
    };
    let spec = ProviderSpec {
        name: format.name().to_string(),
        format,
        base_url: base,
        key_vars: vec!["TEST_KEY".into()],
        key_optional: false,
        legacy_max_tokens: false,
    };
    let options = ClientOptions {
        request_timeout: Duration::from_secs(10),
        stall_timeout: Duration::from_millis(400),
        max_retries: 2,
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        seed: 7,
        ..ClientOptions::default()
    };
    Client::new(spec, Some(ApiKey::new("canary-fault-key")), options).unwrap()
}

fn request(format: WireFormat, stream: bool) -> ChatRequest {
    ChatRequest {
        model: model_of(format).into(),
        system: Some("be brief".into()),
        messages: vec![Message::user("say hi")],
        tools: Vec::new(),
        response_schema: None,
        max_tokens: 100,
        temperature: None,
        stream,
    }
}

/// What each fault must lead to: answered after a retry, or failed without retrying.
#[derive(Debug, PartialEq)]
enum Outcome {
    RetriedThenAnswered,
    FailedCredentials,
    FailedUnreadable,
}

fn faults() -> Vec<(Fault, Outcome)> {
    use Outcome::*;
    vec![
        (
            Fault::RateLimited {
                retry_after: None,
                retry_after_ms: Some(10),
            },
            RetriedThenAnswered,
        ),
        (Fault::Overloaded, RetriedThenAnswered),
        (Fault::Status { code: 500 }, RetriedThenAnswered),
        (Fault::Status { code: 503 }, RetriedThenAnswered),
        (Fault::Reset { after_bytes: None }, RetriedThenAnswered),
        (
            Fault::Stall {
                after_bytes: 10,
                ms: 1500,
                resume: false,
            },
            RetriedThenAnswered,
        ),
        (Fault::TruncatedStream, RetriedThenAnswered),
        (Fault::StreamError, RetriedThenAnswered),
        (Fault::HtmlErrorPage, RetriedThenAnswered),
        (Fault::MalformedJson, FailedUnreadable),
        (Fault::Unauthorized, FailedCredentials),
        (Fault::InsufficientQuota, FailedCredentials),
        (Fault::SpendCap, FailedCredentials),
    ]
}

#[test]
fn every_fault_on_every_format_has_its_documented_outcome() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut failures = Vec::new();
    for format in FORMATS {
        for stream in [false, true] {
            for (fault, mut want) in faults() {
                // Gemini has no billing error of its own: quota exhaustion is a 429
                // RESOURCE_EXHAUSTED like any rate limit, which DESIGN.md retries.
                if format == WireFormat::Gemini && matches!(fault, Fault::InsufficientQuota | Fault::SpendCap)
                {
                    want = Outcome::RetriedThenAnswered;
                }
                let script = Script::builder()
                    .fault(fault.clone())
                    .text("hello after the fault")
                    .build();
                let server = FakeProvider::start_on_thread(script).unwrap();
                let client = client(&server, format);
                let mut events = Vec::new();
                let result = runtime.block_on(client.chat(&request(format, stream), &mut |e| events.push(e)));
                let retried = events.iter().any(|e| matches!(e, ProviderEvent::Retrying { .. }));
                let got = match &result {
                    Ok(r) if r.text.contains("hello after the fault") && retried => {
                        Outcome::RetriedThenAnswered
                    }
                    Err(e) if e.is_credentials() && !retried => Outcome::FailedCredentials,
                    Err(e) if !e.is_credentials() && !retried => Outcome::FailedUnreadable,
                    _ => {
                        failures.push(format!(
                            "{} stream={stream} {fault:?}: {:?} retried={retried}",
                            format.name(),
                            result.as_ref().map(|r| r.text.clone())
                        ));
                        continue;
                    }
                };
                if got != want {
                    failures.push(format!(
                        "{} stream={stream} {fault:?}: got {got:?}, want {want:?}",
                        format.name()
                    ));
                }
                // Never anything but loopback, and the key went in the format's own header.
                let requests = server.requests();
                assert!(!requests.is_empty());
                if let Some(e) = result.err() {
                    assert!(
                        !e.to_string().contains("canary-fault-key"),
                        "an error shows the key: {e}"
                    );
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        FORMATS.len() * 2 * faults().len(),
        failures.join("\n")
    );
}

#[test]
fn requests_carry_each_formats_path_auth_and_version_headers() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cases = [
        (
            WireFormat::Anthropic,
            "/v1/messages",
            "x-api-key",
            "canary-fault-key",
        ),
        (
            WireFormat::OpenAiChat,
            "/v1/chat/completions",
            "authorization",
            "Bearer canary-fault-key",
        ),
        (
            WireFormat::OpenAiResponses,
            "/v1/responses",
            "authorization",
            "Bearer canary-fault-key",
        ),
        (
            WireFormat::Gemini,
            "/v1beta/models/gemini-3-pro:generateContent",
            "x-goog-api-key",
            "canary-fault-key",
        ),
    ];
    for (format, path, header, value) in cases {
        let server = FakeProvider::start_on_thread(Script::builder().text("hi").build()).unwrap();
        let client = client(&server, format);
        runtime
            .block_on(client.chat(&request(format, false), &mut |_| {}))
            .unwrap();
        let r = &server.requests()[0];
        assert!(r.path.starts_with(path), "{}: {}", format.name(), r.path);
        assert_eq!(r.header(header), Some(value), "{}", format.name());
        let body = r.json.clone().unwrap();
        match format {
            WireFormat::Anthropic => {
                assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
                assert_eq!(body["system"], "be brief");
                assert_eq!(body["messages"][0]["role"], "user");
                assert!(body["max_tokens"].is_u64());
            }
            WireFormat::OpenAiChat => {
                assert_eq!(body["messages"][0]["role"], "system");
                assert_eq!(body["model"], "gpt-5.5");
            }
            WireFormat::OpenAiResponses => {
                assert_eq!(body["instructions"], "be brief");
                assert!(body["input"].is_array());
            }
            WireFormat::Gemini => {
                assert_eq!(body["systemInstruction"]["parts"][0]["text"], "be brief");
                assert_eq!(body["contents"][0]["role"], "user");
            }
        }
    }
}

fn reviewer_on(server: &FakeProvider, format: WireFormat) -> Reviewer {
    Reviewer {
        name: format!("{}/{}", format.name(), model_of(format)),
        lab: "test".into(),
        chain: vec![ChainLink {
            client: Arc::new(client(server, format)),
            model: model_of(format).to_string(),
            name: "x".into(),
            lab: "test".into(),
        }],
    }
}

fn job<'a>(diff: &'a str, prices: &'a HashMap<String, bakeoff_core::price::Price>) -> Job<'a> {
    Job {
        spec: "make it better",
        label: "candidate A",
        diff,
        checks: vec![CheckSummary {
            name: "test".into(),
            passed: true,
            holdout: false,
        }],
        token_budget: 50_000,
        nonce_seed: 1,
        prices,
        same_lab: false,
        author_lab: None,
        allow_same_lab: false,
    }
}

const DIFF: &str = "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-old\n+new\n";

fn review_json(verdict: &str, score: u8) -> serde_json::Value {
    serde_json::json!({"verdict": verdict, "score": score, "summary": "looks fine", "findings": []})
}

#[test]
fn a_malformed_review_gets_one_repair_then_is_recorded_as_failed_never_guessed() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let prices = HashMap::new();
    for format in FORMATS {
        // Bad, then repaired.
        let script = Script::builder()
            .json(serde_json::json!({"verdict": "maybe", "score": 500}))
            .json(review_json("approve", 88))
            .build();
        let server = FakeProvider::start_on_thread(script).unwrap();
        let record = runtime.block_on(reviewer::review(
            &reviewer_on(&server, format),
            &job(DIFF, &prices),
            &mut |_| {},
        ));
        let out = record.output.expect("repaired review");
        assert_eq!(
            (out.verdict, out.score),
            (Verdict::Approve, 88),
            "{}",
            format.name()
        );
        assert_eq!(record.requests, 2);
        let repair = server.requests()[1].body_text();
        assert!(
            repair.contains("verdict"),
            "the repair request says what was wrong: {repair}"
        );

        // Bad twice: failed, with the problems named.
        let script = Script::builder()
            .text("I think it is good!")
            .text("Still no JSON, sorry.")
            .build();
        let server = FakeProvider::start_on_thread(script).unwrap();
        let record = runtime.block_on(reviewer::review(
            &reviewer_on(&server, format),
            &job(DIFF, &prices),
            &mut |_| {},
        ));
        let err = record.output.expect_err("no guessed verdict");
        assert!(err.contains("malformed"), "{err}");
        assert_eq!(record.requests, 2);
    }
}

fn openai_fallback(server: &FakeProvider) -> ChainLink {
    ChainLink {
        client: Arc::new(client(server, WireFormat::OpenAiChat)),
        model: "gpt-5.5".into(),
        name: "openai/gpt-5.5".into(),
        lab: "openai".into(),
    }
}

fn overloaded_thrice() -> Script {
    Script::builder()
        .fault(Fault::Overloaded)
        .fault(Fault::Overloaded)
        .fault(Fault::Overloaded)
        .build()
}

#[test]
fn a_fallback_of_the_authors_lab_is_never_used_unless_same_lab_is_allowed() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let prices = HashMap::new();
    let down = FakeProvider::start_on_thread(overloaded_thrice()).unwrap();
    let up =
        FakeProvider::start_on_thread(Script::builder().json(review_json("approve", 91)).build()).unwrap();
    let mut r = reviewer_on(&down, WireFormat::Anthropic);
    r.chain.push(openai_fallback(&up));
    let mut by_openai = job(DIFF, &prices);
    by_openai.author_lab = Some("openai");
    let record = runtime.block_on(reviewer::review(&r, &by_openai, &mut |_| {}));
    assert!(record.output.is_err() && !record.fell_back, "{record:?}");
    assert!(record.provider_error, "overload left it unreviewed: {record:?}");
    assert!(
        up.requests().is_empty(),
        "the author's lab never reviews its own lane"
    );

    let down = FakeProvider::start_on_thread(overloaded_thrice()).unwrap();
    let mut r = reviewer_on(&down, WireFormat::Anthropic);
    r.chain.push(openai_fallback(&up));
    by_openai.allow_same_lab = true;
    let record = runtime.block_on(reviewer::review(&r, &by_openai, &mut |_| {}));
    assert!(record.output.is_ok() && record.fell_back, "{record:?}");
    assert!(record.same_lab, "a same-lab fallback's verdict is marked so");
    assert!(
        record
            .answered_by
            .as_deref()
            .is_some_and(|m| m.ends_with("/gpt-5.5")),
        "{record:?}"
    );
}

#[test]
fn a_reviewer_falls_back_on_overload_but_not_on_a_rejected_key() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let prices = HashMap::new();
    let overloaded = Script::builder()
        .fault(Fault::Overloaded)
        .fault(Fault::Overloaded)
        .fault(Fault::Overloaded)
        .build();
    let down = FakeProvider::start_on_thread(overloaded).unwrap();
    let up =
        FakeProvider::start_on_thread(Script::builder().json(review_json("approve", 91)).build()).unwrap();
    let mut r = reviewer_on(&down, WireFormat::Anthropic);
    r.chain.push(openai_fallback(&up));
    let mut events = Vec::new();
    let record = runtime.block_on(reviewer::review(&r, &job(DIFF, &prices), &mut |e| events.push(e)));
    assert!(record.fell_back && record.output.is_ok(), "{record:?}");
    assert!(events.iter().any(|e| matches!(e, ProviderEvent::FellBack { .. })));

    let denied = FakeProvider::start_on_thread(Script::builder().fault(Fault::Unauthorized).build()).unwrap();
    let up =
        FakeProvider::start_on_thread(Script::builder().json(review_json("approve", 91)).build()).unwrap();
    let mut r = reviewer_on(&denied, WireFormat::Anthropic);
    r.chain.push(openai_fallback(&up));
    let record = runtime.block_on(reviewer::review(&r, &job(DIFF, &prices), &mut |_| {}));
    assert!(record.credentials_error && record.output.is_err() && !record.fell_back);
    assert!(up.requests().is_empty(), "never falls back on an auth error");
}

#[test]
fn a_diff_over_the_budget_is_split_by_file_and_what_was_not_reviewed_is_said() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let prices = HashMap::new();
    let mut diff = String::new();
    for i in 0..12 {
        diff.push_str(&format!(
            "diff --git a/f{i}.txt b/f{i}.txt\n--- a/f{i}.txt\n+++ b/f{i}.txt\n@@ -1 +1 @@\n-old\n+{}\n",
            "x".repeat(1500)
        ));
    }
    let mut builder = Script::builder();
    for _ in 0..12 {
        builder = builder.json(review_json("approve", 80));
    }
    let server = FakeProvider::start_on_thread(builder.build()).unwrap();
    let mut job = job(&diff, &prices);
    job.token_budget = 500;
    let record = runtime.block_on(reviewer::review(
        &reviewer_on(&server, WireFormat::OpenAiChat),
        &job,
        &mut |_| {},
    ));
    assert!(record.output.is_ok(), "{record:?}");
    assert_eq!(
        record.requests as usize,
        reviewer::MAX_CHUNKS,
        "one request per chunk, up to the cap"
    );
    assert_eq!(
        record.not_reviewed.len(),
        12 - reviewer::MAX_CHUNKS,
        "{:?}",
        record.not_reviewed
    );
    let first = server.requests()[0].body_text();
    assert!(
        first.contains("f1.txt"),
        "the request lists the files it does not show: {first}"
    );
}
