//! The order of the leaderboard: a chain of keys compared one after another, each
//! comparison also saying which key decided it, so that the reason text can name it.

use std::cmp::Ordering;

use super::assess::Assessed;
use super::review_order::review_order;
use crate::units::cost_units;
use crate::vocab::Tier;

/// The key that separated two lanes, in the order the keys are tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Signal {
    Gate,
    Tier,
    Blocker,
    /// Pairwise judging of the finalists of a close call.
    Judge,
    Review,
    Cost,
    Diff,
    Time,
    /// Nothing but the lane name (or nothing at all) told them apart.
    Name,
}

/// Orders `a` before `b` when `a` ranks higher, and names the key that decided. Not a
/// total order (ties on review are not transitive, see `review_order`): `arrange` sorts,
/// and this explains two neighbouring rows of its order.
pub(crate) fn compare(a: &Assessed, b: &Assessed) -> (Ordering, Signal) {
    let keys: [(Signal, Ordering); 8] = [
        (Signal::Gate, b.gated_in().cmp(&a.gated_in())),
        (Signal::Tier, a.tier.cmp(&b.tier)),
        (Signal::Blocker, demoted(a).cmp(&demoted(b))),
        (Signal::Judge, judge_key(a).cmp(&judge_key(b))),
        (Signal::Review, review_order(a, b)),
        (Signal::Cost, cost_order(a.cost_usd, b.cost_usd)),
        (Signal::Diff, a.diff_lines.cmp(&b.diff_lines)),
        (Signal::Time, a.lane.elapsed_ms.cmp(&b.lane.elapsed_ms)),
    ];
    keys.into_iter()
        .find(|(_, ord)| ord.is_ne())
        .map(|(signal, ord)| (ord, signal))
        .unwrap_or_else(|| (name_order(a, b), Signal::Name))
}

/// The keys after the review, in `compare`'s order: cost, diff size, time, then the
/// lane name (and agent) so that the order is total.
pub(crate) fn after_review(a: &Assessed, b: &Assessed) -> Ordering {
    cost_order(a.cost_usd, b.cost_usd)
        .then_with(|| a.diff_lines.cmp(&b.diff_lines))
        .then_with(|| a.lane.elapsed_ms.cmp(&b.lane.elapsed_ms))
        .then_with(|| name_order(a, b))
}

fn name_order(a: &Assessed, b: &Assessed) -> Ordering {
    a.lane
        .lane
        .cmp(&b.lane.lane)
        .then_with(|| a.lane.agent.cmp(&b.lane.agent))
}

/// The keys `compare` tries before the review, as one value: `arrange` orders the
/// lanes equal on it by review and the later keys.
pub(crate) fn ahead_of_review(a: &Assessed) -> (bool, Tier, bool, (bool, i64)) {
    (!a.gated_in(), a.tier, demoted(a), judge_key(a))
}

/// A blocker that two reviewers confirm outweighs any score (DESIGN.md "Ranking" 3).
pub(crate) fn demoted(a: &Assessed) -> bool {
    a.lane.review.as_ref().is_some_and(|r| r.confirmed_blockers > 0)
}

/// A finalist's judged strength, if the lane was judged.
pub(crate) fn judge_strength(a: &Assessed) -> Option<f64> {
    let judge = a.lane.review.as_ref()?.judge.as_ref()?;
    judge.strength.is_finite().then_some(judge.strength)
}

/// Judged lanes first, stronger first. A key (rather than a pairwise rule) keeps the
/// order total whatever set of lanes the caller judged; the judged are the finalists,
/// the lanes closest to the leader on review anyway. Strengths are compared in millionths so
/// that floating-point noise between equally matched lanes is a tie.
fn judge_key(a: &Assessed) -> (bool, i64) {
    match judge_strength(a) {
        Some(s) => (false, -(s * 1e6).round() as i64),
        None => (true, 0),
    }
}

/// Cheaper first; an unknown cost after every known one, because "unknown" must never
/// win by reading as free.
pub(crate) fn cost_order(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => cost_units(x).cmp(&cost_units(y)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}
