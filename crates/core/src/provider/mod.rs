//! Model providers over HTTP: Anthropic Messages, OpenAI Chat Completions, OpenAI
//! Responses, Gemini generateContent and OpenAI-compatible services, behind one small
//! domain type.

mod anthropic;
mod classify;
mod client;
mod error;
mod fallback;
mod gemini;
mod key;
mod model_ref;
mod openai_chat;
mod openai_responses;
mod registry;
mod retry;
mod sse;
mod structured;
mod types;
mod wire;

pub use crate::vocab::ProviderEvent;
pub use crate::vocab::TokenUsage;
pub use client::{Client, ClientOptions};
pub use error::{HttpFailure, ProviderError};
pub use fallback::{chat_with_fallback, FallbackOutcome};
pub use key::ApiKey;
pub use model_ref::ModelRef;
pub use registry::{
    builtin, resolve_key, EnvLookup, ProviderOverride, ProviderRegistry, ProviderSpec, WireFormat,
    BUILTIN_PROVIDERS,
};
pub use retry::{Clock, Sleeper, SystemClock, TokioSleeper};
pub(crate) use structured::extract_json;
pub use types::{
    ChatRequest, ChatResponse, Message, Part, ResponseSchema, Role, StopReason, ToolCall, ToolSpec,
};

#[cfg(test)]
mod loopback_tests;
