//! Parsers for SPL: whole pipelines, search expressions and eval expressions.
//!
//! The parser is a recursive-descent parser over the query text whose token shapes are nom
//! parsers (see [`lexer`]). SPL's lexical rules change with the context (a `.` inside a name,
//! `*` as a wildcard or a multiplication, `-` in a value or as subtraction), so there is no
//! separate token stream: each grammar rule asks for the token shape it expects at the current
//! position. Every node gets the byte span of the text it came from, and every error an
//! [`SplError`] with an [`ErrorCode`], a span pointing at the offending token and a message that
//! says what was expected.
//!
//! Modules:
//! - [`lexer`]: token shapes (words, quoted strings, numbers, comments).
//! - `search`: the boolean expression of `search` (and the implicit first search).
//! - `eval`: the expression grammar of `eval`, `where` and `eval(...)` inside aggregations.
//! - `commands`: commands with a structured form (`eval`, `stats`, `bin`, `rename`, `convert`)
//!   and the generic argument tokenizer for every other command.
//!
//! Limits: nesting of parentheses, brackets and operators is capped at [`MAX_DEPTH`] so that no
//! input can overflow the stack; deeper input is an error.

pub mod lexer;

mod commands;
mod eval;
mod search;

pub(crate) use eval::is_eval_keyword;

use crate::ast::*;
use crate::diagnostics::{ErrorCode, SplError};
use lexer::LexResult;

/// How deeply groups, calls, subsearches and unary operators may nest.
pub const MAX_DEPTH: usize = 96;

/// Parse a whole query (already macro-expanded). See [`crate::parse_pipeline`].
pub fn pipeline(src: &str) -> Result<Pipeline, SplError> {
    let mut p = Parser::new(src);
    let result = p.top_pipeline();
    p.finish(result)
}

/// Parse one eval expression, the whole input. See [`crate::parse_expr`].
pub fn expr(src: &str) -> Result<Expr, SplError> {
    let mut p = Parser::new(src);
    let result = (|| {
        p.ws();
        if p.peek().is_none() {
            return Err(SplError::new(ErrorCode::UnexpectedEnd, p.here(), "expected an expression, found nothing")
                .with_label("empty expression"));
        }
        let e = p.eval_expr()?;
        p.ws();
        if p.peek().is_some() {
            return Err(p.after_expr_error("the end of the expression"));
        }
        Ok(e)
    })();
    p.finish(result)
}

/// Parser state: the text, the position, and bookkeeping for spans and limits.
pub(crate) struct Parser<'a> {
    src: &'a str,
    /// Current byte offset.
    pos: usize,
    /// End of the last token consumed (whitespace and comments excluded), for node spans.
    last_end: usize,
    /// Start of the last token consumed, for errors at the end of the input.
    last_start: usize,
    /// Current nesting depth (see [`MAX_DEPTH`]).
    depth: usize,
    /// How many subsearches `[ ... ]` enclose the current position: `]` ends a command only
    /// inside one.
    sub_depth: usize,
    /// An error found while skipping whitespace (an unterminated comment); reported in
    /// preference to whatever error its consequences cause.
    deferred: Option<SplError>,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Parser { src, pos: 0, last_end: 0, last_start: 0, depth: 0, sub_depth: 0, deferred: None }
    }

    fn finish<T>(&mut self, result: Result<T, SplError>) -> Result<T, SplError> {
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        result
    }

    // -----------------------------------------------------------------------------------------
    // cursor

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    fn starts_with(&self, s: &str) -> bool {
        self.rest().starts_with(s)
    }

    /// Consume `n` bytes (a token).
    fn advance(&mut self, n: usize) {
        self.last_start = self.pos;
        self.pos = (self.pos + n).min(self.src.len());
        self.last_end = self.pos;
    }

    /// The span of the last token consumed (empty at the start), for "expected X after this".
    fn last_token(&self) -> Span {
        if self.last_start < self.last_end && self.last_end <= self.pos {
            Span::new(self.last_start, self.last_end)
        } else {
            self.here()
        }
    }

    /// Run a lexer parser at the current position; on success consume what it read and return
    /// its output with the span it covered.
    fn lex<O>(&mut self, f: impl FnOnce(&'a str) -> LexResult<'a, O>) -> Option<(O, Span)> {
        let start = self.pos;
        match f(self.rest()) {
            Ok((rest, out)) => {
                let n = self.rest().len() - rest.len();
                if n == 0 {
                    return None;
                }
                self.advance(n);
                Some((out, Span::new(start, self.pos)))
            }
            Err(_) => None,
        }
    }

    /// Does a lexer parser match here (without consuming)?
    fn lex_peek<O>(&self, f: impl FnOnce(&'a str) -> LexResult<'a, O>) -> Option<(O, usize)> {
        match f(self.rest()) {
            Ok((rest, out)) if rest.len() < self.rest().len() => Some((out, self.rest().len() - rest.len())),
            _ => None,
        }
    }

    /// Skip whitespace, newlines and triple-backtick comments (Splunk replaces a comment with a
    /// space). An unterminated comment swallows the rest of the text and is reported.
    fn ws(&mut self) {
        loop {
            if let Ok((rest, _)) = lexer::spaces(self.rest()) {
                self.pos = self.src.len() - rest.len();
                continue;
            }
            if self.starts_with("```") {
                if let Ok((rest, _)) = lexer::comment(self.rest()) {
                    self.pos = self.src.len() - rest.len();
                    continue;
                }
                if self.deferred.is_none() {
                    self.deferred = Some(
                        SplError::new(ErrorCode::UnbalancedQuote, Span::new(self.pos, self.pos + 3), "this ``` comment is never closed")
                            .with_label("comment starts here")
                            .with_help("end the comment with ```"),
                    );
                }
                self.pos = self.src.len();
            }
            break;
        }
    }

    /// After [`ws`](Self::ws): does the current command end here (end of input, `|`, or the `]`
    /// closing the enclosing subsearch)?
    fn at_command_end(&self) -> bool {
        match self.peek() {
            None | Some('|') => true,
            Some(']') => self.sub_depth > 0,
            _ => false,
        }
    }

    /// The empty span at the current position.
    fn here(&self) -> Span {
        Span::new(self.pos, self.pos)
    }

    /// The span of the token at the current position (a word, or one character), for errors.
    fn next_token_span(&self) -> Span {
        let rest = self.rest();
        let Some(c) = rest.chars().next() else {
            return self.here();
        };
        let n = if c == '"' || c == '\'' {
            match lexer::quoted(rest, c) {
                lexer::Quoted::Ok(_, n) => n,
                lexer::Quoted::Unterminated => 1,
            }
        } else if c.is_alphanumeric() || c == '_' {
            lexer::word_len(rest, |c| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '*' | ':')), false)
        } else if let Some((_, n)) = self.lex_peek(lexer::cmp_operator) {
            n
        } else {
            c.len_utf8()
        };
        Span::new(self.pos, self.pos + n.max(1))
    }

    /// How to name the next token in a message: "`foo`" or "the end of the query".
    fn describe_next(&self) -> String {
        match self.peek() {
            None => "the end of the query".to_string(),
            Some('|') => "`|` (the end of the command)".to_string(),
            Some(_) => {
                let s = self.next_token_span();
                format!("`{}`", &self.src[s.start..s.end])
            }
        }
    }

    /// "expected X, found Y" at the current position.
    fn expected(&self, what: &str) -> SplError {
        if self.peek().is_none() {
            let last = self.last_token();
            let label = if last.is_empty() { format!("expected {what}") } else { "the query ends after this".to_string() };
            SplError::new(ErrorCode::UnexpectedEnd, last, format!("expected {what}, found the end of the query")).with_label(label)
        } else if self.starts_with("`") && !self.starts_with("```") {
            self.macro_error()
        } else {
            SplError::new(ErrorCode::UnexpectedToken, self.next_token_span(), format!("expected {what}, found {}", self.describe_next()))
                .with_label(format!("expected {what}"))
        }
    }

    /// A single backtick outside a comment: a macro call that was not expanded.
    fn macro_error(&self) -> SplError {
        let end = self.rest()[1..].find('`').map(|i| self.pos + i + 2).unwrap_or(self.pos + 1);
        SplError::new(ErrorCode::UnexpectedToken, Span::new(self.pos, end), "unexpanded macro call")
            .with_label("macro")
            .with_help("macros are expanded before parsing; check that the macro is defined")
    }

    /// Enter one nesting level (a group, call, subsearch, unary operator).
    fn enter(&mut self, at: Span) -> Result<(), SplError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SplError::new(ErrorCode::UnexpectedToken, at, format!("nested more than {MAX_DEPTH} levels deep"))
                .with_label("too deep")
                .with_help("simplify the query"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// An error for a stray closing bracket or parenthesis at the current position.
    fn unmatched_close(&self) -> SplError {
        let c = self.peek().unwrap_or(')');
        let open = if c == ']' { '[' } else { '(' };
        SplError::new(ErrorCode::UnbalancedParen, self.next_token_span(), format!("unmatched `{c}`"))
            .with_label(format!("no `{open}` opens this"))
            .with_help(format!("remove it or add the missing `{open}`"))
    }

    /// An error for an opening bracket or parenthesis at `open` that is never closed.
    /// `( inner )` at the current `(` (an eval group or a search group): one nesting level,
    /// `()` rejected saying what belongs inside, and the `)` required (`missing` builds the
    /// error when it is not there). Returns the inner value and the span from `start` past `)`.
    fn paren_group<T>(
        &mut self,
        start: usize,
        inside: &str,
        inner: impl FnOnce(&mut Self) -> Result<T, SplError>,
        missing: impl FnOnce(&Self, Span) -> SplError,
    ) -> Result<(T, Span), SplError> {
        let open = self.next_token_span();
        self.advance(1);
        self.enter(open)?;
        self.ws();
        if self.peek() == Some(')') {
            return Err(SplError::new(ErrorCode::UnexpectedToken, Span::new(start, self.pos + 1), "empty parentheses")
                .with_label(format!("expected {inside} inside"))
                .with_help(format!("put {inside} inside the parentheses or remove them")));
        }
        let value = inner(self)?;
        self.ws();
        if self.peek() != Some(')') {
            return Err(missing(self, open));
        }
        self.advance(1);
        self.leave();
        Ok((value, Span::new(start, self.pos)))
    }

    /// The `)` closing `name(` at the current position (consumed), or the error saying why not.
    fn close_call(&mut self, open: Span, name: &str) -> Result<(), SplError> {
        self.ws();
        if self.peek() != Some(')') {
            return Err(match self.peek() {
                None | Some('|') => self.unclosed(open, '('),
                _ => self.expected(&format!("`)` to close `{name}(`")),
            });
        }
        self.advance(1);
        Ok(())
    }

    fn unclosed(&self, open: Span, c: char) -> SplError {
        let close = if c == '[' { ']' } else { ')' };
        let found = match self.peek() {
            None => "the query ends".to_string(),
            Some('|') => "the command ends at `|`".to_string(),
            _ => format!("found {}", self.describe_next()),
        };
        SplError::new(ErrorCode::UnbalancedParen, open, format!("this `{c}` is never closed: {found} before a `{close}`"))
            .with_label("opened here")
            .with_help(format!("add a `{close}`"))
    }

    /// Read a double-quoted string at the current position (which must be `"`).
    fn quoted_value(&mut self) -> Result<Value, SplError> {
        let start = self.pos;
        match lexer::quoted(self.rest(), '"') {
            lexer::Quoted::Ok(text, n) => {
                self.advance(n);
                Ok(Value { text, quoted: true, span: Span::new(start, self.pos), directive: None })
            }
            lexer::Quoted::Unterminated => Err(self.unterminated_quote('"')),
        }
    }

    /// Read a single-quoted name at the current position (which must be `'`).
    fn single_quoted(&mut self) -> Result<(String, Span), SplError> {
        let start = self.pos;
        match lexer::quoted(self.rest(), '\'') {
            lexer::Quoted::Ok(text, n) => {
                self.advance(n);
                Ok((text, Span::new(start, self.pos)))
            }
            lexer::Quoted::Unterminated => Err(self.unterminated_quote('\'')),
        }
    }

    fn unterminated_quote(&self, q: char) -> SplError {
        SplError::new(ErrorCode::UnbalancedQuote, Span::new(self.pos, self.pos + 1), format!("this `{q}` quote is never closed"))
            .with_label("string starts here")
            .with_help(format!("close the string with `{q}`; write `\\{q}` for a literal quote inside it"))
    }

    /// Read a bare word whose end is decided by `stop` (and `!=` when `stop_at_ne`).
    fn bare_word(&mut self, stop: impl Fn(char) -> bool, stop_at_ne: bool) -> Option<(String, Span)> {
        let n = lexer::word_len(self.rest(), stop, stop_at_ne);
        if n == 0 {
            return None;
        }
        let start = self.pos;
        self.advance(n);
        Some((self.src[start..self.pos].to_string(), Span::new(start, self.pos)))
    }

    /// Is the next word the keyword `kw`? With `any_case`, compare case-insensitively. The
    /// keyword must end at a character that cannot continue a word.
    fn at_keyword(&self, kw: &str, any_case: bool) -> bool {
        let rest = self.rest();
        let Some(head) = rest.get(..kw.len()) else {
            return false;
        };
        let same = if any_case { head.eq_ignore_ascii_case(kw) } else { head == kw };
        same && rest[kw.len()..].chars().next().is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '{' | '}' | '@' | ':' | '*' | '-' | '=' | '!' | '<' | '>' | '\'' | '/')))
    }

    /// Consume the keyword `kw` if it is next; return its span.
    fn keyword(&mut self, kw: &str, any_case: bool) -> Option<Span> {
        if self.at_keyword(kw, any_case) {
            let start = self.pos;
            self.advance(kw.len());
            Some(Span::new(start, self.pos))
        } else {
            None
        }
    }

    // -----------------------------------------------------------------------------------------
    // pipelines

    /// The whole query.
    fn top_pipeline(&mut self) -> Result<Pipeline, SplError> {
        self.ws();
        if self.peek().is_none() {
            return Err(SplError::new(ErrorCode::EmptyCommand, self.here(), "the query is empty")
                .with_label("nothing to run")
                .with_help("write a search, e.g. `sourcetype=aws:cloudtrail` or `| makeresults`"));
        }
        let p = self.pipeline_body(0)?;
        self.ws();
        match self.peek() {
            None => Ok(Pipeline { commands: p.commands, span: Span::new(0, self.src.len()) }),
            Some(']') => Err(self.unmatched_close()),
            Some(_) => Err(self.expected("`|` or the end of the query")),
        }
    }

    /// `[|] command (| command)*`, up to the end of the input or the `]` of the enclosing
    /// subsearch (not consumed). `start` is where the span should start.
    fn pipeline_body(&mut self, start: usize) -> Result<Pipeline, SplError> {
        let mut commands = Vec::new();
        self.ws();
        if self.peek() == Some('|') {
            let pipe = self.next_token_span();
            self.advance(1);
            commands.push(self.explicit_command(pipe)?);
        } else {
            commands.push(self.first_command()?);
        }
        loop {
            self.ws();
            if self.peek() != Some('|') {
                break;
            }
            let pipe = self.next_token_span();
            self.advance(1);
            commands.push(self.explicit_command(pipe)?);
        }
        Ok(Pipeline { commands, span: Span::new(start, self.last_end) })
    }

    /// The first command of a query or subsearch written without a leading `|`: an explicit
    /// `search ...`, or else an implicit search.
    /// <https://help.splunk.com/splunk-enterprise/spl-search-reference/9.2/search-commands/search>
    /// ("The search command is implied at the beginning of any search").
    fn first_command(&mut self) -> Result<Command, SplError> {
        self.ws();
        let start = self.pos;
        if self.at_keyword("search", true) && !matches!(self.peek_at(6), Some('=' | '<' | '>' | '!')) {
            let name_span = Span::new(start, start + 6);
            self.advance(6);
            let name = Ident { name: self.src[name_span.start..name_span.end].to_string(), span: name_span };
            return self.command_body(name);
        }
        // Inside brackets, a first word that names a command other than `search` starts that
        // command: `foreach * [eval <<FIELD>>=...]`, `appendpipe [stats count]` hold
        // pipelines, not searches.
        if self.sub_depth > 0 {
            if let Some((word, n)) = self.lex_peek(lexer::command_name) {
                let next = self.rest()[n..].chars().next();
                let is_cmd = !word.eq_ignore_ascii_case("search")
                    && crate::registry::command(word).is_some()
                    && next.is_none_or(|c| c.is_whitespace() || c == '|' || c == ']');
                if is_cmd {
                    let span = Span::new(start, start + n);
                    self.advance(n);
                    return self.command_body(Ident { name: word.to_string(), span });
                }
            }
        }
        let name = Ident { name: "search".to_string(), span: Span::new(start, start) };
        self.command_body(name)
    }

    /// A command after `|` (whose span is `pipe`).
    fn explicit_command(&mut self, pipe: Span) -> Result<Command, SplError> {
        self.ws();
        if self.at_command_end() {
            let mut e = SplError::new(ErrorCode::EmptyCommand, pipe, "empty command: expected a command name after `|`")
                .with_label("nothing after this `|`");
            e = if self.peek().is_none() {
                e.with_help("remove the trailing `|` or add a command")
            } else {
                e.with_help("remove one of the `|`s or add a command between them")
            };
            return Err(e);
        }
        let Some((name, span)) = self.lex(lexer::command_name) else {
            return Err(self.expected("a command name after `|`"));
        };
        self.command_body(Ident { name: name.to_string(), span })
    }

    /// The arguments of command `name`, dispatched on the (case-insensitive) name.
    fn command_body(&mut self, name: Ident) -> Result<Command, SplError> {
        let start = name.span.start;
        let lower = name.name.to_ascii_lowercase();
        let kind = match lower.as_str() {
            "search" => self.search_command()?,
            "where" => CommandKind::Where(self.where_body(&name)?),
            "eval" => CommandKind::Eval(self.eval_assignments(&name)?),
            "stats" | "eventstats" | "streamstats" => CommandKind::Stats(self.stats_body(&name)?),
            "bin" | "bucket" | "discretize" => CommandKind::Bin(self.bin_body(&name)?),
            "rename" => CommandKind::Rename(self.rename_body(&name)?),
            "convert" => CommandKind::Convert(self.convert_body(&name)?),
            _ => CommandKind::Generic(self.generic_args(None)?),
        };
        let end = self.last_end.max(name.span.end);
        Ok(Command { name, kind, span: Span::new(start, end) })
    }

    /// `search <expr>`. A search holding a subsearch (`index=x [search ... | fields user]`) is
    /// kept in the generic form: the search AST has no node for subsearches, which spelunk does
    /// not run inside searches yet.
    fn search_command(&mut self) -> Result<CommandKind, SplError> {
        let (pos, last_end, depth) = (self.pos, self.last_end, self.depth);
        let deferred = self.deferred.clone();
        if let Ok(args) = self.generic_args(None) {
            if args.iter().any(|a| matches!(a, Arg::Subsearch(_))) {
                return Ok(CommandKind::Generic(args));
            }
        }
        (self.pos, self.last_end, self.depth, self.deferred) = (pos, last_end, depth, deferred);
        Ok(CommandKind::Search(self.search_body()?))
    }

    /// `[ pipeline ]` at the current position (which must be `[`).
    fn subsearch(&mut self) -> Result<Pipeline, SplError> {
        let open = Span::new(self.pos, self.pos + 1);
        self.advance(1);
        self.enter(open)?;
        self.ws();
        if self.peek() == Some(']') {
            return Err(SplError::new(ErrorCode::EmptyCommand, Span::new(open.start, self.pos + 1), "empty subsearch")
                .with_label("nothing inside")
                .with_help("put a search inside the brackets, e.g. `[search index=main | fields user]`"));
        }
        self.sub_depth += 1;
        let body = self.pipeline_body(open.start);
        self.sub_depth -= 1;
        let body = body?;
        self.ws();
        if self.peek() != Some(']') {
            return Err(self.unclosed(open, '['));
        }
        self.advance(1);
        self.leave();
        Ok(Pipeline { commands: body.commands, span: Span::new(open.start, self.pos) })
    }
}


#[cfg(test)]
mod tests;
