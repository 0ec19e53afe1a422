//! One reviewer at work: a model (with its fallback chain) reviewing one diff end to end.
//! The diff is split by file under the token budget; each part is sent with the diff
//! fenced as data; a reply that fails validation gets one repair request and is otherwise
//! recorded as failed, never guessed. Used by the race's review stage and by
//! `bakeoff review`.

use std::collections::HashMap;
use std::sync::Arc;

use crate::price::{self, Price};
use crate::provider::{chat_with_fallback, ChatRequest, Client, Message, ProviderEvent, TokenUsage};
use crate::review::{self, CheckSummary, Finding, ReviewInput, ReviewOutput, ReviewRecord, Verdict};

/// How many requests one review may be split into; files beyond are reported as not
/// reviewed.
pub const MAX_CHUNKS: usize = 8;

/// A reviewer: `provider/model`, its lab, and the clients to try in order.
pub struct Reviewer {
    pub name: String,
    pub lab: String,
    /// The reviewer first, then its fallbacks.
    pub chain: Vec<ChainLink>,
}

/// One model of a reviewer's fallback chain.
#[derive(Clone)]
pub struct ChainLink {
    pub client: Arc<Client>,
    /// The model id the provider knows.
    pub model: String,
    /// `provider/model`.
    pub name: String,
    /// The lab that trained it (`unknown` when bakeoff cannot tell).
    pub lab: String,
}

impl Reviewer {
    /// The chain as a lane of `author_lab` may use it: the reviewer itself (chosen for
    /// the lane at preflight), then only the fallbacks of another lab — unless
    /// `allow_same_lab`, when every fallback stays and a same-lab answer is marked so.
    /// The chain is the reviewer's, shared by every lane; the filter is per lane.
    pub fn chain_for(&self, author_lab: Option<&str>, allow_same_lab: bool) -> Vec<&ChainLink> {
        self.chain
            .iter()
            .enumerate()
            .filter(|(i, link)| *i == 0 || allow_same_lab || review::is_cross_lab(author_lab, &link.lab))
            .map(|(_, link)| link)
            .collect()
    }
}

/// One review job: the spec, the anonymous label, the diff and the checks.
pub struct Job<'a> {
    pub spec: &'a str,
    pub label: &'a str,
    pub diff: &'a str,
    pub checks: Vec<CheckSummary>,
    pub token_budget: usize,
    pub nonce_seed: u64,
    pub prices: &'a HashMap<String, Price>,
    pub same_lab: bool,
    /// The lab that wrote the diff, when known: fallbacks of that lab are not used.
    pub author_lab: Option<&'a str>,
    /// `--allow-same-lab`: fallbacks of the author's lab may answer (marked `same_lab`).
    pub allow_same_lab: bool,
}

/// Runs `reviewer` over the job's diff. Never fails: a failure is the record's `output`.
pub async fn review(
    reviewer: &Reviewer,
    job: &Job<'_>,
    observer: &mut (dyn FnMut(ProviderEvent) + Send),
) -> ReviewRecord {
    let split = review::split(job.diff, job.token_budget, MAX_CHUNKS);
    let mut record = ReviewRecord {
        lane: None,
        reviewer: reviewer.name.clone(),
        lab: reviewer.lab.clone(),
        answered_by: None,
        fell_back: false,
        output: Err("nothing to review".into()),
        not_reviewed: split.not_reviewed.clone(),
        credentials_error: false,
        provider_error: false,
        usage: TokenUsage::default(),
        cost_usd: Some(0.0),
        requests: 0,
        same_lab: job.same_lab,
    };
    let all_files: Vec<String> = split.chunks.iter().flat_map(|c| c.files.clone()).collect();
    let mut parts = Vec::new();
    for (i, chunk) in split.chunks.iter().enumerate() {
        let omitted: Vec<String> = all_files
            .iter()
            .filter(|f| !chunk.files.contains(f))
            .chain(split.not_reviewed.iter())
            .cloned()
            .collect();
        let input = ReviewInput {
            spec: job.spec.to_string(),
            label: job.label.to_string(),
            diff: chunk.diff.clone(),
            checks: job.checks.clone(),
            omitted_files: omitted,
        };
        let nonce = review::nonce(job.nonce_seed.wrapping_add(i as u64));
        match review_part(reviewer, job, &input, &nonce, &mut record, observer).await {
            Ok(output) => parts.push(output),
            Err(e) => {
                record.output = Err(e);
                return record;
            }
        }
    }
    if !parts.is_empty() {
        record.output = Ok(combine(parts));
    }
    record
}

/// One request (plus at most one repair) for one part of the diff.
async fn review_part(
    reviewer: &Reviewer,
    job: &Job<'_>,
    input: &ReviewInput,
    nonce: &str,
    record: &mut ReviewRecord,
    observer: &mut (dyn FnMut(ProviderEvent) + Send),
) -> Result<ReviewOutput, String> {
    let first_model = reviewer
        .chain
        .first()
        .map(|l| l.model.clone())
        .unwrap_or_default();
    let mut request = review::review_request(input, &first_model, nonce);
    let reply = ask(reviewer, job, &request, record, observer).await?;
    let problems = match review::parse_review(reply.structured.as_ref(), &reply.text) {
        Ok(output) => return Ok(output),
        Err(problems) => problems,
    };
    // One repair request: the model sees its own answer and what was wrong with it.
    request.messages.push(Message::assistant(reply.text.clone()));
    request
        .messages
        .push(Message::user(review::repair_prompt(&problems)));
    let reply = ask(reviewer, job, &request, record, observer).await?;
    review::parse_review(reply.structured.as_ref(), &reply.text).map_err(|problems| {
        format!(
            "the review was malformed twice (after one repair request): {}",
            problems.join("; ")
        )
    })
}

async fn ask(
    reviewer: &Reviewer,
    job: &Job<'_>,
    request: &ChatRequest,
    record: &mut ReviewRecord,
    observer: &mut (dyn FnMut(ProviderEvent) + Send),
) -> Result<crate::provider::ChatResponse, String> {
    let prices = job.prices;
    let links = reviewer.chain_for(job.author_lab, job.allow_same_lab);
    let chain: Vec<(&Client, &str)> = links
        .iter()
        .map(|l| (l.client.as_ref(), l.model.as_str()))
        .collect();
    record.requests += 1;
    match chat_with_fallback(&chain, request, observer).await {
        Ok(outcome) => {
            let usage = outcome.response.usage;
            record.usage.input += usage.input;
            record.usage.output += usage.output;
            record.usage.cache_read += usage.cache_read;
            record.usage.cache_write += usage.cache_write;
            record.cost_usd = match (record.cost_usd, price::cost(&outcome.used.model, &usage, prices)) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
            record.fell_back |= outcome.fell_back;
            record.answered_by = Some(outcome.used.to_string());
            // The model that answered decides whether the verdict is cross-lab.
            let answered = links
                .iter()
                .find(|l| l.client.spec().name == outcome.used.provider && l.model == outcome.used.model);
            if answered.is_some_and(|l| !review::is_cross_lab(job.author_lab, &l.lab)) {
                record.same_lab = true;
            }
            Ok(outcome.response)
        }
        Err(e) => {
            record.credentials_error |= e.is_credentials();
            record.provider_error = true;
            Err(e.to_string())
        }
    }
}

/// One review from the reviews of a diff's parts: the worst verdict, the lowest score,
/// every finding.
fn combine(parts: Vec<ReviewOutput>) -> ReviewOutput {
    let verdict = parts
        .iter()
        .map(|p| p.verdict)
        .max_by_key(|v| match v {
            Verdict::Approve => 0,
            Verdict::RequestChanges => 1,
            Verdict::Reject => 2,
        })
        .unwrap_or(Verdict::Approve);
    let score = parts.iter().map(|p| p.score).min().unwrap_or(0);
    let summary = parts
        .iter()
        .map(|p| p.summary.trim())
        .collect::<Vec<_>>()
        .join(" ");
    let findings: Vec<Finding> = parts.into_iter().flat_map(|p| p.findings).collect();
    ReviewOutput {
        verdict,
        score,
        summary,
        findings,
    }
}
