//! Invoice numbers in memory, found in any letter case as the ledger compares them
//! (`domain::text::fold_case`: ASCII letters only): what a bulk load checks new
//! numbers against while the unique index is down, and finds payments' invoices by.
//!
//! A million numbers live in one string arena with a table of 32-bit hashes
//! (hashbrown's `HashTable`): a tenth of the memory of a map of strings.

use hashbrown::HashTable;

/// What [`NumberIndex::probe`] found, and the number's hash (so that adding the
/// number after a look-up hashes it once).
pub(super) struct Probe {
    hash: u32,
    pub(super) found: Option<usize>,
}

/// Invoice numbers stored end to end (one allocation for a million), found
/// case-insensitively as the unique index compares them: ASCII letters only.
#[derive(Default, Clone)]
pub(super) struct NumberIndex {
    text: String,
    ends: Vec<u32>,
    /// (position in `ends`, hash of the upper-cased number), hashed by the latter:
    /// the hash beside the position spares growing and probing the table a read of
    /// the numbers themselves (or of another array).
    table: HashTable<(u32, u32)>,
}

impl NumberIndex {
    pub(super) fn with_capacity(n: usize) -> NumberIndex {
        NumberIndex {
            text: String::with_capacity(n * 12),
            ends: Vec::with_capacity(n),
            table: HashTable::with_capacity(n),
        }
    }

    /// Add `number`, or say where it already is.
    #[cfg(test)]
    fn insert(&mut self, number: &str) -> Result<usize, usize> {
        let probe = self.probe(number);
        match probe.found {
            Some(i) => Err(i),
            None => Ok(self.add_absent(number, probe)),
        }
    }

    /// Where `number` was added (0 for the first), if it was.
    pub(super) fn find(&self, number: &str) -> Option<usize> {
        self.probe(number).found
    }

    /// Add a number known to be unlike every number here (in any ASCII case).
    pub(super) fn add_distinct(&mut self, number: &str) {
        debug_assert!(self.find(number).is_none(), "{number} is already in the index");
        let probe = Probe {
            hash: fold_hash(number),
            found: None,
        };
        self.add_absent(number, probe);
    }

    /// Look `number` up, keeping its hash for an [`NumberIndex::add_absent`] of it.
    pub(super) fn probe(&self, number: &str) -> Probe {
        let hash = fold_hash(number);
        Probe {
            hash,
            found: self.find_hashed(number, hash),
        }
    }

    /// Add `number`, which `probe` (of it, with nothing added since) did not find;
    /// returns its position.
    pub(super) fn add_absent(&mut self, number: &str, probe: Probe) -> usize {
        debug_assert!(
            probe.found.is_none() && probe.hash == fold_hash(number),
            "{number} was already in the index, or probed as another number"
        );
        let i = self.ends.len();
        self.text.push_str(number);
        // (At most 4 GiB of numbers: `Bulk` checks before adding, see `room_for`.)
        self.ends.push(self.text.len() as u32);
        self.table
            .insert_unique(spread(probe.hash), (i as u32, probe.hash), |&(_, h)| spread(h));
        i
    }

    fn find_hashed(&self, number: &str, hash: u32) -> Option<usize> {
        self.table
            .find(spread(hash), |&(i, h)| {
                h == hash && self.get(i as usize).eq_ignore_ascii_case(number)
            })
            .map(|&(i, _)| i as usize)
    }

    /// Whether `more` bytes of numbers still fit (positions are 32-bit: 4 GiB, some
    /// 300 million numbers).
    pub(super) fn room_for(&self, more: usize) -> bool {
        self.text.len() + more <= u32::MAX as usize
    }

    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn get(&self, i: usize) -> &str {
        number_at(&self.text, &self.ends, i)
    }

    /// Keep the numbers by position, drop what finds them (memory back).
    pub(super) fn forget_lookups(&mut self) {
        self.table = HashTable::new();
    }
}

fn number_at<'t>(text: &'t str, ends: &[u32], i: usize) -> &'t str {
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &text[start..ends[i] as usize]
}

/// FNV-1a over the ASCII-upper-cased bytes, equal for numbers the index calls equal,
/// then mixed (murmur3's finalizer) so that numbers differing in one digit differ
/// in every bit. 32 bits: equal hashes only cost a comparison of the numbers.
fn fold_hash(s: &str) -> u32 {
    let mut h = s.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b.to_ascii_uppercase())).wrapping_mul(0x0100_0000_01b3)
    });
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    (h ^ (h >> 29)) as u32
}

/// The table's 64-bit hash from a number's 32: it takes buckets from the low bits
/// and a tag from the top seven, so both must vary.
fn spread(h: u32) -> u64 {
    u64::from(h) << 32 | u64::from(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_hash_alike_in_any_ascii_case() {
        assert_eq!(fold_hash("inv-001a"), fold_hash("INV-001A"));
        assert_ne!(fold_hash("INV-001"), fold_hash("INV-002"));
    }

    #[test]
    fn numbers_are_found_in_any_ascii_case_only() {
        let mut index = NumberIndex::default();
        for (i, n) in ["A-1", "", "äb-22", "a-2"].into_iter().enumerate() {
            assert_eq!(index.insert(n), Ok(i));
        }
        assert_eq!(index.insert("a-1"), Err(0));
        assert_eq!(index.find("ÄB-22"), None, "SQLite's NOCASE folds ASCII only");
        assert_eq!(index.find("äB-22"), Some(2));
        assert_eq!((index.get(0), index.get(1), index.get(3)), ("A-1", "", "a-2"));
        for i in 0..10_000 {
            assert!(index.insert(&format!("INV-{i}")).is_ok());
        }
        assert_eq!(index.find("inv-9999").map(|i| index.get(i)), Some("INV-9999"));
    }
}
