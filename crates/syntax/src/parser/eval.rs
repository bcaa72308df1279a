//! The eval expression grammar, used by `eval`, `where`, `eval(...)` inside aggregations and
//! props.conf `EVAL-` definitions.
//!
//! Precedence, loosest first:
//!
//! ```text
//! xor     := or ("XOR" or)*
//! or      := and ("OR" and)*
//! and     := not ("AND" not)*
//! not     := "NOT" not | cmp
//! cmp     := add ((= | == | != | < | <= | > | >= | LIKE) add | [NOT] IN "(" list ")")*
//! add     := mul ((+ | - | .) mul)*
//! mul     := unary ((* | / | %) unary)*
//! unary   := (- | +) unary | primary
//! primary := number | "string" | 'field' | field | name "(" args ")" | "(" xor ")"
//! ```
//!
//! The boolean levels follow Splunk's table for eval and where: parentheses, then NOT, then AND,
//! then OR, then XOR
//! (<https://help.splunk.com/en/splunk-enterprise/search/search-manual/9.3/expressions-and-predicates>).
//! The operator set (`+ - * / %`, `.` concatenation, `AND OR NOT XOR`, `< > <= >= != = == LIKE`)
//! is the one listed on the eval command page
//! (<https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/search-commands/eval>);
//! arithmetic binds as usual (`*` before `+`), `.` binds like `+`, comparisons sit between
//! arithmetic and NOT.
//!
//! Keywords `AND OR NOT XOR LIKE IN` are case-insensitive here (unlike in `search`).
//!
//! Field names: a bare name may contain letters, digits, `_`, `@`, `{}`, `:` and inner dots, so
//! `api.response.error` and `resources{}.ARN` are field names. A dot is the concatenation
//! operator only when it is not squeezed between two name characters: `a . b`, `a."x"`,
//! `"x".a`, `a.'b'`, `(a).b`. Any other name is written in single quotes (`'user-name'`).
//! Double quotes always make a string literal. Bare `true`/`false`/`null` are field names (use
//! `true()`, `false()`, `null()`).

use super::lexer;
use super::Parser;
use crate::ast::*;
use crate::diagnostics::{ErrorCode, SplError};

const KEYWORDS: &[&str] = &["AND", "OR", "NOT", "XOR", "LIKE", "IN"];

/// Is `name` one of eval's operator keywords (any case)?
pub(crate) fn is_eval_keyword(name: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(name))
}

fn bin(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.join(right.span);
    Expr { kind: ExprKind::Binary { op, left: Box::new(left), right: Box::new(right) }, span }
}

impl<'a> Parser<'a> {
    /// Is the eval keyword `kw` (any case) next, not followed by a name character?
    fn at_eval_keyword(&self, kw: &str) -> bool {
        let rest = self.rest();
        rest.get(..kw.len()).is_some_and(|h| h.eq_ignore_ascii_case(kw))
            && lexer::eval_ident(rest).is_ok_and(|(_, name)| name.len() == kw.len())
    }

    /// Consume the eval keyword `kw` if it is next.
    fn eval_keyword(&mut self, kw: &str) -> Option<Span> {
        if self.at_eval_keyword(kw) {
            let start = self.pos;
            self.advance(kw.len());
            Some(Span::new(start, self.pos))
        } else {
            None
        }
    }

    /// A whole eval expression (loosest level).
    pub(super) fn eval_expr(&mut self) -> Result<Expr, SplError> {
        let mut left = self.eval_or()?;
        loop {
            self.ws();
            if self.eval_keyword("XOR").is_none() {
                break;
            }
            let right = self.eval_operand("XOR", Self::eval_or)?;
            left = bin(BinaryOp::Xor, left, right);
        }
        Ok(left)
    }

    /// Parse the right operand of `op` with `f`, with a clear error when it is missing.
    fn eval_operand(&mut self, op: &str, f: fn(&mut Self) -> Result<Expr, SplError>) -> Result<Expr, SplError> {
        self.ws();
        if self.eval_operand_missing() {
            return Err(self.expected(&format!("an expression after `{op}`")));
        }
        f(self)
    }

    /// Nothing that can start an operand follows.
    fn eval_operand_missing(&self) -> bool {
        matches!(self.peek(), None | Some('|' | ')' | ',' | ']'))
    }

    fn eval_or(&mut self) -> Result<Expr, SplError> {
        let mut left = self.eval_and()?;
        loop {
            self.ws();
            if self.eval_keyword("OR").is_none() {
                break;
            }
            let right = self.eval_operand("OR", Self::eval_and)?;
            left = bin(BinaryOp::Or, left, right);
        }
        Ok(left)
    }

    fn eval_and(&mut self) -> Result<Expr, SplError> {
        let mut left = self.eval_not()?;
        loop {
            self.ws();
            if self.eval_keyword("AND").is_none() {
                break;
            }
            let right = self.eval_operand("AND", Self::eval_not)?;
            left = bin(BinaryOp::And, left, right);
        }
        Ok(left)
    }

    fn eval_not(&mut self) -> Result<Expr, SplError> {
        self.ws();
        // `!` is accepted as a synonym of NOT (`!match(x, "y")`, `!(a=b)`), as Splunk does.
        let bang = (self.peek() == Some('!') && self.peek_at(1) != Some('=')).then(|| {
            self.advance(1);
            Span::new(self.pos - 1, self.pos)
        });
        if let Some(kw) = bang.or_else(|| self.eval_keyword("NOT")) {
            self.enter(kw)?;
            let inner = self.eval_operand("NOT", Self::eval_not)?;
            self.leave();
            let span = kw.join(inner.span);
            return Ok(Expr { kind: ExprKind::Unary { op: UnaryOp::Not, expr: Box::new(inner) }, span });
        }
        self.eval_cmp()
    }

    fn eval_cmp(&mut self) -> Result<Expr, SplError> {
        let mut left = self.eval_add()?;
        loop {
            self.ws();
            if let Some((op, _)) = self.lex_peek(lexer::cmp_operator) {
                let bop = match op {
                    "=" | "==" => BinaryOp::Eq,
                    "!=" => BinaryOp::Ne,
                    "<" => BinaryOp::Lt,
                    "<=" => BinaryOp::Le,
                    ">" => BinaryOp::Gt,
                    _ => BinaryOp::Ge,
                };
                self.advance(op.len());
                let right = self.eval_operand(op, Self::eval_add)?;
                left = bin(bop, left, right);
            } else if self.eval_keyword("LIKE").is_some() {
                let right = self.eval_operand("LIKE", Self::eval_add)?;
                left = bin(BinaryOp::Like, left, right);
            } else if self.at_eval_keyword("IN") {
                self.advance(2);
                left = self.eval_in_list(left, false)?;
            } else if self.at_eval_keyword("NOT") {
                // `x NOT IN (...)`; a NOT followed by anything else is not ours.
                let save = (self.pos, self.last_end);
                self.advance(3);
                self.ws();
                if self.at_eval_keyword("IN") {
                    self.advance(2);
                    left = self.eval_in_list(left, true)?;
                } else {
                    (self.pos, self.last_end) = save;
                    break;
                }
            } else {
                break;
            }
        }
        Ok(left)
    }

    /// The `( a, b, ... )` after `x IN` / `x NOT IN`.
    fn eval_in_list(&mut self, expr: Expr, negated: bool) -> Result<Expr, SplError> {
        self.ws();
        if self.peek() != Some('(') {
            return Err(self.expected("`(` after `IN`"));
        }
        let open = self.next_token_span();
        self.advance(1);
        self.enter(open)?;
        let list = self.eval_args(open, "`IN`")?;
        self.leave();
        if list.is_empty() {
            return Err(SplError::new(ErrorCode::UnexpectedToken, Span::new(open.start, self.last_end), "expected at least one value in `IN (...)`")
                .with_label("empty list")
                .with_help("write `x IN (\"a\", \"b\")`"));
        }
        let span = expr.span.join(Span::new(open.start, self.last_end));
        Ok(Expr { kind: ExprKind::In { expr: Box::new(expr), list, negated }, span })
    }

    fn eval_add(&mut self) -> Result<Expr, SplError> {
        let mut left = self.eval_mul()?;
        loop {
            self.ws();
            let op = match self.peek() {
                Some('+') => BinaryOp::Add,
                Some('-') => BinaryOp::Sub,
                Some('.') => BinaryOp::Concat,
                _ => break,
            };
            self.advance(1);
            let right = self.eval_operand(op.as_str(), Self::eval_mul)?;
            left = bin(op, left, right);
        }
        Ok(left)
    }

    fn eval_mul(&mut self) -> Result<Expr, SplError> {
        let mut left = self.eval_unary()?;
        loop {
            self.ws();
            let op = match self.peek() {
                Some('*') => BinaryOp::Mul,
                Some('/') => BinaryOp::Div,
                Some('%') => BinaryOp::Mod,
                _ => break,
            };
            self.advance(1);
            let right = self.eval_operand(op.as_str(), Self::eval_unary)?;
            left = bin(op, left, right);
        }
        Ok(left)
    }

    fn eval_unary(&mut self) -> Result<Expr, SplError> {
        self.ws();
        let op = match self.peek() {
            Some('-') => UnaryOp::Neg,
            Some('+') => UnaryOp::Plus,
            _ => return self.eval_primary(),
        };
        let at = self.next_token_span();
        self.advance(1);
        self.enter(at)?;
        let inner = self.eval_operand(if op == UnaryOp::Neg { "-" } else { "+" }, Self::eval_unary)?;
        self.leave();
        let span = at.join(inner.span);
        Ok(Expr { kind: ExprKind::Unary { op, expr: Box::new(inner) }, span })
    }

    fn eval_primary(&mut self) -> Result<Expr, SplError> {
        self.ws();
        let start = self.pos;
        match self.peek() {
            Some('"') => {
                let v = self.quoted_value()?;
                Ok(Expr { kind: ExprKind::Str(v.text), span: v.span })
            }
            Some('\'') => {
                let (name, span) = self.single_quoted()?;
                Ok(Expr { kind: ExprKind::Field { name, quoted: true }, span })
            }
            Some('(') => {
                let (inner, span) = self.paren_group(start, "an expression", |p| p.eval_expr(), |p, open| p.paren_error(open))?;
                Ok(Expr { kind: ExprKind::Paren(Box::new(inner)), span })
            }
            Some(c) if c.is_ascii_digit() || (c == '.' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit())) => self.eval_number(),
            Some(c) if lexer::is_ident_start(c) => self.eval_name(),
            Some('<') if lexer::template_token_len(self.rest()).is_some() => self.eval_name(),
            Some(')') => Err(SplError::new(ErrorCode::UnexpectedToken, self.next_token_span(), "expected an expression, found `)`")
                .with_label("expected an expression")),
            _ => Err(self.expected("an expression")),
        }
    }

    /// After `(` at `open`, the expected `)` is missing.
    fn paren_error(&self, open: Span) -> SplError {
        match self.peek() {
            None | Some('|') => self.unclosed(open, '('),
            Some(']') if self.sub_depth > 0 => self.unclosed(open, '('),
            _ => self.after_expr_error("`)`"),
        }
    }

    /// Something that cannot follow a complete expression: say what would have.
    pub(super) fn after_expr_error(&self, what: &str) -> SplError {
        match self.peek() {
            Some(')') | Some(']') if what != "`)`" => self.unmatched_close(),
            _ => self.expected(&format!("an operator or {what}")),
        }
    }

    fn eval_number(&mut self) -> Result<Expr, SplError> {
        let start = self.pos;
        let Some((text, span)) = self.lex(lexer::number) else {
            return Err(self.expected("a number"));
        };
        if self.peek().is_some_and(lexer::is_ident_char) {
            let n = lexer::word_len(self.rest(), |c| !lexer::is_ident_char(c), false);
            let bad = Span::new(start, self.pos + n);
            return Err(SplError::new(ErrorCode::InvalidNumber, bad, format!("invalid number `{}`", &self.src[bad.start..bad.end]))
                .with_label("not a number")
                .with_help("a field name cannot start with a digit unless it is in single quotes: 'name'"));
        }
        let value = text.parse::<f64>().map_err(|_| {
            SplError::new(ErrorCode::InvalidNumber, span, format!("invalid number `{text}`")).with_label("not a number")
        })?;
        Ok(Expr { kind: ExprKind::Num { text: text.to_string(), value }, span })
    }

    /// A bare name: a keyword in the wrong place, a function call or a field.
    fn eval_name(&mut self) -> Result<Expr, SplError> {
        for kw in KEYWORDS {
            // `like(x, "a%")` and `in(x, "a", "b")` are also functions.
            if !self.at_eval_keyword(kw) {
                continue;
            }
            let call = matches!(*kw, "LIKE" | "IN") && self.rest().get(kw.len()..).is_some_and(|r| r.trim_start().starts_with('('));
            if !call {
                let span = self.next_token_span();
                return Err(SplError::new(ErrorCode::UnexpectedToken, span, format!("expected an expression, found the operator `{}`", &self.src[span.start..span.end]))
                    .with_label("operator here")
                    .with_help(format!("write '{}' in single quotes if it is a field name", &self.src[span.start..span.end])));
            }
        }
        let Some((name, span)) = self.lex(lexer::eval_ident).or_else(|| {
            // `like`/`in` used as function names
            ["like", "in"].iter().find(|k| self.at_eval_keyword(k)).map(|k| {
                let start = self.pos;
                self.advance(k.len());
                (&self.src[start..self.pos], Span::new(start, self.pos))
            })
        }) else {
            return Err(self.expected("an expression"));
        };
        let save = (self.pos, self.last_end);
        self.ws();
        if self.peek() == Some('(') {
            let open = self.next_token_span();
            self.advance(1);
            self.enter(open)?;
            let args = self.eval_args(open, &format!("`{name}(`"))?;
            self.leave();
            let ident = Ident { name: name.to_string(), span };
            return Ok(Expr { kind: ExprKind::Call { name: ident, args }, span: Span::new(span.start, self.last_end) });
        }
        (self.pos, self.last_end) = save;
        Ok(Expr { kind: ExprKind::Field { name: name.to_string(), quoted: false }, span })
    }

    /// Comma-separated expressions up to and including `)`; the `(` at `open` is consumed.
    fn eval_args(&mut self, open: Span, what: &str) -> Result<Vec<Expr>, SplError> {
        let mut args = Vec::new();
        self.ws();
        if self.peek() == Some(')') {
            self.advance(1);
            return Ok(args);
        }
        loop {
            self.ws();
            if matches!(self.peek(), Some(',') | Some(')')) {
                return Err(self.expected(&format!("an argument of {what}")));
            }
            if self.eval_operand_missing() {
                return Err(self.unclosed(open, '('));
            }
            args.push(self.eval_expr()?);
            self.ws();
            match self.peek() {
                Some(',') => self.advance(1),
                Some(')') => {
                    self.advance(1);
                    return Ok(args);
                }
                None | Some('|') => return Err(self.unclosed(open, '(')),
                Some(']') if self.sub_depth > 0 => return Err(self.unclosed(open, '(')),
                _ => return Err(self.expected(&format!("`,` or `)` in {what}"))),
            }
        }
    }
}
