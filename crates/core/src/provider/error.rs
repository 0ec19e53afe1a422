//! Everything a provider call can fail with, and the three questions the caller asks of a
//! failure: retry it, fall back to another model, or stop because credentials are wrong.

use std::time::Duration;

/// What an HTTP error reply said, with the provider and model it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpFailure {
    pub provider: String,
    pub model: String,
    pub status: u16,
    /// The provider's own message (or the start of an unparseable body), key scrubbed.
    pub message: String,
    /// How long the provider asked us to wait (`retry-after-ms`, `retry-after`, Gemini
    /// `RetryInfo`).
    pub retry_after: Option<Duration>,
    /// The `x-should-retry` header, which overrides the status-based decision.
    pub should_retry: Option<bool>,
}

/// Statuses retried with backoff when nothing says otherwise.
pub(crate) fn status_is_transient(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504 | 529)
}

/// A provider call that failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("unknown provider `{provider}` in `{input}` (known providers: {known})")]
    UnknownProvider {
        input: String,
        provider: String,
        known: String,
    },
    #[error("`{input}` is not a model reference: {reason} (write provider/model, e.g. anthropic/claude-opus-4-6; providers: {known})")]
    BadModelRef {
        input: String,
        reason: &'static str,
        known: String,
    },
    #[error("provider `{provider}` in config: {reason}")]
    BadProviderConfig { provider: String, reason: String },
    #[error("no API key for {provider} (set {})", vars.join(" or "))]
    MissingKey { provider: String, vars: Vec<String> },
    #[error("{} rejected the API key (HTTP {}) for {}: {} (check {key_vars})", .failure.provider, .failure.status, .failure.model, .failure.message)]
    Auth { failure: HttpFailure, key_vars: String },
    #[error("{} refused {} for billing reasons (HTTP {}): {} (add credit or raise the spend limit on the {} account)", .failure.provider, .failure.model, .failure.status, .failure.message, .failure.provider)]
    Billing { failure: HttpFailure },
    #[error("{} rate-limited {} (HTTP {}): {} (wait, lower --jobs, or add a fallback model)", .failure.provider, .failure.model, .failure.status, .failure.message)]
    RateLimited { failure: HttpFailure },
    #[error("{} is overloaded serving {} (HTTP {}): {} (try again later or add a fallback model)", .failure.provider, .failure.model, .failure.status, .failure.message)]
    Overloaded { failure: HttpFailure },
    #[error("{} failed serving {} (HTTP {}): {} (a provider-side error; try again later)", .failure.provider, .failure.model, .failure.status, .failure.message)]
    Server { failure: HttpFailure },
    #[error("{} rejected the request for {} (HTTP {}): {} ({hint})", .failure.provider, .failure.model, .failure.status, .failure.message)]
    Rejected {
        failure: HttpFailure,
        hint: &'static str,
    },
    #[error("{} sent an unreadable reply for {} (HTTP {}): {} (a proxy or an outage; check the base URL)", .failure.provider, .failure.model, .failure.status, .failure.message)]
    Malformed { failure: HttpFailure },
    #[error("{provider} sent a reply for {model} that bakeoff could not read: {detail} (check that the provider speaks the {format} format)")]
    BadReply {
        provider: String,
        model: String,
        format: &'static str,
        detail: String,
    },
    #[error(
        "could not reach {provider} at {url} for {model}: {detail} (check the network and the base URL)"
    )]
    Network {
        provider: String,
        model: String,
        url: String,
        detail: String,
    },
    #[error("{provider} did not finish replying for {model} within {}s (raise the request timeout)", .after.as_secs_f64())]
    Timeout {
        provider: String,
        model: String,
        after: Duration,
    },
    #[error("{provider} stalled: no data for {model} for {}s (the stream stopped; retry or raise the stall timeout)", .gap.as_secs_f64())]
    Stalled {
        provider: String,
        model: String,
        gap: Duration,
    },
    #[error("{provider} ended the stream for {model} before the reply was complete: {detail} (a dropped connection; retry)")]
    Truncated {
        provider: String,
        model: String,
        detail: String,
    },
    #[error("could not build the request to {provider} for {model}: {detail}")]
    Request {
        provider: String,
        model: String,
        detail: String,
    },
    #[error("no model to ask (the fallback chain is empty)")]
    EmptyChain,
}

impl ProviderError {
    /// The HTTP failure behind this error, if it came from an HTTP error reply.
    pub fn http(&self) -> Option<&HttpFailure> {
        match self {
            ProviderError::Auth { failure, .. }
            | ProviderError::Billing { failure }
            | ProviderError::RateLimited { failure }
            | ProviderError::Overloaded { failure }
            | ProviderError::Server { failure }
            | ProviderError::Rejected { failure, .. }
            | ProviderError::Malformed { failure } => Some(failure),
            _ => None,
        }
    }

    /// The HTTP status, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.http().map(|f| f.status)
    }

    /// How long the provider asked us to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.http().and_then(|f| f.retry_after)
    }

    /// Whether the same request to the same model may succeed if sent again. An
    /// `x-should-retry` header decides over everything else.
    pub fn retryable(&self) -> bool {
        if let Some(decided) = self.http().and_then(|f| f.should_retry) {
            return decided;
        }
        match self {
            ProviderError::RateLimited { .. } | ProviderError::Overloaded { .. } => true,
            ProviderError::Server { failure } | ProviderError::Malformed { failure } => {
                status_is_transient(failure.status)
            }
            ProviderError::Network { .. }
            | ProviderError::Timeout { .. }
            | ProviderError::Stalled { .. }
            | ProviderError::Truncated { .. } => true,
            _ => false,
        }
    }

    /// Whether, once retries are spent, the next model in a fallback chain may take
    /// over: only when this one is overloaded or unreachable, never on credentials,
    /// billing or a request the provider rejected.
    pub fn allows_fallback(&self) -> bool {
        match self {
            ProviderError::RateLimited { .. } | ProviderError::Overloaded { .. } => true,
            ProviderError::Server { failure } => failure.status >= 500,
            ProviderError::Malformed { failure } => status_is_transient(failure.status),
            ProviderError::Network { .. }
            | ProviderError::Timeout { .. }
            | ProviderError::Stalled { .. }
            | ProviderError::Truncated { .. } => true,
            _ => false,
        }
    }

    /// Whether the fix is the user's credentials or account (missing or rejected key,
    /// billing); bakeoff exits 3 on these.
    pub fn is_credentials(&self) -> bool {
        matches!(
            self,
            ProviderError::MissingKey { .. } | ProviderError::Auth { .. } | ProviderError::Billing { .. }
        )
    }

    /// A short reason for events and journals (`rate limited`, `HTTP 529`, `stalled`).
    pub fn reason(&self) -> String {
        match self {
            ProviderError::RateLimited { failure } => format!("rate limited (HTTP {})", failure.status),
            ProviderError::Overloaded { failure } => format!("overloaded (HTTP {})", failure.status),
            ProviderError::Server { failure } => format!("server error (HTTP {})", failure.status),
            ProviderError::Malformed { failure } => {
                format!("unreadable reply (HTTP {})", failure.status)
            }
            ProviderError::Auth { failure, .. } => format!("key rejected (HTTP {})", failure.status),
            ProviderError::Billing { failure } => format!("billing (HTTP {})", failure.status),
            ProviderError::Rejected { failure, .. } => {
                format!("request rejected (HTTP {})", failure.status)
            }
            ProviderError::Network { detail, .. } => format!("network: {detail}"),
            ProviderError::Timeout { .. } => "timed out".to_string(),
            ProviderError::Stalled { .. } => "stream stalled".to_string(),
            ProviderError::Truncated { .. } => "stream truncated".to_string(),
            ProviderError::BadReply { .. } => "unreadable reply".to_string(),
            ProviderError::MissingKey { .. } => "missing key".to_string(),
            other => other.to_string(),
        }
    }
}
