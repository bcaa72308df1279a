//! Matching events against a `search` expression, with Splunk's rules:
//! - values match case-insensitively, `*` is a wildcard; field names are case-sensitive
//!   (https://docs.splunk.com/Documentation/Splunk/latest/Search/Usethesearchcommand: "field names are case sensitive, field values are not");
//! - `f!=v` matches only events that have `f` with a value other than `v`, while `NOT f=v` also
//!   matches events without `f` (https://docs.splunk.com/Documentation/Splunk/latest/Search/NOTexpressions);
//! - `<`, `>`, `<=`, `>=` compare numerically when both sides are numbers, else lexicographically;
//! - a multivalue field matches when any of its values does;
//! - a bare term matches anywhere in `_raw`;
//! - `field=<CIDR>` (`src=10.0.0.0/8`, `src IN (10.0.0.0/8, ...)`, IPv4 or IPv6) matches the
//!   IP addresses in that range ("The search command supports IPv4 and IPv6 addresses and
//!   subnets that use CIDR notation",
//!   https://docs.splunk.com/Documentation/SplunkCloud/9.3.2408/SearchReference/search), with
//!   the same code as `cidrmatch()`;
//! - `CASE(x)` matches `x` case-sensitively, as a term or as a field value (`host=CASE(LOCALHOST)`);
//!   `TERM(x)` matches `x` in `_raw` only where major breakers (or the ends of the text) bound
//!   it, so `TERM(10.0.0.1)` finds `src 10.0.0.1 ok` but not `src=10.0.0.1` (write
//!   `TERM(src=10.0.0.1)`); as a field value `TERM(x)` is just `x`
//!   (https://help.splunk.com/splunk-enterprise/search/search-manual/9.0/search-primer/use-case-and-term-to-match-phrases).

use crate::eval::Row;
use crate::functions::{in_cidr, parse_cidr, Cidr};
use crate::value::{compare, Value};
use spelunk_syntax::ast::{self, CmpOp, Directive, SearchExpr};
use std::borrow::Cow;
use std::cmp::Ordering;

/// A search value compiled for matching.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The text, lower-cased unless the match is case-sensitive.
    text: String,
    has_wildcard: bool,
    /// `CASE(...)`: compare as written.
    case_sensitive: bool,
    /// `TERM(...)`: in `_raw`, the term must be bounded by major breakers.
    whole_term: bool,
    /// `field=<CIDR>`: the field's values must be IP addresses in this range.
    cidr: Option<Cidr>,
}

impl Pattern {
    /// A plain value: case-insensitive, `*` wildcards.
    pub fn new(text: &str) -> Self {
        Pattern { text: text.to_lowercase(), has_wildcard: text.contains('*'), case_sensitive: false, whole_term: false, cidr: None }
    }

    /// A term or value as written in the search, honouring `TERM(...)` and `CASE(...)`.
    pub fn from_value(v: &ast::Value) -> Self {
        match v.directive {
            None => Pattern::new(&v.text),
            Some(Directive::Case) => Pattern { text: v.text.clone(), case_sensitive: true, ..Pattern::new(&v.text) },
            Some(Directive::Term) => Pattern { whole_term: true, ..Pattern::new(&v.text) },
        }
    }

    /// The value of `field=value` or `field IN (...)`: also a CIDR block (`10.0.0.0/8`).
    pub fn for_field(v: &ast::Value) -> Self {
        let mut p = Pattern::from_value(v);
        if !p.has_wildcard && v.text.contains('/') {
            p.cidr = parse_cidr(v.text.trim());
        }
        p
    }

    /// Does a field value match?
    pub fn matches(&self, text: &str) -> bool {
        if let Some(c) = &self.cidr {
            return in_cidr(c, text);
        }
        if !self.has_wildcard {
            return if self.case_sensitive {
                text == self.text
            } else if text.is_ascii() {
                text.eq_ignore_ascii_case(&self.text)
            } else {
                text.to_lowercase() == self.text
            };
        }
        self.wildcard(&self.text, text)
    }

    /// `pattern` (already case-folded as `self` needs) against `text`, `*` matching any run.
    fn wildcard(&self, pattern: &str, text: &str) -> bool {
        if self.case_sensitive {
            spelunk_plan::pushdown::glob_str(pattern, text, '*')
        } else {
            spelunk_plan::pushdown::wildcard_match_ci(pattern, text)
        }
    }

    /// Match a bare term or phrase against `_raw`. Splunk matches whole segments: the term must
    /// start and end at a breaker (anything but a letter or digit) or the edge of the text, so
    /// `fail` does not match `failed` (write `fail*`). A leading or trailing `*` lifts that end's
    /// boundary. (Search Manual, "Event segmentation and searching".) For `TERM(...)` only
    /// major breakers count as boundaries; for `CASE(...)` the case must match too.
    pub fn contained_in(&self, raw: &str) -> bool {
        let hay: Cow<str> = if self.case_sensitive { Cow::Borrowed(raw) } else { Cow::Owned(raw.to_lowercase()) };
        let hay = hay.as_ref();
        let breaker: fn(char) -> bool = if self.whole_term { is_major_breaker } else { is_breaker };
        let before = |i: usize| hay[..i].chars().next_back().is_none_or(breaker);
        let after = |i: usize| hay[i..].chars().next().is_none_or(breaker);
        let t = self.text.as_str();
        let open_start = t.starts_with('*');
        let open_end = t.ends_with('*');
        let core = t.trim_matches('*');
        if core.is_empty() {
            return true;
        }
        if core.contains('*') {
            // inner wildcards: the match starts at the first place the first segment starts on
            // a boundary, takes the middle segments at their leftmost places after it, and must
            // leave room for the last segment before some place it ends on a boundary: linear
            // in the text (it was every start x end offset, quadratic)
            let segs: Vec<&str> = core.split('*').filter(|s| !s.is_empty()).collect();
            let (first, last, middle) = (segs[0], segs[segs.len() - 1], &segs[1..segs.len() - 1]);
            let mut from = 0;
            let start = loop {
                let Some(pos) = hay[from..].find(first) else { return false };
                let s = from + pos;
                if open_start || before(s) {
                    break s;
                }
                from = s + hay[s..].chars().next().map_or(1, |c| c.len_utf8());
            };
            let Some(after_middle) = spelunk_plan::pushdown::find_in_order(hay, start + first.len(), hay.len(), middle) else { return false };
            let mut to = hay.len();
            loop {
                let Some(pos) = hay[..to].rfind(last) else { return false };
                if pos < after_middle {
                    return false;
                }
                if open_end || after(pos + last.len()) {
                    return true;
                }
                to = pos + last.len() - 1;
                while !hay.is_char_boundary(to) {
                    to -= 1;
                }
            }
        }
        let mut from = 0;
        while let Some(pos) = hay[from..].find(core) {
            let s = from + pos;
            let e = s + core.len();
            if (open_start || before(s)) && (open_end || after(e)) {
                return true;
            }
            from = s + hay[s..].chars().next().map_or(1, |c| c.len_utf8());
        }
        false
    }
}

/// Ends a segment for plain terms: anything but a letter or digit.
fn is_breaker(c: char) -> bool {
    !c.is_alphanumeric()
}

/// Splunk's default major breakers (segmenters.conf `MAJOR`, without its URL-encoded forms):
/// whitespace and `[ ] < > ( ) { } | ! ; , ' " * & ? +`. Minor breakers such as `. / : = @ - _ $ # %`
/// do not end a `TERM(...)`.
fn is_major_breaker(c: char) -> bool {
    c.is_whitespace() || matches!(c, '[' | ']' | '<' | '>' | '(' | ')' | '{' | '}' | '|' | '!' | ';' | ',' | '\'' | '"' | '*' | '&' | '?' | '+')
}

/// Match one row (compiles the expression each call; operators use [`Compiled`]).
pub fn matches(e: &SearchExpr, row: &dyn Row) -> bool {
    Compiled::new(e).matches(row)
}

/// A search expression with its values compiled once per query (lower-cased patterns,
/// comparison values), so matching a row allocates nothing for the expression itself.
#[derive(Debug, Clone)]
pub enum Compiled {
    And(Vec<Compiled>),
    Or(Vec<Compiled>),
    Not(Box<Compiled>),
    Any,
    Term(Pattern),
    In { field: String, patterns: Vec<Pattern> },
    Eq { field: String, pattern: Pattern, negated: bool },
    Order { field: String, op: CmpOp, rhs: Value },
    /// `f=v1 OR f=v2 OR f IN (v3, ...)` with literal values (no wildcard, CIDR block or
    /// CASE()): one lookup of each of f's values, lower-cased, in a set.
    Set { field: String, values: std::collections::HashSet<String> },
}

/// Literal values of one field in an OR list this long or longer become a [`Compiled::Set`].
const SET_MIN: usize = 4;

impl Pattern {
    /// A value compared as plain text, case-insensitively (so a set lookup of the lower-cased
    /// text is the same test).
    fn literal(&self) -> Option<&str> {
        (self.cidr.is_none() && !self.has_wildcard && !self.case_sensitive).then_some(self.text.as_str())
    }
}

/// The items of an OR, nested ORs and groups flattened.
fn or_items<'e>(e: &'e SearchExpr, out: &mut Vec<&'e SearchExpr>) {
    match e {
        SearchExpr::Or(items, _) => items.iter().for_each(|x| or_items(x, out)),
        SearchExpr::Group(x, _) if matches!(**x, SearchExpr::Or(..)) => or_items(x, out),
        other => out.push(other),
    }
}

/// An OR list compiled with the literal `f=value` items of each field gathered into a set.
fn compile_or(e: &SearchExpr) -> Compiled {
    let mut items = Vec::new();
    or_items(e, &mut items);
    let mut rest: Vec<Compiled> = Vec::new();
    let mut sets: indexmap::IndexMap<String, (std::collections::HashSet<String>, Vec<Compiled>)> = indexmap::IndexMap::new();
    for item in items {
        match Compiled::new(item) {
            Compiled::Eq { field, pattern, negated: false } if pattern.literal().is_some() => {
                let entry = sets.entry(field.clone()).or_default();
                entry.0.insert(pattern.text.clone());
                entry.1.push(Compiled::Eq { field, pattern, negated: false });
            }
            Compiled::In { field, patterns } => {
                let (lit, other): (Vec<Pattern>, Vec<Pattern>) = patterns.into_iter().partition(|p| p.literal().is_some());
                let entry = sets.entry(field.clone()).or_default();
                for p in lit {
                    entry.0.insert(p.text.clone());
                    entry.1.push(Compiled::Eq { field: field.clone(), pattern: p, negated: false });
                }
                if !other.is_empty() {
                    rest.push(Compiled::In { field, patterns: other });
                }
            }
            c => rest.push(c),
        }
    }
    let mut out = Vec::new();
    for (field, (values, items)) in sets {
        if values.len() >= SET_MIN {
            out.push(Compiled::Set { field, values });
        } else {
            out.extend(items);
        }
    }
    out.extend(rest);
    Compiled::Or(out)
}

impl Compiled {
    pub fn new(e: &SearchExpr) -> Compiled {
        match e {
            SearchExpr::And(items, _) => Compiled::And(items.iter().map(Compiled::new).collect()),
            SearchExpr::Or(..) => compile_or(e),
            SearchExpr::Not(x, _) => Compiled::Not(Box::new(Compiled::new(x))),
            SearchExpr::Group(x, _) => Compiled::new(x),
            SearchExpr::Term(v) if v.text == "*" && v.directive.is_none() => Compiled::Any,
            SearchExpr::Term(v) => Compiled::Term(Pattern::from_value(v)),
            SearchExpr::In { field, values, .. } => Compiled::In { field: field.name.clone(), patterns: values.iter().map(Pattern::for_field).collect() },
            SearchExpr::Compare { field, op: op @ (CmpOp::Eq | CmpOp::Ne), value, .. } => {
                Compiled::Eq { field: field.name.clone(), pattern: Pattern::for_field(value), negated: *op == CmpOp::Ne }
            }
            SearchExpr::Compare { field, op, value, .. } => Compiled::Order { field: field.name.clone(), op: *op, rhs: Value::Str(value.text.clone()) },
        }
    }

    pub fn matches(&self, row: &dyn Row) -> bool {
        match self {
            Compiled::And(items) => items.iter().all(|x| x.matches(row)),
            Compiled::Or(items) => items.iter().any(|x| x.matches(row)),
            Compiled::Not(x) => !x.matches(row),
            Compiled::Any => true,
            Compiled::Term(p) => match row.get("_raw").to_text() {
                Some(raw) => p.contained_in(&raw),
                None => false,
            },
            Compiled::In { field, patterns } => {
                let f = row.get(field);
                patterns.iter().any(|p| f.values().iter().any(|x| p.matches(&x.to_text().unwrap_or_default())))
            }
            Compiled::Eq { field, pattern, negated } => {
                // `f!=v` needs f to exist: a missing field matches neither `=` nor `!=`
                let f = row.get(field);
                if f.is_null() {
                    return false;
                }
                let any = f.values().iter().any(|x| pattern.matches(&x.to_text().unwrap_or_default()));
                any != *negated
            }
            Compiled::Set { field, values } => {
                let f = row.get(field);
                f.values().iter().any(|x| x.to_text().is_some_and(|t| set_contains(values, &t)))
            }
            Compiled::Order { field, op, rhs } => {
                let f = row.get(field);
                f.values().iter().any(|x| order_holds(*op, x, rhs))
            }
        }
    }
}

/// Is a value in a [`Compiled::Set`] (lower-cased literal values)?
pub fn set_contains(values: &std::collections::HashSet<String>, t: &str) -> bool {
    if t.is_ascii() && !t.bytes().any(|b| b.is_ascii_uppercase()) {
        values.contains(t)
    } else {
        values.contains(&t.to_lowercase())
    }
}

/// Does `x <op> rhs` hold for a search comparison (`<`, `<=`, `>`, `>=`)?
pub fn order_holds(op: CmpOp, x: &Value, rhs: &Value) -> bool {
    let o = compare(x, rhs);
    match op {
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;
    use spelunk_syntax::ast::{Directive, Span, Value};

    fn value(text: &str, directive: Option<Directive>) -> Value {
        Value { text: text.into(), quoted: false, span: Span::default(), directive }
    }

    #[test]
    fn term_directive_needs_major_breakers() {
        let term = |t: &str| Pattern::from_value(&value(t, Some(Directive::Term)));
        assert!(term("10.0.0.1").contained_in("src 10.0.0.1 ok"));
        assert!(term("10.0.0.1").contained_in(r#"{"src":"10.0.0.1"}"#));
        assert!(term("10.0.0.1").contained_in("10.0.0.1"));
        assert!(!term("10.0.0.1").contained_in("src=10.0.0.1"));
        assert!(!term("10.0.0.1").contained_in("10.0.0.10"));
        assert!(term("src=10.0.0.1").contained_in("a src=10.0.0.1, b"));
        assert!(term("SRC=10.0.0.*").contained_in("a src=10.0.0.99"));
        assert!(!term("0.0.1").contained_in("src 10.0.0.1"));
        // a plain term only needs a non-alphanumeric boundary
        assert!(Pattern::new("10.0.0.1").contained_in("src=10.0.0.1"));
    }

    #[test]
    fn case_directive_is_case_sensitive() {
        let case = |t: &str| Pattern::from_value(&value(t, Some(Directive::Case)));
        assert!(case("error").contained_in("an error here"));
        assert!(!case("error").contained_in("an Error here"));
        assert!(!case("error").contained_in("errors"));
        assert!(case("%ASA-1*").contained_in("x %ASA-1-134568 y"));
        assert!(!case("%asa-1*").contained_in("x %ASA-1-134568 y"));
        assert!(case("LOCALHOST").matches("LOCALHOST"));
        assert!(!case("LOCALHOST").matches("localhost"));
        assert!(case("LOCAL*").matches("LOCALHOST"));
        assert!(!case("local*").matches("LOCALHOST"));
    }

    #[test]
    fn cidr_values() {
        let p = Pattern::for_field(&value("10.0.0.0/8", None));
        assert!(p.matches("10.1.2.3"));
        assert!(!p.matches("11.0.0.1"));
        assert!(!p.matches("10.0.0.0/8"), "the text of the block itself is not an address in it");
        let p = Pattern::for_field(&value("2001:db8::/32", None));
        assert!(p.matches("2001:db8::1"));
        assert!(!p.matches("10.1.2.3"));
        // not a CIDR block: compared as text
        assert!(Pattern::for_field(&value("a/b", None)).matches("A/B"));
        assert!(Pattern::for_field(&value("10.*/8", None)).matches("10.1/8"));
    }

    #[test]
    fn terms_match_whole_segments() {
        let raw = r#"{"msg":"Login FAILED for bob_admin at 10.0.0.1"}"#;
        assert!(Pattern::new("failed").contained_in(raw));
        assert!(!Pattern::new("fail").contained_in(raw));
        assert!(Pattern::new("fail*").contained_in(raw));
        assert!(Pattern::new("*ailed").contained_in(raw));
        assert!(Pattern::new("bob").contained_in(raw));
        assert!(Pattern::new("10.0.0.1").contained_in(raw));
        assert!(Pattern::new("10.0.0").contained_in(raw));
        assert!(Pattern::new("login failed").contained_in(raw));
        assert!(Pattern::new("l*n").contained_in(raw));
        assert!(!Pattern::new("ogi").contained_in(raw));
    }

    #[test]
    fn inner_wildcards_in_terms_keep_their_meaning() {
        let raw = r#"{"eventName":"DeleteBucketPolicy","arn":"arn:aws:sts::1:assumed-role/orders-app/x"}"#;
        assert!(Pattern::new("*Delete*Bucket*").contained_in(raw));
        assert!(Pattern::new("Delete*Policy").contained_in(raw));
        assert!(!Pattern::new("Delete*Bucket").contained_in(raw), "the end must fall on a breaker");
        assert!(!Pattern::new("elete*Policy").contained_in(raw), "the start must fall on a breaker");
        assert!(Pattern::new("*assumed-role*orders*").contained_in(raw));
        assert!(!Pattern::new("*orders*assumed-role*").contained_in(raw), "segments in order");
        assert!(Pattern::new("a*b*a").contained_in("x aba y"));
        assert!(!Pattern::new("ab*ba").contained_in("x aba y"), "segments do not overlap");
        assert!(Pattern::new("ab*ba").contained_in("x abba y"));
        assert!(Pattern::new("é*ü").contained_in("x ÉtÜ y"));
    }

    /// Inner wildcards used to be tried at every start x end offset of `_raw` (24 s for 73
    /// CloudTrail events); matching is now linear in the text.
    #[test]
    fn inner_wildcards_in_terms_are_linear() {
        let raw = "Delete-Bucket-".repeat(5_000) + "x";
        let started = std::time::Instant::now();
        assert!(!Pattern::new("*Delete*Bucket*zzz").contained_in(&raw));
        assert!(!Pattern::new("Delete*zzz").contained_in(&raw));
        assert!(Pattern::new("*Delete*x").contained_in(&raw));
        let long = "a".repeat(20_000);
        assert!(!Pattern::new("*a*b*").matches(&long));
        assert!(!Pattern::new("a*a*a*b").contained_in(&long));
        assert!(started.elapsed().as_secs_f64() < 2.0, "{:?}", started.elapsed());
    }

    struct Fields(Vec<(&'static str, crate::value::Value)>);
    impl crate::eval::Row for Fields {
        fn get(&self, field: &str) -> crate::value::Value {
            self.0.iter().find(|(n, _)| *n == field).map(|(_, v)| v.clone()).unwrap_or(crate::value::Value::Null)
        }
    }

    /// `f=v1 OR f=v2 OR ...` with 10,000 literal values (a subsearch's results, say) is a set
    /// lookup per event, not 10,000 comparisons; wildcards, CIDR blocks, CASE() and other
    /// fields keep their meaning beside it.
    #[test]
    fn long_or_lists_of_literal_values_match_as_a_set() {
        use crate::value::Value as V;
        let mut q: Vec<String> = (0..10_000).map(|i| format!("user=u{i}")).collect();
        q.push("user=ADM*".into());
        q.push("src=10.0.0.0/8".into());
        q.push("user=CASE(Root)".into());
        q.push("user IN (x1, x2, \"Ünï\")".into());
        let text = q.join(" OR ");
        let p = spelunk_syntax::parse_pipeline(&text).expect("parses");
        let spelunk_syntax::ast::CommandKind::Search(Some(e)) = &p.commands[0].kind else { panic!("a search") };
        let c = super::Compiled::new(e);
        let row = |u: &str| Fields(vec![("user", V::str(u))]);
        assert!(c.matches(&row("U9999")));
        assert!(c.matches(&row("u0")));
        assert!(!c.matches(&row("u10000")));
        assert!(c.matches(&row("admin")));
        assert!(c.matches(&row("Root")) && !c.matches(&row("root")));
        assert!(c.matches(&row("ünï")));
        assert!(c.matches(&Fields(vec![("user", V::from_values(vec![V::str("zz"), V::str("u5")]))])));
        assert!(c.matches(&Fields(vec![("src", V::str("10.1.2.3"))])));
        assert!(!c.matches(&Fields(vec![("other", V::str("u1"))])));
        let started = std::time::Instant::now();
        for i in 0..20_000 {
            assert!(!c.matches(&row(&format!("nobody{i}"))));
        }
        assert!(started.elapsed().as_secs_f64() < 2.0, "{:?}", started.elapsed());
    }
}
