//! Duplicate and near-duplicate user requests (the method is documented on
//! [`super::figures::Requests`] and [`super::figures::NearDuplicates`]).
//!
//! Exact duplicates: normalised requests grouped by a 64-bit SipHash.
//! Near-duplicates: one-permutation MinHash over character 5-grams — each
//! shingle is hashed once, its top 6 bits pick one of 64 slots and each
//! slot keeps its smallest hash, empty slots borrowing from the next full
//! one (rotation densification) — and LSH over 12 bands of 5 slots. Only
//! distinct requests are indexed, so exact copies cost a hash lookup.
//! Memory per distinct request while reading: its 64-byte signature and
//! ~60 bytes of bookkeeping; the band keys (12 × 8 bytes) exist only while
//! the groups are made at the end.

use std::hash::{DefaultHasher, Hash, Hasher};

use super::hash::FastMap;

/// Shingle length in characters.
pub(crate) const SHINGLE: usize = 5;
/// MinHash slots.
pub(crate) const SLOTS: usize = 64;
/// LSH bands, of [`ROWS`] slots each (the last 4 slots are in no band;
/// the estimate uses them all).
pub(crate) const BANDS: usize = 12;
/// Slots per band.
pub(crate) const ROWS: usize = 5;
/// Smallest estimated Jaccard similarity of a near-duplicate pair.
pub(crate) const THRESHOLD: f64 = 0.8;
/// Slots that must agree: `ceil(THRESHOLD * SLOTS)`.
const AGREEING_SLOTS: usize = 52;
/// Sample indices kept per group.
const KEPT_INDICES: usize = 5;

/// A request's MinHash: the low 16 bits of each slot's minimum.
///
/// One byte per slot: two different minima agree by chance 1 time in 256,
/// which lifts an estimate by at most 0.4% of the share that disagrees;
/// 64 bytes make one cache line, which the comparisons at the end read in
/// whatever order the LSH buckets give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, align(64))]
pub(crate) struct Signature(pub [u8; SLOTS]);

/// What a worker computes of one request.
#[derive(Debug)]
pub(crate) struct RequestPrint {
    /// SipHash of the normalised request.
    pub hash: u64,
    /// `None` for a request that normalises to nothing.
    pub signature: Option<Box<Signature>>,
}

/// Lowercase, every run of characters other than letters and digits one
/// space, trimmed.
pub(crate) fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars() {
        if !c.is_alphanumeric() {
            gap = true;
            continue;
        }
        if gap && !out.is_empty() {
            out.push(' ');
        }
        gap = false;
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The print of a request.
pub(crate) fn print(request: &str) -> RequestPrint {
    let normal = normalise(request);
    let mut hasher = DefaultHasher::new();
    normal.hash(&mut hasher);
    let signature = (!normal.is_empty()).then(|| Box::new(signature(&normal)));
    RequestPrint { hash: hasher.finish(), signature }
}

/// The one-permutation MinHash of `normal`'s character shingles (a text
/// shorter than a shingle is one shingle).
pub(crate) fn signature(normal: &str) -> Signature {
    let mut minima = [u64::MAX; SLOTS];
    let mut keep = |polynomial: u64| {
        let hash = mix(polynomial);
        let slot = (hash >> 58) as usize;
        minima[slot] = minima[slot].min(hash & ((1 << 58) - 1));
    };
    // A rolling polynomial hash of the last SHINGLE characters (mod 2^64;
    // `mix` then spreads it): one multiply per character.
    let mut window = [0u64; SHINGLE];
    let (mut polynomial, mut seen) = (0u64, 0usize);
    for c in normal.chars() {
        let c = u64::from(c) + 1;
        let slot = seen % SHINGLE;
        polynomial =
            polynomial.wrapping_sub(window[slot].wrapping_mul(OLDEST)).wrapping_mul(BASE).wrapping_add(c);
        window[slot] = c;
        seen += 1;
        if seen >= SHINGLE {
            keep(polynomial);
        }
    }
    if (1..SHINGLE).contains(&seen) {
        keep(polynomial);
    }
    let mut signature = Signature([0; SLOTS]);
    for (slot, out) in signature.0.iter_mut().enumerate() {
        // An empty slot borrows from the next full one, offset by the
        // distance so that borrowed values differ from their source.
        let (distance, minimum) = (0..SLOTS)
            .map(|d| (d as u64, minima[(slot + d) % SLOTS]))
            .find(|(_, m)| *m != u64::MAX)
            .unwrap_or((0, 0));
        let folded = mix(minimum.wrapping_add(distance.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        *out = folded as u8;
    }
    signature
}

/// The rolling hash's base (odd, so multiplying by it loses nothing).
const BASE: u64 = 0x0000_0100_0000_01b3;
/// `BASE^(SHINGLE - 1)`: the weight of the oldest character in the window.
const OLDEST: u64 = power(BASE, SHINGLE - 1);

const fn power(base: u64, exponent: usize) -> u64 {
    let mut out = 1u64;
    let mut i = 0;
    while i < exponent {
        out = out.wrapping_mul(base);
        i += 1;
    }
    out
}

/// SplitMix64's finaliser.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Whether two signatures estimate a Jaccard similarity of at least [`THRESHOLD`].
pub(crate) fn similar(a: &Signature, b: &Signature) -> bool {
    // Most candidate pairs are far apart: stop at the first slot past the
    // disagreements allowed.
    let mut disagreeing = 0;
    for (x, y) in a.0.iter().zip(&b.0) {
        disagreeing += usize::from(x != y);
        if disagreeing > SLOTS - AGREEING_SLOTS {
            return false;
        }
    }
    true
}

/// Where a request was first seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct FirstSeen {
    /// Its line in the dataset (what orders requests).
    pub line: u64,
    /// Byte offset of that line.
    pub offset: u64,
    /// Its `sample_index`.
    pub sample_index: u64,
}

#[derive(Debug)]
struct Distinct {
    first: FirstSeen,
    samples: u64,
    /// Lines and indices of the next samples with it (at most
    /// `KEPT_INDICES - 1`, the earliest).
    more: Vec<(u64, u64)>,
    /// Its signature's position in `signatures`, if it has one.
    signature: Option<u32>,
}

impl Distinct {
    /// The first `KEPT_INDICES` samples' indices.
    fn indices(&self) -> Vec<u64> {
        std::iter::once(self.first.sample_index).chain(self.more.iter().map(|&(_, i)| i)).collect()
    }

    /// Folds in another part's record of the same request.
    fn join(&mut self, other: Distinct) {
        let mut seen: Vec<(u64, u64)> = std::iter::once((self.first.line, self.first.sample_index))
            .chain(self.more.drain(..))
            .chain(std::iter::once((other.first.line, other.first.sample_index)))
            .chain(other.more)
            .collect();
        seen.sort_unstable();
        if other.first.line < self.first.line {
            self.first = other.first;
        }
        self.more = seen.into_iter().skip(1).take(KEPT_INDICES - 1).collect();
        self.samples += other.samples;
    }
}

/// Every request seen, by distinct normalised text. Built by parts (one
/// per worker) and [merged](Self::merge); what it finds depends only on
/// the lines, not on how they were split.
#[derive(Debug, Default)]
pub(crate) struct RequestIndex {
    by_hash: FastMap<u64, Distinct>,
    signatures: Vec<Signature>,
}

/// A group of requests, to be shown with the first ones' texts.
#[derive(Debug)]
pub(crate) struct Group {
    /// Distinct requests in it.
    pub requests: u64,
    /// Samples in it.
    pub samples: u64,
    /// The first distinct requests (exact groups: the one).
    pub first: Vec<FirstSeen>,
    /// Sample indices: the first samples' (exact) or each first's (near).
    pub sample_indices: Vec<u64>,
}

/// Duplicates found.
#[derive(Debug)]
pub(crate) struct Duplicates {
    pub distinct: u64,
    /// Exact groups of two or more samples, largest first.
    pub exact: Vec<Group>,
    /// Near groups of two or more distinct requests, largest first.
    pub near: Vec<Group>,
}

impl RequestIndex {
    /// Records one sample's request.
    pub(crate) fn add(&mut self, print: RequestPrint, seen: FirstSeen) {
        if let Some(entry) = self.by_hash.get_mut(&print.hash) {
            entry.samples += 1;
            // A part sees its lines in order: the first ones stay.
            if entry.more.len() < KEPT_INDICES - 1 {
                entry.more.push((seen.line, seen.sample_index));
            }
            return;
        }
        let signature = print.signature.map(|signature| {
            self.signatures.push(*signature);
            (self.signatures.len() - 1) as u32
        });
        self.by_hash.insert(print.hash, Distinct { first: seen, samples: 1, more: Vec::new(), signature });
    }

    /// Folds in the index of another part of the file.
    pub(crate) fn merge(&mut self, mut other: RequestIndex) {
        self.by_hash.reserve(other.by_hash.len());
        self.signatures.reserve(other.signatures.len());
        for (hash, mut distinct) in other.by_hash.drain() {
            match self.by_hash.get_mut(&hash) {
                Some(mine) => mine.join(distinct),
                None => {
                    distinct.signature = distinct.signature.map(|at| {
                        self.signatures.push(other.signatures[at as usize]);
                        (self.signatures.len() - 1) as u32
                    });
                    self.by_hash.insert(hash, distinct);
                }
            }
        }
    }

    /// The groups.
    pub(crate) fn finish(self) -> Duplicates {
        // Distinct requests in file order of their first sample.
        let mut distinct: Vec<Distinct> = self.by_hash.into_values().collect();
        distinct.sort_unstable_by_key(|d| d.first);
        let mut exact: Vec<Group> = distinct
            .iter()
            .filter(|d| d.samples > 1)
            .map(|d| Group {
                requests: 1,
                samples: d.samples,
                first: vec![d.first],
                sample_indices: d.indices(),
            })
            .collect();
        exact.sort_by_key(|g| std::cmp::Reverse(g.samples));
        let near = near_groups(&distinct, self.signatures);
        Duplicates { distinct: distinct.len() as u64, exact, near }
    }
}

/// Near-duplicate groups of `distinct` (in file order).
fn near_groups(distinct: &[Distinct], signatures: Vec<Signature>) -> Vec<Group> {
    // Signatures moved into file order (all zero for an empty request), so
    // that buckets, sorted by id, read memory in order.
    let has_signature: Vec<bool> = distinct.iter().map(|d| d.signature.is_some()).collect();
    let ordered: Vec<Signature> = distinct
        .iter()
        .map(|d| d.signature.map_or(Signature([0; SLOTS]), |at| signatures[at as usize]))
        .collect();
    drop(signatures);
    let mut band_keys: Vec<(u32, u32)> = Vec::with_capacity(ordered.len() * BANDS);
    for (id, signature) in ordered.iter().enumerate().filter(|(id, _)| has_signature[*id]) {
        for (band, rows) in signature.0.chunks_exact(ROWS).take(BANDS).enumerate() {
            let packed = rows.iter().fold(0u64, |acc, &v| (acc << 8) | u64::from(v));
            let key = mix(packed ^ (band as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)) >> 32;
            band_keys.push((key as u32, id as u32));
        }
    }
    band_keys.sort_unstable();
    let mut parents: Vec<u32> = (0..distinct.len() as u32).collect();
    // Only ids with a signature have band keys.
    let similar_ids = |a: u32, b: u32| similar(&ordered[a as usize], &ordered[b as usize]);
    for bucket in band_keys.chunk_by(|a, b| a.0 == b.0) {
        // Each member joins the bucket's first, or else its predecessor:
        // linear in the bucket (a text template shared by every request
        // makes one bucket of them all), exact on the small buckets real
        // near-duplicates make.
        let first = bucket[0].1;
        for pair in bucket.windows(2) {
            let (previous, member) = (pair[0].1, pair[1].1);
            for other in [first, previous] {
                if find(&mut parents, other) == find(&mut parents, member) {
                    break;
                }
                if similar_ids(other, member) {
                    union(&mut parents, other, member);
                    break;
                }
            }
        }
    }
    let roots: Vec<u32> = (0..parents.len() as u32).map(|id| find(&mut parents, id)).collect();
    let mut sizes = vec![0u32; roots.len()];
    roots.iter().for_each(|&root| sizes[root as usize] += 1);
    // A group's root is its first member (unions keep the smaller root).
    let mut groups: FastMap<u32, Group> = FastMap::default();
    let mut order: Vec<u32> = Vec::new();
    for (id, &root) in roots.iter().enumerate() {
        if sizes[root as usize] < 2 {
            continue;
        }
        let member = &distinct[id];
        let group = groups.entry(root).or_insert_with(|| {
            order.push(root);
            Group { requests: 0, samples: 0, first: Vec::new(), sample_indices: Vec::new() }
        });
        group.requests += 1;
        group.samples += member.samples;
        if group.first.len() < 3 {
            group.first.push(member.first);
            group.sample_indices.push(member.first.sample_index);
        }
    }
    // Largest first; ties in file order (`order` is).
    let mut out: Vec<Group> = order.iter().filter_map(|root| groups.remove(root)).collect();
    out.sort_by_key(|g| std::cmp::Reverse(g.samples));
    out
}

fn find(parents: &mut [u32], mut id: u32) -> u32 {
    while parents[id as usize] != id {
        let grandparent = parents[parents[id as usize] as usize];
        parents[id as usize] = grandparent;
        id = grandparent;
    }
    id
}

/// Joins two sets under the smaller root, so a group's root is its first request.
fn union(parents: &mut [u32], a: u32, b: u32) {
    let (ra, rb) = (find(parents, a), find(parents, b));
    let (low, high) = (ra.min(rb), ra.max(rb));
    parents[high as usize] = low;
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn shingles(normal: &str) -> HashSet<Vec<char>> {
        let chars: Vec<char> = normal.chars().collect();
        chars.windows(SHINGLE.min(chars.len())).map(<[char]>::to_vec).collect()
    }

    fn jaccard(a: &str, b: &str) -> f64 {
        let (a, b) = (shingles(&normalise(a)), shingles(&normalise(b)));
        a.intersection(&b).count() as f64 / a.union(&b).count() as f64
    }

    #[test]
    fn normalising() {
        assert_eq!(normalise("  Read NOTES.txt, please!!  "), "read notes txt please");
        assert_eq!(normalise("Ünïcode—Straße"), "ünïcode straße");
        assert_eq!(normalise("?!"), "");
    }

    #[test]
    fn estimate_tracks_jaccard() {
        let base = "Could you read the quarterly sales report in reports/q3.csv and tell me which region grew the most compared with last quarter?";
        let close = "Could you read the quarterly sales report in reports/q4.csv and tell me which region grew the most compared with last quarter?";
        let far = "Please delete every temporary file under the build directory and then list what is left so I can check nothing important went.";
        assert!(jaccard(base, close) > 0.9, "{}", jaccard(base, close));
        assert!(jaccard(base, far) < 0.1);
        let sig = |t: &str| signature(&normalise(t));
        assert!(similar(&sig(base), &sig(close)));
        assert!(!similar(&sig(base), &sig(far)));
        assert_eq!(
            sig(base),
            sig(
                "could you READ the quarterly sales report in reports q3 csv and tell me which region grew the most compared with last quarter"
            )
        );
    }

    #[test]
    fn groups_exact_and_near() {
        let mut index = RequestIndex::default();
        let requests = [
            "List the files and read config.yaml to find the database port used by the staging environment please.",
            "list the files and read CONFIG.yaml to find the database port used by the staging environment, please",
            "List the files and read config.yaml to find the database ports used by the staging environment please.",
            "Write a haiku about the sea into poem.txt.",
            "",
        ];
        for (i, request) in requests.iter().enumerate() {
            index.add(
                print(request),
                FirstSeen { line: i as u64 + 1, offset: i as u64 * 10, sample_index: i as u64 },
            );
        }
        // Jaccard 0.909 (by hand: 90 shared 5-grams of 99).
        assert!((jaccard(requests[0], requests[2]) - 90.0 / 99.0).abs() < 1e-9);
        let found = index.finish();
        assert_eq!(found.distinct, 4);
        assert_eq!(found.exact.len(), 1);
        assert_eq!((found.exact[0].samples, &found.exact[0].sample_indices[..]), (2, &[0, 1][..]));
        assert_eq!(found.near.len(), 1);
        let near = &found.near[0];
        assert_eq!((near.requests, near.samples, &near.sample_indices[..]), (2, 3, &[0, 2][..]));
    }
}
