//! A fallback chain: ask each model in turn, moving on only when one is overloaded or
//! unavailable after its own retries — never on a rejected key, a billing problem or a
//! request the provider refused, which the next model would not fix.

use super::client::Client;
use super::error::ProviderError;
use super::model_ref::ModelRef;
use super::types::{ChatRequest, ChatResponse};
use crate::vocab::ProviderEvent;

/// The reply, and which model gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct FallbackOutcome {
    pub response: ChatResponse,
    /// The model that answered.
    pub used: ModelRef,
    /// Whether that was not the first model of the chain.
    pub fell_back: bool,
    /// Why each earlier model was given up, in order.
    pub reasons: Vec<String>,
}

/// Sends `req` to each `(client, model)` of `chain` in turn (the request's own `model`
/// is replaced), until one answers or one fails in a way another model would not fix.
pub async fn chat_with_fallback(
    chain: &[(&Client, &str)],
    req: &ChatRequest,
    observer: &mut (dyn FnMut(ProviderEvent) + Send),
) -> Result<FallbackOutcome, ProviderError> {
    let mut reasons = Vec::new();
    let mut last = ProviderError::EmptyChain;
    for (i, (client, model)) in chain.iter().enumerate() {
        let here = ModelRef {
            provider: client.spec().name.clone(),
            model: model.to_string(),
        };
        let mut this = req.clone();
        this.model = model.to_string();
        match client.chat(&this, observer).await {
            Ok(response) => {
                return Ok(FallbackOutcome {
                    response,
                    used: here,
                    fell_back: i > 0,
                    reasons,
                })
            }
            Err(err) if !err.allows_fallback() => return Err(err),
            Err(err) => {
                if let Some((next, next_model)) = chain.get(i + 1) {
                    observer(ProviderEvent::FellBack {
                        from: here.to_string(),
                        to: format!("{}/{next_model}", next.spec().name),
                        reason: err.reason(),
                    });
                }
                reasons.push(format!("{here}: {}", err.reason()));
                last = err;
            }
        }
    }
    Err(last)
}
