//! The raw-text prefilter: does a record's text contain at least one term of every group,
//! ASCII case-insensitively? (Search values match case-insensitively, so the check must too.)
//!
//! Each group is searched with a SIMD "packed" multi-literal searcher (aho-corasick's Teddy)
//! over every upper/lower-case spelling of the terms' first few bytes; a hit is confirmed by
//! comparing the whole term ignoring ASCII case. This is several times faster than a
//! case-insensitive automaton on text where the terms' first letters are common.
//!
//! # Soundness
//! The prefilter may rule out only records the full parse could not match. Terms are ASCII
//! (crates/plan pushdown keeps `[A-Za-z0-9_-.:@ ]` runs), and search compares values after
//! Unicode lower-casing, so a record can hold a term without its ASCII bytes in two ways:
//! - a JSON `\uXXXX` escape (RFC 8259 section 7: any character may be escaped) that decodes to
//!   a character of some term, or to one of the two below; the other escapes (`\/`, `\"`,
//!   `\\`, `\b\f\n\r\t`) decode to characters no term holds;
//! - a non-ASCII character whose lower case holds an ASCII letter: only U+212A KELVIN SIGN
//!   (`k`) and U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE (`i` + U+0307) (pinned by a test
//!   over every `char`).
//!
//! A record with such a spelling of a character of some term is always a candidate (it goes to
//! the full parse), whatever else it holds: [`Prefilter::is_match`] and
//! [`Prefilter::next_candidate`] both say so. Such spellings are rare in real logs, so the cost
//! is one `memchr3` pass over records the terms rule out.

use aho_corasick::packed::{Config, MatchKind, Searcher};
use aho_corasick::AhoCorasick;

const PREFIX: usize = 3;

/// One any-of group of terms.
struct Group {
    terms: Vec<Vec<u8>>,
    /// For each packed pattern, the term it is a spelling of a window of.
    owner: Vec<usize>,
    /// For each term, where its searched window starts.
    offsets: Vec<usize>,
    packed: Option<Searcher>,
    fallback: Option<AhoCorasick>,
}

impl Group {
    fn new(terms: &[String]) -> Group {
        let terms: Vec<Vec<u8>> = terms.iter().map(|t| t.as_bytes().to_vec()).filter(|t| !t.is_empty()).collect();
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut owner = Vec::new();
        let mut offsets = Vec::new();
        for (i, t) in terms.iter().enumerate() {
            let off = rarest_window(t, PREFIX);
            offsets.push(off);
            for v in case_variants(&t[off..(off + PREFIX).min(t.len())]) {
                if !patterns.contains(&v) {
                    patterns.push(v);
                    owner.push(i);
                }
            }
        }
        let packed = if patterns.len() <= 64 {
            let mut b = Config::new().match_kind(MatchKind::LeftmostFirst).builder();
            for p in &patterns {
                b.add(p);
            }
            b.build()
        } else {
            None
        };
        let fallback = if packed.is_none() { AhoCorasick::builder().ascii_case_insensitive(true).build(&terms).ok() } else { None };
        Group { terms, owner, offsets, packed, fallback }
    }

    fn is_match(&self, hay: &[u8]) -> bool {
        self.terms.is_empty() || self.find_from(hay, 0).is_some()
    }

    /// The position of the first confirmed match at or after `at`.
    fn find_from(&self, hay: &[u8], mut at: usize) -> Option<usize> {
        if self.terms.is_empty() {
            return Some(at);
        }
        if let Some(p) = &self.packed {
            while at < hay.len() {
                let m = p.find(&hay[at..])?;
                let hit = at + m.start();
                if let Some(&i) = self.owner.get(m.pattern().as_usize()) {
                    // the window sits `offsets[i]` bytes into term i; other terms may share it
                    for (j, t) in self.terms.iter().enumerate() {
                        if j != i && !self.window_matches(j, &hay[hit..]) {
                            continue;
                        }
                        let off = self.offsets[j];
                        if hit >= off && hay.len() >= hit - off + t.len() && hay[hit - off..hit - off + t.len()].eq_ignore_ascii_case(t) {
                            return Some(hit - off);
                        }
                    }
                }
                at = hit + 1;
            }
            return None;
        }
        match &self.fallback {
            Some(ac) => ac.find(&hay[at.min(hay.len())..]).map(|m| at + m.start()),
            None => Some(at),
        }
    }
}

impl Group {
    fn window_matches(&self, j: usize, at: &[u8]) -> bool {
        let t = &self.terms[j];
        let off = self.offsets[j];
        let w = &t[off..(off + PREFIX).min(t.len())];
        at.len() >= w.len() && at[..w.len()].eq_ignore_ascii_case(w)
    }
}

/// The start of the `n`-byte window of `term` made of the letters least common in log text,
/// so the SIMD search stops at few false candidates (`AccessDenied` is searched by `Den`-ish
/// letters rather than `Acc`, which starts `accountId` and `accessKeyId` in every record).
fn rarest_window(term: &[u8], n: usize) -> usize {
    if term.len() <= n {
        return 0;
    }
    // rough frequency rank of lower-case ASCII letters in English/JSON logs (higher = more common)
    let rank = |c: u8| -> u32 {
        match c.to_ascii_lowercase() {
            b'e' => 26, b't' => 25, b'a' => 24, b'o' => 23, b'i' => 22, b'n' => 21, b's' => 20, b'r' => 19, b'c' => 18,
            b'l' => 17, b'd' => 16, b'u' => 15, b'm' => 14, b'p' => 13, b'h' => 12, b'g' => 11, b'f' => 10, b'y' => 9,
            b'b' => 8, b'w' => 7, b'v' => 6, b'k' => 5, b'x' => 4, b'q' => 3, b'j' => 2, b'z' => 1,
            b'0'..=b'9' => 15,
            _ => 20,
        }
    };
    (0..=term.len() - n).min_by_key(|&i| term[i..i + n].iter().map(|&c| rank(c)).sum::<u32>()).unwrap_or(0)
}

/// Every upper/lower-case spelling of an ASCII byte string.
fn case_variants(s: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![Vec::new()];
    for &c in s {
        let (lo, up) = (c.to_ascii_lowercase(), c.to_ascii_uppercase());
        let mut next = Vec::new();
        for o in &out {
            let mut a = o.clone();
            a.push(lo);
            next.push(a);
            if up != lo {
                let mut b = o.clone();
                b.push(up);
                next.push(b);
            }
        }
        out = next;
    }
    out
}

/// All groups must match (a conjunction of any-of groups).
pub struct Prefilter {
    groups: Vec<Group>,
    /// The lower-case ASCII bytes some term holds: a hidden spelling of one of them makes a
    /// record a candidate.
    letters: [bool; 128],
}

/// Non-ASCII characters whose Unicode lower case holds an ASCII character, and that character.
const FOLDS_TO_ASCII: [(u32, u8); 2] = [(0x212A, b'k'), (0x130, b'i')];

impl Prefilter {
    pub fn new(groups: &[Vec<String>]) -> Option<Prefilter> {
        let groups: Vec<Group> = groups.iter().filter(|g| !g.is_empty()).map(|g| Group::new(g)).collect();
        let mut letters = [false; 128];
        for g in &groups {
            for t in &g.terms {
                for &c in t {
                    if c < 128 {
                        letters[c.to_ascii_lowercase() as usize] = true;
                    }
                }
            }
        }
        (!groups.is_empty()).then_some(Prefilter { groups, letters })
    }

    pub fn is_match(&self, text: &[u8]) -> bool {
        self.groups.iter().all(|g| g.is_match(text)) || self.next_hidden(text, 0).is_some()
    }

    /// Where the next candidate record may hold a match in `hay`, at or after `at`: the first
    /// group's next hit, or a spelling that may hide a term character (to find candidate lines
    /// in a block of many lines without looking at each line). Callers confirm the line with
    /// [`Prefilter::is_match`].
    pub fn next_candidate(&self, hay: &[u8], at: usize) -> Option<usize> {
        let hit = self.groups.first().and_then(|g| g.find_from(hay, at));
        let end = hit.unwrap_or(hay.len());
        match self.next_hidden(&hay[..end], at) {
            Some(h) => Some(h),
            None => hit,
        }
    }

    /// The position of the first spelling in `hay[at..]` that may hide a character of a term:
    /// a `\uXXXX` escape decoding to one, or a non-ASCII character folding to one.
    pub fn next_hidden(&self, hay: &[u8], at: usize) -> Option<usize> {
        let from = at.min(hay.len());
        for i in memchr::memchr3_iter(b'\\', 0xE2, 0xC4, &hay[from..]) {
            let i = from + i;
            let cp = match hay[i] {
                b'\\' => match hay.get(i + 1..i + 6) {
                    Some([b'u', h @ ..]) => std::str::from_utf8(h).ok().and_then(|h| u32::from_str_radix(h, 16).ok()),
                    _ => None,
                },
                0xE2 if hay.get(i + 1..i + 3) == Some(&[0x84, 0xAA]) => Some(0x212A),
                0xC4 if hay.get(i + 1) == Some(&0xB0) => Some(0x130),
                _ => None,
            };
            let Some(cp) = cp else { continue };
            let ascii = if cp < 128 { Some(cp as u8) } else { FOLDS_TO_ASCII.iter().find(|(c, _)| *c == cp).map(|(_, a)| *a) };
            if ascii.is_some_and(|a| self.letters[a.to_ascii_lowercase() as usize]) {
                return Some(i);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pf(groups: &[&[&str]]) -> Prefilter {
        Prefilter::new(&groups.iter().map(|g| g.iter().map(|s| s.to_string()).collect()).collect::<Vec<_>>()).expect("prefilter")
    }

    #[test]
    fn case_insensitive_all_of_any_of() {
        let p = pf(&[&["AccessDenied"]]);
        assert!(p.is_match(b"x \"errorCode\":\"accessdenied\" y"));
        assert!(p.is_match(b"ACCESSDENIED"));
        assert!(!p.is_match(b"Access Denied"));
        assert!(!p.is_match(b"AccessDenie"));
        let p = pf(&[&["AccessDenied", "OperationNotPermittedException", "Unauthorized"], &["IAMUser"]]);
        assert!(p.is_match(b"{\"error\":\"Client.UnauthorizedOperation\",\"type\":\"IAMUser\"}"));
        assert!(!p.is_match(b"{\"error\":\"Client.UnauthorizedOperation\",\"type\":\"AssumedRole\"}"));
        assert!(!p.is_match(b"{\"type\":\"IAMUser\"}"));
        // a near miss before the real hit
        assert!(pf(&[&["abcd"]]).is_match(b"abcx abcd"));
    }

    /// The only non-ASCII characters whose lower case holds an ASCII character are the ones
    /// the prefilter knows ([`FOLDS_TO_ASCII`]); a new Unicode version adding one fails here.
    #[test]
    fn every_char_folding_to_ascii_is_known() {
        let mut found = Vec::new();
        for c in (0x80u32..=0x10FFFF).filter_map(char::from_u32) {
            let ascii: Vec<u8> = c.to_lowercase().filter(|l| l.is_ascii()).map(|l| l as u8).collect();
            for a in ascii {
                found.push((c as u32, a));
            }
        }
        assert_eq!(found.len(), FOLDS_TO_ASCII.len(), "{found:x?}");
        for f in FOLDS_TO_ASCII {
            assert!(found.contains(&f), "{f:x?}");
        }
    }

    #[test]
    fn hidden_spellings_are_candidates() {
        let p = pf(&[&["DeleteBucket"]]);
        assert!(p.is_match(br#"{"e":"D\u0065leteBucket"}"#));
        assert!(p.is_match(br#"{"e":"D\u0045LETEBUCKET"}"#));
        // an escape of a character no term holds does not make a candidate
        assert!(!p.is_match(br#"{"e":"\u00e9\/\"x"}"#));
        assert!(!p.is_match(br#"{"e":"\u0078"}"#));
        let k = pf(&[&["kit"]]);
        assert!(k.is_match("\u{212A}IT".as_bytes()));
        assert!(k.is_match(br#""\u212Ait""#));
        assert!(pf(&[&["ali"]]).is_match("AL\u{130}".as_bytes()));
        assert_eq!(p.next_candidate(b"{\"e\":\"x\"}\n{\"e\":\"D\\u0065leteBucket\"}\n", 0), Some(17));
    }

    #[test]
    fn short_terms_and_variants() {
        assert_eq!(case_variants(b"a1").len(), 2);
        assert!(pf(&[&["ab"]]).is_match(b"xAB"));
        assert!(!pf(&[&["ab"]]).is_match(b"xA"));
    }
}
