//! The SPL abstract syntax tree. Every node carries the [`Span`] of the text it came from
//! (byte offsets into the macro-expanded query text), and every node prints back to SPL
//! through [`std::fmt::Display`] (see `printer.rs`).

/// A half-open byte range `start..end` into the (macro-expanded) query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.start, s.len()).into()
    }
}

/// A name with its span: a command name, a function name, a field name.
/// Field names keep their exact case (Splunk field names are case-sensitive).
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A whole query: `cmd | cmd | ...`. The first command of a query written without a leading
/// `|` is an implicit `search`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub commands: Vec<Command>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// The command name as written (`bucket`, `bin`, ...). For an implicit search the name is
    /// `search` with an empty span.
    pub name: Ident,
    pub kind: CommandKind,
    pub span: Span,
}

/// Commands with a structured form. Every other well-formed command parses as
/// [`CommandKind::Generic`], so `spelunk check` can name commands spelunk does not run yet.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandKind {
    /// `search <expr>` or the implicit first search. `None` for an empty search (`search` alone / `*`).
    Search(Option<SearchExpr>),
    /// `where <expr>`
    Where(Expr),
    /// `eval f=expr, g=expr`
    Eval(Vec<Assignment>),
    /// `stats`, `eventstats`, `streamstats` (the name tells which). `options` holds `key=value`
    /// options such as `window=5` or `current=f`.
    Stats(StatsCommand),
    /// `bin` / `bucket`: `bin [options] field [as newname]`
    Bin(BinCommand),
    /// `rename a as b, c as d`
    Rename(Vec<RenamePair>),
    /// `convert [timeformat=...] fn(field) [as name] ...`
    Convert(ConvertCommand),
    /// Any other command: its arguments in a generic, printable form.
    Generic(Vec<Arg>),
}

/// One `name = expression` of `eval`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub field: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatsCommand {
    /// `key=value` options before the aggregations (`window=`, `current=`, `allnum=`, ...).
    pub options: Vec<OptionArg>,
    pub aggs: Vec<Aggregation>,
    /// BY fields in order, empty when there is no BY clause.
    pub by: Vec<Ident>,
}

/// `func`, `func(field)`, `func(eval(expr))`, each optionally `as alias`.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregation {
    /// The function name as written (`count`, `dc`, `values`, `perc95`, `p50`, ...).
    pub func: Ident,
    pub arg: Option<AggArg>,
    pub alias: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AggArg {
    Field(Ident),
    /// `eval(<expr>)` inside an aggregation.
    Eval(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct BinCommand {
    /// `span=1h`, `bins=10`, `minspan=`, `start=`, `end=`, `aligntime=` in the order written.
    pub options: Vec<OptionArg>,
    pub field: Ident,
    pub alias: Option<Ident>,
}

/// `from as to`; either side may contain `*` wildcards (rename only).
#[derive(Debug, Clone, PartialEq)]
pub struct RenamePair {
    pub from: Ident,
    pub to: Ident,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConvertCommand {
    /// `timeformat="..."` and any other `key=value` options.
    pub options: Vec<OptionArg>,
    pub conversions: Vec<Conversion>,
}

/// `ctime(firstTime) as first` in `convert`.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    pub func: Ident,
    /// The field (may be a wildcard pattern such as `*` or `time*`).
    pub field: Ident,
    pub alias: Option<Ident>,
    pub span: Span,
}

/// `key=value` option argument.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionArg {
    pub key: Ident,
    pub value: Value,
    pub span: Span,
}

/// A literal word or quoted string as written in a command argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The text with quotes removed and escapes (`\"`, `\\`) resolved.
    pub text: String,
    pub quoted: bool,
    pub span: Span,
    /// In a search only: the value was written inside `TERM(...)` or `CASE(...)` (the span
    /// then covers the whole directive). Always `None` in other commands.
    pub directive: Option<Directive>,
}

/// A search directive wrapped around a term or value
/// (<https://help.splunk.com/splunk-enterprise/search/search-manual/9.0/search-primer/use-case-and-term-to-match-phrases>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    /// `TERM(x)`: `x` as one whole term of the raw text, bounded by major breakers (spaces,
    /// quotes, brackets, commas, ...) even if it holds minor breakers such as `.`, `=` or `_`.
    Term,
    /// `CASE(x)`: match `x` case-sensitively.
    Case,
}

impl Directive {
    pub fn keyword(self) -> &'static str {
        match self {
            Directive::Term => "TERM",
            Directive::Case => "CASE",
        }
    }
}

/// An argument of a generic command.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// `key=value`
    Option(OptionArg),
    /// A bare word or quoted string (field names, `as`, `by`, numbers, ...).
    Word(Value),
    /// `,`
    Comma(Span),
    /// `name(args...)`, e.g. `ctime(_time)` or `num(count)`.
    Call { name: Ident, args: Vec<Arg>, span: Span },
    /// `( ... )` not preceded by a name.
    Group { args: Vec<Arg>, span: Span },
    /// `[ subsearch ]`
    Subsearch(Box<Pipeline>),
    /// A comparison operator token kept verbatim (`!=`, `<`, `>=` ...), e.g. in `regex f!="x"`.
    Operator { op: String, span: Span },
}

// ---------------------------------------------------------------------------------------------
// search expressions

/// The boolean expression of `search`. Splunk's precedence: `NOT` binds tightest, then `OR`,
/// then AND (explicit `AND` or juxtaposition). So `a OR b c` is `(a OR b) AND c`.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchExpr {
    And(Vec<SearchExpr>, Span),
    Or(Vec<SearchExpr>, Span),
    Not(Box<SearchExpr>, Span),
    /// `field=value`, `field!=value`, `field<value`, ... (value may hold `*` wildcards unless quoted-literal rules apply)
    Compare { field: Ident, op: CmpOp, value: Value, span: Span },
    /// `field IN (a, b*, "c d")`
    In { field: Ident, values: Vec<Value>, span: Span },
    /// A bare term or quoted phrase, matched against `_raw` (may contain `*`).
    Term(Value),
    /// A parenthesised group, kept so the printer can reproduce it.
    Group(Box<SearchExpr>, Span),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

impl SearchExpr {
    pub fn span(&self) -> Span {
        match self {
            SearchExpr::And(_, s)
            | SearchExpr::Or(_, s)
            | SearchExpr::Not(_, s)
            | SearchExpr::Compare { span: s, .. }
            | SearchExpr::In { span: s, .. }
            | SearchExpr::Group(_, s) => *s,
            SearchExpr::Term(v) => v.span,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// eval / where expressions

/// An eval expression. A chain of binary operators (`a + b + c`) nests to the left, one level
/// per operator, so a long chain is a very deep tree: `Clone`, `PartialEq` and `Drop` walk the
/// left spine in a loop rather than recursing per level (see also [`crate::visit::walk_expr`]).
#[derive(Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// The left spine of `self`: the binary nodes from `self` down (each with its operator,
    /// right operand and span), and the first operand that is not a binary node.
    fn left_spine(&self) -> (Vec<(BinaryOp, &Expr, Span)>, &Expr) {
        let mut spine = Vec::new();
        let mut cur = self;
        while let ExprKind::Binary { op, left, right } = &cur.kind {
            spine.push((*op, right.as_ref(), cur.span));
            cur = left;
        }
        (spine, cur)
    }
}

impl Clone for Expr {
    fn clone(&self) -> Self {
        if !matches!(self.kind, ExprKind::Binary { .. }) {
            return Expr { kind: self.kind.clone(), span: self.span };
        }
        let (spine, first) = self.left_spine();
        let mut acc = first.clone();
        for (op, right, span) in spine.into_iter().rev() {
            acc = Expr { kind: ExprKind::Binary { op, left: Box::new(acc), right: Box::new(right.clone()) }, span };
        }
        acc
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        if !matches!(self.kind, ExprKind::Binary { .. }) || !matches!(other.kind, ExprKind::Binary { .. }) {
            return self.span == other.span && self.kind == other.kind;
        }
        let ((a, a0), (b, b0)) = (self.left_spine(), other.left_spine());
        a.len() == b.len() && a.iter().zip(&b).all(|((o1, r1, s1), (o2, r2, s2))| o1 == o2 && s1 == s2 && r1 == r2) && a0 == b0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A field reference: a bare name (`user`, `api.response.error`, `resources{}.ARN`) or a
    /// single-quoted name (`'resources{}.type'`). `quoted` records which, for printing.
    Field { name: String, quoted: bool },
    /// A double-quoted string literal (escapes resolved).
    Str(String),
    /// A numeric literal, kept as written (`5`, `1.5`, `0x1F` is not SPL) plus its value.
    Num { text: String, value: f64 },
    /// `true()` / `false()` are calls; bare `true`/`false` in eval are field names in Splunk,
    /// so there is no boolean literal here.
    Unary { op: UnaryOp, expr: Box<Expr> },
    Binary { op: BinaryOp, left: Box<Expr>, right: Box<Expr> },
    /// `f(args)`; the name keeps its case as written (eval function names are case-insensitive
    /// for lookup? No: Splunk's eval function names are lower-case; the registry decides).
    Call { name: Ident, args: Vec<Expr> },
    /// `x IN (a, b, c)` (the operator form; `in(x, a, b)` is a Call).
    In { expr: Box<Expr>, list: Vec<Expr>, negated: bool },
    /// `( expr )`, kept for printing.
    Paren(Box<Expr>),
}

impl Drop for Expr {
    /// Dropping a tree as deep as a long chain (`1+1+...+1` nests one `Binary` per `+`) would
    /// recurse once per level: move the sub-trees out onto a heap stack and drop them one by one.
    fn drop(&mut self) {
        fn take_children(kind: &mut ExprKind, out: &mut Vec<Expr>) {
            let mut take = |e: &mut Expr| {
                // leaves drop without recursing: leave them in place
                if matches!(e.kind, ExprKind::Unary { .. } | ExprKind::Binary { .. } | ExprKind::Call { .. } | ExprKind::In { .. } | ExprKind::Paren(_)) {
                    out.push(std::mem::replace(e, Expr { kind: ExprKind::Str(String::new()), span: e.span }));
                }
            };
            match kind {
                ExprKind::Unary { expr, .. } | ExprKind::Paren(expr) => take(expr),
                ExprKind::Binary { left, right, .. } => {
                    take(left);
                    take(right);
                }
                ExprKind::Call { args, .. } => args.iter_mut().for_each(take),
                ExprKind::In { expr, list, .. } => {
                    take(expr);
                    list.iter_mut().for_each(take);
                }
                ExprKind::Field { .. } | ExprKind::Str(_) | ExprKind::Num { .. } => {}
            }
        }
        let mut pending = Vec::new();
        take_children(&mut self.kind, &mut pending);
        while let Some(mut e) = pending.pop() {
            take_children(&mut e.kind, &mut pending);
            // `e` now holds only leaves and drops without going deeper
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Not,
    Neg,
    Plus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    Xor,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// `.` string concatenation
    Concat,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::Xor => "XOR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Like => "LIKE",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Concat => ".",
        }
    }
}
