//! Diagnostics with spans and the one registry of stable error codes.
//!
//! Every error spelunk reports about a query carries a code from [`ErrorCode`]; the code, its
//! one-line meaning and its help text live only here. Other crates build [`SplError`]s with
//! these codes; the CLI renders them through miette.

use crate::ast::Span;
use std::fmt;

macro_rules! error_codes {
    ($( $variant:ident = $code:literal, $title:literal; )*) => {
        /// Stable error codes. Never renumber: scripts and docs refer to them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $( $variant, )* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];
            /// `SPL0001` style code.
            pub fn code(self) -> &'static str { match self { $( ErrorCode::$variant => $code, )* } }
            /// One line saying what the code means.
            pub fn title(self) -> &'static str { match self { $( ErrorCode::$variant => $title, )* } }
        }
    };
}

error_codes! {
    // syntax: 00xx
    UnexpectedToken = "SPL0001", "unexpected token";
    UnexpectedEnd = "SPL0002", "query ends too early";
    UnbalancedQuote = "SPL0003", "unbalanced quote";
    UnbalancedParen = "SPL0004", "unbalanced parenthesis or bracket";
    EmptyCommand = "SPL0005", "empty command between pipes";
    InvalidNumber = "SPL0006", "invalid number";
    InvalidArgument = "SPL0007", "invalid command argument";
    // macros: 01xx
    UndefinedMacro = "SPL0101", "undefined macro";
    MacroArgCount = "SPL0102", "wrong number of macro arguments";
    RecursiveMacro = "SPL0103", "recursive macro";
    MacroValidation = "SPL0104", "macro argument validation failed";
    UnterminatedMacro = "SPL0105", "unterminated macro call";
    MacroConf = "SPL0106", "invalid macros.conf";
    MacroEval = "SPL0107", "eval-based macro (iseval) failed";
    MacroArgName = "SPL0108", "macro argument names do not match the definition";
    MacroTooLarge = "SPL0109", "macro expansion too large";
    // semantics: 02xx
    UnknownCommand = "SPL0201", "unknown command";
    UnknownFunction = "SPL0202", "unknown function";
    FunctionArity = "SPL0203", "wrong number of function arguments";
    UnsupportedCommand = "SPL0204", "command not supported by spelunk yet";
    InvalidOption = "SPL0205", "invalid option value";
    MissingArgument = "SPL0206", "missing argument";
    PropsConf = "SPL0207", "invalid props.conf";
    InvalidRegex = "SPL0208", "invalid regular expression";
    // execution: 03xx
    Runtime = "SPL0301", "error while running the query";
    // lints (warnings): 09xx
    LintLowercaseBoolean = "SPL0901", "lower-case boolean in search is a plain term";
    LintWhereBareWord = "SPL0902", "`where f=word` compares with the field `word`";
    LintNeVsNot = "SPL0903", "`!=` drops events that lack the field";
    LintWildcardInWhere = "SPL0904", "`*` is not a wildcard in where/eval `=`";
    LintGroupByMissingField = "SPL0905", "grouping by a field that never exists drops every event";
    LintRenameMissingField = "SPL0906", "renaming a field that cannot exist here";
}

impl ErrorCode {
    /// A lint finding (valid SPL that may not mean what was meant), shown as a warning.
    pub fn is_lint(self) -> bool {
        self.code().starts_with("SPL09")
    }
    /// A lint that is only a note (often intended, worth knowing), shown as advice.
    pub fn is_advice(self) -> bool {
        matches!(self, ErrorCode::LintNeVsNot)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An error (or warning) about a query, pointing at a span of the query text.
#[derive(Debug, Clone, PartialEq)]
pub struct SplError {
    pub code: ErrorCode,
    /// The main message ("expected a field name after `by`").
    pub message: String,
    pub span: Span,
    /// The label shown under the span ("here").
    pub label: String,
    /// What would be valid, or a suggestion ("did you mean `stats`?").
    pub help: Option<String>,
}

impl SplError {
    pub fn new(code: ErrorCode, span: Span, message: impl Into<String>) -> Self {
        SplError { code, message: message.into(), span, label: "here".into(), help: None }
    }
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    /// Attach the source text so miette can render the span.
    pub fn with_source(self, name: impl Into<String>, src: impl Into<String>) -> SourcedError {
        SourcedError { error: self, src: miette::NamedSource::new(name.into(), src.into()) }
    }
}

impl fmt::Display for SplError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for SplError {}

impl miette::Diagnostic for SplError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code.code()))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(miette::LabeledSpan::new_with_span(
            Some(self.label.clone()),
            self.span,
        ))))
    }
}

/// An [`SplError`] together with the text it points into, ready for miette to render.
#[derive(Debug)]
pub struct SourcedError {
    pub error: SplError,
    pub src: miette::NamedSource<String>,
}

impl fmt::Display for SourcedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for SourcedError {}

impl miette::Diagnostic for SourcedError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.error.code()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        miette::Diagnostic::help(&self.error)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.error.labels()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }
}

/// The closest candidate to `word` by edit distance, if close enough to suggest.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = levenshtein(&w, &c.to_ascii_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let limit = (word.chars().count() / 3).clamp(1, 3);
    best.filter(|(d, _)| *d <= limit).map(|(_, c)| c)
}

/// Edit distance counting insertions, deletions, substitutions and swaps of two adjacent
/// characters (optimal string alignment), so the typo `stast` is one edit from `stats`.
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 0..a.len() {
        let mut cur = vec![i + 1; b.len() + 1];
        for j in 0..b.len() {
            let cost = if a[i] == b[j] { 0 } else { 1 };
            let mut d = (prev[j + 1] + 1).min(cur[j] + 1).min(prev[j] + cost);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(prev2[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_stable_format() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.code()), "duplicate code {}", c.code());
            assert!(c.code().starts_with("SPL") && c.code().len() == 7);
        }
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("stast", ["stats", "eval", "where"]), Some("stats"));
        assert_eq!(did_you_mean("zzzzzz", ["stats", "eval"]), None);
    }
}
