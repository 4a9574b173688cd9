//! Anti-entropy digests (摘要校验): day buckets and heads hashes, and their reads.

use super::*;

/// The anti-entropy bucket of a case: the day (UTC) it was reported.
pub fn day_bucket(reported: Millis) -> u32 {
    (reported.max(0) / 86_400_000) as u32
}

/// A 64-bit hash of a case id and its (sorted) heads, for anti-entropy digests.
pub fn heads_hash(case: &str, heads: &[automerge::ChangeHash]) -> u64 {
    let mut hs: Vec<&[u8; 32]> = heads.iter().map(|h| &h.0).collect();
    hs.sort();
    let mut h: u64 = 0xcbf29ce484222325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    };
    case.bytes().for_each(&mut eat);
    for x in hs {
        x.iter().copied().for_each(&mut eat);
    }
    // Final avalanche (splitmix64) so XOR-combined digests do not cancel on similar inputs.
    let mut z = h.wrapping_add(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

impl Reader {
    /// The anti-entropy digest of `unit`'s feed scope: per day bucket, the XOR of the cases'
    /// heads hashes and their count.
    pub fn digest(&self, unit: &UnitId) -> Result<Vec<(u32, u64, u32)>, StoreError> {
        let dg = self.rt.open_table(DIGESTS)?;
        let mut out = Vec::new();
        for item in dg.range((unit.as_str(), 0)..=(unit.as_str(), u32::MAX))? {
            let (k, v) = item?;
            let (x, n) = v.value();
            out.push((k.value().1, x, n));
        }
        Ok(out)
    }

    /// The cases of one digest bucket of `unit`'s feed scope, with their heads hashes.
    pub fn bucket_cases(
        &self,
        unit: &UnitId,
        bucket: u32,
    ) -> Result<Vec<(CaseId, u64)>, StoreError> {
        let uc = self.rt.open_table(UNIT_CASES)?;
        let mut out = Vec::new();
        for item in uc.range((unit.as_str(), bucket, "")..(unit.as_str(), bucket + 1, ""))? {
            let (k, v) = item?;
            out.push((CaseId(k.value().2.to_string()), v.value()));
        }
        Ok(out)
    }
}
