//! Lexical building blocks, written as nom parsers over `&str`.
//!
//! SPL is not tokenised once up front: what a "word" is depends on where it appears (`a.b` is a
//! field name in eval, `*.amazonaws.com` a value in search, `-count` a sort key). So the
//! structural parsers (see the sibling modules) ask for the token shape they expect at each
//! position, and the shapes are defined here.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_until, take_while, take_while1};
use nom::character::complete::{char as ch, digit1, one_of};
use nom::combinator::{opt, recognize};
use nom::{IResult, Parser};

/// nom result type used by the lexer (the error carries nothing: callers build [`SplError`]s
/// with spans themselves).
///
/// [`SplError`]: crate::SplError
pub type LexResult<'a, O> = IResult<&'a str, O, ()>;

/// Characters that always end a bare word, whatever the context: whitespace, quotes,
/// parentheses, brackets, the pipe and backticks.
pub fn is_hard_stop(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '(' | ')' | '[' | ']' | '|' | '`')
}

/// A triple-backtick comment (```` ```...``` ````), returned with its delimiters. Splunk replaces
/// comments with a space before running the search.
/// <https://help.splunk.com/splunk-enterprise/search/search-manual/9.3/using-the-search-app/add-comments-to-searches>
pub fn comment(i: &str) -> LexResult<'_, &str> {
    recognize((tag("```"), take_until("```"), tag("```"))).parse(i)
}

/// Whitespace (spaces, tabs, newlines).
pub fn spaces(i: &str) -> LexResult<'_, &str> {
    take_while1(char::is_whitespace).parse(i)
}

/// A number as eval reads it: `5`, `1.5`, `.5`, `1e3`, `2.5E-4`.
pub fn number(i: &str) -> LexResult<'_, &str> {
    recognize((
        alt((recognize((digit1, opt((ch('.'), digit1)))), recognize((ch('.'), digit1)))),
        opt((one_of("eE"), opt(one_of("+-")), digit1)),
    ))
    .parse(i)
}

/// Can `c` start a bare eval field name / function name? (`$` for `$token$` placeholders.)
pub fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '_' | '@' | '$')
}

/// Can `c` continue a bare eval field name (dots are handled separately)?
pub fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '@' | '{' | '}' | ':' | '$')
}

/// Length of a `foreach` template token such as `<<FIELD>>` or `<<MATCHSEG1>>` at the start of
/// `s`, if there is one.
pub fn template_token_len(s: &str) -> Option<usize> {
    let inner = s.strip_prefix("<<")?;
    let n = inner.find(">>")?;
    let name = &inner[..n];
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')).then_some(n + 4)
}

/// A bare eval identifier: `user`, `api.response.error`, `resources{}.ARN`.
///
/// A `.` belongs to the name only when it sits between two name characters (`a.b`); a dot
/// followed by anything else (`a . b`, `a."x"`, `a.(b)`) is left for the concatenation
/// operator.
///
/// `foreach` template tokens (`<<FIELD>>`, `<<MATCHSTR>>`) count as name characters, so
/// `<<FIELD>>` and `avg_<<MATCHSTR>>` are field names inside a `foreach` subsearch.
pub fn eval_ident(i: &str) -> LexResult<'_, &str> {
    let mut pos = match i.chars().next() {
        Some(c) if is_ident_start(c) => c.len_utf8(),
        Some('<') => template_token_len(i).ok_or(nom::Err::Error(()))?,
        _ => return Err(nom::Err::Error(())),
    };
    loop {
        let rest = &i[pos..];
        let mut it = rest.chars();
        match it.next() {
            Some(c) if is_ident_char(c) => pos += c.len_utf8(),
            Some('.') if it.next().is_some_and(|n| is_ident_char(n) || n == '<' && template_token_len(&rest[1..]).is_some()) => pos += 1,
            Some('<') => match template_token_len(rest) {
                Some(n) => pos += n,
                None => break,
            },
            _ => break,
        }
    }
    Ok((&i[pos..], &i[..pos]))
}

/// A command name: `stats`, `inputlookup`, `tstats`.
pub fn command_name(i: &str) -> LexResult<'_, &str> {
    recognize((
        take_while1(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(i)
}

/// A simple name for functions and option keys: letters, digits, `_` (and `.`/`-` inside, for
/// option keys such as `max_match` or `datamodel`).
pub fn simple_name(i: &str) -> LexResult<'_, &str> {
    recognize((
        take_while1(|c: char| c.is_alphabetic() || c == '_'),
        take_while(|c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | '-')),
    ))
    .parse(i)
}

/// The key of a `key=value` option: `span`, `max_match`, `datamodel`, and in generic commands
/// also dotted or braced field names (`Processes.process_name`, `resources{}.ARN`).
pub fn option_key(i: &str) -> LexResult<'_, &str> {
    recognize((
        take_while1(|c: char| c.is_alphabetic() || c == '_' || c == '@'),
        take_while(|c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '{' | '}' | ':' | '@')),
    ))
    .parse(i)
}

/// A comparison operator token, longest first.
pub fn cmp_operator(i: &str) -> LexResult<'_, &str> {
    alt((tag("=="), tag("!="), tag("<="), tag(">="), tag("="), tag("<"), tag(">"))).parse(i)
}

/// Length in bytes of the bare word at the start of `s`: it runs until a character for which
/// `stop` holds. When `stop_at_ne` is set the word also ends before `!=` (a lone `!` is kept).
///
/// A backslash escapes the character after it (`\"` and `\ ` do not end the word); the word
/// keeps the backslash as written.
pub fn word_len(s: &str, stop: impl Fn(char) -> bool, stop_at_ne: bool) -> usize {
    let mut it = s.char_indices().peekable();
    while let Some((idx, c)) = it.next() {
        if c == '\\' {
            if it.next().is_none() {
                return s.len();
            }
            continue;
        }
        if stop(c) {
            return idx;
        }
        if stop_at_ne && c == '!' {
            if let Some(&(_, '=')) = it.peek() {
                return idx;
            }
        }
    }
    s.len()
}

/// Outcome of reading a quoted string.
pub enum Quoted {
    /// The text with escapes resolved and the byte length consumed, quotes included.
    Ok(String, usize),
    /// No closing quote before the end of the input.
    Unterminated,
}

/// Read a string quoted with `q` (`"` or `'`) at the start of `s` (which must start with `q`).
/// `\q` and `\\` are escapes; any other backslash is kept as written (so regular expressions
/// such as `"\d+"` need no doubling).
pub fn quoted(s: &str, q: char) -> Quoted {
    let mut out = String::new();
    let mut it = s.char_indices();
    if !matches!(it.next(), Some((_, c)) if c == q) {
        return Quoted::Unterminated;
    }
    while let Some((idx, c)) = it.next() {
        if c == '\\' {
            let mut look = it.clone();
            match look.next() {
                Some((_, n)) if n == q || n == '\\' => {
                    out.push(n);
                    it = look;
                }
                _ => out.push('\\'),
            }
        } else if c == q {
            return Quoted::Ok(out, idx + c.len_utf8());
        } else {
            out.push(c);
        }
    }
    Quoted::Unterminated
}

/// Print `text` as a string quoted with `q`, escaping so that [`quoted`] reads it back
/// unchanged. Backslashes are doubled only where they would otherwise form an escape.
pub fn quote(text: &str, q: char) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(q);
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == q {
            out.push('\\');
            out.push(c);
        } else if c == '\\' {
            match chars.get(i + 1) {
                None => out.push_str("\\\\"),
                Some(&n) if n == q || n == '\\' => out.push_str("\\\\"),
                Some(_) => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out.push(q);
    out
}

/// The text of a bare (unquoted) search word with its escapes resolved: as in a quoted string,
/// `\"` and `\\` stand for `"` and `\`; any other backslash is kept as written (`C:\Windows`).
/// Splunk: a literal backslash in a search is written `\\` ("Backslashes", Search Manual), and
/// the backslash escapes quotation marks outside quoted strings too; it cannot escape `*`.
/// <https://help.splunk.com/splunk-enterprise/search/search-manual/9.4/search-primer/backslashes>
pub fn unescape_bare(word: &str) -> String {
    if !word.contains('\\') {
        return word.to_string();
    }
    let mut out = String::with_capacity(word.len());
    let mut it = word.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\\' {
            if let Some(&n) = it.peek() {
                if n == '"' || n == '\\' {
                    out.push(n);
                    it.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

/// Print `text` as a bare word that [`unescape_bare`] reads back unchanged (the inverse of it).
pub fn escape_bare(text: &str) -> String {
    let q = quote(text, '"');
    q[1..q.len() - 1].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_escapes_round_trip() {
        assert_eq!(unescape_bare(r#"*\"privileged\":true*"#), r#"*"privileged":true*"#);
        assert_eq!(unescape_bare(r#"C:\Windows\\x\"#), r#"C:\Windows\x\"#);
        for t in [r#"*"p":true*"#, r"C:\Windows\*", r"x\", r#"a\"b"#, r"\\"] {
            assert_eq!(unescape_bare(&escape_bare(t)), t, "{t}");
        }
        assert_eq!(escape_bare(r"C:\Windows\*"), r"C:\Windows\*");
    }

    #[test]
    fn numbers() {
        assert_eq!(number("12 x"), Ok((" x", "12")));
        assert_eq!(number("1.5e3,"), Ok((",", "1.5e3")));
        assert_eq!(number(".5"), Ok(("", ".5")));
        assert_eq!(number("1.x"), Ok((".x", "1")));
        assert!(number("x").is_err());
    }

    #[test]
    fn identifiers_take_inner_dots_only() {
        assert_eq!(eval_ident("api.response.error>1"), Ok((">1", "api.response.error")));
        assert_eq!(eval_ident("resources{}.ARN)"), Ok((")", "resources{}.ARN")));
        assert_eq!(eval_ident("a . b"), Ok((" . b", "a")));
        assert_eq!(eval_ident("a.\"x\""), Ok((".\"x\"", "a")));
        assert_eq!(eval_ident("a.'x'"), Ok((".'x'", "a")));
        assert!(eval_ident("1a").is_err());
        assert_eq!(eval_ident("<<FIELD>>=1"), Ok(("=1", "<<FIELD>>")));
        assert_eq!(eval_ident("avg_<<MATCHSTR>> +"), Ok((" +", "avg_<<MATCHSTR>>")));
        assert_eq!(eval_ident("$outcome.result$="), Ok(("=", "$outcome.result$")));
        assert!(eval_ident("<x").is_err());
    }

    #[test]
    fn quoting_round_trips() {
        for s in ["plain", "with \"quotes\"", "back\\slash", "ends\\", "\\\\", "\\\"", "\\d+", "a\\\\b"] {
            let q = quote(s, '"');
            match quoted(&q, '"') {
                Quoted::Ok(t, n) => {
                    assert_eq!(t, s, "{q}");
                    assert_eq!(n, q.len());
                }
                Quoted::Unterminated => panic!("{q} unterminated"),
            }
        }
        assert!(matches!(quoted("\"abc", '"'), Quoted::Unterminated));
        assert!(matches!(quoted("\"abc\\\"", '"'), Quoted::Unterminated));
    }

    #[test]
    fn comments() {
        assert_eq!(comment("```a | b``` x"), Ok((" x", "```a | b```")));
        assert!(comment("```open").is_err());
    }

    #[test]
    fn words() {
        assert_eq!(word_len("abc!=d", is_hard_stop, true), 3);
        assert_eq!(word_len("a!b c", is_hard_stop, true), 3);
        assert_eq!(word_len("abc", is_hard_stop, false), 3);
        assert_eq!(word_len("a\\\"b\\\" c", is_hard_stop, false), 6);
        assert_eq!(word_len("a\\", is_hard_stop, false), 2);
    }
}
