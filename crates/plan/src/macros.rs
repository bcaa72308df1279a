//! Backtick macros from `macros.conf`, expanded textually before parsing, as Splunk does.
//!
//! Splunk doc: "Use search macros in searches" / macros.conf spec
//! (https://docs.splunk.com/Documentation/Splunk/latest/Knowledge/Usesearchmacros,
//! https://docs.splunk.com/Documentation/Splunk/latest/Admin/Macrosconf): a macro is called as
//! `` `name` `` or `` `name(arg1, arg2)` ``; a macro with N arguments is defined in a stanza
//! `[name(N)]` with `args = a, b` and `$a$` in its definition; arguments are positional, or
//! named as `name(a=1, b=2)`. Triple backticks start and end a comment.

use indexmap::IndexMap;
use spelunk_syntax::ast::Span;
use spelunk_syntax::{ErrorCode, SplError};

/// One macro definition.
#[derive(Debug, Clone, PartialEq)]
pub struct MacroDef {
    pub name: String,
    pub args: Vec<String>,
    pub definition: String,
    /// `iseval = 1`: the definition is an eval expression producing the expansion text.
    pub iseval: bool,
    /// `validation = <eval expr>` with `errormsg`.
    pub validation: Option<String>,
    pub errormsg: Option<String>,
    pub description: Option<String>,
    /// Where it was defined ("built-in queries/macros.conf", a file path...).
    pub origin: String,
}

/// A set of macros keyed by `name` and arity (`name(2)` is a different macro from `name`).
#[derive(Debug, Clone, Default)]
pub struct MacroSet {
    defs: IndexMap<(String, usize), MacroDef>,
    /// Evaluates the eval expressions of `iseval` definitions and `validation` checks. The
    /// evaluator lives in spelunk-exec (which depends on this crate), so it is handed in.
    evaluator: Option<ConstEval>,
}

/// The value of a constant eval expression (macro arguments are already substituted).
#[derive(Debug, Clone, PartialEq)]
pub enum ConstValue {
    Null,
    Bool(bool),
    Text(String),
}

/// Evaluate an eval expression that reads no fields.
pub type ConstEval = fn(&str) -> Result<ConstValue, String>;

/// The macros shipped with spelunk (`queries/macros.conf`), compiled in.
pub const DEFAULT_MACROS: &str = include_str!("../../../queries/macros.conf");

impl MacroSet {
    /// The compiled-in defaults.
    pub fn builtin() -> Result<MacroSet, ConfError> {
        let mut m = MacroSet::default();
        m.load_conf(DEFAULT_MACROS, "built-in queries/macros.conf")?;
        Ok(m)
    }

    /// Give the set an eval evaluator, so `iseval` macros and `validation` checks run.
    pub fn set_evaluator(&mut self, eval: ConstEval) {
        self.evaluator = Some(eval);
    }

    pub fn insert(&mut self, def: MacroDef) {
        self.defs.insert((def.name.clone(), def.args.len()), def);
    }

    pub fn get(&self, name: &str, arity: usize) -> Option<&MacroDef> {
        self.defs.get(&(name.to_string(), arity))
    }

    pub fn iter(&self) -> impl Iterator<Item = &MacroDef> {
        self.defs.values()
    }

    pub fn len(&self) -> usize {
        self.defs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Names (without arity) for suggestions and completion.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.defs.keys().map(|(n, _)| n.as_str())
    }

    /// Read a macros.conf text; later definitions override earlier ones.
    pub fn load_conf(&mut self, text: &str, origin: &str) -> Result<(), ConfError> {
        for stanza in parse_conf(text, origin)? {
            let (name, arity) = match stanza.name.find('(') {
                Some(open) if stanza.name.ends_with(')') => {
                    let n = stanza.name[open + 1..stanza.name.len() - 1].trim();
                    let arity: usize = n.parse().map_err(|_| ConfError {
                        origin: origin.to_string(),
                        line: stanza.line,
                        message: format!("bad macro arity `{}` in stanza [{}]", n, stanza.name),
                    })?;
                    (stanza.name[..open].trim().to_string(), arity)
                }
                _ => (stanza.name.trim().to_string(), 0),
            };
            let get = |k: &str| stanza.keys.get(k).cloned();
            let args: Vec<String> = get("args")
                .map(|a| a.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default();
            if args.len() != arity {
                return Err(ConfError {
                    origin: origin.to_string(),
                    line: stanza.line,
                    message: format!("macro [{}] declares {} argument(s) but `args` names {}", stanza.name, arity, args.len()),
                });
            }
            let definition = get("definition").ok_or_else(|| ConfError {
                origin: origin.to_string(),
                line: stanza.line,
                message: format!("macro [{}] has no `definition`", stanza.name),
            })?;
            self.insert(MacroDef {
                name,
                args,
                definition,
                iseval: get("iseval").map(|v| matches!(v.trim(), "1" | "true" | "t")).unwrap_or(false),
                validation: get("validation"),
                errormsg: get("errormsg"),
                description: get("description"),
                origin: origin.to_string(),
            });
        }
        Ok(())
    }
}

/// An error in a `.conf` file, with the line it was found at.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfError {
    pub origin: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ConfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.origin, self.line, self.message)
    }
}

impl std::error::Error for ConfError {}

/// One `[stanza]` of a Splunk .conf file with its `key = value` lines in order.
#[derive(Debug, Clone)]
pub struct Stanza {
    pub name: String,
    pub line: usize,
    pub keys: IndexMap<String, String>,
    /// The line of each key, for error messages.
    pub key_lines: IndexMap<String, usize>,
}

/// Parse Splunk .conf syntax: `[stanza]` headers, `key = value`, `#` comment lines, and a
/// trailing `\` continuing a value on the next line (the newline is kept, as Splunk does).
pub fn parse_conf(text: &str, origin: &str) -> Result<Vec<Stanza>, ConfError> {
    let mut out: Vec<Stanza> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let lineno = i + 1;
        let line = lines[i].trim();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            let name = line.trim_start_matches('[');
            let Some(end) = name.rfind(']') else {
                return Err(ConfError { origin: origin.into(), line: lineno, message: format!("unterminated stanza header `{line}`") });
            };
            out.push(Stanza { name: name[..end].to_string(), line: lineno, keys: IndexMap::new(), key_lines: IndexMap::new() });
            continue;
        }
        let Some(eq) = line.find('=') else {
            return Err(ConfError { origin: origin.into(), line: lineno, message: format!("expected `key = value`, found `{line}`") });
        };
        let key = line[..eq].trim().to_string();
        let mut value = line[eq + 1..].trim().to_string();
        while value.ends_with('\\') {
            value.pop();
            if i >= lines.len() {
                break;
            }
            value.push('\n');
            value.push_str(lines[i].trim_end());
            i += 1;
        }
        if out.is_empty() {
            // keys before any stanza belong to [default]
            out.push(Stanza { name: "default".into(), line: lineno, keys: IndexMap::new(), key_lines: IndexMap::new() });
        }
        let Some(stanza) = out.last_mut() else { continue };
        stanza.key_lines.insert(key.clone(), lineno);
        stanza.keys.insert(key, value.trim().to_string());
    }
    Ok(out)
}

/// One macro call that was expanded: where it stood in the text it was found in, and where its
/// expansion stands in the final text.
#[derive(Debug, Clone, PartialEq)]
pub struct Expansion {
    /// The call as written (`security_content_ctime(firstTime)`).
    pub call: String,
    pub name: String,
    /// Span of the backtick call in the user's original text (for nested macros: the outermost call).
    pub original: Span,
    /// Range of the expansion in the expanded text.
    pub expanded: Span,
    /// The expansion text.
    pub text: String,
    /// Nesting depth (0 = written by the user).
    pub depth: usize,
}

/// The query after macro expansion, with a map back to the original text.
#[derive(Debug, Clone, PartialEq)]
pub struct Expanded {
    pub original: String,
    pub text: String,
    /// Top-level and nested expansions in order of appearance.
    pub expansions: Vec<Expansion>,
    /// (expanded offset, original offset) pairs at the start of each verbatim run, for mapping.
    anchors: Vec<(usize, usize, usize)>, // (exp_start, orig_start, len) verbatim runs
}

impl Expanded {
    /// Map a span of the expanded text back to the user's text: verbatim text maps exactly,
    /// anything inside an expansion maps to the whole backtick call.
    pub fn map_span(&self, span: Span) -> Span {
        let map_point = |p: usize, is_end: bool| -> usize {
            for &(es, os, len) in &self.anchors {
                if p >= es && (p < es + len || (is_end && p == es + len)) {
                    return os + (p - es);
                }
            }
            // inside an expansion: find the top-level expansion containing p
            for e in self.expansions.iter().filter(|e| e.depth == 0) {
                if p >= e.expanded.start && p <= e.expanded.end {
                    return if is_end { e.original.end } else { e.original.start };
                }
            }
            p.min(self.original.len())
        };
        let start = map_point(span.start, false);
        let end = map_point(span.end, true).max(start);
        Span::new(start, end)
    }
}

impl Expanded {
    /// Map an error about the expanded text back to the user's text. An error found inside a
    /// macro's expansion (or, for a syntax error, at the token right after it: the expansion
    /// left something unfinished, as `eval x=(1+` does) points at the backtick call, says which
    /// macro it is in, and shows the expansion in the help. Other errors only have their span
    /// mapped ([`Expanded::map_span`]).
    pub fn locate(&self, mut error: SplError) -> SplError {
        let span = error.span;
        let Some((top, inner)) = self.responsible(&error) else {
            error.span = self.map_span(span);
            return error;
        };
        let inside = span.start < top.expanded.end;
        error.span = if inside { self.map_span(span) } else { top.original };
        error.message = format!("in the expansion of macro `{}`: {}", inner.name, error.message);
        error.label = format!("in the expansion of `{}`", top.call);
        let mut note = format!("`{}` expands to: {}", inner.call, snippet(&inner.text, span.start.saturating_sub(inner.expanded.start)));
        if inside && span.end > span.start && span.end <= inner.expanded.end {
            if let Some(piece) = self.text.get(span.start..span.end) {
                note.push_str(&format!("\nthe error is at `{}` in that text", snippet(piece, 0)));
            }
        }
        if !std::ptr::eq(top, inner) {
            note.push_str(&format!("\n(`{}` is called from `{}`)", inner.call, top.call));
        }
        error.help = Some(match error.help.take() {
            Some(h) => format!("{h}\n{note}"),
            None => note,
        });
        error
    }

    /// The top-level expansion an error belongs to, and the innermost expansion within it.
    fn responsible(&self, error: &SplError) -> Option<(&Expansion, &Expansion)> {
        let p = error.span.start;
        let syntax = matches!(error.code, ErrorCode::UnexpectedToken | ErrorCode::UnexpectedEnd | ErrorCode::UnbalancedParen | ErrorCode::UnbalancedQuote | ErrorCode::EmptyCommand);
        let top = self.expansions.iter().filter(|e| e.depth == 0 && e.expanded.end > e.expanded.start).find(|e| {
            (p >= e.expanded.start && p < e.expanded.end) || (syntax && p >= e.expanded.end && self.text.get(e.expanded.end..p).is_some_and(|gap| gap.trim().is_empty()))
        })?;
        let q = p.min(top.expanded.end - 1);
        let inner = self
            .expansions
            .iter()
            .filter(|e| e.expanded.start <= q && q < e.expanded.end && e.expanded.start >= top.expanded.start && e.expanded.end <= top.expanded.end)
            .max_by_key(|e| e.depth)
            .unwrap_or(top);
        Some((top, inner))
    }
}

/// At most about 120 characters of `text` around byte `at`, on one line.
fn snippet(text: &str, at: usize) -> String {
    const WIDTH: usize = 120;
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.len() <= WIDTH {
        return one_line(text);
    }
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(at.min(text.len()).saturating_sub(WIDTH * 2 / 3));
    let end = floor((start + WIDTH).min(text.len()));
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&one_line(&text[start..end]));
    if end < text.len() {
        out.push('…');
    }
    out
}

const MAX_DEPTH: usize = 50;
/// The longest expanded query (macros calling macros can double it at every level).
pub const MAX_EXPANDED_BYTES: usize = 1 << 20;
/// The most macro calls one query may expand (each is recorded for `explain`).
pub const MAX_EXPANSIONS: usize = 10_000;

fn too_large(span: Span, what: String) -> SplError {
    SplError::new(ErrorCode::MacroTooLarge, span, what).with_help(format!(
        "spelunk expands at most {MAX_EXPANSIONS} macro calls into at most {} MiB of query text; check the macros for calls that repeat or double",
        MAX_EXPANDED_BYTES >> 20
    ))
}

/// Expand every backtick macro in `query` (recursively), removing ```comments```.
pub fn expand(query: &str, macros: &MacroSet) -> Result<Expanded, SplError> {
    let mut out = String::with_capacity(query.len());
    let mut expansions = Vec::new();
    let mut anchors = Vec::new();
    expand_into(query, macros, &mut out, &mut expansions, &mut anchors, &mut Vec::new(), None, 0)?;
    Ok(Expanded { original: query.to_string(), text: out, expansions, anchors })
}

#[allow(clippy::too_many_arguments)]
fn expand_into(
    text: &str,
    macros: &MacroSet,
    out: &mut String,
    expansions: &mut Vec<Expansion>,
    anchors: &mut Vec<(usize, usize, usize)>,
    stack: &mut Vec<String>,
    // for nested text: the span of the top-level call in the original (errors point there)
    outer: Option<Span>,
    depth: usize,
) -> Result<(), SplError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut run_start = 0; // start of the current verbatim run in `text`
    let mut run_out = out.len();
    let mut in_quote = false;
    let flush = |anchors: &mut Vec<(usize, usize, usize)>, run_out: usize, run_start: usize, upto: usize| {
        if outer.is_none() && upto > run_start {
            anchors.push((run_out, run_start, upto - run_start));
        }
    };
    while i < bytes.len() {
        let c = bytes[i];
        if in_quote {
            if c == b'\\' && i + 1 < bytes.len() {
                i += 2;
                continue;
            }
            if c == b'"' {
                in_quote = false;
            }
            i += 1;
            continue;
        }
        // outside quotes too, a backslash escapes the next character (`a=*\"x\"*`): an
        // escaped quote does not open a string (a backtick stays a macro call or comment)
        if c == b'\\' && matches!(bytes.get(i + 1), Some(b'"' | b'\\')) {
            i += 2;
            continue;
        }
        if c == b'"' {
            in_quote = true;
            i += 1;
            continue;
        }
        if c != b'`' {
            i += 1;
            continue;
        }
        // a backtick outside quotes: comment or macro call
        out.push_str(&text[run_start..i]);
        flush(anchors, run_out, run_start, i);
        if text[i..].starts_with("```") {
            let end = text[i + 3..].find("```").map(|e| i + 3 + e + 3).unwrap_or(text.len());
            // a comment becomes one space so tokens on either side stay apart
            out.push(' ');
            i = end;
            run_start = i;
            run_out = out.len();
            continue;
        }
        let Some(close) = text[i + 1..].find('`').map(|e| i + 1 + e) else {
            let span = outer.unwrap_or(Span::new(i, text.len()));
            return Err(SplError::new(ErrorCode::UnterminatedMacro, span, "macro call has no closing backtick")
                .with_help("macro calls are written `name` or `name(arg1, arg2)` between backticks"));
        };
        let call = &text[i + 1..close];
        let call_span = outer.unwrap_or(Span::new(i, close + 1));
        let (name, args) = parse_call(call).map_err(|m| SplError::new(ErrorCode::UnterminatedMacro, call_span, m))?;
        let def = macros.get(&name, args.len()).ok_or_else(|| undefined(macros, &name, args.len(), call_span))?;
        if stack.iter().any(|n| n == &name) || depth >= MAX_DEPTH {
            return Err(SplError::new(
                ErrorCode::RecursiveMacro,
                call_span,
                format!("macro `{}` expands to itself ({} -> {})", name, stack.join(" -> "), name),
            )
            .with_help("a macro may not call itself, directly or through other macros"));
        }
        let values = arg_values(def, &args, call_span)?;
        let mut body = fill(&def.definition, def, &values);
        if let Some(validation) = &def.validation {
            validate(macros, def, &fill(validation, def, &values), def.errormsg.as_ref().map(|m| fill(m, def, &values)), call_span)?;
        }
        if def.iseval {
            body = eval_definition(macros, def, &body, call_span)?;
        }
        if out.len() + body.len() > MAX_EXPANDED_BYTES {
            return Err(too_large(call_span, format!("macro `{name}` expands the query beyond {} MiB", MAX_EXPANDED_BYTES >> 20)));
        }
        if expansions.len() >= MAX_EXPANSIONS {
            return Err(too_large(call_span, format!("macro `{name}` makes more than {MAX_EXPANSIONS} macro calls")));
        }
        let start_out = out.len();
        stack.push(name.clone());
        let idx = expansions.len();
        expansions.push(Expansion {
            call: call.to_string(),
            name: name.clone(),
            original: call_span,
            expanded: Span::new(start_out, start_out),
            text: String::new(),
            depth,
        });
        expand_into(&body, macros, out, expansions, anchors, stack, Some(call_span), depth + 1)?;
        stack.pop();
        expansions[idx].expanded = Span::new(start_out, out.len());
        expansions[idx].text = out[start_out..].to_string();
        i = close + 1;
        run_start = i;
        run_out = out.len();
    }
    if out.len() + (text.len() - run_start) > MAX_EXPANDED_BYTES {
        return Err(too_large(outer.unwrap_or(Span::new(0, text.len())), format!("the expanded query is larger than {} MiB", MAX_EXPANDED_BYTES >> 20)));
    }
    out.push_str(&text[run_start..]);
    flush(anchors, run_out, run_start, text.len());
    Ok(())
}

fn undefined(macros: &MacroSet, name: &str, arity: usize, span: Span) -> SplError {
    let arities: Vec<usize> = macros.iter().filter(|m| m.name == name).map(|m| m.args.len()).collect();
    if !arities.is_empty() {
        let list: Vec<String> = arities.iter().map(|a| a.to_string()).collect();
        return SplError::new(
            ErrorCode::MacroArgCount,
            span,
            format!("macro `{}` takes {} argument(s), but the call gives {}", name, list.join(" or "), arity),
        )
        .with_label("this call");
    }
    let mut err = SplError::new(ErrorCode::UndefinedMacro, span, format!("macro `{}` is not defined", name)).with_label("this call");
    if let Some(s) = spelunk_syntax::diagnostics::did_you_mean(name, macros.names()) {
        err = err.with_help(format!("did you mean `{}`?", s));
    } else {
        err = err.with_help("define it in a macros.conf file passed with --macros");
    }
    err
}

/// A macro call's arguments: `(Some(name), value)` for `name=value`, `(None, value)` by position.
type CallArgs = Vec<(Option<String>, String)>;

/// Split `name(a, b="x, y")` into the name and its arguments (positional or `k=v`).
fn parse_call(call: &str) -> Result<(String, CallArgs), String> {
    let call = call.trim();
    let Some(open) = call.find('(') else {
        if call.is_empty() {
            return Err("empty macro call ``".into());
        }
        return Ok((call.to_string(), Vec::new()));
    };
    if !call.ends_with(')') {
        return Err(format!("macro call `{}` has an unclosed argument list", call));
    }
    let name = call[..open].trim().to_string();
    let inner = &call[open + 1..call.len() - 1];
    let mut args: Vec<String> = Vec::new();
    if inner.trim().is_empty() {
        return Ok((name, Vec::new()));
    }
    // split on commas outside quotes and parentheses
    let mut depth = 0i32;
    let mut in_q = false;
    let mut cur = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_q || matches!(chars.peek(), Some('"' | '\\')) => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '"' => {
                in_q = !in_q;
                cur.push(c);
            }
            '(' if !in_q => {
                depth += 1;
                cur.push(c);
            }
            ')' if !in_q => {
                depth -= 1;
                cur.push(c);
            }
            ',' if !in_q && depth == 0 => {
                args.push(std::mem::take(&mut cur));
            }
            _ => cur.push(c),
        }
    }
    args.push(cur);
    let args = args
        .into_iter()
        .map(|a| {
            let a = a.trim().to_string();
            // named argument: ident=value (not == and not inside quotes at the start)
            if let Some(eq) = a.find('=') {
                let k = a[..eq].trim();
                if !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_') && !a[eq + 1..].starts_with('=') {
                    return (Some(k.to_string()), a[eq + 1..].trim().to_string());
                }
            }
            (None, a)
        })
        .collect();
    Ok((name, args))
}

/// The value of each declared argument, from positional or named (`name(a=1, b=2)`) arguments.
///
/// A call names all of its arguments or none of them: once one argument is written
/// `name=value`, every argument must be, each with a name from the stanza's `args` (in any
/// order, each once). The docs show only calls that are all positional or all named
/// (`iis_search(fragment=TM)`); spelunk rejects anything else instead of guessing, so that a
/// misspelt name is not substituted as the text `x=1`. A positional value that contains `=`
/// is still possible when the name before `=` is not a plain word (`m("a=1")`, `m(a==1)`).
fn arg_values(def: &MacroDef, args: &[(Option<String>, String)], span: Span) -> Result<Vec<String>, SplError> {
    let names = def.args.join(", ");
    let bad = |message: String| {
        SplError::new(ErrorCode::MacroArgName, span, message)
            .with_label("this call")
            .with_help(format!("macro `{}` takes the arguments {}: give them all by position, or name them all (`{}({})`)", def.name, names, def.name, def.args.iter().map(|a| format!("{a}=...")).collect::<Vec<_>>().join(", ")))
    };
    let named = args.iter().filter(|(k, _)| k.is_some()).count();
    let mut values: Vec<Option<String>> = vec![None; def.args.len()];
    if named == 0 {
        for (slot, (_, v)) in values.iter_mut().zip(args) {
            *slot = Some(v.clone());
        }
    } else if named < args.len() {
        return Err(bad(format!("the call of macro `{}` mixes named (`name=value`) and positional arguments", def.name)));
    } else {
        for (k, v) in args {
            let Some(k) = k else { continue };
            let Some(idx) = def.args.iter().position(|a| a == k) else {
                return Err(bad(format!("macro `{}` has no argument named `{}`", def.name, k)));
            };
            if values[idx].is_some() {
                return Err(bad(format!("argument `{}` of macro `{}` is given twice", k, def.name)));
            }
            values[idx] = Some(v.clone());
        }
    }
    def.args
        .iter()
        .zip(values)
        .map(|(name, v)| v.ok_or_else(|| SplError::new(ErrorCode::MacroArgCount, span, format!("argument `{}` of macro `{}` is not given", name, def.name))))
        .collect()
}

/// Put the argument values in place of `$arg$` in a definition, validation or error message.
fn fill(text: &str, def: &MacroDef, values: &[String]) -> String {
    let mut out = text.to_string();
    for (name, v) in def.args.iter().zip(values) {
        out = out.replace(&format!("${}$", name), v);
    }
    out
}

/// macros.conf's `validation`: an eval expression over the arguments. A boolean passes when
/// true and fails (with `errormsg`) when false or null; a non-boolean passes when null, and any
/// text it returns is the error message.
fn validate(macros: &MacroSet, def: &MacroDef, expr: &str, errormsg: Option<String>, span: Span) -> Result<(), SplError> {
    let Some(eval) = macros.evaluator else { return Ok(()) };
    let fail = |m: String| SplError::new(ErrorCode::MacroValidation, span, m).with_label("this call").with_help(format!("macro `{}` checks its arguments with: {}", def.name, expr));
    match eval(expr) {
        Ok(ConstValue::Bool(true)) => Ok(()),
        Ok(ConstValue::Null) if errormsg.is_none() => Ok(()),
        Ok(ConstValue::Bool(false)) | Ok(ConstValue::Null) => Err(fail(errormsg.unwrap_or_else(|| format!("the arguments of macro `{}` are not valid", def.name)))),
        Ok(ConstValue::Text(m)) => Err(fail(m)),
        Err(e) => Err(fail(format!("the validation of macro `{}` failed to evaluate: {e}", def.name))),
    }
}

/// `iseval = 1`: the definition (arguments substituted) is an eval expression whose value is
/// the expansion.
fn eval_definition(macros: &MacroSet, def: &MacroDef, body: &str, span: Span) -> Result<String, SplError> {
    let Some(eval) = macros.evaluator else {
        return Err(SplError::new(ErrorCode::MacroEval, span, format!("macro `{}` is an eval-based macro (iseval = 1), and no evaluator is available here", def.name)));
    };
    match eval(body) {
        Ok(ConstValue::Text(t)) => Ok(t),
        Ok(ConstValue::Bool(b)) => Ok(b.to_string()),
        Ok(ConstValue::Null) => Ok(String::new()),
        Err(e) => Err(SplError::new(ErrorCode::MacroEval, span, format!("eval-based macro `{}`: {e}", def.name))
            .with_label("this call")
            .with_help(format!("its definition evaluated as an eval expression: {body}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(conf: &str) -> MacroSet {
        let mut m = MacroSet::default();
        m.load_conf(conf, "test").expect("conf parses");
        m
    }

    #[test]
    fn expands_simple_and_argument_macros() {
        let m = set("[a]\ndefinition = x=1\n\n[b(1)]\nargs = f\ndefinition = convert ctime($f$)\n");
        let e = expand("`a` | `b(t)`", &m).expect("expands");
        assert_eq!(e.text, "x=1 | convert ctime(t)");
        assert_eq!(e.expansions.len(), 2);
        assert_eq!(e.expansions[1].original, Span::new(6, 12));
    }

    #[test]
    fn nested_macros_and_named_arguments() {
        let m = set("[inner(2)]\nargs = x, y\ndefinition = $x$-$y$\n[outer]\ndefinition = z `inner(y=2, x=1)`\n");
        assert_eq!(expand("`outer`", &m).expect("expands").text, "z 1-2");
    }

    /// A small macros.conf of doubling macros (each calls the next twice) expands to 2^40 copies:
    /// the expansion is capped in size (it took 18 s and 5.5 GB before failing on depth).
    #[test]
    fn expansion_size_is_capped() {
        let mut conf = String::from("[m40]\ndefinition = x\n");
        for i in 0..40 {
            conf.push_str(&format!("[m{i}]\ndefinition = `m{}` `m{}`\n", i + 1, i + 1));
        }
        let m = set(&conf);
        let started = std::time::Instant::now();
        let e = expand("a `m0` b", &m).expect_err("too large");
        assert_eq!((e.code, e.span), (ErrorCode::MacroTooLarge, Span::new(2, 6)));
        assert!(started.elapsed().as_secs_f64() < 2.0, "{:?}", started.elapsed());
        // many small expansions are capped too (each is recorded for explain)
        let mut conf = String::from("[w]\ndefinition = \n");
        for i in 0..17 {
            conf.push_str(&format!("[w{i}]\ndefinition = `{}` `{}`\n", if i == 0 { "w".to_string() } else { format!("w{}", i - 1) }, if i == 0 { "w".to_string() } else { format!("w{}", i - 1) }));
        }
        let e = expand("`w16`", &set(&conf)).expect_err("too many");
        assert_eq!(e.code, ErrorCode::MacroTooLarge);
        // ordinary expansions are untouched
        assert_eq!(expand("`m39`", &m).expect("small").text, "x x");
    }

    #[test]
    fn errors_point_at_the_call() {
        let m = set("[a]\ndefinition = `a`\n[b(1)]\nargs=q\ndefinition=$q$\n");
        let e = expand("x `nope` y", &m).expect_err("undefined");
        assert_eq!((e.code, e.span), (ErrorCode::UndefinedMacro, Span::new(2, 8)));
        let e = expand("x `b`", &m).expect_err("arity");
        assert_eq!((e.code, e.span), (ErrorCode::MacroArgCount, Span::new(2, 5)));
        let e = expand("`a`", &m).expect_err("recursive");
        assert_eq!((e.code, e.span), (ErrorCode::RecursiveMacro, Span::new(0, 3)));
    }

    #[test]
    fn named_arguments_must_be_the_declared_names() {
        let m = set("[adder(2)]\nargs = a, b\ndefinition = eval s=$a$+$b$\n");
        assert_eq!(expand("`adder(b=2, a=1)`", &m).expect("named").text, "eval s=1+2");
        assert_eq!(expand("`adder(1, 2)`", &m).expect("positional").text, "eval s=1+2");
        for (call, msg) in [
            ("x `adder(x=1, y=2)`", "has no argument named `x`"),
            ("x `adder(a=1, 2)`", "mixes named"),
            ("x `adder(1, b=2)`", "mixes named"),
            ("x `adder(a=1, a=2)`", "given twice"),
        ] {
            let e = expand(call, &m).expect_err(call);
            assert_eq!(e.code, ErrorCode::MacroArgName, "{call}");
            assert_eq!(e.span, Span::new(2, call.len()), "{call}");
            assert!(e.message.contains(msg), "{call}: {}", e.message);
        }
    }

    #[test]
    fn comments_and_quoted_backticks() {
        let m = set("[a]\ndefinition = A\n");
        assert_eq!(expand("```note``` x \"`a`\" `a`", &m).expect("ok").text, "  x \"`a`\" A");
    }

    #[test]
    fn escaped_quotes_outside_strings_do_not_hide_macros() {
        let m = set("[a]\ndefinition = A\n");
        let e = expand(r#"x=*\"p\":true* | `a` | y=\\ `a`"#, &m).expect("expands");
        assert_eq!(e.text, r#"x=*\"p\":true* | A | y=\\ A"#);
    }

    #[test]
    fn maps_spans_back() {
        let m = set("[a]\ndefinition = sourcetype=aws:cloudtrail\n");
        let e = expand("`a` foo", &m).expect("ok");
        // "foo" in expanded text
        let pos = e.text.find("foo").expect("foo");
        assert_eq!(e.map_span(Span::new(pos, pos + 3)), Span::new(4, 7));
        assert_eq!(e.map_span(Span::new(2, 5)), Span::new(0, 3));
    }

    #[test]
    fn errors_in_an_expansion_point_at_the_call() {
        let m = set("[bad]\ndefinition = eval x=(1+\n[outer]\ndefinition = `bad`\n");
        let q = "| makeresults | `bad` | table x";
        let e = expand(q, &m).expect("expands");
        // the parser reports the error at the `|` after the expansion
        let pipe = e.text.rfind('|').expect("pipe");
        let err = e.locate(SplError::new(ErrorCode::UnexpectedToken, Span::new(pipe, pipe + 1), "expected an expression after `+`"));
        assert_eq!(err.span, Span::new(16, 21));
        assert!(err.message.contains("in the expansion of macro `bad`"), "{}", err.message);
        assert!(err.help.as_deref().is_some_and(|h| h.contains("eval x=(1+")), "{:?}", err.help);
        // inside the expansion, through a nested call
        let e = expand("`outer` | table x", &m).expect("expands");
        let plus = e.text.find('+').expect("plus");
        let err = e.locate(SplError::new(ErrorCode::UnknownFunction, Span::new(plus, plus + 1), "boom"));
        assert_eq!(err.span, Span::new(0, 7));
        assert!(err.message.contains("macro `bad`") && err.help.as_deref().is_some_and(|h| h.contains("called from `outer`")), "{err:?}");
        // an error in the user's own text is left alone
        let t = e.text.find("table").expect("table");
        let err = e.locate(SplError::new(ErrorCode::UnknownCommand, Span::new(t, t + 5), "boom"));
        assert_eq!((err.span, err.message.as_str(), err.help), (Span::new(10, 15), "boom", None));
    }

    #[test]
    fn builtin_macros_load() {
        let m = MacroSet::builtin().expect("builtin macros parse");
        assert!(m.get("cloudtrail", 0).is_some());
        assert!(m.get("security_content_ctime", 1).is_some());
    }

    fn fake_eval(text: &str) -> Result<ConstValue, String> {
        match text {
            "\"x=\" . 1" => Ok(ConstValue::Text("x=1".into())),
            "ok(1)" => Ok(ConstValue::Bool(true)),
            "ok(0)" => Ok(ConstValue::Bool(false)),
            "msg(0)" => Ok(ConstValue::Text("bad zero".into())),
            "msg(1)" => Ok(ConstValue::Null),
            other => Err(format!("cannot evaluate {other}")),
        }
    }

    #[test]
    fn iseval_and_validation_use_the_evaluator() {
        let conf = "[e]\niseval = 1\ndefinition = \"x=\" . 1\n\n[v(1)]\nargs = n\ndefinition = head $n$\nvalidation = ok($n$)\nerrormsg = n must be ok\n\n[m(1)]\nargs = n\ndefinition = head $n$\nvalidation = msg($n$)\n";
        let mut m = set(conf);
        // without an evaluator, an iseval macro is an error on the call, not a silent expansion
        let err = expand("a `e` b", &m).expect_err("no evaluator");
        assert_eq!(err.code, ErrorCode::MacroEval);
        assert_eq!(err.span, Span::new(2, 5));
        m.set_evaluator(fake_eval);
        assert_eq!(expand("a `e` b", &m).expect("expands").text, "a x=1 b");
        assert_eq!(expand("`v(1)`", &m).expect("valid").text, "head 1");
        let err = expand("* | `v(0)`", &m).expect_err("invalid");
        assert_eq!((err.code, err.message.as_str(), err.span), (ErrorCode::MacroValidation, "n must be ok", Span::new(4, 10)));
        assert_eq!(expand("`m(1)`", &m).expect("null passes").text, "head 1");
        assert_eq!(expand("`m(0)`", &m).expect_err("text fails").message, "bad zero");
    }
}