//! The parts of Claude Code's `assistant` line the parser reads, as borrowed typed structs:
//! a flood of assistant lines is read without building a `serde_json::Value` (and its
//! allocation per string and per object) for each. Unknown fields are skipped. A line
//! whose fields have unexpected types fails here and is read the tolerant way instead.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};

/// `{"type":"assistant","message":{…},"session_id":…}`
#[derive(Deserialize)]
pub(super) struct Assistant<'a> {
    #[serde(borrow, default)]
    pub message: Option<Message<'a>>,
    #[serde(borrow, default)]
    pub session_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(super) struct Message<'a> {
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// `null` reads as an empty usage, as the tolerant reading has it.
    #[serde(default, deserialize_with = "null_is_empty")]
    pub usage: Option<Tokens>,
    #[serde(borrow, default)]
    pub content: Option<Vec<Block<'a>>>,
}

#[derive(Deserialize, Default)]
pub(super) struct Tokens {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
}

impl Tokens {
    /// (every prompt token, output tokens), as `parse::input_tokens` counts them.
    pub fn counts(&self) -> (u64, u64) {
        let input = [
            self.input_tokens,
            self.cache_creation_input_tokens,
            self.cache_read_input_tokens,
        ]
        .into_iter()
        .flatten()
        .fold(0u64, u64::saturating_add);
        (input, self.output_tokens.unwrap_or(0))
    }
}

#[derive(Deserialize)]
pub(super) struct Block<'a> {
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub text: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub input: Option<Input<'a>>,
}

/// A tool's input: the fields `parse::tool_detail` tries, in its order.
#[derive(Deserialize)]
pub(super) struct Input<'a> {
    #[serde(borrow, default)]
    command: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    file_path: Option<Cow<'a, str>>,
    #[serde(rename = "filePath", borrow, default)]
    file_path_camel: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    notebook_path: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    path: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pattern: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    query: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    description: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    prompt: Option<Cow<'a, str>>,
}

impl Input<'_> {
    pub fn detail(&self) -> Option<&str> {
        [
            &self.command,
            &self.file_path,
            &self.file_path_camel,
            &self.notebook_path,
            &self.path,
            &self.pattern,
            &self.url,
            &self.query,
            &self.description,
            &self.prompt,
        ]
        .into_iter()
        .find_map(|v| v.as_deref())
    }
}

fn null_is_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Tokens>, D::Error> {
    Ok(Some(Option::<Tokens>::deserialize(d)?.unwrap_or_default()))
}
