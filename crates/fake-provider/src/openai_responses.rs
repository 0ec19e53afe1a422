//! OpenAI Responses (`POST /v1/responses`): the `response` object and its typed SSE
//! stream — `response.created`, `response.in_progress`, per output item
//! `response.output_item.added`, (`response.content_part.added`,
//! `response.output_text.delta`…, `response.output_text.done`,
//! `response.content_part.done`) or (`response.function_call_arguments.delta`…,
//! `response.function_call_arguments.done`) or, for a tool the request declares
//! `"type": "custom"` (Codex's `apply_patch`), a `custom_tool_call` item with
//! (`response.custom_tool_call_input.delta`…, `response.custom_tool_call_input.done`);
//! then `response.output_item.done`, and finally
//! `response.completed` with the whole response and its usage. Errors use the Chat shape.

use serde_json::{json, Value};

use super::http::{Body, Response};
use super::openai_chat;
use super::render::{self, Content, Ids, RenderCtx};

fn usage_json(ctx: &RenderCtx) -> Value {
    let u = ctx.usage;
    json!({
        "input_tokens": u.input + u.cache_read,
        "input_tokens_details": {"cached_tokens": u.cache_read},
        "output_tokens": u.output,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": u.input + u.cache_read + u.output,
    })
}

fn response_object(
    ctx: &RenderCtx,
    id: &str,
    created: u64,
    status: &str,
    output: Vec<Value>,
    usage: Value,
) -> Value {
    let req = ctx.request;
    json!({
        "id": id,
        "object": "response",
        "created_at": created,
        "status": status,
        "background": false,
        "error": null,
        "incomplete_details": null,
        "instructions": req.get("instructions").cloned().unwrap_or(Value::Null),
        "max_output_tokens": req.get("max_output_tokens").cloned().unwrap_or(Value::Null),
        "model": ctx.model,
        "output": output,
        "parallel_tool_calls": req.get("parallel_tool_calls").cloned().unwrap_or(Value::Bool(true)),
        "previous_response_id": req.get("previous_response_id").cloned().unwrap_or(Value::Null),
        "reasoning": {"effort": null, "summary": null},
        "service_tier": "default",
        "store": req.get("store").cloned().unwrap_or(Value::Bool(true)),
        "temperature": 1.0,
        "text": req.get("text").cloned().unwrap_or(json!({"format": {"type": "text"}})),
        "tool_choice": req.get("tool_choice").cloned().unwrap_or(json!("auto")),
        "tools": req.get("tools").cloned().unwrap_or(json!([])),
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": null,
        "metadata": {},
    })
}

/// Whether the request declares `name` as a freeform (`"type": "custom"`) tool.
fn is_custom_tool(request: &Value, name: &str) -> bool {
    request["tools"]
        .as_array()
        .is_some_and(|tools| tools.iter().any(|t| t["type"] == "custom" && t["name"] == name))
}

/// An output item as it ends up, with the ids the stream uses for it.
struct Item {
    id: String,
    done: Value,
}

/// `POST /v1/responses`: the whole `response` object, or the typed SSE stream that
/// builds it item by item.
pub(crate) fn reply(ctx: &RenderCtx, content: &Content) -> Response {
    let id = ctx.ids.next("resp_", 48);
    let created = render::unix_now();
    let items = output_items(ctx, content);
    let output: Vec<Value> = items.iter().map(|i| i.done.clone()).collect();
    let completed = response_object(ctx, &id, created, "completed", output, usage_json(ctx));

    if !ctx.stream {
        return Response::new(
            200,
            openai_chat::headers(ctx.ids, render::json_headers("application/json")),
            render::json_body(&completed),
        );
    }

    let mut events = Events::default();
    let in_progress = response_object(ctx, &id, created, "in_progress", Vec::new(), Value::Null);
    events.push("response.created", json!({"response": in_progress}));
    events.push("response.in_progress", json!({"response": in_progress}));
    for (index, item) in items.iter().enumerate() {
        if item.done["type"] == "message" {
            stream_message(&mut events, index, item);
        } else if item.done["type"] == "custom_tool_call" {
            stream_custom_tool_call(&mut events, index, item);
        } else {
            stream_function_call(&mut events, index, item);
        }
        events.push(
            "response.output_item.done",
            json!({"output_index": index, "item": item.done}),
        );
    }
    events.push("response.completed", json!({"response": completed}));
    Response::new(
        200,
        openai_chat::headers(ctx.ids, render::sse_headers()),
        Body::Chunks(events.chunks),
    )
}

/// The reply's output items in order: the message (when there is text), then one call
/// per tool call. Ids are drawn here, in this order, so the stream and the whole
/// response name the same items.
fn output_items(ctx: &RenderCtx, content: &Content) -> Vec<Item> {
    let mut items = Vec::new();
    if let Some(text) = &content.text {
        items.push(message_item(ctx.ids, text));
    }
    for (name, args) in &content.calls {
        if is_custom_tool(ctx.request, name) {
            items.push(custom_tool_call_item(ctx.ids, name, args));
        } else {
            items.push(function_call_item(ctx.ids, name, args));
        }
    }
    items
}

/// A completed assistant `message` item holding `text`.
fn message_item(ids: &Ids, text: &str) -> Item {
    let item_id = ids.next("msg_", 48);
    Item {
        done: json!({
            "id": item_id,
            "type": "message",
            "status": "completed",
            "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": text}],
            "role": "assistant",
        }),
        id: item_id,
    }
}

/// A completed `custom_tool_call` item for a freeform tool (Codex's `apply_patch`).
fn custom_tool_call_item(ids: &Ids, name: &str, args: &Value) -> Item {
    // A freeform tool's input is raw text, not JSON.
    let input = match args {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let item_id = ids.next("ctc_", 48);
    Item {
        done: json!({
            "id": item_id,
            "type": "custom_tool_call",
            "status": "completed",
            "call_id": ids.next("call_", 24),
            "input": input,
            "name": name,
        }),
        id: item_id,
    }
}

/// A completed `function_call` item whose arguments are the compact JSON of `args`.
fn function_call_item(ids: &Ids, name: &str, args: &Value) -> Item {
    let item_id = ids.next("fc_", 48);
    Item {
        done: json!({
            "id": item_id,
            "type": "function_call",
            "status": "completed",
            "arguments": args.to_string(),
            "call_id": ids.next("call_", 24),
            "name": name,
        }),
        id: item_id,
    }
}

/// The SSE events of one stream, in order; each is stamped with its `type` and the next
/// `sequence_number`.
#[derive(Default)]
struct Events {
    next_sequence: u64,
    chunks: Vec<Vec<u8>>,
}

impl Events {
    /// Append the event `name` carrying `data`.
    fn push(&mut self, name: &str, mut data: Value) {
        data["type"] = json!(name);
        data["sequence_number"] = json!(self.next_sequence);
        self.next_sequence += 1;
        self.chunks.push(render::named_event(name, &data));
    }
}

/// A message item's events before its `output_item.done`: the item added empty, then
/// its one `output_text` part added, filled by deltas, and done.
fn stream_message(events: &mut Events, index: usize, item: &Item) {
    let text = item.done["content"][0]["text"].as_str().unwrap_or("");
    events.push(
        "response.output_item.added",
        json!({"output_index": index, "item": {
            "id": item.id, "type": "message", "status": "in_progress", "content": [], "role": "assistant",
        }}),
    );
    let at = |extra: Value| content_part_at(item, index, extra);
    events.push(
        "response.content_part.added",
        at(json!({"part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}})),
    );
    for piece in render::pieces(text, 24) {
        events.push(
            "response.output_text.delta",
            at(json!({"delta": piece, "logprobs": []})),
        );
    }
    events.push(
        "response.output_text.done",
        at(json!({"text": text, "logprobs": []})),
    );
    events.push(
        "response.content_part.done",
        at(json!({"part": {"type": "output_text", "annotations": [], "logprobs": [], "text": text}})),
    );
}

/// `extra`'s fields after the ones that place an event at the item's first content part.
fn content_part_at(item: &Item, index: usize, extra: Value) -> Value {
    let mut v = json!({"item_id": item.id, "output_index": index, "content_index": 0});
    if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        v.extend(extra.clone());
    }
    v
}

/// A custom tool call's events before its `output_item.done`: the item added with empty
/// input, the input in deltas, then the whole input.
fn stream_custom_tool_call(events: &mut Events, index: usize, item: &Item) {
    let done = &item.done;
    let input = done["input"].as_str().unwrap_or("");
    events.push(
        "response.output_item.added",
        json!({"output_index": index, "item": {
            "id": item.id, "type": "custom_tool_call", "status": "in_progress",
            "call_id": done["call_id"], "input": "", "name": done["name"],
        }}),
    );
    for piece in render::pieces(input, 64) {
        events.push(
            "response.custom_tool_call_input.delta",
            json!({"item_id": item.id, "output_index": index, "delta": piece}),
        );
    }
    events.push(
        "response.custom_tool_call_input.done",
        json!({"item_id": item.id, "output_index": index, "input": input}),
    );
}

/// A function call's events before its `output_item.done`: the item added with empty
/// arguments, the arguments in deltas, then the whole arguments.
fn stream_function_call(events: &mut Events, index: usize, item: &Item) {
    let done = &item.done;
    let args = done["arguments"].as_str().unwrap_or("{}");
    events.push(
        "response.output_item.added",
        json!({"output_index": index, "item": {
            "id": item.id, "type": "function_call", "status": "in_progress",
            "arguments": "", "call_id": done["call_id"], "name": done["name"],
        }}),
    );
    for piece in render::json_pieces(args) {
        events.push(
            "response.function_call_arguments.delta",
            json!({"item_id": item.id, "output_index": index, "delta": piece}),
        );
    }
    events.push(
        "response.function_call_arguments.done",
        json!({"item_id": item.id, "output_index": index, "arguments": args}),
    );
}

/// `POST /v1/responses/input_tokens`.
pub(crate) fn input_tokens(tokens: u64, ids: &render::Ids) -> Response {
    Response::new(
        200,
        openai_chat::headers(ids, render::json_headers("application/json")),
        render::json_body(&json!({"object": "response.input_tokens", "input_tokens": tokens})),
    )
}
