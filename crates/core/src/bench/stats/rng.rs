//! The bootstrap's random numbers: SplitMix64, seeded by the caller.
//!
//! Written out rather than taken from `rand` because the `rand` in the lock file (0.10)
//! needs a newer Rust than this workspace supports, and because a generator of our own
//! keeps every published interval reproducible from its seed across dependency
//! upgrades. SplitMix64 (Steele, Lea and Flood 2014) passes BigCrush and is more than
//! enough for drawing resample indices.

/// A SplitMix64 generator.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator for one of several independent streams drawn from one seed, so that
    /// (say) each agent's interval does not depend on which agents came before it.
    pub(crate) fn stream(seed: u64, stream: u64) -> Self {
        let mut mixer = Self::new(seed ^ mix(stream.wrapping_add(GOLDEN_GAMMA)));
        Self::new(mixer.next_u64())
    }

    /// The stream of `seed` named by `name` (FNV-1a of its bytes, which unlike the
    /// standard library's hasher is fixed forever), so that one agent's draws depend on
    /// neither its position nor the other agents.
    pub(crate) fn named(seed: u64, name: &str) -> Self {
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        Self::stream(seed, hash)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix(self.state)
    }

    /// A uniform index below `len` (which must be positive), by Lemire's multiply-shift:
    /// its bias is at most `len / 2^64`, far below anything a bootstrap could notice.
    pub(crate) fn below(&mut self, len: usize) -> usize {
        ((u128::from(self.next_u64()) * len as u128) >> 64) as usize
    }

    /// A uniform number in `[0, 1)` with 53 random bits.
    #[cfg(test)]
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_reference_values() {
        // The first outputs for seed 1234567 of the algorithm in Vigna's splitmix64.c,
        // so the sequence is the published one and stays so.
        let mut rng = SplitMix64::new(1234567);
        let got: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got,
            [6457827717110365317, 3203168211198807973, 9817491932198370423]
        );
    }

    #[test]
    fn below_stays_in_range_and_is_roughly_uniform() {
        let mut rng = SplitMix64::new(7);
        let mut seen = [0usize; 5];
        for _ in 0..50_000 {
            seen[rng.below(5)] += 1;
        }
        assert!(seen.iter().all(|&k| (9_500..10_500).contains(&k)), "{seen:?}");
        let u = rng.unit();
        assert!((0.0..1.0).contains(&u));
    }

    #[test]
    fn streams_differ() {
        let a = SplitMix64::stream(1, 0).next_u64();
        let b = SplitMix64::stream(1, 1).next_u64();
        assert_ne!(a, b);
    }
}
