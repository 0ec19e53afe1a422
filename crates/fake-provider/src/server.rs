//! The server: a loopback listener, one task per connection serving keep-alive requests
//! in turn, the script behind a lock, and the record of every request.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

#[cfg(feature = "faults")]
use super::faults;
use super::http::{self, After, Body, Request, Response};
use super::render::{self, Content, ErrorKind, Ids, RenderCtx};
use super::route::{self, Route, WireFormat};
#[cfg(feature = "faults")]
use super::script::Reply;
use super::script::{Action, Mismatch, Script, Turn};
use super::{anthropic, gemini, openai_chat, openai_responses, side};

/// The reply a fault breaks (a reset, stall, truncation or torn event needs a reply to
/// break): long enough to stream in several events in every format.
#[cfg(feature = "faults")]
const FAULT_FILLER: &str = "This reply is long enough to arrive in several streamed events, and an injected \
     fault is about to interrupt it somewhere in the middle, as a flaky network or server would.";

/// A keep-alive connection idle this long is closed.
const IDLE: Duration = Duration::from_secs(120);
/// Requests served on one connection before it is closed (a bound, not a feature).
const MAX_REQUESTS_PER_CONNECTION: usize = 100_000;

/// One request the server received, as it came.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// Header names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    /// The wire format, for model and token-count requests.
    pub format: Option<WireFormat>,
    /// The model asked for (from the body, or Gemini's path).
    pub model: Option<String>,
    /// Whether a streamed reply was asked for.
    pub streamed: bool,
    /// What answered a model request: `text`, `tool-calls`, `text-and-tool-calls`,
    /// `json`, `fault:NAME`, `exhausted` when no turn was left, `side` for a CLI's own
    /// side request answered without a turn (Gemini CLI's router), `bad-request`; `None`
    /// for requests that are not model turns (token counts, model lists, `/`).
    pub answer: Option<String>,
}

impl RecordedRequest {
    /// The record of `request` as it came, before routing says what it was.
    fn received(request: &Request, json: Option<Value>) -> RecordedRequest {
        RecordedRequest {
            method: request.method.clone(),
            path: request.target.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
            json,
            format: None,
            model: None,
            streamed: false,
            answer: None,
        }
    }

    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether this request asked for a model turn (whatever answered it), not for a
    /// token count, a model list or a CLI's side request.
    pub fn is_turn(&self) -> bool {
        self.answer.as_deref().is_some_and(|a| a != "side")
    }
}

struct Shared {
    script: Mutex<Script>,
    requests: Mutex<Vec<RecordedRequest>>,
    mismatches: Mutex<Vec<Mismatch>>,
    ids: Ids,
    event_delay: Duration,
    models: Vec<String>,
}

/// Locks never stay poisoned: a panicking test thread must not hide the record.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A fake model provider on `127.0.0.1`, answering from a [`Script`]. Dropping it stops
/// the server.
pub struct FakeProvider {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for FakeProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeProvider").field("addr", &self.addr).finish()
    }
}

impl FakeProvider {
    /// Bind an ephemeral loopback port and serve on the current tokio runtime.
    pub async fn start(script: Script) -> io::Result<FakeProvider> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(script));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared), stopped));
        Ok(FakeProvider {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
            thread: None,
        })
    }

    /// Serve from a thread of its own with its own runtime, for synchronous callers (a
    /// test that runs a real agent CLI with `std::process::Command`).
    pub fn start_on_thread(script: Script) -> io::Result<FakeProvider> {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let shared = Arc::new(Shared::new(script));
        let (stop, stopped) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("fake-provider".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Ok(listener) = TcpListener::from_std(std_listener) {
                        accept_loop(listener, thread_shared, stopped).await;
                    }
                });
            })?;
        Ok(FakeProvider {
            addr,
            shared,
            stop: Some(stop),
            task: None,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash or path.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Requests whose turn expected a substring the request did not contain.
    pub fn mismatches(&self) -> Vec<Mismatch> {
        lock(&self.shared.mismatches).clone()
    }

    /// Turns not yet consumed, over all queues.
    pub fn turns_left(&self) -> usize {
        let script = lock(&self.shared.script);
        script.default.len() + script.models.values().map(|q| q.len()).sum::<usize>()
    }

    /// Add a turn to the default queue (or to `model`'s) while the server runs.
    pub fn push_turn(&self, model: Option<&str>, turn: Turn) {
        let mut script = lock(&self.shared.script);
        match model {
            Some(m) => script.models.entry(m.to_string()).or_default().push_back(turn),
            None => script.default.push_back(turn),
        }
    }

    /// Stop accepting, drop every open connection and wait for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
        // The thread ends as soon as it sees the stop signal; joining it here would
        // block an async caller, so it is left to finish alone.
        self.thread.take();
    }
}

impl Shared {
    fn new(script: Script) -> Shared {
        let mut models: Vec<String> = script.models.keys().cloned().collect();
        if models.is_empty() {
            models = ["claude-sonnet-4-5", "gpt-5", "gemini-2.5-pro"]
                .map(String::from)
                .to_vec();
        }
        Shared {
            event_delay: Duration::from_millis(script.event_delay_ms),
            script: Mutex::new(script),
            requests: Mutex::new(Vec::new()),
            mismatches: Mutex::new(Vec::new()),
            ids: Ids::new(id_seed()),
            models,
        }
    }
}

/// Ids must differ between servers, not only within one: Claude Code drops a `tool_use`
/// whose id it has seen earlier in the session, and a resumed session may meet a new
/// server. So the id counter starts from the clock, the process and a global count.
fn id_seed() -> u64 {
    static SERVERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let count = SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    nanos ^ (u64::from(std::process::id()) << 40) ^ (count << 20)
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stopped: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(stream, Arc::clone(&shared)));
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve_connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buf = Vec::new();
    for _ in 0..MAX_REQUESTS_PER_CONNECTION {
        let request = match http::read_request(&mut stream, &mut buf, IDLE).await {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(e) => {
                if e.kind() == io::ErrorKind::InvalidData {
                    let response = Response::new(
                        400,
                        render::json_headers("text/plain"),
                        Body::Fixed(format!("bad request: {e}\n").into_bytes()),
                    );
                    let _ = http::write_response(&mut stream, &response, false, false, Duration::ZERO).await;
                }
                return;
            }
        };
        let keep_alive = !request.close;
        let head_only = request.method.eq_ignore_ascii_case("HEAD");
        let response = handle(&shared, request);
        match http::write_response(&mut stream, &response, keep_alive, head_only, shared.event_delay).await {
            Ok(After::KeepOpen) => {}
            Ok(After::Close) | Err(_) => return,
        }
    }
}

fn record(shared: &Shared, request: RecordedRequest) -> usize {
    let mut requests = lock(&shared.requests);
    requests.push(request);
    requests.len() - 1
}

/// Answer one request: route it, take a turn for model requests, render or break it.
fn handle(shared: &Shared, request: Request) -> Response {
    let route = route::route(&request.method, &request.target, &request.headers);
    let json: Option<Value> = serde_json::from_slice(&request.body).ok();
    let mut recorded = RecordedRequest::received(&request, json.clone());
    let ids = &shared.ids;
    match route {
        Route::Root => {
            record(shared, recorded);
            Response::new(
                200,
                render::json_headers("text/plain; charset=utf-8"),
                Body::Fixed(b"ok\n".to_vec()),
            )
        }
        Route::Models { format, one } => {
            recorded.format = Some(format);
            record(shared, recorded);
            models_reply(shared, format, one.as_deref())
        }
        Route::NotFound { format } => {
            recorded.format = Some(format);
            record(shared, recorded);
            let what = format!("{} {}", request.method, request.target);
            render::format_error(format, &ErrorKind::NotFound(what), ids)
        }
        Route::CountTokens { format, path_model } => {
            recorded.format = Some(format);
            recorded.model = path_model.or_else(|| model_of(json.as_ref()));
            record(shared, recorded);
            count_tokens_reply(format, request.body.len(), ids)
        }
        Route::Generate {
            format,
            path_model,
            path_stream,
            sse,
        } => {
            let model = path_model.or_else(|| model_of(json.as_ref()));
            let stream = match format {
                WireFormat::Gemini => path_stream,
                _ => json
                    .as_ref()
                    .and_then(|j| j.get("stream"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            };
            let shape = ReplyShape { format, stream, sse };
            model_turn(shared, &request, json, recorded, model, shape)
        }
    }
}

/// `GET …/models[/{id}]` in the shape of `format`.
fn models_reply(shared: &Shared, format: WireFormat, one: Option<&str>) -> Response {
    match format {
        WireFormat::Anthropic => anthropic::models(&shared.models, one, &shared.ids),
        WireFormat::Gemini => gemini::models(&shared.models, one),
        _ => openai_chat::models(&shared.models, one, &shared.ids),
    }
}

/// A token count of about four bytes a token, in the shape of `format`.
fn count_tokens_reply(format: WireFormat, body_len: usize, ids: &Ids) -> Response {
    let tokens = (body_len as u64 / 4).max(1);
    match format {
        WireFormat::Anthropic => anthropic::count_tokens(tokens, ids),
        WireFormat::Gemini => gemini::count_tokens(tokens),
        _ => openai_responses::input_tokens(tokens, ids),
    }
}

/// How a model request wants its reply: the wire format, whether it streams, and (for
/// Gemini) whether the stream is SSE.
struct ReplyShape {
    format: WireFormat,
    stream: bool,
    sse: bool,
}

/// Answer a model request: take its turn, record it, check the turn's expectations, then
/// render the reply, broken by the turn's fault if it has one.
fn model_turn(
    shared: &Shared,
    request: &Request,
    json: Option<Value>,
    mut recorded: RecordedRequest,
    model: Option<String>,
    shape: ReplyShape,
) -> Response {
    let format = shape.format;
    recorded.format = Some(format);
    recorded.model = model.clone();
    recorded.streamed = shape.stream;
    let Some(body) = json else {
        recorded.answer = Some("bad-request".to_string());
        record(shared, recorded);
        let problem = ErrorKind::BadRequest("the request body is not valid JSON".to_string());
        return render::format_error(format, &problem, &shared.ids);
    };
    let (turn, answer) = take_turn(shared, format, model.as_deref(), &body, &request.body);
    recorded.answer = Some(answer);
    let index = record(shared, recorded);
    check_expectations(shared, index, model.as_deref(), &request.body, &turn);
    let model = model.unwrap_or_else(|| "unknown-model".to_string());
    let normal = render_turn(&shared.ids, &turn, &shape, &model, &body, request.body.len());
    match &turn.action {
        Action::Reply(_) => normal,
        #[cfg(feature = "faults")]
        Action::Fault(fault) => faults::apply(fault, format, normal, &shared.ids),
    }
}

/// The turn that answers a model request, and what answered it for the record: a CLI's
/// side request (`side`), the next fitting turn of the script, or `exhausted`.
fn take_turn(
    shared: &Shared,
    format: WireFormat,
    model: Option<&str>,
    body: &Value,
    raw_body: &[u8],
) -> (Turn, String) {
    let mut script = lock(&shared.script);
    // A CLI's own side request takes no turn, unless its model has a queue of its own.
    let own_queue = model.is_some_and(|m| script.models.contains_key(m));
    match side::side_reply(format, body).filter(|_| !own_queue) {
        Some(reply) => (Turn::reply(reply), "side".to_string()),
        None => match script.next_turn(model, &String::from_utf8_lossy(raw_body)) {
            Some(turn) => {
                let answer = turn.describe();
                (turn, answer)
            }
            None => (
                Turn::reply(side::exhausted_reply(format, body)),
                "exhausted".to_string(),
            ),
        },
    }
}

/// `turn`'s reply in the request's wire format, unbroken.
fn render_turn(
    ids: &Ids,
    turn: &Turn,
    shape: &ReplyShape,
    model: &str,
    body: &Value,
    body_len: usize,
) -> Response {
    let reply = match &turn.action {
        Action::Reply(reply) => reply.clone(),
        // A fault that breaks delivery still needs the reply it breaks.
        #[cfg(feature = "faults")]
        Action::Fault(_) => Reply::Text(FAULT_FILLER.to_string()),
    };
    let forced = match shape.format {
        WireFormat::Anthropic => anthropic::forced_tool(body),
        _ => None,
    };
    let content = Content::from_reply(&reply, forced);
    let ctx = RenderCtx {
        model,
        request: body,
        stream: shape.stream,
        usage: turn
            .usage
            .unwrap_or_else(|| render::default_usage(body_len, &content)),
        ids,
    };
    match shape.format {
        WireFormat::Anthropic => anthropic::reply(&ctx, &content),
        WireFormat::OpenAiChat => openai_chat::reply(&ctx, &content),
        WireFormat::OpenAiResponses => openai_responses::reply(&ctx, &content),
        WireFormat::Gemini => gemini::reply(&ctx, &content, shape.sse),
    }
}

fn model_of(json: Option<&Value>) -> Option<String> {
    json?.get("model")?.as_str().map(str::to_string)
}

fn check_expectations(shared: &Shared, index: usize, model: Option<&str>, body: &[u8], turn: &Turn) {
    if turn.expect.is_empty() {
        return;
    }
    // JSON escapes quotes, newlines and non-ASCII, so look in the decoded strings too.
    let raw = String::from_utf8_lossy(body);
    let decoded = serde_json::from_slice::<Value>(body)
        .map(|v| all_strings(&v))
        .unwrap_or_default();
    let mut mismatches = lock(&shared.mismatches);
    for expected in &turn.expect {
        if !raw.contains(expected.as_str()) && !decoded.contains(expected.as_str()) {
            mismatches.push(Mismatch {
                request: index,
                model: model.map(str::to_string),
                missing: expected.clone(),
            });
        }
    }
}

/// Every string in a JSON value, joined by newlines (bounded by the value's size).
fn all_strings(value: &Value) -> String {
    let mut out = String::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Object(map) => stack.extend(map.values().rev()),
            _ => {}
        }
    }
    out
}
