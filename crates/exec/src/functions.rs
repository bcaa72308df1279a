//! Eval functions. Each arm implements one function as Splunk's "Evaluation functions"
//! reference describes it (https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/CommonEvalFunctions).
//! Names are looked up case-insensitively; the registry in spelunk-syntax lists them.

use crate::eval::{eq, eval, like, truth, EvalContext, EvalError, Row};
use crate::time;
use crate::value::{parse_number, sort_order, Value};
use spelunk_syntax::ast::{Expr, Ident, Span};
use spelunk_syntax::diagnostics::did_you_mean;
use spelunk_syntax::registry::{self, FunctionKind};

fn err(span: Span, m: impl Into<String>) -> EvalError {
    EvalError { message: m.into(), span }
}

pub fn call(name: &Ident, args: &[Expr], span: Span, row: &dyn Row, cx: &EvalContext) -> Result<Value, EvalError> {
    let fname = name.name.to_ascii_lowercase();
    if let Some(spec) = registry::function(&fname, FunctionKind::Eval) {
        if let Some(m) = spec.arity_error(args.len()) {
            return Err(err(span, m));
        }
    }
    let a = |i: usize| -> Result<Value, EvalError> {
        match args.get(i) {
            Some(e) => eval(e, row, cx),
            None => Ok(Value::Null),
        }
    };
    let text = |i: usize| -> Result<Option<String>, EvalError> { Ok(a(i)?.to_text()) };
    let num = |i: usize| -> Result<Option<f64>, EvalError> { Ok(a(i)?.as_f64()) };
    Ok(match fname.as_str() {
        // ---- conditional
        "if" => match truth(&a(0)?) {
            Some(true) => a(1)?,
            _ => a(2)?,
        },
        "case" => {
            let mut i = 0;
            while i + 1 < args.len() {
                if truth(&a(i)?) == Some(true) {
                    return a(i + 1);
                }
                i += 2;
            }
            Value::Null
        }
        "coalesce" => {
            for i in 0..args.len() {
                let v = a(i)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Value::Null
        }
        "null" => Value::Null,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "isnull" => Value::Bool(a(0)?.is_null()),
        "isnotnull" => Value::Bool(!a(0)?.is_null()),
        "isnum" => Value::Bool(matches!(a(0)?, Value::Int(_) | Value::Num(_)) || matches!(a(0)?, Value::Str(ref s) if parse_number(s).is_some())),
        "isstr" => Value::Bool(matches!(a(0)?, Value::Str(ref s) if parse_number(s).is_none())),
        "isint" => Value::Bool(a(0)?.as_f64().is_some_and(|f| f.fract() == 0.0)),
        "typeof" => {
            let v = a(0)?;
            Value::str(match &v {
                Value::Str(s) if parse_number(s).is_some() => "Number",
                _ => v.type_name(),
            })
        }
        "validate" => {
            let mut i = 0;
            while i + 1 < args.len() {
                if truth(&a(i)?) != Some(true) {
                    return a(i + 1);
                }
                i += 2;
            }
            Value::Null
        }
        "in" => {
            let v = a(0)?;
            if v.is_null() {
                return Ok(Value::Null);
            }
            for i in 1..args.len() {
                let w = a(i)?;
                if v.values().iter().any(|x| w.values().iter().any(|y| eq(x, y))) {
                    return Ok(Value::Bool(true));
                }
            }
            Value::Bool(false)
        }
        "like" => match (a(0)?, text(1)?) {
            (v, Some(p)) if !v.is_null() => Value::Bool(v.values().iter().any(|x| like(&x.to_text().unwrap_or_default(), &p))),
            _ => Value::Null,
        },
        "match" => match (a(0)?, text(1)?) {
            (v, Some(p)) if !v.is_null() => {
                let re = cx.regex(&p, span)?;
                Value::Bool(v.values().iter().any(|x| re.is_match(&x.to_text().unwrap_or_default())))
            }
            _ => Value::Null,
        },
        // searchmatch("<search>"): does this event match the search string, as `search` would?
        "searchmatch" => match text(0)? {
            Some(q) => Value::Bool(cx.search(&q, span)?.matches(row)),
            None => Value::Null,
        },
        "cidrmatch" => match (text(0)?, a(1)?) {
            (Some(cidr), v) if !v.is_null() => match parse_cidr(&cidr) {
                Some(net) => Value::Bool(v.values().iter().any(|x| x.to_text().is_some_and(|ip| in_cidr(&net, &ip)))),
                None => Value::Bool(false),
            },
            _ => Value::Null,
        },
        // ---- JSON
        "spath" => match (text(0)?, text(1)?) {
            (Some(j), Some(p)) => match crate::ops::json::parse(&j) {
                Some(doc) => crate::ops::json::spath(&doc, &p, 1),
                None => Value::Null,
            },
            _ => Value::Null,
        },
        "json_extract" => {
            let Some(j) = text(0)? else { return Ok(Value::Null) };
            let Some(doc) = crate::ops::json::parse(&j) else { return Ok(Value::Null) };
            if args.len() < 2 {
                return Ok(Value::Str(doc.to_json()));
            }
            let mut out = Vec::new();
            for i in 1..args.len() {
                let Some(p) = text(i)? else { continue };
                // json_extract paths count array elements from 0
                out.push(crate::ops::json::spath(&doc, &p, 0));
            }
            if out.len() == 1 {
                out.pop().unwrap_or(Value::Null)
            } else {
                Value::from_values(out.into_iter().flat_map(|v| v.into_values()).collect())
            }
        }
        // ---- text
        "lower" => map_text(a(0)?, |s| s.to_lowercase()),
        "upper" => map_text(a(0)?, |s| s.to_uppercase()),
        "len" => match text(0)? {
            Some(s) => Value::Int(s.chars().count() as i64),
            None => Value::Null,
        },
        "trim" | "ltrim" | "rtrim" => {
            let chars: Option<Vec<char>> = text(1)?.map(|c| c.chars().collect());
            let is_strip = |c: char| match &chars {
                Some(set) => set.contains(&c),
                None => c.is_whitespace(),
            };
            map_text(a(0)?, |s| match fname.as_str() {
                "trim" => s.trim_matches(is_strip).to_string(),
                "ltrim" => s.trim_start_matches(is_strip).to_string(),
                _ => s.trim_end_matches(is_strip).to_string(),
            })
        }
        "substr" => {
            let Some(s) = text(0)? else { return Ok(Value::Null) };
            let chars: Vec<char> = s.chars().collect();
            let start = num(1)?.unwrap_or(1.0) as i64;
            // 1-based; negative counts from the end
            let from = if start > 0 { (start - 1) as usize } else if start < 0 { chars.len().saturating_sub((-start) as usize) } else { 0 };
            let len = match num(2)? {
                Some(l) if l >= 0.0 => l as usize,
                Some(_) => 0,
                None => chars.len(),
            };
            Value::Str(chars.iter().skip(from).take(len).collect())
        }
        "replace" => {
            let (Some(re), Some(rep)) = (text(1)?, text(2)?) else { return Ok(Value::Null) };
            let re = cx.regex(&re, span)?;
            let rep = pcre_replacement(&rep);
            map_text(a(0)?, |s| re.replace_all(s, rep.as_str()).into_owned())
        }
        "split" => {
            let (Some(s), Some(d)) = (text(0)?, text(1)?) else { return Ok(Value::Null) };
            if d.is_empty() {
                Value::from_values(s.chars().map(|c| Value::Str(c.to_string())).collect())
            } else {
                Value::Null.keep_empty_split(&s, &d)
            }
        }
        "urldecode" => map_text(a(0)?, url_decode),
        "tostring" => {
            let v = a(0)?;
            let fmt = text(1)?;
            match (v.as_f64(), fmt.as_deref()) {
                (Some(f), Some("hex")) => Value::Str(format!("0x{:X}", f as i64)),
                (Some(f), Some("commas")) => Value::Str(commas(f)),
                (Some(f), Some("duration")) => Value::Str(duration(f)),
                _ => match v {
                    Value::Null => Value::Null,
                    // the Search Reference's example: tostring(1==1) is "True"
                    Value::Bool(b) => Value::Str(if b { "True" } else { "False" }.into()),
                    Value::Multi(_) => v,
                    other => Value::Str(other.to_text().unwrap_or_default()),
                },
            }
        }
        "tonumber" => {
            let Some(s) = text(0)? else { return Ok(Value::Null) };
            // the base ranges from 2 to 36 (Search Reference, conversion functions); any other
            // base, from the query or the data, gives null
            let base = match num(1)? {
                None if args.len() < 2 => 10,
                Some(b) if b.fract() == 0.0 && (2.0..=36.0).contains(&b) => b as u32,
                _ => return Ok(Value::Null),
            };
            if base == 10 {
                match parse_number(&s) {
                    Some(f) => Value::number(f),
                    None => Value::Null,
                }
            } else {
                let t = s.trim().trim_start_matches("0x").trim_start_matches("0X");
                match i64::from_str_radix(t, base) {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::Null,
                }
            }
        }
        "printf" => {
            let Some(f) = text(0)? else { return Ok(Value::Null) };
            let vals: Vec<Value> = (1..args.len()).map(&a).collect::<Result<_, _>>()?;
            Value::Str(printf(&f, &vals))
        }
        // ---- math
        "abs" => num_fn(num(0)?, f64::abs),
        "ceiling" | "ceil" => num_fn(num(0)?, f64::ceil),
        "floor" => num_fn(num(0)?, f64::floor),
        "sqrt" => num_fn(num(0)?, f64::sqrt),
        "exp" => num_fn(num(0)?, f64::exp),
        "ln" => num_fn(num(0)?, f64::ln),
        "log" => match (num(0)?, num(1)?) {
            (Some(x), Some(b)) => Value::number(x.log(b)),
            (Some(x), None) if args.len() < 2 => Value::number(x.log10()),
            _ => Value::Null,
        },
        "pow" => match (num(0)?, num(1)?) {
            (Some(x), Some(y)) => Value::number(x.powf(y)),
            _ => Value::Null,
        },
        "round" => match num(0)? {
            Some(x) => {
                let d = num(1)?.unwrap_or(0.0) as i32;
                let m = 10f64.powi(d);
                let r = (x * m).round() / m;
                if d > 0 {
                    Value::Num(r)
                } else {
                    Value::number(r)
                }
            }
            None => Value::Null,
        },
        "min" | "max" => {
            let mut vals: Vec<Value> = Vec::new();
            for i in 0..args.len() {
                vals.extend(a(i)?.into_values());
            }
            // numbers compare numerically and rank below strings
            let pick = vals.into_iter().reduce(|x, y| {
                let o = sort_order(&x, &y);
                if (fname == "min") == (o != std::cmp::Ordering::Greater) {
                    x
                } else {
                    y
                }
            });
            pick.unwrap_or(Value::Null)
        }
        "random" => Value::Int(pseudo_random(cx.now) as i64),
        "pi" => Value::Num(std::f64::consts::PI),
        // ---- time
        "now" => Value::number(cx.now.floor()),
        "time" => Value::Num(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(cx.now)),
        "strftime" => match (num(0)?, text(1)?) {
            (Some(t), Some(f)) => time::strftime(t, &f, 0).map(Value::Str).unwrap_or(Value::Null),
            _ => Value::Null,
        },
        "strptime" => match (text(0)?, text(1)?) {
            (Some(s), Some(f)) => time::strptime(&s, &f).map(Value::number).unwrap_or(Value::Null),
            _ => Value::Null,
        },
        "relative_time" => match (num(0)?, text(1)?) {
            (Some(t), Some(s)) => time::relative_time(t, &s).map(Value::number).unwrap_or(Value::Null),
            _ => Value::Null,
        },
        // ---- multivalue
        "mvcount" => match a(0)? {
            Value::Null => Value::Null,
            v => Value::Int(v.values().len() as i64),
        },
        "mvindex" => {
            let v = a(0)?.into_values();
            let n = v.len() as i64;
            let Some(s) = num(1)? else { return Ok(Value::Null) };
            let idx = |i: i64| if i < 0 { n + i } else { i };
            let start = idx(s as i64);
            let end = match num(2)? {
                Some(e) => idx(e as i64),
                None => start,
            };
            if start < 0 || start >= n || end < start {
                return Ok(Value::Null);
            }
            let end = end.min(n - 1);
            Value::from_values(v[start as usize..=end as usize].to_vec())
        }
        "mvjoin" => {
            let v = a(0)?;
            let Some(d) = text(1)? else { return Ok(Value::Null) };
            if v.is_null() {
                return Ok(Value::Null);
            }
            Value::Str(v.values().iter().filter_map(|x| x.to_text()).collect::<Vec<_>>().join(&d))
        }
        "mvappend" => {
            let mut out = Vec::new();
            for i in 0..args.len() {
                out.extend(a(i)?.into_values());
            }
            Value::from_values(out)
        }
        "mvdedup" => {
            let mut seen = Vec::<String>::new();
            let mut out = Vec::new();
            for x in a(0)?.into_values() {
                let t = x.to_text().unwrap_or_default();
                if !seen.contains(&t) {
                    seen.push(t);
                    out.push(x);
                }
            }
            Value::from_values(out)
        }
        "mvsort" => {
            let mut v = a(0)?.into_values();
            v.sort_by_key(|x| x.to_text());
            Value::from_values(v)
        }
        "mvrange" => match (num(0)?, num(1)?) {
            (Some(s), Some(e)) => {
                let step = num(2)?.unwrap_or(1.0);
                if step <= 0.0 {
                    return Ok(Value::Null);
                }
                let mut out = Vec::new();
                let mut x = s;
                while x < e && out.len() < 10_000 {
                    out.push(Value::number(x));
                    x += step;
                }
                Value::from_values(out)
            }
            _ => Value::Null,
        },
        "mvfind" => {
            let Some(p) = text(1)? else { return Ok(Value::Null) };
            let re = cx.regex(&p, span)?;
            match a(0)?.values().iter().position(|x| re.is_match(&x.to_text().unwrap_or_default())) {
                Some(i) => Value::Int(i as i64),
                None => Value::Null,
            }
        }
        "mvzip" => {
            let x = a(0)?.into_values();
            let y = a(1)?.into_values();
            let d = text(2)?.unwrap_or_else(|| ",".into());
            Value::from_values(
                x.iter().zip(y.iter()).map(|(p, q)| Value::Str(format!("{}{}{}", p.to_text().unwrap_or_default(), d, q.to_text().unwrap_or_default()))).collect(),
            )
        }
        "mvfilter" => {
            // mvfilter(<predicate over one field>): keep the values of that field for which it is true
            let Some(e) = args.first() else { return Ok(Value::Null) };
            let mut fields = std::collections::BTreeSet::new();
            spelunk_plan::fields::expr_fields(e, &mut fields);
            let Some(field) = fields.into_iter().next() else { return Ok(Value::Null) };
            let mut out = Vec::new();
            for v in row.get(&field).into_values() {
                let one = OneField { name: &field, value: v.clone(), inner: row };
                if truth(&eval(e, &one, cx)?) == Some(true) {
                    out.push(v);
                }
            }
            Value::from_values(out)
        }
        // ---- hashes
        "md5" => hash_text(text(0)?, |b| {
            use md5::Digest;
            hex(&md5::Md5::digest(b))
        }),
        "sha1" => hash_text(text(0)?, |b| {
            use sha1::Digest;
            hex(&sha1::Sha1::digest(b))
        }),
        "sha256" => hash_text(text(0)?, |b| {
            use sha2::Digest;
            hex(&sha2::Sha256::digest(b))
        }),
        _ => {
            let mut e = err(name.span, format!("unknown function `{}`", name.name));
            if let Some(s) = did_you_mean(&fname, registry::function_names(FunctionKind::Eval)) {
                e.message.push_str(&format!(" (did you mean `{}`?)", s));
            }
            return Err(e);
        }
    })
}

struct OneField<'a> {
    name: &'a str,
    value: Value,
    inner: &'a dyn Row,
}

impl Row for OneField<'_> {
    fn get(&self, field: &str) -> Value {
        if field == self.name {
            self.value.clone()
        } else {
            self.inner.get(field)
        }
    }
}

trait SplitExt {
    fn keep_empty_split(self, s: &str, d: &str) -> Value;
}

impl SplitExt for Value {
    /// split() keeps empty strings between delimiters (from_values drops only nulls).
    fn keep_empty_split(self, s: &str, d: &str) -> Value {
        let parts: Vec<Value> = s.split(d).map(|p| Value::Str(p.to_string())).collect();
        if parts.len() == 1 {
            parts.into_iter().next().unwrap_or(Value::Null)
        } else {
            Value::Multi(parts)
        }
    }
}

fn map_text(v: Value, f: impl Fn(&str) -> String) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Multi(vs) => Value::Multi(vs.into_iter().map(|x| Value::Str(f(&x.to_text().unwrap_or_default()))).collect()),
        x => Value::Str(f(&x.to_text().unwrap_or_default())),
    }
}

fn num_fn(x: Option<f64>, f: impl Fn(f64) -> f64) -> Value {
    match x.map(f) {
        Some(r) if r.is_finite() => Value::number(r),
        _ => Value::Null,
    }
}

fn hash_text(t: Option<String>, f: impl Fn(&[u8]) -> String) -> Value {
    match t {
        Some(s) => Value::Str(f(s.as_bytes())),
        None => Value::Null,
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// PCRE-style `\1` back-references to the regex crate's `${1}`; `$` escaped.
fn pcre_replacement(rep: &str) -> String {
    let mut out = String::new();
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(d) if d.is_ascii_digit() => {
                    let d = *d;
                    chars.next();
                    out.push_str(&format!("${{{d}}}"));
                }
                Some(_) => {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
                None => out.push('\\'),
            },
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

/// A parsed CIDR block: network address bits and prefix length. `cidrmatch()` and the
/// search command's `field=<CIDR>` share it.
#[derive(Debug, Clone)]
pub(crate) struct Cidr {
    v6: bool,
    net: u128,
    prefix: u32,
}

fn ip_bits(ip: &str) -> Option<(bool, u128)> {
    match ip.trim().parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(a) => Some((false, u32::from(a) as u128)),
        std::net::IpAddr::V6(a) => Some((true, u128::from(a))),
    }
}

pub(crate) fn parse_cidr(s: &str) -> Option<Cidr> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, p.trim().parse::<u32>().ok()?),
        None => (s, if s.contains(':') { 128 } else { 32 }),
    };
    let (v6, net) = ip_bits(addr)?;
    let width = if v6 { 128 } else { 32 };
    if prefix > width {
        return None;
    }
    Some(Cidr { v6, net, prefix })
}

pub(crate) fn in_cidr(c: &Cidr, ip: &str) -> bool {
    let Some((v6, bits)) = ip_bits(ip) else { return false };
    if v6 != c.v6 {
        return false;
    }
    let width = if v6 { 128 } else { 32 };
    if c.prefix == 0 {
        return true;
    }
    let shift = width - c.prefix;
    (bits >> shift) == (c.net >> shift)
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() && s.is_char_boundary(i + 1) && s.is_char_boundary(i + 3) {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn commas(f: f64) -> String {
    let rounded = (f * 100.0).round() / 100.0;
    let int = rounded.trunc().abs() as i64;
    let s = int.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    let frac = (rounded.fract().abs() * 100.0).round() as i64;
    let sign = if f < 0.0 { "-" } else { "" };
    if frac > 0 {
        format!("{sign}{out}.{frac:02}")
    } else {
        format!("{sign}{out}")
    }
}

fn duration(f: f64) -> String {
    let s = f.max(0.0) as i64;
    let (d, h, m, sec) = (s / 86400, (s % 86400) / 3600, (s % 3600) / 60, s % 60);
    if d > 0 {
        format!("{d}+{h:02}:{m:02}:{sec:02}")
    } else {
        format!("{h:02}:{m:02}:{sec:02}")
    }
}

/// The largest field width and precision `printf` honours: larger ones (`%999999999d`) are cut
/// to this, so that a format string cannot make one value gigabytes long.
pub const PRINTF_MAX_WIDTH: usize = 10_000;

/// A run of digits as a width or precision, saturating at [`PRINTF_MAX_WIDTH`].
fn printf_number(digits: &str) -> Option<usize> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.bytes().fold(0usize, |n, b| n.saturating_mul(10).saturating_add(usize::from(b - b'0')).min(PRINTF_MAX_WIDTH)))
}

/// A small printf: %s %d %i %f %.Nf %x %X %o %e %%. Widths and precisions above
/// [`PRINTF_MAX_WIDTH`] count as that maximum.
fn printf(fmt: &str, vals: &[Value]) -> String {
    let mut out = String::new();
    let mut it = vals.iter();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len() && (chars[j].is_ascii_digit() || matches!(chars[j], '.' | '-' | '+' | ' ' | '#' | '\'')) {
            j += 1;
        }
        if j >= chars.len() {
            out.extend(&chars[i..]);
            break;
        }
        let spec: String = chars[i + 1..j].iter().collect();
        let conv = chars[j];
        let prec: Option<usize> = spec.split('.').nth(1).and_then(printf_number);
        let width: usize = printf_number(spec.split('.').next().unwrap_or("").trim_start_matches(['-', '+', ' ', '#', '\''])).unwrap_or(0);
        let left = spec.starts_with('-');
        let body = match conv {
            '%' => "%".to_string(),
            's' => it.next().and_then(|v| v.to_text()).unwrap_or_default(),
            'd' | 'i' => it.next().and_then(|v| v.as_f64()).map(|f| format!("{}", f.trunc() as i64)).unwrap_or_default(),
            'f' | 'F' => it.next().and_then(|v| v.as_f64()).map(|f| format!("{:.*}", prec.unwrap_or(6), f)).unwrap_or_default(),
            'e' => it.next().and_then(|v| v.as_f64()).map(|f| format!("{:.*e}", prec.unwrap_or(6), f)).unwrap_or_default(),
            'x' => it.next().and_then(|v| v.as_f64()).map(|f| format!("{:x}", f as i64)).unwrap_or_default(),
            'X' => it.next().and_then(|v| v.as_f64()).map(|f| format!("{:X}", f as i64)).unwrap_or_default(),
            'o' => it.next().and_then(|v| v.as_f64()).map(|f| format!("{:o}", f as i64)).unwrap_or_default(),
            c => format!("%{spec}{c}"),
        };
        let zero = !left && spec.trim_start_matches(['-', '+', ' ', '#', '\'']).starts_with('0') && matches!(conv, 'd' | 'i' | 'f' | 'F' | 'e' | 'x' | 'X' | 'o');
        if zero && body.len() < width {
            // `%05d`: zeros go after the sign
            let (sign, digits) = match body.strip_prefix('-') {
                Some(d) => ("-", d.to_string()),
                None => ("", body.clone()),
            };
            out.push_str(sign);
            out.push_str(&"0".repeat(width - body.len()));
            out.push_str(&digits);
        } else if body.len() < width {
            let pad = " ".repeat(width - body.len());
            if left {
                out.push_str(&body);
                out.push_str(&pad);
            } else {
                out.push_str(&pad);
                out.push_str(&body);
            }
        } else {
            out.push_str(&body);
        }
        i = j + 1;
    }
    out
}

fn pseudo_random(seed: f64) -> u32 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed) ^ (seed as u64).wrapping_mul(0x9E3779B97F4A7C15);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    let x = x.wrapping_add(0x2545F4914F6CDD1D);
    STATE.store(x, Ordering::Relaxed);
    ((x.wrapping_mul(0x2545F4914F6CDD1D)) >> 33) as u32 & 0x7FFF_FFFF
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_backrefs() {
        assert_eq!(pcre_replacement(r"\1"), "${1}");
        assert_eq!(pcre_replacement("a$b"), "a$$b");
    }

    #[test]
    fn cidr() {
        let c = parse_cidr("10.0.0.0/24").unwrap();
        assert!(in_cidr(&c, "10.0.0.255"));
        assert!(!in_cidr(&c, "10.0.1.0"));
        assert!(!in_cidr(&c, "nope"));
        assert!(in_cidr(&parse_cidr("0.0.0.0/0").unwrap(), "1.2.3.4"));
        assert!(in_cidr(&parse_cidr("2001:db8::/32").unwrap(), "2001:db8::1"));
    }

    #[test]
    fn printf_basics() {
        assert_eq!(printf("%s=%d %.2f %%", &[Value::str("a"), Value::Num(3.7), Value::Num(1.234)]), "a=3 1.23 %");
        assert_eq!(commas(1234567.891), "1,234,567.89");
        assert_eq!(printf("%05d|%-4d|%06.2f", &[Value::Int(-42), Value::Int(7), Value::Num(3.14158)]), "-0042|7   |003.14");
    }

    #[test]
    fn printf_width_and_precision_are_capped() {
        assert_eq!(printf("%999999999d", &[Value::Int(1)]).len(), PRINTF_MAX_WIDTH);
        assert_eq!(printf("%-99999999999999999999999999s|", &[Value::str("a")]).len(), PRINTF_MAX_WIDTH + 1);
        assert_eq!(printf("%099999d", &[Value::Int(-5)]).len(), PRINTF_MAX_WIDTH);
        let f = printf("%.999999999f", &[Value::Num(1.5)]);
        assert_eq!(f.len(), "1.".len() + PRINTF_MAX_WIDTH);
        let e = printf("%.99999e", &[Value::Num(1.5)]);
        assert!(e.len() < PRINTF_MAX_WIDTH + 10, "{}", e.len());
        // ordinary widths are untouched
        assert_eq!(printf("%10s|%.3f", &[Value::str("ab"), Value::Num(2.0)]), "        ab|2.000");
    }
}
