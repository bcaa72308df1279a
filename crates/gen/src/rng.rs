//! A tiny seeded RNG (SplitMix64).
//!
//! Written here rather than taken from `rand` so that the bytes this generator
//! emits for a seed can never change under us with a dependency upgrade (rand's
//! range-sampling algorithms and `StdRng` are explicitly not value-stable across
//! versions). SplitMix64 is fast, passes BigCrush, and is plenty for test data.

/// The SplitMix64 finaliser: a good 64-bit mixing function.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a, for deriving stable values from names (identities, IPs).
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

#[derive(Clone, Debug)]
pub struct Rng(u64);

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(mix(seed ^ GOLDEN))
    }

    /// An independent stream for (seed, a, b): lets every file / chunk be
    /// generated on its own thread and still come out byte-identical.
    pub fn derive(seed: u64, a: u64, b: u64) -> Self {
        Rng(mix(seed
            ^ mix(
                a.wrapping_add(GOLDEN) ^ mix(b.wrapping_mul(GOLDEN) ^ 0x5bd1_e995)
            )))
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `0..n` (n > 0), Lemire's multiply-shift (bias < 2^-64 * n).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..hi`.
    #[inline]
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo)
    }

    /// Uniform float in [0, 1).
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Index into a table of cumulative weights (last element = total).
    pub fn pick_cum(&mut self, cum: &[u32]) -> usize {
        let total = *cum.last().expect("non-empty weight table") as u64;
        let x = self.below(total) as u32;
        cum.partition_point(|&c| c <= x)
    }

    pub fn push_hex(&mut self, out: &mut String, n: usize) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut bits = 0u64;
        for i in 0..n {
            if i % 16 == 0 {
                bits = self.next_u64();
            }
            out.push(HEX[(bits & 15) as usize] as char);
            bits >>= 4;
        }
    }

    pub fn push_charset(&mut self, out: &mut String, charset: &[u8], n: usize) {
        for _ in 0..n {
            out.push(charset[self.below(charset.len() as u64) as usize] as char);
        }
    }

    /// A version-4 UUID string.
    pub fn uuid(&mut self) -> String {
        let mut s = String::with_capacity(36);
        self.push_hex(&mut s, 8);
        s.push('-');
        self.push_hex(&mut s, 4);
        s.push_str("-4");
        self.push_hex(&mut s, 3);
        s.push('-');
        s.push(['8', '9', 'a', 'b'][self.below(4) as usize]);
        self.push_hex(&mut s, 3);
        s.push('-');
        self.push_hex(&mut s, 12);
        s
    }
}

pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_values() {
        // Pin the stream: if this changes, every committed testdata byte changes.
        let mut r = Rng::new(42);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(
            got,
            [0x57e1faba65107204, 0xf4abd143feb24055, 0x7c816738c12903b2]
        );
        assert_ne!(
            Rng::derive(1, 2, 3).next_u64(),
            Rng::derive(1, 3, 2).next_u64()
        );
        let mut r = Rng::new(7);
        for _ in 0..1000 {
            assert!(r.below(10) < 10);
            let u = r.uuid();
            assert_eq!(u.len(), 36);
            assert_eq!(&u[14..15], "4");
        }
        let cum = [1, 1, 5];
        for _ in 0..100 {
            let i = r.pick_cum(&cum);
            assert!(i == 0 || i == 2);
        }
    }
}
