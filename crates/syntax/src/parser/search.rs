//! The boolean expression of `search` (explicit, or implied at the start of a query).
//!
//! Grammar, loosest first (Splunk: "The search command evaluates OR before AND operators";
//! order: parentheses, NOT, OR, AND —
//! <https://help.splunk.com/en/splunk-enterprise/search/search-manual/9.3/expressions-and-predicates>):
//!
//! ```text
//! search  := and
//! and     := or (["AND"] or)*          -- juxtaposition is AND
//! or      := not ("OR" not)*
//! not     := "NOT" not | primary
//! primary := "(" and ")"
//!          | field op value            -- op: = != < <= > >=, spaces allowed around op
//!          | field "IN" "(" value ("," value)* ")"
//!          | term                      -- bare word or "quoted phrase"
//! value   := word | "quoted" | directive
//! term    := word | "quoted" | directive
//! directive := ("TERM" | "CASE") "(" (word | "quoted") ")"
//! ```
//!
//! `TERM(x)` and `CASE(x)` are Splunk's search directives
//! (<https://help.splunk.com/splunk-enterprise/search/search-manual/9.0/search-primer/use-case-and-term-to-match-phrases>):
//! written in capitals with the `(` right after the keyword, they wrap a term (`TERM(10.0.0.1)`,
//! `CASE(Error)`) or the value of a comparison (`host=CASE(LOCALHOST)`); the value keeps them in
//! [`Value::directive`]. Anything else (`TERM (x)`, `term(x)`) is read as plain terms.
//!
//! The boolean operators are recognised only in upper case ("The operators must be
//! capitalized", same page); `and`, `or`, `not` are plain terms. `IN` likewise must be upper
//! case here. In bare words, `\"` and `\\` are escapes as inside quotes (`a=*\"x\":1*` compares
//! with `*"x":1*`; see [`lexer::unescape_bare`]). A search that is empty or a lone `*` parses as `Search(None)` (match everything);
//! a `*` next to other terms stays a `Term("*")`.

use super::lexer;
use super::Parser;
use crate::ast::*;
use crate::diagnostics::{ErrorCode, SplError};

/// Characters that end a search word (field name or term).
fn word_stop(c: char) -> bool {
    lexer::is_hard_stop(c) || matches!(c, '=' | '<' | '>')
}

/// Characters that end a bare search value (after `field=`).
fn value_stop(c: char) -> bool {
    lexer::is_hard_stop(c)
}

/// Characters that end a bare value inside `IN (...)`.
fn list_value_stop(c: char) -> bool {
    lexer::is_hard_stop(c) || c == ','
}

impl<'a> Parser<'a> {
    /// The body of a search command, up to the end of the command.
    pub(super) fn search_body(&mut self) -> Result<Option<SearchExpr>, SplError> {
        self.ws();
        if self.at_command_end() {
            return Ok(None);
        }
        let e = self.search_and()?;
        self.ws();
        if !self.at_command_end() {
            return Err(match self.peek() {
                Some(')') | Some(']') => self.unmatched_close(),
                _ => self.expected("a search term or the end of the command"),
            });
        }
        match &e {
            SearchExpr::Term(v) if !v.quoted && v.text == "*" => Ok(None),
            _ => Ok(Some(e)),
        }
    }

    fn at_search_group_end(&self) -> bool {
        self.at_command_end() || self.peek() == Some(')')
    }

    fn search_and(&mut self) -> Result<SearchExpr, SplError> {
        let mut items = vec![self.search_or()?];
        loop {
            self.ws();
            if self.at_search_group_end() {
                break;
            }
            if self.keyword("AND", false).is_some() {
                self.ws();
                if self.at_search_group_end() {
                    return Err(self.expected("a search term after `AND`"));
                }
            }
            items.push(self.search_or()?);
        }
        Ok(fold(items, SearchExpr::And))
    }

    fn search_or(&mut self) -> Result<SearchExpr, SplError> {
        let mut items = vec![self.search_not()?];
        loop {
            let save = self.pos;
            self.ws();
            if self.keyword("OR", false).is_some() {
                self.ws();
                if self.at_search_group_end() {
                    return Err(self.expected("a search term after `OR`"));
                }
                items.push(self.search_not()?);
            } else {
                self.pos = save;
                break;
            }
        }
        Ok(fold(items, SearchExpr::Or))
    }

    fn search_not(&mut self) -> Result<SearchExpr, SplError> {
        self.ws();
        if let Some(kw) = self.keyword("NOT", false) {
            self.enter(kw)?;
            self.ws();
            if self.at_search_group_end() {
                return Err(self.expected("a search term after `NOT`"));
            }
            let inner = self.search_not()?;
            self.leave();
            let span = kw.join(inner.span());
            return Ok(SearchExpr::Not(Box::new(inner), span));
        }
        self.search_primary()
    }

    fn search_primary(&mut self) -> Result<SearchExpr, SplError> {
        self.ws();
        let start = self.pos;
        match self.peek() {
            None | Some('|') => Err(self.expected("a search term")),
            Some(']') if self.sub_depth > 0 => Err(self.expected("a search term")),
            Some(')') | Some(']') => Err(self.unmatched_close()),
            Some('(') => {
                let (inner, span) = self.paren_group(start, "a search term", |p| p.search_and(), |p, open| p.unclosed(open, '('))?;
                Ok(SearchExpr::Group(Box::new(inner), span))
            }
            Some('"') => {
                // `"field name"=value` / `"field" IN (...)`: a quoted string before a
                // comparison operator is a field name (e.g. `"resources{}.ARN"=*`).
                let v = self.quoted_value()?;
                let after = self.pos;
                self.ws();
                let cmp_next = self.lex_peek(lexer::cmp_operator).is_some();
                let in_next = self.at_keyword("IN", false) && self.rest()[2..].trim_start().starts_with('(');
                self.pos = after;
                if cmp_next || in_next {
                    return self.search_field_expr(v.text, v.span);
                }
                Ok(SearchExpr::Term(v))
            }
            // Searches holding a subsearch are read generically (see `search_command`).
            Some('[') => Err(self.expected("a search term")),
            Some('`') => Err(self.macro_error()),
            Some('=' | '<' | '>') => Err(self.missing_field()),
            Some('!') if self.starts_with("!=") => Err(self.missing_field()),
            Some(_) => self.search_word_expr(),
        }
    }

    fn missing_field(&self) -> SplError {
        let op = self.describe_next();
        SplError::new(ErrorCode::UnexpectedToken, self.next_token_span(), format!("expected a field name before {op}"))
            .with_label("no field name")
            .with_help("write `field=value`, without a space between the field name and the operator if in doubt")
    }

    /// A word: a keyword in the wrong place, `field op value`, `field IN (...)` or a term.
    fn search_word_expr(&mut self) -> Result<SearchExpr, SplError> {
        for kw in ["AND", "OR"] {
            if self.at_keyword(kw, false) {
                let span = self.next_token_span();
                return Err(SplError::new(ErrorCode::UnexpectedToken, span, format!("`{kw}` needs a search term on its left"))
                    .with_label("nothing to combine")
                    .with_help(format!("remove `{kw}`, or write `\"{kw}\"` to search for the word itself")));
            }
        }
        if self.at_directive().is_some() {
            return Ok(SearchExpr::Term(self.directive_value()?));
        }
        let Some((word, wspan)) = self.bare_word(word_stop, true) else {
            return Err(self.expected("a search term"));
        };
        self.search_field_expr(lexer::unescape_bare(&word), wspan)
    }

    /// Is `TERM(` or `CASE(` next?
    fn at_directive(&self) -> Option<Directive> {
        let rest = self.rest();
        if rest.starts_with("TERM(") {
            Some(Directive::Term)
        } else if rest.starts_with("CASE(") {
            Some(Directive::Case)
        } else {
            None
        }
    }

    /// `TERM( value )` / `CASE( value )` at the current position (see [`Self::at_directive`]):
    /// the value, marked with its directive, its span covering the whole directive.
    fn directive_value(&mut self) -> Result<Value, SplError> {
        let Some(directive) = self.at_directive() else {
            return Err(self.expected("`TERM(` or `CASE(`"));
        };
        let start = self.pos;
        let kw = directive.keyword();
        self.advance(kw.len());
        let open = self.next_token_span();
        self.advance(1);
        self.ws();
        match self.peek() {
            Some(')') => {
                return Err(SplError::new(ErrorCode::UnexpectedToken, Span::new(start, self.pos + 1), format!("empty `{kw}()`"))
                    .with_label("expected a term inside")
                    .with_help(format!("write `{kw}(term)`")))
            }
            None | Some('|') => return Err(self.unclosed(open, '(')),
            Some(']') if self.sub_depth > 0 => return Err(self.unclosed(open, '(')),
            _ => {}
        }
        // a word or a quoted string; not another directive (no nesting)
        let mut value = match self.peek() {
            Some('"') => self.quoted_value()?,
            Some('`') if !self.starts_with("```") => return Err(self.macro_error()),
            _ => match self.bare_word(value_stop, false) {
                Some((text, span)) => Value { text: lexer::unescape_bare(&text), quoted: false, span, directive: None },
                None => return Err(self.expected(&format!("a term inside `{kw}(`"))),
            },
        };
        self.ws();
        if self.peek() != Some(')') {
            return Err(match self.peek() {
                None | Some('|') => self.unclosed(open, '('),
                Some(']') if self.sub_depth > 0 => self.unclosed(open, '('),
                _ => self.expected(&format!("`)` to close `{kw}(`")),
            });
        }
        self.advance(1);
        value.directive = Some(directive);
        value.span = Span::new(start, self.pos);
        Ok(value)
    }

    /// After a word or quoted string (`word` at `wspan`): `word op value`, `word IN (...)`, or
    /// else the term `word` itself (only for bare words: callers check for quoted ones).
    fn search_field_expr(&mut self, word: String, wspan: Span) -> Result<SearchExpr, SplError> {
        let after_word = self.pos;
        self.ws();
        // `field op value`, operator with or without spaces around it.
        if let Some((op, opspan)) = self.lex(lexer::cmp_operator) {
            let op = match op {
                "=" | "==" => CmpOp::Eq,
                "!=" => CmpOp::Ne,
                "<" => CmpOp::Lt,
                "<=" => CmpOp::Le,
                ">" => CmpOp::Gt,
                _ => CmpOp::Ge,
            };
            self.ws();
            if self.peek().is_none_or(|c| c != '"' && value_stop(c)) {
                let written = format!("{}{}", word, &self.src[opspan.start..opspan.end]);
                return Err(self.expected(&format!("a value after `{written}`")));
            }
            let value = self.search_value(value_stop)?;
            let span = wspan.join(value.span);
            return Ok(SearchExpr::Compare { field: Ident { name: word, span: wspan }, op, value, span });
        }
        // `field IN (values)`
        if self.at_keyword("IN", false) {
            let save = (self.pos, self.last_end);
            self.advance(2);
            self.ws();
            if self.peek() == Some('(') {
                return self.search_in_list(Ident { name: word, span: wspan });
            }
            (self.pos, self.last_end) = save;
        }
        self.pos = after_word;
        Ok(SearchExpr::Term(Value { text: word, quoted: false, span: wspan, directive: None }))
    }

    /// A value: quoted string or bare word.
    fn search_value(&mut self, stop: fn(char) -> bool) -> Result<Value, SplError> {
        match self.peek() {
            Some('"') => self.quoted_value(),
            _ if self.at_directive().is_some() => self.directive_value(),
            Some('`') if !self.starts_with("```") => Err(self.macro_error()),
            _ => match self.bare_word(stop, false) {
                Some((text, span)) => Ok(Value { text: lexer::unescape_bare(&text), quoted: false, span, directive: None }),
                None => Err(self.expected("a value")),
            },
        }
    }

    /// `( v1, v2 ... )` after `field IN`; the current position is the `(`.
    fn search_in_list(&mut self, field: Ident) -> Result<SearchExpr, SplError> {
        let open = self.next_token_span();
        self.advance(1);
        let mut values = Vec::new();
        loop {
            self.ws();
            match self.peek() {
                Some(')') => break,
                Some(',') => {
                    // Empty elements (`IN (,"a",)`) are skipped, as Splunk does.
                    self.advance(1);
                    continue;
                }
                None | Some('|') => return Err(self.unclosed(open, '(')),
                Some(']') if self.sub_depth > 0 => return Err(self.unclosed(open, '(')),
                _ => values.push(self.search_value(list_value_stop)?),
            }
        }
        if values.is_empty() {
            return Err(SplError::new(ErrorCode::UnexpectedToken, Span::new(open.start, self.pos + 1), "expected at least one value in `IN (...)`")
                .with_label("empty list")
                .with_help("write `field IN (value1, value2)`"));
        }
        self.advance(1);
        let span = field.span.join(Span::new(open.start, self.pos));
        Ok(SearchExpr::In { field, values, span })
    }
}

/// One item stays itself; several become `make(items, span)`.
fn fold(mut items: Vec<SearchExpr>, make: fn(Vec<SearchExpr>, Span) -> SearchExpr) -> SearchExpr {
    if items.len() == 1 {
        if let Some(only) = items.pop() {
            return only;
        }
    }
    let span = items.iter().map(SearchExpr::span).reduce(Span::join).unwrap_or_default();
    make(items, span)
}
