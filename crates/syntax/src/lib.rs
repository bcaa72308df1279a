//! spelunk-syntax: SPL text to AST and back.
//!
//! - [`ast`]: the tree, with a [`ast::Span`] on every node.
//! - [`parser`]: nom parsers for pipelines, search expressions and eval expressions.
//! - [`printer`]: `Display` for every node, printing SPL that parses back to the same tree.
//! - [`normalize`]: strip spans to compare trees parsed from different text.
//! - [`diagnostics`]: [`SplError`] and the registry of stable error codes.
//! - [`registry`]: the one registry of commands and functions (parser, help, completion, explain).

pub mod ast;
pub mod diagnostics;
pub mod normalize;
pub mod parser;
pub mod printer;
pub mod registry;

pub use diagnostics::{ErrorCode, SplError};

/// Parse a whole query (already macro-expanded).
pub fn parse_pipeline(src: &str) -> Result<ast::Pipeline, SplError> {
    parser::pipeline(src)
}

/// Parse one eval/where expression (used for props.conf `EVAL-` definitions).
pub fn parse_expr(src: &str) -> Result<ast::Expr, SplError> {
    parser::expr(src)
}
