//! Replies in each wire format, streamed and whole, for text, tool calls and JSON.

use serde_json::{json, Value};

use super::client::Client;
use crate::{FakeProvider, Script};

const ANTHROPIC: &str = "/v1/messages?beta=true";
const CHAT: &str = "/v1/chat/completions";
const RESPONSES: &str = "/v1/responses";

fn gemini_path(stream: bool) -> String {
    if stream {
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse".to_string()
    } else {
        "/v1beta/models/gemini-2.5-pro:generateContent".to_string()
    }
}

async fn one(script: Script, path: &str, body: Value) -> super::client::Resp {
    let server = FakeProvider::start(script).await.unwrap();
    let mut client = Client::connect(&server).await;
    client.post(path, &body).await
}

fn calls_script() -> Script {
    Script::builder()
        .tool_calls(vec![
            (
                "Bash".to_string(),
                json!({"command": "cargo test --all", "timeout": 120}),
            ),
            ("Read".to_string(), json!({"file_path": "src/main.rs"})),
        ])
        .build()
}

#[tokio::test]
async fn anthropic_whole_text() {
    let r = one(
        Script::builder().text("Hello there.").build(),
        ANTHROPIC,
        json!({"model": "claude-x"}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.header("request-id").unwrap().starts_with("req_"));
    let m = r.json();
    assert!(m["id"].as_str().unwrap().starts_with("msg_01"));
    assert_eq!(m["type"], "message");
    assert_eq!(m["model"], "claude-x");
    assert_eq!(m["content"][0], json!({"type": "text", "text": "Hello there."}));
    assert_eq!(m["stop_reason"], "end_turn");
    assert!(m["usage"]["input_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn anthropic_stream_text_event_sequence() {
    let text = "A fairly long answer that needs several text deltas to arrive.";
    let r = one(
        Script::builder().text(text).build(),
        ANTHROPIC,
        json!({"model": "claude-x", "stream": true}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/event-stream"));
    let events = r.events();
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_deref().unwrap()).collect();
    let deltas = names.iter().filter(|n| **n == "content_block_delta").count();
    assert!(deltas >= 2, "{names:?}");
    let mut want = vec!["message_start", "content_block_start", "ping"];
    want.extend(std::iter::repeat_n("content_block_delta", deltas));
    want.extend(["content_block_stop", "message_delta", "message_stop"]);
    assert_eq!(names, want);
    // Each event's data type matches its name; the deltas rebuild the text.
    let mut rebuilt = String::new();
    for (name, data) in &events {
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["type"], name.as_deref().unwrap());
        if v["type"] == "content_block_delta" {
            rebuilt.push_str(v["delta"]["text"].as_str().unwrap());
        }
    }
    assert_eq!(rebuilt, text);
    // Byte layout: `event:` line, `data:` line, blank line.
    assert!(r
        .text()
        .starts_with("event: message_start\ndata: {\"type\":\"message_start\""));
    let last: Value = serde_json::from_str(&events[events.len() - 2].1).unwrap();
    assert_eq!(last["delta"]["stop_reason"], "end_turn");
    assert!(last["usage"]["output_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn anthropic_stream_tool_calls() {
    let r = one(
        calls_script(),
        ANTHROPIC,
        json!({"model": "claude-x", "stream": true}),
    )
    .await;
    let data = r.data_json();
    let mut inputs = [String::new(), String::new()];
    let mut starts = Vec::new();
    for v in &data {
        match v["type"].as_str().unwrap() {
            "content_block_start" => starts.push(v["content_block"].clone()),
            "content_block_delta" => {
                assert_eq!(v["delta"]["type"], "input_json_delta");
                inputs[v["index"].as_u64().unwrap() as usize]
                    .push_str(v["delta"]["partial_json"].as_str().unwrap());
            }
            _ => {}
        }
    }
    assert_eq!(starts.len(), 2);
    assert_eq!(starts[0]["type"], "tool_use");
    assert_eq!(starts[0]["name"], "Bash");
    assert!(starts[0]["id"].as_str().unwrap().starts_with("toolu_01"));
    assert_eq!(starts[0]["input"], json!({}));
    let deltas = data
        .iter()
        .filter(|v| v["type"] == "content_block_delta" && v["index"] == 0)
        .count();
    assert!(deltas >= 3, "arguments arrive in several deltas");
    let first: Value = serde_json::from_str(&inputs[0]).unwrap();
    assert_eq!(first, json!({"command": "cargo test --all", "timeout": 120}));
    let second: Value = serde_json::from_str(&inputs[1]).unwrap();
    assert_eq!(second["file_path"], "src/main.rs");
    let delta = data.iter().find(|v| v["type"] == "message_delta").unwrap();
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
}

#[tokio::test]
async fn anthropic_json_uses_the_forced_tool() {
    let verdict = json!({"verdict": "approve", "score": 91, "findings": []});
    let body = json!({"model": "claude-x", "tool_choice": {"type": "tool", "name": "submit_review"}});
    let r = one(Script::builder().json(verdict.clone()).build(), ANTHROPIC, body).await;
    let m = r.json();
    assert_eq!(m["content"][0]["type"], "tool_use");
    assert_eq!(m["content"][0]["name"], "submit_review");
    assert_eq!(m["content"][0]["input"], verdict);
    assert_eq!(m["stop_reason"], "tool_use");

    let r = one(
        Script::builder().json(verdict.clone()).build(),
        ANTHROPIC,
        json!({"model": "c"}),
    )
    .await;
    let text = r.json()["content"][0]["text"].as_str().unwrap().to_string();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), verdict);
}

#[tokio::test]
async fn chat_whole_text_and_tool_calls() {
    let r = one(
        Script::builder().text("Hi.").build(),
        CHAT,
        json!({"model": "gpt-5"}),
    )
    .await;
    let c = r.json();
    assert!(c["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(c["object"], "chat.completion");
    assert_eq!(c["choices"][0]["message"]["content"], "Hi.");
    assert_eq!(c["choices"][0]["finish_reason"], "stop");
    assert!(c["usage"]["total_tokens"].as_u64().unwrap() > 0);
    assert!(r.header("x-request-id").is_some());

    let r = one(calls_script(), "/chat/completions", json!({"model": "gpt-5"})).await;
    let c = r.json();
    let calls = c["choices"][0]["message"]["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert!(calls[0]["id"].as_str().unwrap().starts_with("call_"));
    assert_eq!(calls[0]["function"]["name"], "Bash");
    let args: Value = serde_json::from_str(calls[0]["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args["command"], "cargo test --all");
    assert_eq!(c["choices"][0]["message"]["content"], Value::Null);
    assert_eq!(c["choices"][0]["finish_reason"], "tool_calls");
}

#[tokio::test]
async fn chat_stream_text_with_usage() {
    let body = json!({"model": "gpt-5", "stream": true, "stream_options": {"include_usage": true}});
    let r = one(
        Script::builder()
            .text("Streaming text in several pieces, please.")
            .build(),
        CHAT,
        body,
    )
    .await;
    let events = r.events();
    assert_eq!(events.last().unwrap().1, "[DONE]");
    assert!(events.iter().all(|(name, _)| name.is_none()));
    let chunks = r.data_json();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"].get(0).and_then(|ch| ch["delta"]["content"].as_str()))
        .collect();
    assert_eq!(text, "Streaming text in several pieces, please.");
    let usage_chunk = chunks.last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert!(usage_chunk["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    assert_eq!(finish["usage"], Value::Null);
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk"));
}

#[tokio::test]
async fn chat_stream_tool_calls_without_usage() {
    let r = one(calls_script(), CHAT, json!({"model": "gpt-5", "stream": true})).await;
    let chunks = r.data_json();
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
    let mut args = [String::new(), String::new()];
    let mut names = Vec::new();
    for c in &chunks {
        for call in c["choices"][0]["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let i = call["index"].as_u64().unwrap() as usize;
            if let Some(name) = call["function"]["name"].as_str() {
                names.push(name.to_string());
                assert!(call["id"].as_str().unwrap().starts_with("call_"));
            }
            args[i].push_str(call["function"]["arguments"].as_str().unwrap());
        }
    }
    assert_eq!(names, ["Bash", "Read"]);
    assert_eq!(
        serde_json::from_str::<Value>(&args[1]).unwrap()["file_path"],
        "src/main.rs"
    );
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

#[tokio::test]
async fn responses_whole_and_stream() {
    let r = one(
        Script::builder().text("Whole.").build(),
        RESPONSES,
        json!({"model": "gpt-5.5"}),
    )
    .await;
    let resp = r.json();
    assert!(resp["id"].as_str().unwrap().starts_with("resp_"));
    assert_eq!(resp["object"], "response");
    assert_eq!(resp["status"], "completed");
    assert_eq!(resp["output"][0]["type"], "message");
    assert_eq!(resp["output"][0]["content"][0]["text"], "Whole.");
    assert!(resp["usage"]["total_tokens"].as_u64().unwrap() > 0);

    let script = Script::builder()
        .turn(crate::Turn::reply(crate::Reply::TextAndToolCalls(
            "Running the tests.".to_string(),
            vec![("shell".to_string(), json!({"command": ["cargo", "test"]}))],
        )))
        .build();
    let r = one(script, "/responses", json!({"model": "gpt-5.5", "stream": true})).await;
    let events = r.events();
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_deref().unwrap()).collect();
    let mut want = vec![
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ];
    let text_deltas = names
        .iter()
        .filter(|n| **n == "response.output_text.delta")
        .count();
    let arg_deltas = names
        .iter()
        .filter(|n| **n == "response.function_call_arguments.delta")
        .count();
    assert!(text_deltas >= 1 && arg_deltas >= 2, "{names:?}");
    want.extend(std::iter::repeat_n("response.output_text.delta", text_deltas));
    want.extend([
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
    ]);
    want.extend(std::iter::repeat_n(
        "response.function_call_arguments.delta",
        arg_deltas,
    ));
    want.extend([
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]);
    assert_eq!(names, want);
    let data = r.data_json();
    for (i, (name, v)) in names.iter().zip(&data).enumerate() {
        assert_eq!(v["type"], *name);
        assert_eq!(v["sequence_number"], i);
    }
    let args: String = data
        .iter()
        .filter(|v| v["type"] == "response.function_call_arguments.delta")
        .map(|v| v["delta"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap(),
        json!({"command": ["cargo", "test"]})
    );
    let done = &data[data.len() - 2]["item"];
    assert_eq!(done["type"], "function_call");
    assert!(done["call_id"].as_str().unwrap().starts_with("call_"));
    assert_eq!(done["name"], "shell");
    let completed = &data.last().unwrap()["response"];
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["output"].as_array().unwrap().len(), 2);
    assert!(completed["usage"]["output_tokens"].as_u64().unwrap() > 0);
    assert_eq!(data[0]["response"]["status"], "in_progress");
}

#[tokio::test]
async fn gemini_whole_stream_and_array() {
    let r = one(
        Script::builder().text("Whole.").build(),
        &gemini_path(false),
        json!({"contents": []}),
    )
    .await;
    let g = r.json();
    assert_eq!(g["candidates"][0]["content"]["parts"][0]["text"], "Whole.");
    assert_eq!(g["candidates"][0]["content"]["role"], "model");
    assert_eq!(g["candidates"][0]["finishReason"], "STOP");
    assert_eq!(g["modelVersion"], "gemini-2.5-pro");
    assert!(g["usageMetadata"]["totalTokenCount"].as_u64().unwrap() > 0);

    let text = "A long Gemini answer that should arrive in more than one chunk of the stream for sure.";
    let r = one(
        Script::builder().text(text).build(),
        &gemini_path(true),
        json!({"contents": []}),
    )
    .await;
    assert!(r.text().contains("}\r\n\r\ndata: "), "events end in CRLF CRLF");
    let chunks = r.data_json();
    assert!(chunks.len() >= 2);
    let rebuilt: String = chunks
        .iter()
        .map(|c| {
            c["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(rebuilt, text);
    assert!(chunks[..chunks.len() - 1]
        .iter()
        .all(|c| c["candidates"][0].get("finishReason").is_none()));
    assert_eq!(chunks.last().unwrap()["candidates"][0]["finishReason"], "STOP");

    let r = one(calls_script(), &gemini_path(true), json!({"contents": []})).await;
    let chunks = r.data_json();
    let parts = &chunks.last().unwrap()["candidates"][0]["content"]["parts"];
    assert_eq!(parts[0]["functionCall"]["name"], "Bash");
    assert_eq!(parts[1]["functionCall"]["args"]["file_path"], "src/main.rs");

    let r = one(
        Script::builder().text("Array form.").build(),
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent",
        json!({"contents": []}),
    )
    .await;
    let array = r.json();
    assert_eq!(
        array[0]["candidates"][0]["content"]["parts"][0]["text"],
        "Array form."
    );
}

#[tokio::test]
async fn side_requests_take_no_turn() {
    let server = FakeProvider::start(Script::builder().text("real turn").build())
        .await
        .unwrap();
    let mut c = Client::connect(&server).await;
    let r = c
        .post(
            "/v1/messages/count_tokens",
            &json!({"model": "claude-x", "messages": []}),
        )
        .await;
    assert!(r.json()["input_tokens"].as_u64().unwrap() > 0);
    let r = c
        .post(
            "/v1beta/models/gemini-2.5-pro:countTokens",
            &json!({"contents": []}),
        )
        .await;
    assert!(r.json()["totalTokens"].as_u64().unwrap() > 0);
    let r = c.request("GET", "/v1/models", "").await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["data"][0]["type"],
        "model",
        "x-api-key means Anthropic's list"
    );
    let r = c.request("GET", "/v1beta/models", "").await.unwrap();
    assert!(r.json()["models"][0]["name"]
        .as_str()
        .unwrap()
        .starts_with("models/"));
    let r = c.request("HEAD", "/", "").await.unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    let r = c.post("/v1/messages", &json!({"model": "claude-x"})).await;
    assert_eq!(r.json()["content"][0]["text"], "real turn");
    let turns: Vec<_> = server.requests().into_iter().filter(|r| r.is_turn()).collect();
    assert_eq!(turns.len(), 1);
}

#[tokio::test]
async fn unknown_paths_are_404_in_the_format() {
    let server = FakeProvider::start(Script::new()).await.unwrap();
    let mut c = Client::connect(&server).await;
    let r = c.post("/v1/complete", &json!({})).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["error"]["type"],
        "not_found_error",
        "x-api-key suggests Anthropic"
    );
    let r = c.post("/v1beta/models/g:embedContent", &json!({})).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["status"], "NOT_FOUND");
    let mut raw = Client::connect(&server).await;
    raw.send_raw(b"POST /v1/embeddings HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}")
        .await
        .unwrap();
    let r = raw.read_response().await.unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn responses_custom_tool_takes_raw_input() {
    let patch = "*** Begin Patch\n*** Add File: a.txt\n+hello\n*** End Patch\n";
    let script = Script::builder().tool_call("apply_patch", json!(patch)).build();
    let body = json!({
        "model": "gpt-5.5",
        "stream": true,
        "tools": [{"type": "custom", "name": "apply_patch", "format": {"type": "grammar"}}],
    });
    let r = one(script, RESPONSES, body).await;
    let data = r.data_json();
    let names: Vec<&str> = data.iter().map(|v| v["type"].as_str().unwrap()).collect();
    assert!(
        names.contains(&"response.custom_tool_call_input.delta"),
        "{names:?}"
    );
    let input: String = data
        .iter()
        .filter(|v| v["type"] == "response.custom_tool_call_input.delta")
        .map(|v| v["delta"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(input, patch);
    let item = &data.last().unwrap()["response"]["output"][0];
    assert_eq!(item["type"], "custom_tool_call");
    assert_eq!(item["name"], "apply_patch");
    assert_eq!(item["input"], patch);
    assert!(item["call_id"].as_str().unwrap().starts_with("call_"));
}

#[tokio::test]
async fn ids_differ_between_servers() {
    let first = one(calls_script(), ANTHROPIC, json!({"model": "m"})).await.json();
    let second = one(calls_script(), ANTHROPIC, json!({"model": "m"})).await.json();
    assert_ne!(first["content"][0]["id"], second["content"][0]["id"]);
    assert_ne!(first["content"][0]["id"], first["content"][1]["id"]);
}
