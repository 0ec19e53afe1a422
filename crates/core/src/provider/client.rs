//! One provider's HTTP client: sends a [`ChatRequest`] in the provider's wire format,
//! streams or reads the reply under a deadline and a stall timeout, and retries what
//! is worth retrying — honouring the provider's requested wait, else backing off with
//! seeded jitter — while reporting each attempt and retry to an observer.

use std::error::Error as _;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};

use super::classify::{classify, Context};
use super::error::ProviderError;
use super::key::ApiKey;
use super::registry::ProviderSpec;
use super::retry::{Backoff, Clock, Sleeper, SplitMix64, SystemClock, TokioSleeper};
use super::sse::SseParser;
use super::types::{ChatRequest, ChatResponse};
use super::wire::{self, WireError, SECRET_HEADERS};
use crate::vocab::ProviderEvent;

/// Replies larger than this are refused rather than held in memory.
const MAX_BODY: usize = 32 << 20;

/// How a client times, retries and waits. Every source of nondeterminism is here.
#[derive(Clone)]
pub struct ClientOptions {
    /// The whole of one attempt, from sending to the last byte of the reply.
    pub request_timeout: Duration,
    /// The longest gap allowed between two pieces of a reply (a stalled stream).
    pub stall_timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// A provider asking for a longer wait than this is given up on instead (so a
    /// fallback model can take over) rather than waited for.
    pub max_retry_after: Duration,
    /// Seeds the backoff jitter.
    pub seed: u64,
    pub sleeper: Arc<dyn Sleeper>,
    pub clock: Arc<dyn Clock>,
}

impl Default for ClientOptions {
    /// Ten minutes a request, two minutes of silence, four retries from one second up
    /// to thirty, waits of up to two minutes honoured. The seed comes from the clock;
    /// tests and reproducible runs set their own.
    fn default() -> ClientOptions {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        ClientOptions {
            request_timeout: Duration::from_secs(600),
            stall_timeout: Duration::from_secs(120),
            max_retries: 4,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            seed: nanos ^ u64::from(std::process::id()),
            sleeper: Arc::new(TokioSleeper),
            clock: Arc::new(SystemClock),
        }
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("request_timeout", &self.request_timeout)
            .field("stall_timeout", &self.stall_timeout)
            .field("max_retries", &self.max_retries)
            .field("base_backoff", &self.base_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("max_retry_after", &self.max_retry_after)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// A client for one provider.
pub struct Client {
    spec: ProviderSpec,
    key: Option<ApiKey>,
    options: ClientOptions,
    http: reqwest::Client,
    /// Calls made so far; mixed into each call's jitter seed so concurrent calls from
    /// one client do not back off in step.
    calls: AtomicU64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("provider", &self.spec.name)
            .field("base_url", &self.spec.base_url)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `spec`. A provider that needs a key must be given one.
    pub fn new(
        spec: ProviderSpec,
        key: Option<ApiKey>,
        options: ClientOptions,
    ) -> Result<Client, ProviderError> {
        if key.is_none() && !spec.key_optional {
            return Err(ProviderError::MissingKey {
                provider: spec.name.clone(),
                vars: spec.key_vars.clone(),
            });
        }
        let http = reqwest::Client::builder()
            // API endpoints do not redirect; following one would send the key to
            // wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.request_timeout.min(Duration::from_secs(30)))
            .build()
            .map_err(|e| ProviderError::Request {
                provider: spec.name.clone(),
                model: String::new(),
                detail: format!("the HTTP client could not start: {e}"),
            })?;
        Ok(Client {
            spec,
            key,
            options,
            http,
            calls: AtomicU64::new(0),
        })
    }

    /// The provider this client calls.
    pub fn spec(&self) -> &ProviderSpec {
        &self.spec
    }

    /// Sends `req`, retrying transient failures; `observer` hears every attempt and
    /// retry.
    pub async fn chat(
        &self,
        req: &ChatRequest,
        observer: &mut (dyn FnMut(ProviderEvent) + Send),
    ) -> Result<ChatResponse, ProviderError> {
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        let seed = SplitMix64::new(self.options.seed ^ call.wrapping_mul(0x9E37_79B9)).next_u64();
        let mut backoff = Backoff::new(self.options.base_backoff, self.options.max_backoff, seed);
        let mut n: u32 = 1;
        loop {
            observer(ProviderEvent::Attempt {
                provider: self.spec.name.clone(),
                model: req.model.clone(),
                n,
            });
            let err = match self.attempt(req).await {
                Ok(response) => return Ok(response),
                Err(err) => err,
            };
            if !err.retryable() || n > self.options.max_retries {
                return Err(err);
            }
            let wait = match err.retry_after() {
                Some(wait) if wait > self.options.max_retry_after => return Err(err),
                Some(wait) => wait,
                None => backoff.delay(n),
            };
            observer(ProviderEvent::Retrying {
                provider: self.spec.name.clone(),
                model: req.model.clone(),
                status: err.status(),
                reason: err.reason(),
                wait_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            });
            self.options.sleeper.sleep(wait).await;
            n += 1;
        }
    }

    fn context<'a>(&'a self, req: &'a ChatRequest) -> Context<'a> {
        Context {
            provider: &self.spec.name,
            model: &req.model,
            format: self.spec.format,
            key_vars: &self.spec.key_vars,
            key: self.key.as_ref(),
        }
    }

    /// One attempt under the request deadline.
    async fn attempt(&self, req: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        match tokio::time::timeout(self.options.request_timeout, self.send(req)).await {
            Ok(result) => result,
            Err(_) => Err(ProviderError::Timeout {
                provider: self.spec.name.clone(),
                model: req.model.clone(),
                after: self.options.request_timeout,
            }),
        }
    }

    async fn send(&self, req: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let request = wire::build(&self.spec, req, self.key.as_ref());
        let url = format!("{}{}", self.spec.base_url, request.path);
        let mut headers = HeaderMap::new();
        for (name, value) in request.headers {
            let mut value = HeaderValue::from_str(&value).map_err(|_| ProviderError::Request {
                provider: self.spec.name.clone(),
                model: req.model.clone(),
                // Never the value: it may be the key.
                detail: format!("the `{name}` header has characters HTTP does not allow (check the key for stray characters)"),
            })?;
            value.set_sensitive(SECRET_HEADERS.contains(&name));
            headers.insert(HeaderName::from_static(name), value);
        }
        let mut response = self
            .http
            .post(&url)
            .headers(headers)
            .json(&request.body)
            .send()
            .await
            .map_err(|e| self.network(req, &url, "the request failed", &e))?;

        let status = response.status().as_u16();
        let reply_headers = response.headers().clone();
        let is_sse = reply_headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/event-stream"));

        if !(200..300).contains(&status) {
            let body = self.read_all(req, &url, &mut response).await?;
            return Err(classify(
                &self.context(req),
                status,
                &reply_headers,
                &body,
                self.options.clock.now(),
            ));
        }
        if is_sse {
            let mut parser = SseParser::new();
            let mut decoder = wire::decoder(self.spec.format, req);
            while let Some(chunk) = self.next_chunk(req, &url, &mut response).await? {
                for event in parser.feed(&chunk) {
                    decoder
                        .event(&event)
                        .map_err(|e| self.wire_error(req, status, e))?;
                }
            }
            if let Some(event) = parser.finish() {
                decoder
                    .event(&event)
                    .map_err(|e| self.wire_error(req, status, e))?;
            }
            decoder.finish().map_err(|e| self.wire_error(req, status, e))
        } else {
            // Also where a server that ignored `stream: true` ends up.
            let body = self.read_all(req, &url, &mut response).await?;
            wire::parse_body(self.spec.format, req, &body).map_err(|e| self.wire_error(req, status, e))
        }
    }

    /// The next piece of the body, or an error if none comes within the stall timeout.
    async fn next_chunk(
        &self,
        req: &ChatRequest,
        url: &str,
        response: &mut reqwest::Response,
    ) -> Result<Option<Vec<u8>>, ProviderError> {
        match tokio::time::timeout(self.options.stall_timeout, response.chunk()).await {
            Err(_) => Err(ProviderError::Stalled {
                provider: self.spec.name.clone(),
                model: req.model.clone(),
                gap: self.options.stall_timeout,
            }),
            Ok(Err(e)) => Err(self.network(req, url, "the connection dropped mid-reply", &e)),
            Ok(Ok(chunk)) => Ok(chunk.map(|c| c.to_vec())),
        }
    }

    async fn read_all(
        &self,
        req: &ChatRequest,
        url: &str,
        response: &mut reqwest::Response,
    ) -> Result<Vec<u8>, ProviderError> {
        let mut body = Vec::new();
        while let Some(chunk) = self.next_chunk(req, url, response).await? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY {
                return Err(self.wire_error(
                    req,
                    200,
                    WireError::bad(format!("the reply is larger than {} MiB", MAX_BODY >> 20)),
                ));
            }
        }
        Ok(body)
    }

    fn network(&self, req: &ChatRequest, url: &str, what: &str, e: &reqwest::Error) -> ProviderError {
        let mut detail = format!("{what}: {e}");
        let mut source = e.source();
        while let Some(s) = source {
            detail.push_str(&format!(": {s}"));
            source = s.source();
        }
        ProviderError::Network {
            provider: self.spec.name.clone(),
            model: req.model.clone(),
            url: url.to_string(),
            detail,
        }
    }

    fn wire_error(&self, req: &ChatRequest, status: u16, e: WireError) -> ProviderError {
        match e {
            WireError::Bad(detail) => ProviderError::BadReply {
                provider: self.spec.name.clone(),
                model: req.model.clone(),
                format: self.spec.format.name(),
                detail,
            },
            WireError::Truncated(detail) => ProviderError::Truncated {
                provider: self.spec.name.clone(),
                model: req.model.clone(),
                detail,
            },
            WireError::Remote {
                status: as_status,
                body,
            } => classify(
                &self.context(req),
                if as_status == 0 { status } else { as_status },
                &HeaderMap::new(),
                body.to_string().as_bytes(),
                self.options.clock.now(),
            ),
        }
    }
}
