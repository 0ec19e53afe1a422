//! Model providers over HTTP: Anthropic Messages, OpenAI Chat Completions, OpenAI
//! Responses, Gemini generateContent and OpenAI-compatible services, behind one small
//! domain type.

mod types;

pub use types::{
    ChatRequest, ChatResponse, Message, Part, ResponseSchema, Role, StopReason, TokenUsage, ToolCall,
    ToolSpec,
};
