//! Commands with a structured form (`where`, `eval`, `stats`/`eventstats`/`streamstats`,
//! `bin`/`bucket`, `rename`, `convert`) and the generic argument tokenizer used for every other
//! command.

use super::lexer;
use super::Parser;
use crate::ast::*;
use crate::diagnostics::{ErrorCode, SplError};

/// Characters that end a bare field name in command arguments (`rename`, `by` lists, ...).
fn field_stop(c: char) -> bool {
    lexer::is_hard_stop(c) || matches!(c, ',' | '=')
}

/// Characters that end a bare word of a generic command.
fn generic_stop(c: char) -> bool {
    lexer::is_hard_stop(c) || matches!(c, ',' | '=' | '<' | '>')
}

/// Characters that end the bare value of a `key=value` option.
fn option_value_stop(c: char) -> bool {
    lexer::is_hard_stop(c) || c == ','
}

impl<'a> Parser<'a> {
    /// A field name as a command argument: a bare word (wildcards, dots, braces and dashes
    /// allowed), a "double-quoted" or a 'single-quoted' name.
    fn field_name(&mut self, what: &str) -> Result<Ident, SplError> {
        match self.peek() {
            Some('"') => {
                // a quoted part glued to more name text is one name: `"Authentication".*`
                // (what the CIM macro drop_dm_object_name expands to)
                let v = self.quoted_value()?;
                let (mut name, mut span) = (v.text, v.span);
                if let Some(c) = self.peek() {
                    if !field_stop(c) && c != '"' && c != '\'' {
                        if let Some((more, mspan)) = self.bare_word(field_stop, false) {
                            name.push_str(&more);
                            span = span.join(mspan);
                        }
                    }
                }
                Ok(Ident { name, span })
            }
            Some('\'') => {
                let (name, span) = self.single_quoted()?;
                Ok(Ident { name, span })
            }
            Some(c) if !field_stop(c) => match self.bare_word(field_stop, false) {
                Some((name, span)) => Ok(Ident { name, span }),
                None => Err(self.expected(what)),
            },
            _ => Err(self.expected(what)),
        }
    }

    /// Is the next thing `key=` (a word directly followed by a single `=`)?
    fn at_option(&self) -> bool {
        match self.lex_peek(lexer::option_key) {
            Some((_, n)) => {
                let after = &self.rest()[n..];
                after.starts_with('=') && !after.starts_with("==")
            }
            None => false,
        }
    }

    /// `key=value` (the caller checked [`at_option`](Self::at_option)).
    fn option_arg(&mut self) -> Result<OptionArg, SplError> {
        let Some((key, kspan)) = self.lex(lexer::option_key) else {
            return Err(self.expected("an option such as `key=value`"));
        };
        self.advance(1); // `=`
        let value = match self.peek() {
            Some('"') => self.quoted_value()?,
            Some('`') if !self.starts_with("```") => return Err(self.macro_error()),
            _ => match self.bare_word(option_value_stop, false) {
                Some((text, span)) => Value { text, quoted: false, span, directive: None },
                None => return Err(self.expected(&format!("a value after `{key}=`"))),
            },
        };
        let span = kspan.join(value.span);
        Ok(OptionArg { key: Ident { name: key.to_string(), span: kspan }, value, span })
    }

    /// After a structured command: anything left before the end of the command is an error.
    fn expect_command_end(&mut self, cmd: &Ident, what: &str) -> Result<(), SplError> {
        self.ws();
        if self.at_command_end() {
            return Ok(());
        }
        Err(match self.peek() {
            Some(')') | Some(']') => self.unmatched_close(),
            _ => self.expected(&format!("{what} or the end of `{}`", cmd.name)),
        })
    }

    // -----------------------------------------------------------------------------------------
    // where / eval

    /// `where <expr>`
    pub(super) fn where_body(&mut self, cmd: &Ident) -> Result<Expr, SplError> {
        self.ws();
        if self.at_command_end() {
            return Err(self.expected(&format!("an expression after `{}`", cmd.name)));
        }
        let e = self.eval_expr()?;
        self.ws();
        if !self.at_command_end() {
            return Err(self.after_expr_error(&format!("the end of `{}`", cmd.name)));
        }
        Ok(e)
    }

    /// `eval f=expr [, g=expr]...`
    pub(super) fn eval_assignments(&mut self, cmd: &Ident) -> Result<Vec<Assignment>, SplError> {
        let mut out = Vec::new();
        loop {
            self.ws();
            if self.at_command_end() {
                return Err(self.expected(&format!("a field name to assign after `{}`", if out.is_empty() { cmd.name.as_str() } else { "," })));
            }
            let field = self.field_name("a field name to assign")?;
            self.ws();
            if !self.starts_with("=") || self.starts_with("==") {
                return Err(self.expected(&format!("`=` after `{}`", field.name)).with_help("write `eval field=expression`"));
            }
            self.advance(1);
            self.ws();
            if self.eval_operand_missing_here() {
                return Err(self.expected(&format!("an expression after `{}=`", field.name)).with_label(format!("nothing assigned to `{}`", field.name)).with_help(format!("write `{}=<expression>`", field.name)));
            }
            let value = self.eval_expr()?;
            let span = field.span.join(value.span);
            out.push(Assignment { field, value, span });
            self.ws();
            if self.at_command_end() {
                return Ok(out);
            }
            if self.peek() == Some(',') {
                self.advance(1);
                continue;
            }
            let e = self.after_expr_error("`,` before the next assignment");
            return Err(if e.code == ErrorCode::UnexpectedToken && self.lex_peek(lexer::option_key).is_some() {
                e.with_help("separate assignments with commas: `eval a=1, b=2`")
            } else {
                e
            });
        }
    }

    fn eval_operand_missing_here(&self) -> bool {
        matches!(self.peek(), None | Some('|' | ')' | ','))
            || (self.peek() == Some(']') && self.sub_depth > 0)
    }

    // -----------------------------------------------------------------------------------------
    // stats

    /// `stats [opt=val]... agg[(arg)] [as alias] [,] ... [by field [,] ...]`
    pub(super) fn stats_body(&mut self, cmd: &Ident) -> Result<StatsCommand, SplError> {
        let mut options = Vec::new();
        loop {
            self.ws();
            if !self.at_option() {
                break;
            }
            options.push(self.option_arg()?);
        }
        let mut aggs = Vec::new();
        loop {
            self.ws();
            if self.at_command_end() || self.at_keyword("by", true) {
                break;
            }
            if self.peek() == Some(',') && !aggs.is_empty() {
                self.advance(1);
                continue;
            }
            if self.at_option() {
                let span = self.next_token_span();
                return Err(SplError::new(ErrorCode::UnexpectedToken, span, format!("options of `{}` go before the aggregations", cmd.name))
                    .with_label("option after an aggregation")
                    .with_help(format!("move it right after `{}`", cmd.name)));
            }
            aggs.push(self.aggregation()?);
        }
        if aggs.is_empty() {
            return Err(self.expected(&format!("an aggregation such as `count` or `dc(field)` after `{}`", cmd.name)));
        }
        let mut by = Vec::new();
        if let Some(kw) = self.keyword("by", true) {
            loop {
                self.ws();
                if self.at_command_end() {
                    break;
                }
                if self.peek() == Some(',') && !by.is_empty() {
                    self.advance(1);
                    continue;
                }
                by.push(self.field_name(&format!("a field name after `{}`", &self.src[kw.start..kw.end]))?);
                if self.starts_with("=") {
                    return Err(self.expected(&format!("a field name or the end of `{}`", cmd.name)));
                }
            }
            if by.is_empty() {
                let written = &self.src[kw.start..kw.end];
                return Err(SplError::new(if self.peek().is_none() { ErrorCode::UnexpectedEnd } else { ErrorCode::UnexpectedToken }, kw, format!("expected a field name after `{written}`"))
                    .with_label("no fields to group by")
                    .with_help(format!("write `{written} field1, field2` or remove `{written}`")));
            }
        }
        self.expect_command_end(cmd, "an aggregation")?;
        Ok(StatsCommand { options, aggs, by })
    }

    /// `func`, `func(field)`, `func(eval(expr))`, each with an optional `as alias`.
    fn aggregation(&mut self) -> Result<Aggregation, SplError> {
        let start = self.pos;
        let Some((name, nspan)) = self.lex(lexer::simple_name) else {
            return Err(self.expected("an aggregation such as `count` or `dc(field)`"));
        };
        // `as` names the aggregation before it: it cannot be one (`stats count, as x`)
        if name.eq_ignore_ascii_case("as") {
            self.pos = start;
            return Err(self.expected("an aggregation such as `count` or `dc(field)`"));
        }
        let func = Ident { name: name.to_string(), span: nspan };
        let mut arg = None;
        if self.peek() == Some('(') {
            let open = self.next_token_span();
            self.advance(1);
            self.ws();
            if self.at_keyword("eval", true) && self.rest()[4..].trim_start().starts_with('(') {
                self.advance(4);
                self.ws();
                let eopen = self.next_token_span();
                self.advance(1);
                self.enter(eopen)?;
                self.ws();
                if self.peek() == Some(')') {
                    return Err(self.expected("an expression inside `eval(...)`"));
                }
                let e = self.eval_expr()?;
                self.ws();
                if self.peek() != Some(')') {
                    return Err(match self.peek() {
                        None | Some('|') => self.unclosed(eopen, '('),
                        _ => self.after_expr_error("`)`"),
                    });
                }
                self.advance(1);
                self.leave();
                arg = Some(AggArg::Eval(e));
            } else if self.peek() != Some(')') {
                let f = self.field_name(&format!("a field name inside `{name}(...)`"))?;
                arg = Some(AggArg::Field(f));
            }
            self.close_call(open, name)?;
        }
        let alias = self.alias()?;
        Ok(Aggregation { func, arg, alias, span: Span::new(nspan.start, self.last_end) })
    }

    /// An optional `as <name>` (any case).
    fn alias(&mut self) -> Result<Option<Ident>, SplError> {
        let save = self.pos;
        self.ws();
        if let Some(kw) = self.keyword("as", true) {
            self.ws();
            let written = self.src[kw.start..kw.end].to_string();
            let mut name = self.field_name(&format!("a new field name after `{written}`"))?;
            // Splunk takes a new name up to the next space, so `as flags(inheritance)` names
            // the field `flags(inheritance)`.
            if name.span.end == self.pos && !self.src[name.span.start..].starts_with(['"', '\'']) && self.peek() == Some('(') {
                if let Some(close) = self.rest().find(')') {
                    let inner = &self.rest()[..close];
                    if !inner.contains(|c: char| c.is_whitespace() || matches!(c, '|' | '"' | '[' | ']')) {
                        self.advance(close + 1);
                        name.name.push_str(&self.src[name.span.end..self.pos]);
                        name.span.end = self.pos;
                    }
                }
            }
            return Ok(Some(name));
        }
        self.pos = save;
        Ok(None)
    }

    // -----------------------------------------------------------------------------------------
    // bin / rename / convert

    /// `bin [options] field [as newname] [options]`
    pub(super) fn bin_body(&mut self, cmd: &Ident) -> Result<BinCommand, SplError> {
        let mut options = Vec::new();
        let mut field: Option<Ident> = None;
        let mut alias = None;
        loop {
            self.ws();
            if self.at_command_end() {
                break;
            }
            if self.at_option() {
                options.push(self.option_arg()?);
            } else if field.is_some() && alias.is_none() && self.at_keyword("as", true) {
                alias = self.alias()?;
            } else if field.is_none() {
                field = Some(self.field_name("a field name or an option such as `span=1h`")?);
            } else {
                return Err(self.expected(&format!("an option such as `span=1h` or the end of `{}`", cmd.name))
                    .with_help(format!("`{}` takes one field", cmd.name)));
            }
        }
        let Some(field) = field else {
            return Err(SplError::new(if self.peek().is_none() { ErrorCode::UnexpectedEnd } else { ErrorCode::UnexpectedToken }, self.here(), format!("expected the field for `{}` to put into buckets", cmd.name))
                .with_label("field missing")
                .with_help(format!("write `{} _time span=1h`", cmd.name)));
        };
        Ok(BinCommand { options, field, alias })
    }

    /// `rename a as b [,] c as d ...`
    pub(super) fn rename_body(&mut self, cmd: &Ident) -> Result<Vec<RenamePair>, SplError> {
        let mut pairs = Vec::new();
        loop {
            self.ws();
            if self.at_command_end() {
                break;
            }
            if self.peek() == Some(',') && !pairs.is_empty() {
                self.advance(1);
                continue;
            }
            let from = self.field_name("a field name to rename")?;
            self.ws();
            let Some(kw) = self.keyword("as", true) else {
                return Err(self.expected(&format!("`as` after `{}`", from.name)).with_help("write `rename old as new`"));
            };
            self.ws();
            let to = self.field_name(&format!("a new name after `{}`", &self.src[kw.start..kw.end]))?;
            let span = from.span.join(to.span);
            pairs.push(RenamePair { from, to, span });
        }
        if pairs.is_empty() {
            return Err(self.expected(&format!("`field as newname` after `{}`", cmd.name)));
        }
        Ok(pairs)
    }

    /// `convert [timeformat=...] func(field) [as name] ...`
    pub(super) fn convert_body(&mut self, cmd: &Ident) -> Result<ConvertCommand, SplError> {
        let mut options = Vec::new();
        let mut conversions = Vec::new();
        loop {
            self.ws();
            if self.at_command_end() {
                break;
            }
            if self.peek() == Some(',') && !conversions.is_empty() {
                self.advance(1);
                continue;
            }
            if self.at_option() {
                options.push(self.option_arg()?);
                continue;
            }
            let Some((name, nspan)) = self.lex(lexer::simple_name) else {
                return Err(self.expected("a conversion such as `ctime(field)`"));
            };
            if self.peek() != Some('(') {
                return Err(self.expected(&format!("`(` after `{name}`")).with_help(format!("write `{name}(field)`")));
            }
            let open = self.next_token_span();
            self.advance(1);
            self.ws();
            let field = self.field_name(&format!("a field name inside `{name}(...)`"))?;
            self.close_call(open, name)?;
            let alias = self.alias()?;
            conversions.push(Conversion { func: Ident { name: name.to_string(), span: nspan }, field, alias, span: Span::new(nspan.start, self.last_end) });
        }
        if conversions.is_empty() {
            return Err(self.expected(&format!("a conversion such as `ctime(field)` after `{}`", cmd.name)));
        }
        Ok(ConvertCommand { options, conversions })
    }

    // -----------------------------------------------------------------------------------------
    // generic commands

    /// The arguments of a command without a structured form, up to the end of the command
    /// (`close == None`) or up to and including the `)` closing a group or call opened at
    /// `close`.
    pub(super) fn generic_args(&mut self, close: Option<Span>) -> Result<Vec<Arg>, SplError> {
        let mut args = Vec::new();
        loop {
            self.ws();
            let start = self.pos;
            let Some(c) = self.peek() else {
                return match close {
                    Some(open) => Err(self.unclosed(open, '(')),
                    None => Ok(args),
                };
            };
            match c {
                '|' if close.is_none() => return Ok(args),
                '|' => {
                    // Inside parentheses a pipe does not end the command.
                    self.advance(1);
                    args.push(Arg::Operator { op: "|".into(), span: Span::new(start, self.pos) });
                }
                ']' => {
                    if self.sub_depth == 0 {
                        return Err(self.unmatched_close());
                    }
                    return match close {
                        Some(open) => Err(self.unclosed(open, '(')),
                        None => Ok(args),
                    };
                }
                ')' => {
                    if close.is_some() {
                        self.advance(1);
                        return Ok(args);
                    }
                    return Err(self.unmatched_close());
                }
                ',' => {
                    self.advance(1);
                    args.push(Arg::Comma(Span::new(start, self.pos)));
                }
                '"' => args.push(Arg::Word(self.quoted_value()?)),
                '[' => args.push(Arg::Subsearch(Box::new(self.subsearch()?))),
                '(' => {
                    let open = self.next_token_span();
                    self.advance(1);
                    self.enter(open)?;
                    let inner = self.generic_args(Some(open))?;
                    self.leave();
                    args.push(Arg::Group { args: inner, span: Span::new(start, self.pos) });
                }
                '`' => return Err(self.macro_error()),
                _ => {
                    if let Some((op, span)) = self.lex(lexer::cmp_operator) {
                        args.push(Arg::Operator { op: op.to_string(), span });
                        continue;
                    }
                    args.push(self.generic_word()?);
                }
            }
        }
    }

    /// A word of a generic command, which may turn out to be `key=value` or `name(args)`.
    fn generic_word(&mut self) -> Result<Arg, SplError> {
        if self.at_option() {
            let save = (self.pos, self.last_end);
            // `key=` followed by a value; `key=` followed by nothing is a word and an operator.
            let n = lexer::word_len(self.rest(), |c| c == '=', false) + 1;
            let after = self.rest()[n..].chars().next();
            if after.is_some_and(|c| c == '"' || !option_value_stop(c)) {
                return Ok(Arg::Option(self.option_arg()?));
            }
            (self.pos, self.last_end) = save;
        }
        let Some((word, span)) = self.bare_word(generic_stop, true) else {
            return Err(self.expected("a command argument"));
        };
        if self.peek() == Some('(') {
            let open = self.next_token_span();
            self.advance(1);
            self.enter(open)?;
            let args = self.generic_args(Some(open))?;
            self.leave();
            return Ok(Arg::Call { name: Ident { name: word, span }, args, span: Span::new(span.start, self.pos) });
        }
        Ok(Arg::Word(Value { text: word, quoted: false, span, directive: None }))
    }
}
