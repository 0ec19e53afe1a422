//! The server side: keep-alive, chunked request bodies, concurrency, queues, records,
//! expectations, script files.

use serde_json::json;

use super::client::Client;
use crate::{FakeProvider, Fault, Script, Usage, WireFormat};

#[tokio::test]
async fn keep_alive_serves_two_requests_on_one_connection() {
    let server = FakeProvider::start(Script::builder().text("one").text("two").build())
        .await
        .unwrap();
    let mut c = Client::connect(&server).await;
    let a = c.post("/v1/chat/completions", &json!({"model": "m"})).await;
    let b = c
        .post("/v1/chat/completions", &json!({"model": "m", "stream": true}))
        .await;
    assert_eq!(a.header("connection"), Some("keep-alive"));
    assert_eq!(a.json()["choices"][0]["message"]["content"], "one");
    assert_eq!(b.data_json()[1]["choices"][0]["delta"]["content"], "two");
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let server = FakeProvider::start(Script::builder().text("first").text("second").build())
        .await
        .unwrap();
    let mut c = Client::connect(&server).await;
    let body = json!({"model": "m"}).to_string();
    let one = format!(
        "POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    c.send_raw(format!("{one}{one}").as_bytes()).await.unwrap();
    let a = c.read_response().await.unwrap();
    let b = c.read_response().await.unwrap();
    assert_eq!(a.json()["content"][0]["text"], "first");
    assert_eq!(b.json()["content"][0]["text"], "second");
}

#[tokio::test]
async fn chunked_request_body_is_decoded() {
    let server = FakeProvider::start(Script::builder().text("ok").build())
        .await
        .unwrap();
    let mut c = Client::connect(&server).await;
    let body = json!({"model": "gpt-5.5", "input": "fix the bug"}).to_string();
    let (a, b) = body.split_at(10);
    let request = format!(
        "POST /v1/responses HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n\
         {:x}\r\n{a}\r\n{:x};ext=1\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    );
    c.send_raw(request.as_bytes()).await.unwrap();
    let r = c.read_response().await.unwrap();
    assert_eq!(r.status, 200);
    let recorded = &server.requests()[0];
    assert_eq!(recorded.body_text(), body);
    assert_eq!(recorded.json.as_ref().unwrap()["input"], "fix the bug");
    assert_eq!(recorded.model.as_deref(), Some("gpt-5.5"));
    assert_eq!(recorded.header("transfer-encoding"), Some("chunked"));
}

#[tokio::test]
async fn many_connections_at_once() {
    let server = FakeProvider::start(Script::new()).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16 {
        let addr = server.addr();
        tasks.spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            drop(stream);
            i
        });
    }
    let mut clients = Vec::new();
    for _ in 0..12 {
        clients.push(Client::connect(&server).await);
    }
    // Every client holds its connection open while the others are answered.
    for c in clients.iter_mut().rev() {
        let r = c
            .post("/v1/messages", &json!({"model": "m", "stream": true}))
            .await;
        assert_eq!(r.status, 200);
    }
    while tasks.join_next().await.is_some() {}
    assert_eq!(server.requests().len(), 12);
}

#[tokio::test]
async fn exhausted_queues_answer_done_and_models_have_own_queues() {
    let script = Script::builder()
        .model("claude-opus")
        .text("opus turn")
        .default_queue()
        .text("default turn")
        .build();
    let server = FakeProvider::start(script).await.unwrap();
    let mut c = Client::connect(&server).await;
    let text = |r: super::client::Resp| r.json()["content"][0]["text"].as_str().unwrap().to_string();
    assert_eq!(
        text(c.post("/v1/messages", &json!({"model": "claude-haiku"})).await),
        "default turn"
    );
    assert_eq!(
        text(c.post("/v1/messages", &json!({"model": "claude-opus"})).await),
        "opus turn"
    );
    assert_eq!(
        text(c.post("/v1/messages", &json!({"model": "claude-opus"})).await),
        "Done."
    );
    assert_eq!(
        text(c.post("/v1/messages", &json!({"model": "x"})).await),
        "Done."
    );
    let answers: Vec<_> = server.requests().into_iter().map(|r| r.answer.unwrap()).collect();
    assert_eq!(answers, ["text", "text", "exhausted", "exhausted"]);
    assert_eq!(server.turns_left(), 0);
}

#[tokio::test]
async fn requests_are_recorded_and_expectations_checked() {
    let script = Script::builder()
        .text("a")
        .expect("fix the \"parser\"")
        .expect("ünïcode")
        .usage(Usage {
            input: 1234,
            output: 56,
            cache_read: 7,
            cache_write: 8,
        })
        .text("b")
        .expect("never sent")
        .build();
    let server = FakeProvider::start(script).await.unwrap();
    let mut c = Client::connect(&server).await;
    let body = json!({"model": "claude-x", "stream": false, "messages": [{"role": "user", "content": "please fix the \"parser\" ünïcode"}]});
    let r = c.post("/v1/messages?beta=true", &body).await;
    let usage = &r.json()["usage"];
    assert_eq!(usage["input_tokens"], 1234);
    assert_eq!(usage["output_tokens"], 56);
    assert_eq!(usage["cache_read_input_tokens"], 7);
    assert_eq!(usage["cache_creation_input_tokens"], 8);
    c.post(
        "/v1beta/models/gemini-x:streamGenerateContent?alt=sse",
        &json!({"contents": []}),
    )
    .await;

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/v1/messages?beta=true");
    assert_eq!(first.header("x-api-key"), Some("test"));
    assert_eq!(first.format, Some(WireFormat::Anthropic));
    assert_eq!(first.model.as_deref(), Some("claude-x"));
    assert!(!first.streamed);
    let second = &requests[1];
    assert_eq!(second.format, Some(WireFormat::Gemini));
    assert_eq!(second.model.as_deref(), Some("gemini-x"));
    assert!(second.streamed);

    let mismatches = server.mismatches();
    assert_eq!(mismatches.len(), 1, "{mismatches:?}");
    assert_eq!(mismatches[0].request, 1);
    assert_eq!(mismatches[0].missing, "never sent");
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let server = FakeProvider::start(Script::new()).await.unwrap();
    let addr = server.addr();
    server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let server = FakeProvider::start(Script::new()).await.unwrap();
    let addr = server.addr();
    drop(server);
    tokio::task::yield_now().await;
    let gone = tokio::time::timeout(super::client::TIMEOUT, async {
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        false
    })
    .await;
    assert_eq!(gone, Ok(true));
}

#[test]
fn server_on_its_own_thread_serves_blocking_callers() {
    use std::io::{Read, Write};
    let server = FakeProvider::start_on_thread(Script::builder().text("threaded").build()).unwrap();
    let mut s = std::net::TcpStream::connect(server.addr()).unwrap();
    s.set_read_timeout(Some(super::client::TIMEOUT)).unwrap();
    let body = r#"{"model":"m"}"#;
    write!(
        s,
        "POST /v1/messages HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("\"threaded\""));
}

#[test]
fn script_files_in_toml_and_json() {
    let toml = r#"
        event-delay-ms = 3
        [[turns]]
        text = "Let me look."
        tool-calls = [{ name = "Bash", args = { command = "ls" } }]
        expect = ["fix"]
        usage = { input = 10, output = 2 }
        [[turns]]
        fault = { kind = "rate-limited", retry-after = 2 }
        [[turns]]
        fault = { kind = "stall", after-bytes = 10, ms = 50 }
        [[turns]]
        json = { verdict = "approve", score = 90 }
        [[models."gpt-5.5".turns]]
        text = "for gpt"
        [[models."gpt-5.5".turns]]
        fault = { kind = "status", code = 503 }
    "#;
    let script = Script::from_toml_str(toml).unwrap();
    assert_eq!(script.event_delay_ms, 3);
    assert_eq!(script.default.len(), 4);
    assert_eq!(script.default[0].expect, ["fix"]);
    assert_eq!(script.default[0].usage.unwrap().input, 10);
    assert_eq!(
        script.default[1].action,
        crate::Action::Fault(Fault::RateLimited {
            retry_after: Some(2),
            retry_after_ms: None
        })
    );
    assert_eq!(script.default[2].describe(), "fault:stall");
    assert_eq!(script.default[3].describe(), "json");
    assert_eq!(script.models["gpt-5.5"].len(), 2);

    let json = r#"{"turns": [{"tool-calls": [{"name": "Read", "args": {"path": "a"}}]},
                              {"fault": {"kind": "reset", "after-bytes": 5}}]}"#;
    let script = Script::from_json_str(json).unwrap();
    assert_eq!(script.default[0].describe(), "tool-calls");
    assert_eq!(script.default[1].describe(), "fault:reset");

    for bad in [
        "[[turns]]\n",
        "[[turns]]\ntext = \"a\"\njson = 1\n",
        "[[turns]]\ntool-calls = []\n",
        "[[turns]]\nfault = { kind = \"nope\" }\n",
        "[[turns]]\ntext = \"a\"\ntypo = 1\n",
    ] {
        assert!(Script::from_toml_str(bad).is_err(), "{bad}");
    }
    let err = Script::from_toml_str("[[turns]]\n").unwrap_err().to_string();
    assert!(err.contains("the default queue turn 1"), "{err}");
}

#[tokio::test]
async fn gemini_router_takes_no_turn_and_exhausted_json_fits_the_schema() {
    let server = FakeProvider::start(Script::builder().text("the agent's turn").build())
        .await
        .unwrap();
    let mut c = Client::connect(&server).await;
    let router = json!({"contents": [], "generationConfig": {
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object", "properties": {
            "complexity_reasoning": {"type": "string"},
            "complexity_score": {"type": "integer", "minimum": 1, "maximum": 100},
        }, "required": ["complexity_reasoning", "complexity_score"]},
    }});
    let r = c
        .post("/v1beta/models/gemini-3.5-flash-lite:generateContent", &router)
        .await;
    let text = r.json()["candidates"][0]["content"]["parts"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    let routed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(routed["complexity_score"], 10);
    let r = c
        .post(
            "/v1beta/models/gemini-3.1-pro:streamGenerateContent?alt=sse",
            &json!({"contents": []}),
        )
        .await;
    assert_eq!(
        r.data_json()[0]["candidates"][0]["content"]["parts"][0]["text"],
        "the agent's turn"
    );

    let review = json!({"model": "gpt-5.5", "response_format": {"type": "json_schema", "json_schema": {
        "name": "review", "schema": {"type": "object", "required": ["verdict"],
            "properties": {"verdict": {"type": "string", "enum": ["approve", "reject"]}}},
    }}});
    let r = c.post("/v1/chat/completions", &review).await;
    let content = r.json()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&content).unwrap(),
        json!({"verdict": "approve"})
    );

    let answers: Vec<_> = server.requests().into_iter().map(|r| r.answer.unwrap()).collect();
    assert_eq!(answers, ["side", "text", "exhausted"]);
    assert!(!server.requests()[0].is_turn());
}
