//! `doctor --ping`: one tiny request to each model `[review]` configures, through the
//! same provider client a review uses, with a short deadline and no retries, so the user
//! learns before a race whether each provider answers and accepts the key.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::checks::configured_models;
use super::{Blocker, Check, Status};
use crate::config::Config;
use crate::provider::{
    resolve_key, ChatRequest, Client, ClientOptions, EnvLookup, Message, ProviderError, ProviderRegistry,
};

/// The deadline of one ping, reply included.
pub const PING_TIMEOUT: Duration = Duration::from_secs(20);

/// Pings every configured model whose provider resolves and whose key is set (the key
/// checks already report the others). A rejected key or a provider that fails blocks
/// with exit 3; a provider that is only busy is reachable and gets a warning.
pub async fn ping_checks(
    config: &Config,
    registry: &ProviderRegistry,
    env: EnvLookup<'_>,
    timeout: Duration,
) -> Vec<Check> {
    let mut pings = Vec::new();
    let mut skipped = Vec::new();
    for (role, model) in configured_models(config) {
        let subject = format!("{role} {model}");
        let Ok(model_ref) = registry.model_ref(&model) else {
            continue;
        };
        let Some(spec) = registry.get(&model_ref.provider).cloned() else {
            continue;
        };
        let options = ClientOptions {
            request_timeout: timeout,
            stall_timeout: timeout,
            max_retries: 0,
            ..ClientOptions::default()
        };
        let client = match resolve_key(&spec, env).and_then(|key| Client::new(spec, key, options)) {
            Ok(client) => client,
            Err(e) => {
                skipped.push(Check::new(
                    Status::Off,
                    subject,
                    format!("not pinged: {}", e.reason()),
                ));
                continue;
            }
        };
        pings.push(async move {
            let start = Instant::now();
            let result = client.chat(&ping_request(&model_ref.model), &mut |_| {}).await;
            ping_check(subject, result.map(|_| start.elapsed()))
        });
    }
    let mut checks = join_all(pings).await;
    checks.extend(skipped);
    checks
}

/// The smallest request every format accepts: one short user message, a few tokens.
fn ping_request(model: &str) -> ChatRequest {
    ChatRequest {
        model: model.to_string(),
        system: None,
        messages: vec![Message::user("Reply with the single word: pong")],
        tools: Vec::new(),
        response_schema: None,
        max_tokens: 16,
        temperature: None,
        stream: false,
    }
}

/// Turns one ping's outcome into a check. Provider errors already carry the status and
/// the provider's message with the key scrubbed out.
fn ping_check(subject: String, result: Result<Duration, ProviderError>) -> Check {
    match result {
        Ok(elapsed) => Check::ok(
            subject,
            format!("reachable, answered in {} ms", elapsed.as_millis()),
        ),
        Err(e @ (ProviderError::RateLimited { .. } | ProviderError::Overloaded { .. })) => {
            Check::new(Status::Warn, subject, format!("reachable, but busy: {e}"))
        }
        // The key was accepted and the model answered; only the reply was odd (a
        // reasoning model that spent its few tokens thinking, say).
        Err(e @ ProviderError::BadReply { .. }) => {
            Check::new(Status::Warn, subject, format!("reachable, key accepted; {e}"))
        }
        Err(e) if e.is_credentials() => Check::new(Status::Fail, subject, format!("rejected: {e}"))
            .hint("check the key, or the account's billing")
            .blocking(Blocker::Provider),
        Err(e) => Check::new(Status::Fail, subject, format!("failed: {e}")).blocking(Blocker::Provider),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::HttpFailure;

    #[test]
    fn outcomes() {
        let failure = |status| HttpFailure {
            provider: "openai".into(),
            model: "gpt-5.5".into(),
            status,
            message: "nope".into(),
            retry_after: None,
            should_retry: None,
        };
        type Case = (
            Result<Duration, ProviderError>,
            Status,
            Option<Blocker>,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (
                Ok(Duration::from_millis(42)),
                Status::Ok,
                None,
                "reachable, answered in 42 ms",
            ),
            (
                Err(ProviderError::Auth {
                    failure: failure(401),
                    key_vars: "OPENAI_API_KEY".into(),
                }),
                Status::Fail,
                Some(Blocker::Provider),
                "rejected: openai rejected the API key (HTTP 401)",
            ),
            (
                Err(ProviderError::RateLimited {
                    failure: failure(429),
                }),
                Status::Warn,
                None,
                "reachable, but busy",
            ),
            (
                Err(ProviderError::Server {
                    failure: failure(500),
                }),
                Status::Fail,
                Some(Blocker::Provider),
                "failed: openai failed serving gpt-5.5 (HTTP 500): nope",
            ),
        ];
        for (result, status, blocks, want) in cases {
            let check = ping_check("reviewer openai/gpt-5.5".into(), result);
            assert_eq!((check.status, check.blocks), (status, blocks), "{check:?}");
            assert!(check.detail.starts_with(want), "{}", check.detail);
        }
    }
}
