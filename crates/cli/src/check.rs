//! `spelunk check`: parse, expand macros and validate a query without data, and the loading
//! of query files and macro definitions shared by `run`, `check`, `explain` and the REPL.
//!
//! Query files are `.spl` text or security_content detection YAML (`.yml`/`.yaml`, whose
//! `search:` field is the query). Macros come from macros.conf files or from folders of
//! security_content macro YAMLs (`name`, `arguments`, `definition`).
//!
//! This file has no dependency on the rest of the CLI so the corpus test can include it.

use spelunk_plan::macros::MacroDef;
use spelunk_plan::{PlanError, Planned, Planner};
use spelunk_syntax::ast::{Arg, CommandKind, Expr, ExprKind, Pipeline};
use spelunk_syntax::registry::{self, FunctionKind};
use spelunk_exec::validate;
use spelunk_syntax::ErrorCode;
use std::path::Path;

/// Is this a YAML file (by extension)?
pub fn is_yaml(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref(), Some("yml" | "yaml"))
}

/// The query text of a file: the whole text of a `.spl`, the `search:` of a detection YAML.
pub fn read_query_file(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if is_yaml(path) {
        search_from_yaml(&text).map_err(|e| format!("{}: {e}", path.display()))
    } else {
        Ok(text)
    }
}

/// The `search` field of a security_content detection YAML.
pub fn search_from_yaml(text: &str) -> Result<String, String> {
    let doc: serde_norway::Value = serde_norway::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    match doc.get("search") {
        Some(serde_norway::Value::String(s)) => Ok(s.clone()),
        Some(_) => Err("`search:` is not a string".into()),
        None => Err("no `search:` field (expected a security_content detection YAML)".into()),
    }
}

/// Add macros from a macros.conf file, or from every `.yml`/`.yaml` in a folder of
/// security_content macro YAMLs (or a single such YAML file).
pub fn load_macros(planner: &mut Planner, path: &Path) -> Result<usize, String> {
    if path.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_yaml(p))
            .collect();
        files.sort();
        let mut n = 0;
        for f in &files {
            n += load_macros(planner, f)?;
        }
        return Ok(n);
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if is_yaml(path) {
        let def = macro_from_yaml(&text, &path.display().to_string()).map_err(|e| format!("{}: {e}", path.display()))?;
        planner.macros.insert(def);
        Ok(1)
    } else {
        let before = planner.macros.len();
        planner.macros.load_conf(&text, &path.display().to_string()).map_err(|e| e.to_string())?;
        Ok(planner.macros.len().saturating_sub(before))
    }
}

/// One security_content macro YAML: `name`, `definition`, optional `arguments` and `description`.
pub fn macro_from_yaml(text: &str, origin: &str) -> Result<MacroDef, String> {
    let doc: serde_norway::Value = serde_norway::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    let s = |k: &str| doc.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let name = s("name").ok_or("no `name:`")?;
    let definition = s("definition").ok_or("no `definition:`")?;
    let args = match doc.get("arguments") {
        Some(serde_norway::Value::Sequence(v)) => v.iter().filter_map(|a| a.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    };
    Ok(MacroDef { name, args, definition, iseval: false, validation: None, errormsg: None, description: s("description"), origin: origin.to_string() })
}

/// What `check` says about a query.
pub enum Verdict {
    /// It can run.
    Ok(Box<Planned>),
    /// Valid SPL that uses commands or functions spelunk does not run (named, in order).
    Unsupported { names: Vec<String>, error: Option<PlanError> },
    /// A syntax, macro or validation error.
    Error(PlanError),
}

impl Verdict {
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Ok(_) => 0,
            Verdict::Unsupported { .. } => 1,
            Verdict::Error(_) => 2,
        }
    }
}

/// Plan a query and check what needs no data ([`spelunk_exec::validate`]: function names and
/// arity, regex literals): an error anywhere in the query, or else the first construct
/// spelunk cannot run, fails it (as [`classify`] sorts them). `run`, `explain` and the REPL
/// plan through this, so such mistakes are reported before any data is read.
pub fn plan(planner: &Planner, text: &str) -> Result<Planned, PlanError> {
    match classify(planner, text) {
        Verdict::Ok(p) => Ok(*p),
        Verdict::Error(e) | Verdict::Unsupported { error: Some(e), .. } => Err(e),
        Verdict::Unsupported { names, error: None } => Err(PlanError {
            error: spelunk_syntax::SplError::new(ErrorCode::UnsupportedCommand, Default::default(), format!("spelunk does not run {} yet", names.join(", "))),
            text: text.to_string(),
        }),
    }
}

/// Plan a query and sort the outcome into run / unsupported / error. An error anywhere in the
/// query (a typo in a command or function name, a wrong number of arguments, an invalid
/// regex) wins over commands or functions spelunk does not run, so the verdict does not
/// depend on which one comes first.
pub fn classify(planner: &Planner, text: &str) -> Verdict {
    let (expanded, ast, planned, plan_error) = match planner.plan(text) {
        Ok(p) => (p.expanded.clone(), p.ast.clone(), Some(p), None),
        Err(e) if matches!(e.error.code, ErrorCode::UnsupportedCommand | ErrorCode::UnknownCommand) => {
            // lowering stopped at the first command it cannot run: look at the whole query
            let Ok(exp) = spelunk_plan::macros::expand(text, &planner.macros) else { return Verdict::Error(e) };
            let Ok(ast) = spelunk_syntax::parse_pipeline(&exp.text) else { return Verdict::Error(e) };
            (exp, ast, None, Some(e))
        }
        Err(e) => return Verdict::Error(e),
    };
    let findings = validate::pipeline(&ast);
    let sourced = |error: spelunk_syntax::SplError| PlanError { error: expanded.locate(error), text: text.to_string() };
    if let Some(e) = findings.iter().find(|e| !validate::is_unsupported(e)) {
        return Verdict::Error(sourced(e.clone()));
    }
    // name every command and function it lacks, not only the first one met
    let mut names = Vec::new();
    missing(&ast, &mut names);
    if findings.iter().any(|e| e.message.contains("regular expression")) {
        names.push("PCRE-only regex".into());
    }
    let error = plan_error.or_else(|| findings.into_iter().next().map(sourced));
    match (planned, error) {
        (Some(p), None) => Verdict::Ok(Box::new(p)),
        (_, error) => {
            if let Some(e) = &error {
                if e.error.code == ErrorCode::UnsupportedCommand && e.error.message.contains("iseval") {
                    names.push("iseval macro".into());
                }
                if names.is_empty() {
                    names.push(e.text.get(e.error.span.start..e.error.span.end).unwrap_or("?").to_string());
                }
            }
            Verdict::Unsupported { names, error }
        }
    }
}

/// Commands (and eval functions) that the registry does not know or spelunk does not run.
pub fn missing(p: &Pipeline, out: &mut Vec<String>) {
    let push = |s: String, out: &mut Vec<String>| {
        if !out.contains(&s) {
            out.push(s)
        }
    };
    for c in &p.commands {
        let name = c.name.name.to_ascii_lowercase();
        match registry::command(&name) {
            Some(spec) if spec.implemented => {}
            _ => push(name.clone(), out),
        }
        let mut funcs = Vec::new();
        match &c.kind {
            CommandKind::Where(e) => calls(e, &mut funcs),
            CommandKind::Eval(a) => a.iter().for_each(|a| calls(&a.value, &mut funcs)),
            CommandKind::Generic(args) => {
                for a in args {
                    if let Arg::Subsearch(sub) = a {
                        missing(sub, out);
                    }
                }
            }
            _ => {}
        }
        for f in funcs {
            match registry::function(&f.to_ascii_lowercase(), FunctionKind::Eval) {
                Some(spec) if spec.implemented => {}
                _ => push(format!("{f}()"), out),
            }
        }
    }
}

/// The names of the functions an expression calls, outermost first.
fn calls(e: &Expr, out: &mut Vec<String>) {
    spelunk_syntax::visit::walk_expr(e, &mut |x| {
        if let ExprKind::Call { name, .. } = &x.kind {
            out.push(name.name.clone());
        }
    });
}

#[allow(dead_code)] // used by the corpus test
/// Was the error met while expanding macros or parsing (rather than validating)?
pub fn is_parse_or_macro_error(e: &PlanError) -> bool {
    let c = e.error.code.code();
    c.starts_with("SPL00") || c.starts_with("SPL01")
}
