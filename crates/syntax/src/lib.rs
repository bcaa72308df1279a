//! spelunk-syntax: SPL text to AST and back.
//!
//! ```
//! let p = spelunk_syntax::parse_pipeline("a=1 OR b=2 c=3 | stats count by src").unwrap();
//! assert_eq!(p.to_string(), "a=1 OR b=2 c=3 | stats count by src");
//! ```
//!
//! Grammar decisions (details and Splunk documentation links in the parser modules):
//! - A query without a leading `|` starts with an implicit `search` (name `search`, empty span)
//!   unless its first word is `search`. Inside `[...]` a first word naming a registered command
//!   other than `search` starts that command (`foreach * [eval ...]`, `appendpipe [stats ...]`).
//!   Command names dispatch case-insensitively and keep their spelling.
//! - Triple-backtick comments and newlines are whitespace. A single backtick is an unexpanded
//!   macro and an error.
//! - search: NOT > OR > AND (juxtaposition or `AND`); `AND OR NOT IN` only in upper case,
//!   lower-case words are terms. An empty search or a lone `*` is `Search(None)`; a `*` among
//!   other terms is `Term("*")`. `"quoted"` before a comparison is a field name. A search
//!   holding a subsearch `[...]` is kept as `CommandKind::Generic`.
//! - eval/where: NOT > AND > OR > XOR for booleans, keywords in any case; `!` is NOT. Bare names
//!   may contain inner dots (`a.b` is one field); `.` is concatenation when not squeezed between
//!   name characters (`a . b`, `a."x"`). `'quoted'` names are fields, `"quoted"` are strings.
//! - Bare words keep backslashes as written; in quoted strings `"` and `\` are escapes and
//!   other backslashes stay (so regexes need no doubling).
//! - Nesting deeper than [`parser::MAX_DEPTH`] is an error, so no input overflows the stack.
//!
//! - [`ast`]: the tree, with a [`ast::Span`] on every node.
//! - [`parser`]: nom parsers for pipelines, search expressions and eval expressions.
//! - [`printer`]: `Display` for every node, printing SPL that parses back to the same tree.
//! - [`normalize`]: strip spans to compare trees parsed from different text.
//! - [`diagnostics`]: [`SplError`] and the registry of stable error codes.
//! - [`registry`]: the one registry of commands and functions (parser, help, completion, explain).
//! - [`visit`]: the one walker over expressions and search expressions, for every analysis pass.

pub mod ast;
pub mod diagnostics;
pub mod normalize;
pub mod parser;
pub mod printer;
pub mod registry;
pub mod visit;

pub use diagnostics::{ErrorCode, SplError};

/// Parse a whole query (already macro-expanded).
pub fn parse_pipeline(src: &str) -> Result<ast::Pipeline, SplError> {
    parser::pipeline(src)
}

/// Parse one eval/where expression (used for props.conf `EVAL-` definitions).
pub fn parse_expr(src: &str) -> Result<ast::Expr, SplError> {
    parser::expr(src)
}
