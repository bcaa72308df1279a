//! Span normalisation, for comparing trees that came from different text (e.g. a query and
//! its printed form): [`StripSpans::strip_spans`] sets every span in a tree to the empty span
//! `0..0`.
//!
//! ```
//! use spelunk_syntax::{parse_pipeline, normalize::without_spans};
//! let a = parse_pipeline("a=1  OR   b=2").unwrap();
//! let b = parse_pipeline("a=1 OR b=2").unwrap();
//! assert_ne!(a, b);
//! assert_eq!(without_spans(&a), without_spans(&b));
//! ```

use crate::ast::*;

/// Reset every span in a tree to `Span::default()`.
pub trait StripSpans {
    fn strip_spans(&mut self);
}

/// A copy of `t` with every span reset.
pub fn without_spans<T: StripSpans + Clone>(t: &T) -> T {
    let mut c = t.clone();
    c.strip_spans();
    c
}

impl<T: StripSpans> StripSpans for Vec<T> {
    fn strip_spans(&mut self) {
        self.iter_mut().for_each(StripSpans::strip_spans);
    }
}

impl<T: StripSpans> StripSpans for Option<T> {
    fn strip_spans(&mut self) {
        if let Some(x) = self {
            x.strip_spans();
        }
    }
}

impl<T: StripSpans> StripSpans for Box<T> {
    fn strip_spans(&mut self) {
        (**self).strip_spans();
    }
}

impl StripSpans for Span {
    fn strip_spans(&mut self) {
        *self = Span::default();
    }
}

impl StripSpans for Ident {
    fn strip_spans(&mut self) {
        self.span.strip_spans();
    }
}

impl StripSpans for Value {
    fn strip_spans(&mut self) {
        self.span.strip_spans();
    }
}

impl StripSpans for OptionArg {
    fn strip_spans(&mut self) {
        self.key.strip_spans();
        self.value.strip_spans();
        self.span.strip_spans();
    }
}

impl StripSpans for Pipeline {
    fn strip_spans(&mut self) {
        self.commands.strip_spans();
        self.span.strip_spans();
    }
}

impl StripSpans for Command {
    fn strip_spans(&mut self) {
        self.name.strip_spans();
        self.span.strip_spans();
        match &mut self.kind {
            CommandKind::Search(e) => e.strip_spans(),
            CommandKind::Where(e) => e.strip_spans(),
            CommandKind::Eval(a) => a.strip_spans(),
            CommandKind::Stats(s) => {
                s.options.strip_spans();
                s.aggs.strip_spans();
                s.by.strip_spans();
            }
            CommandKind::Bin(b) => {
                b.options.strip_spans();
                b.field.strip_spans();
                b.alias.strip_spans();
            }
            CommandKind::Rename(r) => r.strip_spans(),
            CommandKind::Convert(c) => {
                c.options.strip_spans();
                c.conversions.strip_spans();
            }
            CommandKind::Generic(args) => args.strip_spans(),
        }
    }
}

impl StripSpans for Assignment {
    fn strip_spans(&mut self) {
        self.field.strip_spans();
        self.value.strip_spans();
        self.span.strip_spans();
    }
}

impl StripSpans for Aggregation {
    fn strip_spans(&mut self) {
        self.func.strip_spans();
        match &mut self.arg {
            Some(AggArg::Field(i)) => i.strip_spans(),
            Some(AggArg::Eval(e)) => e.strip_spans(),
            None => {}
        }
        self.alias.strip_spans();
        self.span.strip_spans();
    }
}

impl StripSpans for RenamePair {
    fn strip_spans(&mut self) {
        self.from.strip_spans();
        self.to.strip_spans();
        self.span.strip_spans();
    }
}

impl StripSpans for Conversion {
    fn strip_spans(&mut self) {
        self.func.strip_spans();
        self.field.strip_spans();
        self.alias.strip_spans();
        self.span.strip_spans();
    }
}

impl StripSpans for Arg {
    fn strip_spans(&mut self) {
        match self {
            Arg::Option(o) => o.strip_spans(),
            Arg::Word(v) => v.strip_spans(),
            Arg::Comma(s) => s.strip_spans(),
            Arg::Call { name, args, span } => {
                name.strip_spans();
                args.strip_spans();
                span.strip_spans();
            }
            Arg::Group { args, span } => {
                args.strip_spans();
                span.strip_spans();
            }
            Arg::Subsearch(p) => p.strip_spans(),
            Arg::Operator { span, .. } => span.strip_spans(),
        }
    }
}

impl StripSpans for SearchExpr {
    fn strip_spans(&mut self) {
        match self {
            SearchExpr::And(items, s) | SearchExpr::Or(items, s) => {
                items.strip_spans();
                s.strip_spans();
            }
            SearchExpr::Not(x, s) | SearchExpr::Group(x, s) => {
                x.strip_spans();
                s.strip_spans();
            }
            SearchExpr::Compare { field, value, span, .. } => {
                field.strip_spans();
                value.strip_spans();
                span.strip_spans();
            }
            SearchExpr::In { field, values, span } => {
                field.strip_spans();
                values.strip_spans();
                span.strip_spans();
            }
            SearchExpr::Term(v) => v.strip_spans(),
        }
    }
}

impl StripSpans for Expr {
    fn strip_spans(&mut self) {
        self.span.strip_spans();
        match &mut self.kind {
            ExprKind::Field { .. } | ExprKind::Str(_) | ExprKind::Num { .. } => {}
            ExprKind::Unary { expr, .. } => expr.strip_spans(),
            ExprKind::Binary { left, right, .. } => {
                // down the left spine in a loop: `1+1+...+1` is as deep as it is long
                right.strip_spans();
                let mut cur: &mut Expr = left;
                loop {
                    match cur {
                        Expr { kind: ExprKind::Binary { left, right, .. }, span } => {
                            span.strip_spans();
                            right.strip_spans();
                            cur = left;
                        }
                        other => {
                            other.strip_spans();
                            break;
                        }
                    }
                }
            }
            ExprKind::Call { name, args } => {
                name.strip_spans();
                args.strip_spans();
            }
            ExprKind::In { expr, list, .. } => {
                expr.strip_spans();
                list.strip_spans();
            }
            ExprKind::Paren(e) => e.strip_spans(),
        }
    }
}
