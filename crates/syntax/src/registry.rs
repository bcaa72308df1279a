//! The one registry of SPL commands and functions.
//!
//! The parser, semantic checks (`spelunk check`), `spelunk help`, REPL completion and
//! `spelunk explain` all read these tables; no other list of command or function names exists.

/// What kind of command it is, as Splunk classifies them (drives `explain` wording and ordering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandType {
    /// Runs event by event (search, where, eval, rename, bin, convert, ...).
    Streaming,
    /// Turns events into a table (stats, top, ...).
    Transforming,
    /// Needs all events, in order (sort, head, tail, dedup, ...).
    Dataset,
    /// Produces events from nothing (makeresults, inputlookup).
    Generating,
}

#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub name: &'static str,
    /// Other names for the same command (`bucket` for `bin`).
    pub aliases: &'static [&'static str],
    pub kind: CommandType,
    /// Whether spelunk executes it today. Unimplemented ones still parse (for `check`).
    pub implemented: bool,
    /// Option keys it takes (`span`, `limit`, ...), for completion and validation.
    pub options: &'static [&'static str],
    pub syntax: &'static str,
    /// One line, for the list of all commands.
    pub summary: &'static str,
    /// A paragraph on how it behaves, for `spelunk help NAME`.
    pub description: &'static str,
    /// A whole query showing it, runnable with `spelunk run -e` (over makeresults, or lookup
    /// tables named `users.csv`). The examples of implemented commands are run by the tests.
    pub example: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionKind {
    /// eval/where functions
    Eval,
    /// stats/eventstats/streamstats aggregations
    Aggregate,
}

#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub name: &'static str,
    pub kind: FunctionKind,
    pub implemented: bool,
    pub min_args: usize,
    /// `None` for variadic
    pub max_args: Option<usize>,
    pub syntax: &'static str,
    /// One line, for the list of all functions.
    pub summary: &'static str,
    /// A paragraph on how it behaves (written for spelunk, not copied from Splunk), for
    /// `spelunk help NAME`.
    pub description: &'static str,
    /// A whole runnable query showing it, such as `| makeresults | eval n=len("abc") | table n`.
    /// The examples of implemented functions are run by the tests.
    pub example: &'static str,
}

impl FunctionSpec {
    /// `1 argument(s)`, `2 to 3 arguments`, `at least 1 argument(s)`.
    pub fn arity_text(&self) -> String {
        match self.max_args {
            Some(m) if m == self.min_args => format!("{} argument(s)", self.min_args),
            Some(m) => format!("{} to {m} arguments", self.min_args),
            None => format!("at least {} argument(s)", self.min_args),
        }
    }

    /// The message for a call with `given` arguments when that is not an arity the function
    /// takes (`None` when it is). The static check (`spelunk check`, before a run reads data)
    /// and the evaluator both use it.
    pub fn arity_error(&self, given: usize) -> Option<String> {
        (given < self.min_args || self.max_args.is_some_and(|m| given > m)).then(|| format!("{}() takes {}; given {given} argument(s)", self.name, self.arity_text()))
    }
}

macro_rules! cmd {
    ($name:literal, [$($alias:literal),*], $kind:ident, $impl:literal, [$($opt:literal),*], $syntax:literal, $summary:literal, $desc:literal, $example:literal) => {
        CommandSpec { name: $name, aliases: &[$($alias),*], kind: CommandType::$kind, implemented: $impl,
            options: &[$($opt),*], syntax: $syntax, summary: $summary, description: $desc, example: $example }
    };
}

macro_rules! func {
    ($name:literal, $kind:ident, $impl:literal, $min:literal, $max:expr, $syntax:literal, $summary:literal, $desc:literal, $example:literal) => {
        FunctionSpec { name: $name, kind: FunctionKind::$kind, implemented: $impl, min_args: $min, max_args: $max,
            syntax: $syntax, summary: $summary, description: $desc, example: $example }
    };
}

pub static COMMANDS: &[CommandSpec] = &[
    // ---- implemented ------------------------------------------------------------------------
    cmd!("search", [], Streaming, true, ["earliest", "latest"],
        "search <search-expression>",
        "Keep the events that match a boolean search expression.",
        "Terms are ANDed by juxtaposition; OR binds tighter than that implicit AND, and NOT tighter still. `field=value` matches values case-insensitively with `*` wildcards; field names are case-sensitive. `field!=value` keeps only events that have the field with another value, while `NOT field=value` also keeps events without the field. A bare term matches whole segments anywhere in the raw event. A CIDR block as the value (`src=10.0.0.0/8`, IPv4 or IPv6) matches the addresses in it. `TERM(x)` matches x only as a whole term bounded by major breakers such as spaces and quotes, and `CASE(x)`, as a term or as `field=CASE(value)`, matches case-sensitively. A `[subsearch]` runs first and its results stand in as `(f1=\"v1\" AND f2=\"v2\") OR ...` (fields starting with `_` left out); `NOT [subsearch]` excludes them.",
        "| makeresults count=3 | eval user=\"Alice\", src=\"10.1.2.3\" | search user=alice src=10.0.0.0/8"),
    cmd!("where", [], Streaming, true, [],
        "where <eval-expression>",
        "Keep the events for which an eval expression is true.",
        "The expression uses eval's grammar: a bare word on the right of `=` is a field name, strings need double quotes, and `*` is not a wildcard (use `like()` with `%`). Events for which the expression is false or null are dropped.",
        "| makeresults count=5 | streamstats count as n | where n >= 3"),
    cmd!("eval", [], Streaming, true, [],
        "eval <field>=<expression> [, <field>=<expression>]...",
        "Compute fields from expressions.",
        "Assignments run left to right, each seeing the fields the earlier ones made. Arithmetic or comparison with a null value gives null; `.` concatenates as text.",
        "| makeresults | eval a=2, b=a*3, s=\"x\".b"),
    cmd!("stats", [], Transforming, true, ["allnum", "delim", "partitions", "dedup_splitvals"],
        "stats <agg>[(field)] [as name] ... [by <field-list>]",
        "Aggregate events into one row per distinct combination of the BY fields.",
        "Events missing any BY field are dropped. Rows come out ordered by the BY values. Columns are the BY fields, then the aggregations in the order written. Without BY and without events, `count` gives one row with 0.",
        "| makeresults count=4 | eval k=if(random()%2==0,\"a\",\"b\") | stats count by k"),
    cmd!("eventstats", [], Dataset, true, ["allnum"],
        "eventstats <agg>[(field)] [as name] ... [by <field-list>]",
        "Add aggregate values to every event instead of replacing the events.",
        "Computes the same aggregations as stats, per group of the BY fields, and writes the results into each event of the group. Events are kept in their order; an event missing a BY field gets no aggregate fields.",
        "| makeresults count=3 | streamstats count as n | eventstats sum(n) as total"),
    cmd!("streamstats", [], Dataset, true, ["window", "current", "global", "reset_on_change", "reset_before", "reset_after", "time_window", "allnum"],
        "streamstats [window=<n>] [time_window=<span>] [global=<bool>] [current=<bool>] [reset_on_change=<bool>] [reset_before=\"(<eval-expr>)\"] [reset_after=\"(<eval-expr>)\"] <agg>[(field)] [as name] ... [by <field-list>]",
        "Running aggregates over the events seen so far, in pipeline order.",
        "Each event gets the aggregate of the events before it (and itself, unless `current=f`), per BY group. `window=n` limits that to the last n events: with BY and `global=true` (the default) one window of the last n events across groups, each event seeing those of its group; with `global=false` a window of n per group. `time_window=5m` keeps only the events less than 5 minutes away in `_time` (the input must be in time order, either way; with `window=` at most n of them). `reset_on_change=true` restarts every statistic when the BY values change from one event to the next; `reset_before=\"(expr)\"` / `reset_after=\"(expr)\"` restart them before / after an event for which the eval expression is true. Events missing a BY field get no statistics. Order matters: events reach it newest first unless sorted. `allnum=true` is not supported.",
        "| makeresults count=5 | streamstats count as n"),
    cmd!("bin", ["bucket", "discretize"], Streaming, true, ["span", "bins", "minspan", "start", "end", "aligntime"],
        "bin [span=<span>] [bins=<n>] [minspan=<span>] [start=<num>] [end=<num>] [aligntime=earliest|latest|<time>] <field> [as <newfield>]",
        "Round a numeric or time field down to the start of its bucket.",
        "With `span=1h` on `_time` each time becomes the start of its hour (buckets aligned to the Unix epoch, in UTC). `aligntime=` starts time buckets elsewhere: `earliest` or `latest` of the search's time range, epoch seconds, or a relative time such as `@d+3h` (resolved against the search's time); it is ignored for spans in days, months or years. Later commands see the rounded value; BY `_time` then groups per bucket.",
        "| makeresults | eval _time=3700 | bin _time span=1h"),
    cmd!("rename", [], Streaming, true, [],
        "rename <field> as <newname> [, <field> as <newname>]...",
        "Rename fields.",
        "Renaming a field that does not exist is not an error. Renaming onto an existing field replaces it. `*` in both names renames by pattern.",
        "| makeresults | eval a=1 | rename a as b"),
    cmd!("convert", [], Streaming, true, ["timeformat"],
        "convert [timeformat=<format>] <func>(<field>) [as <newname>]...",
        "Convert field values: ctime, mktime, dur2sec, sec2dur, num, auto, rmunit, rmcomma, memk, none.",
        "`ctime(f)` turns epoch seconds into text with `timeformat` (default `%m/%d/%Y %H:%M:%S`), in UTC here. Values that cannot be converted are left as they are.",
        "| makeresults | eval t=0 | convert timeformat=\"%Y-%m-%dT%H:%M:%S\" ctime(t)"),
    cmd!("fields", [], Streaming, true, [],
        "fields [+|-] <field-list>",
        "Keep (or with `-`, drop) fields by name or wildcard pattern.",
        "`fields a, b*` keeps only the listed fields, in the order given; `fields - a` removes them and keeps the rest. Internal fields such as `_time` and `_raw` stay unless removed explicitly.",
        "| makeresults | eval a=1, b=2, c=3 | fields a, c"),
    cmd!("table", [], Transforming, true, [],
        "table <field-list>",
        "Show only the listed fields, as columns in the order given.",
        "Wildcards such as `user*` expand to the matching fields in their existing order. A field no event has still gets an empty column.",
        "| makeresults | eval user=\"a\", n=1 | table n user"),
    cmd!("head", [], Dataset, true, ["limit", "null", "keeplast"],
        "head [<n>] [limit=<n>] [(<eval-expression>)] [null=<bool>] [keeplast=<bool>]",
        "Keep the first n events (10 by default), or the first ones while an expression holds.",
        "First means first in pipeline order; events reach the pipeline newest first, so `head` shows the latest ones unless the events were sorted. With `(<eval-expression>)` it keeps results until the expression is false (or null, unless `null=true`); `keeplast=true` also keeps the result that ended it; the count still caps the rows.",
        "| makeresults count=20 | streamstats count as n | head 5"),
    cmd!("tail", [], Dataset, true, [],
        "tail [<n>]",
        "Keep the last n events (10 by default), last one first.",
        "Returns the last n events of the pipeline in reverse order, so the very last event comes first.",
        "| makeresults count=20 | streamstats count as n | tail 3"),
    cmd!("reverse", [], Dataset, true, [],
        "reverse",
        "Reverse the order of the events.",
        "Turns the order of the results around, so the last becomes the first. It has to collect every result before it can emit the first one, so it holds all of them in memory.",
        "| makeresults count=3 | streamstats count as n | reverse"),
    cmd!("sort", [], Dataset, true, ["limit"],
        "sort [<n>] [+|-]<field>|[+|-]num(<field>)|str(...)|ip(...)|auto(...) [, ...] [desc]",
        "Sort events by one or more fields.",
        "`-f` sorts descending. Numbers sort numerically and before strings; `num(f)`, `str(f)` and `ip(f)` force a comparison, `auto(f)` is the default one; the sign may be written before the function (`-str(f)`). Without a count sort keeps at most 10000 events; `sort 0` keeps all.",
        "| makeresults count=5 | eval n=random()%10 | sort - n"),
    cmd!("dedup", [], Dataset, true, ["keepempty", "consecutive", "keepevents", "sortby"],
        "dedup [<n>] <field-list> [keepempty=<bool>] [consecutive=<bool>] [sortby <sort-fields>]",
        "Keep the first event (or first n) of each distinct combination of the fields.",
        "Events lacking any of the fields are dropped unless `keepempty=true`. `consecutive=true` removes only runs of adjacent duplicates.",
        "| makeresults count=4 | eval k=\"a\" | dedup k"),
    cmd!("fillnull", [], Streaming, true, ["value"],
        "fillnull [value=<string>] [<field-list>]",
        "Give missing fields a constant value (0 by default).",
        "Without a field list it fills every field that appears in the results; with one it fills only those fields, creating them when absent.",
        "| makeresults | eval a=null() | fillnull value=\"none\" a"),
    cmd!("makeresults", [], Generating, true, ["count", "annotate"],
        "| makeresults [count=<n>]",
        "Generate n empty results that carry only `_time`.",
        "Must be the first command of a query (or subsearch). It creates `count` results (1 by default) that hold nothing but `_time`, the time the search started: the usual way to try eval expressions, functions and commands without any data.",
        "| makeresults count=3"),
    cmd!("top", [], Transforming, true, ["limit", "countfield", "percentfield", "showcount", "showperc", "useother", "otherstr"],
        "top [<n>] [limit=<n>] [countfield=<name>] [percentfield=<name>] [showcount=<bool>] [showperc=<bool>] [useother=<bool>] [otherstr=<text>] <field-list> [by <field-list>]",
        "The most common values of the fields, with their count and percentage.",
        "Returns at most n rows (a leading number or `limit=`, 10 by default, 0 for all) per BY group, most frequent first, with `count` and `percent` columns (renamed with countfield= and percentfield=, left out with showcount=false and showperc=false). `useother=true` adds a row per group for the values past the limit, every field set to `otherstr` (default OTHER).",
        "| makeresults count=5 | eval k=if(random()%2==0,\"a\",\"b\") | top k"),
    cmd!("rare", [], Transforming, true, ["limit", "countfield", "percentfield", "showcount", "showperc"],
        "rare [limit=<n>] [countfield=<name>] [percentfield=<name>] [showcount=<bool>] [showperc=<bool>] <field-list> [by <field-list>]",
        "The least common values of the fields, with their count and percentage.",
        "The mirror image of `top`: it counts each distinct value (or combination of values) of the fields and lists the least frequent first, with `count` and `percent` columns, at most `limit` rows (10 by default) per BY group. It has no leading count, `useother=` or `otherstr=`.",
        "| makeresults count=5 | eval k=if(random()%2==0,\"a\",\"b\") | rare k"),
    // ---- parsed, not run yet ----------------------------------------------------------------
    cmd!("tstats", [], Generating, false, ["summariesonly", "allow_old_summaries", "prestats", "local", "append", "chunk_size", "fillnull_value", "datamodel"],
        "| tstats [options] <agg>... [from datamodel=<name>] [where <search>] [by <field-list>]",
        "Aggregate over indexed fields or accelerated data models.",
        "Reads summaries instead of raw events, which is why detections use it for speed. spelunk has no index or data model, so it parses tstats but cannot run it.",
        "| tstats count from datamodel=Endpoint.Processes by Processes.dest"),
    cmd!("from", [], Generating, false, [],
        "| from datamodel:<name> | from lookup:<name> | from <dataset>",
        "Read a dataset: a data model, lookup or saved search.",
        "A generating command that names its source (a data model, lookup or saved dataset) instead of searching an index. spelunk has no data models or saved datasets, so it parses `from` (for `check`) but does not run it.",
        "| from datamodel:Authentication"),
    cmd!("datamodel", [], Generating, false, ["summariesonly"],
        "| datamodel <model> <dataset> [search]",
        "Search a data model dataset.",
        "Returns the events of a data model dataset, with the field names the model defines. spelunk has no data models, so it parses the command (for `check`) but does not run it.",
        "| datamodel Authentication Authentication search"),
    cmd!("lookup", [], Streaming, true, ["local", "update"],
        "lookup [local=<bool>] [update=<bool>] <table> (<lookup-field> [AS <event-field>])... [OUTPUT|OUTPUTNEW (<lookup-field> [AS <event-field>])...]",
        "Enrich events with fields from a CSV lookup table.",
        "Matches each result to the rows of a CSV lookup (case-sensitive, every match field must be equal; each value of a multivalue field is looked up) and copies the output fields in: several matching rows give multivalue fields (at most 100 per value). Without OUTPUT/OUTPUTNEW every non-match column is copied. OUTPUT replaces existing fields; OUTPUTNEW only fills fields the result does not have. Results without a match field are left alone. Tables come from --lookups DIR (default ./lookups): NAME, NAME.csv, NAME.csv.gz, or a transforms.conf stanza with filename= (case_sensitive_match and max_matches apply).",
        "| makeresults | eval user=\"alice\" | lookup users.csv user OUTPUT department AS dept"),
    cmd!("inputlookup", [], Generating, true, ["append", "start", "max", "strict"],
        "| inputlookup [append=<bool>] [start=<int>] [max=<int>] <table> [where <search>]",
        "Read the rows of a lookup table as results.",
        "Generates one result per row of the CSV lookup, in file order (empty cells are missing fields): from row `start` (0-based, default 0), at most `max` rows, then only those matching the where clause. With `append=t` it may follow other commands and adds the rows after the current results. Tables resolve as for `lookup`.",
        "| inputlookup users.csv where department=sales"),
    cmd!("outputlookup", [], Dataset, false, ["append", "create_empty", "override_if_empty", "key_field", "max"],
        "outputlookup [append=<bool>] <table>",
        "Write the results to a lookup table.",
        "Saves the current results as a CSV lookup (replacing it unless `append=t`) and passes them on.",
        "| makeresults | eval user=\"a\" | outputlookup users.csv"),
    cmd!("rex", [], Streaming, true, ["field", "max_match", "mode", "offset_field"],
        "rex [field=<field>] [max_match=<n>] \"<regex>\" | rex [field=<field>] mode=sed \"<sed-expr>\"",
        "Extract fields with a regular expression's named groups, or edit a field with sed syntax.",
        "Each named group `(?<name>...)` becomes a field; `max_match` above 1 collects several matches into multivalue fields. `mode=sed` applies `s/regex/replacement/flags` to the field (`_raw` by default).",
        "| makeresults | eval s=\"user=bob\" | rex field=s \"user=(?<user>\\w+)\""),
    cmd!("regex", [], Streaming, true, ["field"],
        "regex [<field>=|<field>!=]\"<regex>\"",
        "Keep (or drop) the events whose field matches a regular expression.",
        "Without a field the regex is applied to `_raw`; `!=` keeps the events that do not match.",
        "| makeresults | eval s=\"abc\" | regex s=\"^a\""),
    cmd!("spath", [], Streaming, true, ["input", "output", "path"],
        "spath [input=<field>] [output=<field>] [path=<path> | <path>]",
        "Extract fields from JSON or XML text.",
        "Without a path it extracts every field of the structure, naming nested fields with dots and arrays with `{}`; with a path it extracts that value only.",
        "| makeresults | eval j=\"{\\\"a\\\":{\\\"b\\\":1}}\" | spath input=j path=a.b"),
    cmd!("iplocation", [], Streaming, false, ["prefix", "allfields", "lang"],
        "iplocation [prefix=<string>] <ip-field>",
        "Add geographic fields (City, Country, Region, lat, lon) for an IP address.",
        "Looks the address up in a GeoIP database; spelunk ships none, so the command parses but does not run.",
        "| makeresults | eval ip=\"8.8.8.8\" | iplocation ip"),
    cmd!("join", [], Dataset, true, ["type", "usetime", "earlier", "overwrite", "max"],
        "join [type=inner|left|outer] [max=<int>] [overwrite=<bool>] [usetime=<bool>] [earlier=<bool>] [<field-list>] [ <subsearch> ]",
        "Combine the results with the subsearch rows that have the same values of the join fields.",
        "The subsearch runs first (at most 50,000 rows used). Each result is merged with the first `max` (default 1; 0 = all) subsearch rows whose join fields are equal, case-sensitively, one output row per match; subsearch fields overwrite the result's unless overwrite=f. `type=inner` (default) drops results without a match, `left`/`outer` keeps them. Without a field list the fields both sides have are used. `usetime=t` only joins subsearch rows earlier (earlier=t, default) or later than the result.",
        "| makeresults | eval k=1 | join k [| makeresults | eval k=1, v=\"x\"]"),
    cmd!("append", [], Dataset, true, ["extendtimerange", "maxtime", "maxout", "timeout"],
        "append [maxout=<int>] [ <subsearch> ]",
        "Add the results of a subsearch after the current results.",
        "The subsearch runs first, over the same data, and its rows (at most `maxout`, default 50,000) follow the current results unchanged; fields missing on either side stay empty. maxtime, timeout and extendtimerange are accepted and have no effect offline.",
        "| makeresults | eval a=1 | append [| makeresults | eval a=2]"),
    cmd!("appendpipe", [], Dataset, false, ["run_in_preview"],
        "appendpipe [ <subpipeline> ]",
        "Add the output of a sub-pipeline run over the current results.",
        "The commands in brackets see the current results (no leading `|` needed) and their output is appended, e.g. to add a totals row.",
        "| makeresults count=2 | eval n=1 | appendpipe [stats sum(n) as n]"),
    cmd!("appendcols", [], Dataset, false, ["override"],
        "appendcols [ <subsearch> ]",
        "Add the fields of a subsearch's results to the current results, row by row.",
        "The first subsearch row is merged into the first result, the second into the second, and so on.",
        "| makeresults | eval a=1 | appendcols [| makeresults | eval b=2]"),
    cmd!("union", [], Generating, false, ["maxtime", "maxout", "timeout"],
        "union [ <subsearch> ] [ <subsearch> ]...",
        "Merge the results of several datasets or subsearches.",
        "Combines the results of each input; unlike append, the inputs may be processed in parallel.",
        "| union [| makeresults | eval a=1] [| makeresults | eval a=2]"),
    cmd!("multisearch", [], Generating, false, [],
        "| multisearch [ <search> ] [ <search> ]...",
        "Run several streaming searches at once and interleave their events.",
        "Runs several searches side by side and interleaves their events by time; each bracketed search must be made of streaming commands only. spelunk parses it (for `check`) but does not run it yet.",
        "| multisearch [search a=1] [search b=2]"),
    cmd!("mvexpand", [], Streaming, true, ["limit"],
        "mvexpand <field> [limit=<n>]",
        "Turn each value of a multivalue field into its own event.",
        "An event with n values in the field becomes n copies, each holding one value; an event without the field is dropped.",
        "| makeresults | eval v=split(\"a,b,c\", \",\") | mvexpand v"),
    cmd!("mvcombine", [], Transforming, true, ["delim"],
        "mvcombine [delim=<string>] <field>",
        "Merge events that differ only in one field into one event with a multivalue field.",
        "The inverse of mvexpand: events identical except for the field are combined, collecting its values.",
        "| makeresults count=2 | streamstats count as v | fields - _time | mvcombine v"),
    cmd!("makemv", [], Streaming, true, ["delim", "tokenizer", "allowempty", "setsv"],
        "makemv [delim=<string> | tokenizer=<regex>] <field>",
        "Split a text field into a multivalue field.",
        "Splits on a delimiter (a space by default) or extracts the values with a regex.",
        "| makeresults | eval v=\"a b c\" | makemv v"),
    cmd!("nomv", [], Streaming, false, [],
        "nomv <field>",
        "Turn a multivalue field into single text, values separated by newlines.",
        "Turns a multivalue field into one text value, its values separated by newlines; useful before exporting a multivalue field as one cell. spelunk parses it but does not run it yet.",
        "| makeresults | eval v=split(\"a,b\", \",\") | nomv v"),
    cmd!("transaction", [], Transforming, false, ["maxspan", "maxpause", "maxevents", "startswith", "endswith", "keepevicted", "mvlist", "connected", "unifyends"],
        "transaction <field-list> [maxspan=<time>] [maxpause=<time>] [startswith=<filter>] [endswith=<filter>]",
        "Group related events into transactions.",
        "Events sharing the field values, within the time limits and between the start and end markers, become one event with `duration` and `eventcount`.",
        "| makeresults count=3 | eval s=\"x\" | transaction s"),
    cmd!("timechart", [], Transforming, false, ["span", "bins", "limit", "useother", "usenull", "partial", "cont", "fixedrange", "minspan", "aligntime"],
        "timechart [span=<span>] <agg>[(field)] ... [by <field>]",
        "Aggregate over time buckets, one row per bucket and one column per series.",
        "Like `bin _time` followed by `stats ... by _time`, pivoted so that each value of the BY field becomes a column.",
        "| makeresults count=5 | timechart span=1h count"),
    cmd!("chart", [], Transforming, false, ["limit", "useother", "usenull", "span", "bins", "cont", "format", "sep"],
        "chart <agg>[(field)] ... [over <field>] [by <field>]",
        "Aggregate into a table with one row per OVER value and one column per BY value.",
        "A two-dimensional stats: rows are the values of the first field, columns the values of the second.",
        "| makeresults count=5 | eval a=\"x\", b=\"y\" | chart count over a by b"),
    cmd!("xyseries", [], Transforming, false, ["grouped", "sep", "format"],
        "xyseries <x-field> <y-name-field> <y-data-field>...",
        "Pivot rows into a table keyed by one field, with columns named by another.",
        "Pivots rows into a table: one row per value of the x field, one column per value of the y-name field, filled with the y-data values. It is the inverse of untable. spelunk parses it but does not run it yet.",
        "| makeresults | eval x=1, n=\"a\", v=2 | xyseries x n v"),
    cmd!("untable", [], Transforming, false, [],
        "untable <x-field> <y-name-field> <y-data-field>",
        "Unpivot a table into one row per (row, column) pair.",
        "Unpivots a table into one row per (row, column) pair: the x field is kept, the column name goes into the y-name field and the cell into the y-data field. It is the inverse of xyseries. spelunk parses it but does not run it yet.",
        "| makeresults | eval x=1, a=2, b=3 | fields - _time | untable x name value"),
    cmd!("collect", [], Streaming, false, ["index", "source", "sourcetype", "marker", "testmode", "addtime"],
        "collect index=<index> [options]",
        "Write the results into a summary index.",
        "Stores the results as events of another index for later searches; spelunk has no indexes.",
        "| makeresults | collect index=summary"),
    cmd!("return", [], Transforming, false, [],
        "return [<n>] [<alias>=<field>] [<field>] [$<field>]",
        "Return values from a subsearch as a search expression.",
        "Formats the first n results of a subsearch as `field=value` terms joined with OR, for use by the outer search.",
        "| makeresults | eval user=\"a\" | return user"),
    cmd!("format", [], Transforming, false, ["maxresults", "mvsep", "emptystr"],
        "format [maxresults=<n>] [<row-prefix> <col-prefix> <col-sep> <col-end> <row-sep> <row-end>]",
        "Turn results into a single search-expression string.",
        "Used implicitly at the end of a subsearch: rows become parenthesised ANDs of `field=\"value\"`, joined with OR, in a field named `search`.",
        "| makeresults | eval user=\"a\" | fields user | format"),
    cmd!("xmlkv", [], Streaming, false, ["maxinputs"],
        "xmlkv [<field>] [maxinputs=<n>]",
        "Extract XML elements as fields.",
        "Extracts XML elements from the text as fields: each `<name>value</name>` element becomes a field `name` holding `value`. spelunk parses it but does not run it yet.",
        "| makeresults | eval _raw=\"<a>1</a>\" | xmlkv"),
    cmd!("strcat", [], Streaming, false, ["allrequired"],
        "strcat [allrequired=<bool>] <field-or-string>... <dest-field>",
        "Concatenate fields and quoted strings into a new field.",
        "The last argument names the destination; missing fields count as empty unless `allrequired=t`.",
        "| makeresults | eval a=\"x\", b=\"y\" | strcat a \"-\" b ab"),
    cmd!("foreach", [], Streaming, false, ["fieldstr", "matchstr", "matchseg1", "matchseg2", "matchseg3", "mode"],
        "foreach <wildcarded-field-list> [ <subcommand using <<FIELD>>> ]",
        "Run a templated command once for each matching field.",
        "Inside the brackets `<<FIELD>>` stands for the field name and `<<MATCHSTR>>` for the part the wildcard matched.",
        "| makeresults | eval a=1, b=2 | foreach a b [eval <<FIELD>>=<<FIELD>>*10]"),
    cmd!("map", [], Dataset, false, ["search", "maxsearches"],
        "map search=\"<search with $field$ tokens>\" [maxsearches=<n>]",
        "Run a search once per result, substituting the result's field values.",
        "Each `$field$` token in the search string is replaced by the value from the current result; the outputs are concatenated.",
        "| makeresults | eval n=2 | map search=\"| makeresults count=$n$\""),
    cmd!("delta", [], Streaming, false, ["p"],
        "delta <field> [as <newfield>] [p=<n>]",
        "The difference between a field's value and its value n results earlier.",
        "Order-dependent: compares each result with the p-th previous one (1 by default).",
        "| makeresults count=3 | streamstats count as n | delta n as d"),
    cmd!("rest", [], Generating, false, ["count", "splunk_server", "timeout"],
        "| rest <endpoint> [options]",
        "Query a Splunk REST endpoint.",
        "Reads configuration or state from the Splunk server's REST API; there is no server here.",
        "| rest /services/server/info"),
    cmd!("addinfo", [], Streaming, false, [],
        "addinfo",
        "Add search metadata fields (info_min_time, info_max_time, info_search_time, ...).",
        "Adds search metadata to each result: the time range of the search (`info_min_time`, `info_max_time`), when it started (`info_search_time`) and its id. spelunk parses it but does not run it yet.",
        "| makeresults | addinfo"),
    cmd!("cluster", [], Transforming, false, ["t", "field", "labelonly", "match", "showcount", "countfield", "labelfield", "delims"],
        "cluster [t=<threshold>] [field=<field>] [showcount=<bool>] [labelonly=<bool>]",
        "Group similar events by text similarity.",
        "Clusters events whose text (`_raw` by default) is similar beyond the threshold, keeping one per cluster unless `labelonly=t`.",
        "| makeresults count=3 | eval _raw=\"error x\" | cluster showcount=t"),
    cmd!("kvform", [], Streaming, false, ["form", "field"],
        "kvform [form=<formname>] [field=<field>]",
        "Extract key-value fields using a form template.",
        "Extracts key-value fields from text laid out like a form (`key: value` lines), using a form template. spelunk parses it but does not run it yet.",
        "| makeresults | kvform"),
    cmd!("extract", ["kv"], Streaming, false, ["pairdelim", "kvdelim", "auto", "limit", "maxchars", "mv_add", "clean_keys", "reload", "segment"],
        "extract [pairdelim=<str>] [kvdelim=<str>] [<extractor-name>...]",
        "Extract key=value pairs from the raw text.",
        "Splits `_raw` into pairs with the given delimiters (or the configured extractions) and adds them as fields.",
        "| makeresults | eval _raw=\"a=1 b=2\" | extract pairdelim=\" \" kvdelim=\"=\""),
    cmd!("anomalydetection", [], Streaming, false, ["method", "action", "pthresh", "cutoff"],
        "anomalydetection [method=histogram|zscore|iqr] [action=filter|annotate|summary] [<field-list>]",
        "Find events with unusual field values.",
        "Scores each event by how improbable its values are and keeps or annotates the anomalous ones.",
        "| makeresults count=10 | streamstats count as n | anomalydetection n"),
    cmd!("mstats", [], Generating, false, ["prestats", "append", "backfill", "update_period", "span", "chart"],
        "| mstats <agg>(<metric>) ... WHERE index=<metrics-index> [by <field-list>] [span=<span>]",
        "Aggregate metric data points from metrics indexes.",
        "The metrics counterpart of tstats: aggregates metric data points stored in metrics indexes, optionally per time span. spelunk has no metrics indexes, so it parses the command (for `check`) but does not run it.",
        "| mstats avg(cpu.pct) WHERE index=metrics by host"),
    cmd!("replace", [], Streaming, false, [],
        "replace <value> with <new> [, <value> with <new>]... [in <field-list>]",
        "Replace field values (with wildcards) by other values.",
        "Matches whole values, `*` wildcards allowed, in the listed fields or all fields.",
        "| makeresults | eval a=\"x\" | replace x with y in a"),
    cmd!("addtotals", [], Streaming, false, ["row", "col", "labelfield", "label", "fieldname"],
        "addtotals [row=<bool>] [col=<bool>] [fieldname=<field>] [<field-list>]",
        "Add a total of the numeric fields to each result (and optionally a totals row).",
        "Sums the numeric fields of each result into `Total`; `col=t` appends a row of column sums.",
        "| makeresults | eval a=1, b=2 | addtotals"),
    cmd!("fromjson", [], Streaming, false, ["prefix"],
        "fromjson <field> [prefix=<string>]",
        "Turn the keys of a JSON object in a field into fields.",
        "Turns the top-level keys of a JSON object held in a field into fields of the result; arrays become multivalue fields, and `prefix=` puts a prefix before the new names. spelunk parses it but does not run it yet.",
        "| makeresults | eval j=\"{\\\"a\\\":1}\" | fromjson j"),
    cmd!("filldown", [], Streaming, false, [],
        "filldown [<field-list>]",
        "Fill empty values with the last non-empty value above them.",
        "Fills empty values with the last non-empty value of the same field above them, in result order; without a field list it fills every field. spelunk parses it but does not run it yet.",
        "| makeresults count=2 | filldown"),
    cmd!("transpose", [], Transforming, false, ["header_field", "column_name", "include_empty"],
        "transpose [<n>] [header_field=<field>] [column_name=<string>]",
        "Swap rows and columns of the results.",
        "Swaps rows and columns: the first n results (5 by default) become columns and each field becomes a row, its name in a `column` field. spelunk parses it but does not run it yet.",
        "| makeresults | eval a=1 | transpose"),
    cmd!("eventcount", [], Generating, false, ["index", "summarize", "report_size", "list_vix"],
        "| eventcount [index=<index>]...",
        "Count the events in indexes.",
        "Reports how many events indexes hold, without searching them. spelunk reads files rather than indexes, so it parses the command (for `check`) but does not run it.",
        "| eventcount index=main"),
    cmd!("metadata", [], Generating, false, ["type", "index", "splunk_server"],
        "| metadata type=hosts|sources|sourcetypes [index=<index>]",
        "List the hosts, sources or sourcetypes of indexes with their time ranges.",
        "Lists the hosts, sources or sourcetypes seen in indexes, with their first and last times and counts, read from index metadata rather than events. spelunk parses it (for `check`) but does not run it.",
        "| metadata type=sourcetypes index=main"),
    cmd!("fieldformat", [], Streaming, false, [],
        "fieldformat <field>=<eval-expression>",
        "Change how a field is displayed without changing its value.",
        "The expression formats the displayed value only; later commands still see the original.",
        "| makeresults | eval n=1234 | fieldformat n=tostring(n, \"commas\")"),
    cmd!("apply", [], Streaming, false, [],
        "apply <model-name> [options]",
        "Apply a trained Machine Learning Toolkit model.",
        "Applies a model trained with `fit` (Splunk Machine Learning Toolkit) to the results, adding its predictions as fields. spelunk parses it (for `check`) but does not run it.",
        "| makeresults | apply my_model"),
    cmd!("fit", [], Streaming, false, [],
        "fit <algorithm> <fields> [into <model-name>]",
        "Train a Machine Learning Toolkit model.",
        "Trains a model of the Splunk Machine Learning Toolkit on the results, optionally saving it `into` a named model for `apply`. spelunk parses it (for `check`) but does not run it.",
        "| makeresults | fit DensityFunction n into my_model"),
];

/// Every aggregation and eval function. (`min`/`max` exist as both kinds.)
pub static FUNCTIONS: &[FunctionSpec] = &[
    // ---- aggregations -----------------------------------------------------------------------
    func!("count", Aggregate, true, 0, Some(1), "count[(field)]", "Number of events (with the field, when one is given).",
        "Counts the events of each group. Given a field, it counts that field's values instead: events without the field add nothing, and each value of a multivalue field adds one.",
        "| makeresults count=5 | streamstats count as n | eval odd=if(n%2==1, n, null()) | stats count, count(odd) as odd_events"),
    func!("c", Aggregate, true, 0, Some(1), "c[(field)]", "Short for count.",
        "An abbreviation of count that behaves the same, with or without a field.",
        "| makeresults count=3 | streamstats count as n | stats c, c(n) as with_n"),
    func!("dc", Aggregate, true, 1, Some(1), "dc(field)", "Number of distinct values of the field.",
        "Counts how many different values the field takes in the group, comparing them as text. Missing values are not counted; each value of a multivalue field counts.",
        "| makeresults count=5 | streamstats count as n | eval k=n%3 | stats dc(k) as kinds"),
    func!("distinct_count", Aggregate, true, 1, Some(1), "distinct_count(field)", "Same as dc: number of distinct values.",
        "The long name of dc: the number of different values of the field in the group.",
        "| makeresults count=5 | streamstats count as n | eval k=n%3 | stats distinct_count(k) as kinds"),
    func!("values", Aggregate, true, 1, Some(1), "values(field)", "Distinct values, sorted lexicographically, as a multivalue field.",
        "Gathers the different values of the field into one multivalue field, sorted as text (so \"10\" sorts before \"9\"). Duplicates appear once.",
        "| makeresults count=4 | streamstats count as n | eval user=if(n%2==0, \"bob\", \"alice\") | stats values(user) as users"),
    func!("list", Aggregate, true, 1, Some(1), "list(field)", "All values in event order (up to 100), duplicates kept.",
        "Gathers every value of the field into one multivalue field in the order the events arrive, duplicates included, keeping at most the first 100.",
        "| makeresults count=3 | streamstats count as n | stats list(n) as ns"),
    func!("min", Aggregate, true, 1, Some(1), "min(field)", "Smallest value: numeric when values are numbers, else lexicographic.",
        "The smallest value of the field in the group. Numbers compare as numbers and take precedence over text; only when no value is a number is the smallest text returned.",
        "| makeresults count=5 | streamstats count as n | stats min(n) as lowest"),
    func!("max", Aggregate, true, 1, Some(1), "max(field)", "Largest value: numeric when values are numbers, else lexicographic.",
        "The largest value of the field in the group. Numbers compare as numbers and take precedence over text; only when no value is a number is the largest text returned.",
        "| makeresults count=5 | streamstats count as n | stats max(n) as highest"),
    func!("sum", Aggregate, true, 1, Some(1), "sum(field)", "Sum of the numeric values.",
        "Adds up the values of the field that read as numbers; other values are skipped, and a group without any number gives null.",
        "| makeresults count=5 | streamstats count as n | stats sum(n) as total"),
    func!("avg", Aggregate, true, 1, Some(1), "avg(field)", "Mean of the numeric values.",
        "The arithmetic mean of the values of the field that read as numbers; other values are skipped.",
        "| makeresults count=5 | streamstats count as n | stats avg(n) as mean_n"),
    func!("mean", Aggregate, true, 1, Some(1), "mean(field)", "Same as avg.",
        "Another name for avg: the arithmetic mean of the numeric values.",
        "| makeresults count=5 | streamstats count as n | stats mean(n) as mean_n"),
    func!("median", Aggregate, true, 1, Some(1), "median(field)", "Middle value of the numeric values.",
        "The middle value of the sorted numeric values of the field. With an even number of values spelunk returns the upper of the two middle ones rather than their mean.",
        "| makeresults count=5 | streamstats count as n | stats median(n) as mid"),
    func!("mode", Aggregate, true, 1, Some(1), "mode(field)", "Most frequent value.",
        "The value that occurs most often in the group, compared as text; when several values tie, the one seen first wins.",
        "| makeresults count=5 | streamstats count as n | eval k=if(n<4, \"x\", \"y\") | stats mode(k) as common"),
    func!("perc", Aggregate, true, 1, Some(1), "perc<N>(field) | p<N>(field)", "N-th percentile (approximate in Splunk), e.g. perc95(x) or p95(x).",
        "The value below which the given percentage of the numeric values lie; the percentile (0 to 100, decimals allowed) is written into the name, as in perc95(x) or p95(x). Splunk may approximate on large data; spelunk ranks the sorted values exactly (nearest rank).",
        "| makeresults count=100 | streamstats count as n | stats perc95(n) as p95, p50(n) as p50"),
    func!("exactperc", Aggregate, true, 1, Some(1), "exactperc<N>(field)", "Exact N-th percentile.",
        "The percentile computed exactly rather than approximated, written like exactperc99(x). spelunk computes every percentile exactly, so it equals perc here.",
        "| makeresults count=100 | streamstats count as n | stats exactperc99(n) as p99"),
    func!("upperperc", Aggregate, true, 1, Some(1), "upperperc<N>(field)", "Upper bound of the approximate N-th percentile.",
        "In Splunk, the upper bound of an approximate percentile, written like upperperc90(x). spelunk's percentiles are exact, so it equals perc here.",
        "| makeresults count=100 | streamstats count as n | stats upperperc90(n) as p90"),
    func!("stdev", Aggregate, true, 1, Some(1), "stdev(field)", "Sample standard deviation.",
        "The sample standard deviation of the numeric values (dividing by n-1); null when there are fewer than two values.",
        "| makeresults count=5 | streamstats count as n | stats stdev(n) as sd"),
    func!("stdevp", Aggregate, true, 1, Some(1), "stdevp(field)", "Population standard deviation.",
        "The population standard deviation of the numeric values (dividing by n), for when the events are the whole population rather than a sample.",
        "| makeresults count=5 | streamstats count as n | stats stdevp(n) as sd"),
    func!("var", Aggregate, true, 1, Some(1), "var(field)", "Sample variance.",
        "The sample variance of the numeric values (dividing by n-1): the square of stdev.",
        "| makeresults count=5 | streamstats count as n | stats var(n) as v"),
    func!("varp", Aggregate, true, 1, Some(1), "varp(field)", "Population variance.",
        "The population variance of the numeric values (dividing by n): the square of stdevp.",
        "| makeresults count=5 | streamstats count as n | stats varp(n) as v"),
    func!("range", Aggregate, true, 1, Some(1), "range(field)", "max minus min of the numeric values.",
        "The largest numeric value minus the smallest, a quick measure of spread (for `_time`, the span of the group in seconds).",
        "| makeresults count=5 | streamstats count as n | stats range(n) as spread"),
    func!("earliest", Aggregate, true, 1, Some(1), "earliest(field)", "Value of the field in the event with the smallest _time.",
        "The field's value taken from the event with the smallest `_time` in the group; among events with the same time the first one seen wins. Unlike first(), it does not depend on event order.",
        "| makeresults count=3 | streamstats count as n | eval _time=1000-n | stats earliest(n) as oldest_n"),
    func!("latest", Aggregate, true, 1, Some(1), "latest(field)", "Value of the field in the event with the largest _time.",
        "The field's value taken from the event with the largest `_time` in the group; among events with the same time the last one seen wins. Unlike last(), it does not depend on event order.",
        "| makeresults count=3 | streamstats count as n | eval _time=1000+n | stats latest(n) as newest_n"),
    func!("first", Aggregate, true, 1, Some(1), "first(field)", "Value in the first event seen (the newest, in Splunk's order).",
        "The field's value in the first event of the group that has it, in pipeline order. Events reach the pipeline newest first, so without a sort this is the most recent value.",
        "| makeresults count=3 | streamstats count as n | stats first(n) as first_n"),
    func!("last", Aggregate, true, 1, Some(1), "last(field)", "Value in the last event seen (the oldest, in Splunk's order).",
        "The field's value in the last event of the group that has it, in pipeline order (the oldest one unless the events were sorted).",
        "| makeresults count=3 | streamstats count as n | stats last(n) as last_n"),
    func!("earliest_time", Aggregate, false, 1, Some(1), "earliest_time(field)", "Smallest _time of the events having the field.",
        "The `_time` of the earliest event of the group that has the field. spelunk parses it but does not compute it yet (`spelunk check` reports it as unsupported).",
        "| makeresults | eval user=\"a\" | stats earliest_time(user) as t"),
    func!("latest_time", Aggregate, false, 1, Some(1), "latest_time(field)", "Largest _time of the events having the field.",
        "The `_time` of the latest event of the group that has the field. spelunk parses it but does not compute it yet (`spelunk check` reports it as unsupported).",
        "| makeresults | eval user=\"a\" | stats latest_time(user) as t"),
    func!("estdc", Aggregate, false, 1, Some(1), "estdc(field)", "Estimated number of distinct values.",
        "Estimated number of distinct values. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults count=3 | streamstats count as n | eval user=\"u\".n, bytes=n*100, duration=n | stats estdc(user)"),
    func!("estdc_error", Aggregate, false, 1, Some(1), "estdc_error(field)", "Theoretical error of estdc.",
        "Theoretical error of estdc. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults count=3 | streamstats count as n | eval user=\"u\".n, bytes=n*100, duration=n | stats estdc_error(user)"),
    func!("sumsq", Aggregate, false, 1, Some(1), "sumsq(field)", "Sum of the squares of the values.",
        "Sum of the squares of the values. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults count=3 | streamstats count as n | eval user=\"u\".n, bytes=n*100, duration=n | stats sumsq(bytes)"),
    func!("rate", Aggregate, false, 1, Some(1), "rate(counter)", "Per-second rate of change of an accumulating counter.",
        "Per-second rate of change of an accumulating counter. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults count=3 | streamstats count as n | eval user=\"u\".n, bytes=n*100, duration=n | stats rate(bytes)"),
    func!("rate_avg", Aggregate, false, 1, Some(1), "rate_avg(counter)", "Average per-second rate of counter metrics.",
        "Average per-second rate of counter metrics. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults count=3 | streamstats count as n | eval user=\"u\".n, bytes=n*100, duration=n | stats rate_avg(bytes)"),
    func!("rate_sum", Aggregate, false, 1, Some(1), "rate_sum(counter)", "Summed per-second rate of counter metrics.",
        "Summed per-second rate of counter metrics. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults count=3 | streamstats count as n | eval user=\"u\".n, bytes=n*100, duration=n | stats rate_sum(bytes)"),
    func!("per_second", Aggregate, false, 1, Some(1), "per_second(field)", "Per-second rate of the summed values (timechart).",
        "Per-second rate of the summed values (timechart). spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults count=3 | streamstats count as n | eval user=\"u\".n, bytes=n*100, duration=n | stats per_second(bytes)"),
    func!("per_minute", Aggregate, false, 1, Some(1), "per_minute(field)", "Per-minute rate of the summed values (timechart).",
        "Per-minute rate of the summed values (timechart). spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults count=3 | streamstats count as n | eval user=\"u\".n, bytes=n*100, duration=n | stats per_minute(bytes)"),
    func!("per_hour", Aggregate, false, 1, Some(1), "per_hour(field)", "Per-hour rate of the summed values (timechart).",
        "Per-hour rate of the summed values (timechart). spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults count=3 | streamstats count as n | eval user=\"u\".n, bytes=n*100, duration=n | stats per_hour(bytes)"),
    func!("per_day", Aggregate, false, 1, Some(1), "per_day(field)", "Per-day rate of the summed values (timechart).",
        "Per-day rate of the summed values (timechart). spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults count=3 | streamstats count as n | eval user=\"u\".n, bytes=n*100, duration=n | stats per_day(bytes)"),
    func!("sparkline", Aggregate, false, 0, Some(2), "sparkline[(agg(field)[, span])]", "A small trend chart of an aggregation over time.",
        "A small trend chart of an aggregation over time. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults count=3 | streamstats count as n | eval user=\"u\".n, bytes=n*100, duration=n | stats sparkline(count)"),
    // ---- eval: conditions and types -----------------------------------------------------------
    func!("if", Eval, true, 3, Some(3), "if(condition, then, else)", "`then` when the condition is true, else `else`.",
        "Returns the second argument when the condition is true and the third otherwise. A condition that is false or null (a comparison with a missing field, say) takes the else branch.",
        "| makeresults | eval n=3, size=if(n>1, \"many\", \"one\") | table n size"),
    func!("case", Eval, true, 2, None, "case(cond1, value1, cond2, value2, ...)", "Value of the first true condition; null when none is (use true() as a default).",
        "Tests the conditions left to right and returns the value paired with the first true one. When none is true the result is null, so end with `true(), <default>` to get a fallback.",
        "| makeresults | eval n=42, band=case(n<10, \"low\", n<100, \"mid\", true(), \"high\") | table n band"),
    func!("coalesce", Eval, true, 1, None, "coalesce(x, y, ...)", "First argument that is not null.",
        "Returns the first of its arguments that is not null, handy to merge fields that carry the same information under different names in different sources.",
        "| makeresults | eval src_user=\"bob\", who=coalesce(user, src_user, \"unknown\") | table who"),
    func!("null", Eval, true, 0, Some(0), "null()", "The null value.",
        "Produces the null value. Assigning it with eval removes the field, and most operations on it give null in turn.",
        "| makeresults | eval a=1, a=null(), gone=if(isnull(a), \"yes\", \"no\") | table gone"),
    func!("true", Eval, true, 0, Some(0), "true()", "Boolean true.",
        "The boolean true. A bare `true` in eval is a field name, so the function form is needed, typically as the catch-all condition at the end of case().",
        "| makeresults | eval n=5, r=case(n>10, \"big\", true(), \"small\") | table r"),
    func!("false", Eval, true, 0, Some(0), "false()", "Boolean false.",
        "The boolean false. A bare `false` in eval is a field name, so use the function form.",
        "| makeresults | eval r=if(false(), \"yes\", \"no\") | table r"),
    func!("isnull", Eval, true, 1, Some(1), "isnull(x)", "True when x is null (the field is missing).",
        "True when the value is null, which is how a field missing from the event reads.",
        "| makeresults | eval missing=if(isnull(no_such_field), \"yes\", \"no\") | table missing"),
    func!("isnotnull", Eval, true, 1, Some(1), "isnotnull(x)", "True when x is not null.",
        "True when the value is not null, for instance when the event has the field.",
        "| makeresults | eval user=\"bob\", present=if(isnotnull(user), \"yes\", \"no\") | table present"),
    func!("isnum", Eval, true, 1, Some(1), "isnum(x)", "True when x is a number.",
        "True when the value is a number, or text that reads as one such as \"42\" or \"1.5\".",
        "| makeresults | eval a=if(isnum(\"42\"), \"yes\", \"no\"), b=if(isnum(\"4x\"), \"yes\", \"no\") | table a b"),
    func!("isint", Eval, true, 1, Some(1), "isint(x)", "True when x is a whole number.",
        "True when the value reads as a number without a fractional part.",
        "| makeresults | eval a=if(isint(7), \"yes\", \"no\"), b=if(isint(7.5), \"yes\", \"no\") | table a b"),
    func!("isstr", Eval, true, 1, Some(1), "isstr(x)", "True when x is a string that is not a number.",
        "True when the value is text that does not read as a number.",
        "| makeresults | eval a=if(isstr(\"bob\"), \"yes\", \"no\"), b=if(isstr(\"42\"), \"yes\", \"no\") | table a b"),
    func!("typeof", Eval, true, 1, Some(1), "typeof(x)", "\"Number\", \"String\", \"Boolean\" or \"Invalid\" (null).",
        "Names the type of a value: \"Number\" (numeric text included), \"String\", \"Boolean\", or \"Invalid\" for null. Useful to debug why a comparison behaves unexpectedly.",
        "| makeresults | eval a=typeof(12), b=typeof(\"x\"), c=typeof(1<2), d=typeof(null()) | table a b c d"),
    func!("validate", Eval, true, 2, None, "validate(cond1, msg1, cond2, msg2, ...)", "Message of the first false condition, or null when all hold.",
        "Checks the conditions in order and returns the message paired with the first one that does not hold; null when all hold. A compact way to flag malformed records.",
        "| makeresults | eval port=99999, problem=validate(port>=0 AND port<=65535, \"port out of range\") | table problem"),
    // ---- eval: text ---------------------------------------------------------------------------
    func!("lower", Eval, true, 1, Some(1), "lower(s)", "Lower-case text.",
        "Converts text to lower case, each value of a multivalue field separately; useful before comparing values whose case varies.",
        "| makeresults | eval u=lower(\"Alice\") | table u"),
    func!("upper", Eval, true, 1, Some(1), "upper(s)", "Upper-case text.",
        "Converts text to upper case, each value of a multivalue field separately.",
        "| makeresults | eval u=upper(\"alice\") | table u"),
    func!("len", Eval, true, 1, Some(1), "len(s)", "Number of characters.",
        "Counts the characters of the text (not bytes, so an accented letter counts once); numbers are measured in their text form.",
        "| makeresults | eval n=len(\"abc\") | table n"),
    func!("substr", Eval, true, 2, Some(3), "substr(s, start[, length])", "Part of the text; start counts from 1, negative from the end.",
        "Cuts out part of the text. Positions count characters from 1; a negative start counts back from the end, and without a length the rest of the text is returned.",
        "| makeresults | eval s=\"spelunking\", head=substr(s, 1, 5), tail=substr(s, -3) | table head tail"),
    func!("trim", Eval, true, 1, Some(2), "trim(s[, chars])", "Remove spaces (or the given characters) at both ends.",
        "Removes whitespace from both ends of the text, or, given a second argument, any of the characters it lists.",
        "| makeresults | eval s=trim(\"  padded  \"), t=trim(\"xxabcxx\", \"x\") | table s t"),
    func!("ltrim", Eval, true, 1, Some(2), "ltrim(s[, chars])", "Remove spaces (or the given characters) at the start.",
        "Removes whitespace, or the listed characters, from the start of the text only.",
        "| makeresults | eval id=ltrim(\"000123\", \"0\") | table id"),
    func!("rtrim", Eval, true, 1, Some(2), "rtrim(s[, chars])", "Remove spaces (or the given characters) at the end.",
        "Removes whitespace, or the listed characters, from the end of the text only.",
        "| makeresults | eval name=rtrim(\"HOST01$\", \"$\") | table name"),
    func!("replace", Eval, true, 3, Some(3), "replace(s, regex, replacement)", "Replace every regex match; \\1 refers to groups.",
        "Replaces every match of a regular expression in the text. In the replacement, `\\1`, `\\2`, ... insert the text captured by the groups.",
        "| makeresults | eval arn=\"arn:aws:iam::123456789012:user/alice\", user=replace(arn, \"^.*/\", \"\") | table user"),
    func!("split", Eval, true, 2, Some(2), "split(s, delimiter)", "Split text into a multivalue field.",
        "Cuts the text at each occurrence of the delimiter and returns the pieces as a multivalue field; empty pieces between adjacent delimiters are kept. An empty delimiter splits into single characters.",
        "| makeresults | eval parts=split(\"a,b,c\", \",\"), n=mvcount(parts) | table parts n"),
    func!("urldecode", Eval, true, 1, Some(1), "urldecode(s)", "Decode %XX escapes and + in a URL.",
        "Decodes URL encoding: `%XX` escapes become the bytes they stand for and `+` becomes a space.",
        "| makeresults | eval q=urldecode(\"a%20b+c%3D1\") | table q"),
    func!("printf", Eval, true, 1, None, "printf(format, args...)", "Format values like C printf (%s, %d, %.2f, ...).",
        "Builds text from a format string in the manner of C printf: `%s` text, `%d`/`%i` integers, `%f`/`%e` floating point with an optional precision, `%x`/`%X`/`%o` hex and octal, `%%` a percent sign; flags `-` and `0` and a field width pad the result. Widths and precisions are capped at 10,000 characters.",
        "| makeresults | eval s=printf(\"%s has %03d items (%.1f%%)\", \"bob\", 7, 12.345) | table s"),
    func!("tostring", Eval, true, 1, Some(2), "tostring(x[, \"hex\"|\"commas\"|\"duration\"])", "Text form of a value, optionally formatted.",
        "Turns a value into text. With a second argument it formats numbers: \"hex\" (0x1F), \"commas\" (thousands separators, two decimals at most) or \"duration\" (seconds as [days+]HH:MM:SS).",
        "| makeresults | eval a=tostring(1234567, \"commas\"), b=tostring(3725, \"duration\"), c=tostring(255, \"hex\") | table a b c"),
    func!("tonumber", Eval, true, 1, Some(2), "tonumber(s[, base])", "Number from text (base 2 to 36); null when not a number.",
        "Reads a number from text; null when the text is not a number. A second argument gives the base (2 to 36) for integers written in another base, such as hexadecimal.",
        "| makeresults | eval a=tonumber(\"42\"), b=tonumber(\"ff\", 16) | table a b"),
    func!("like", Eval, true, 2, Some(2), "like(s, pattern)", "SQL-style match: % any text, _ one character.",
        "SQL-style pattern matching: `%` stands for any run of characters and `_` for exactly one. The match is case-sensitive and must cover the whole text.",
        "| makeresults | eval user=\"admin_bob\", hit=if(like(user, \"adm%\"), \"yes\", \"no\") | table hit"),
    func!("match", Eval, true, 2, Some(2), "match(s, regex)", "True when the regex matches anywhere in the text.",
        "True when the regular expression matches anywhere in the text (anchor it with ^ and $ to match the whole value). Any value of a multivalue field may match.",
        "| makeresults | eval user=\"admin_bob\", hit=if(match(user, \"^adm\"), \"yes\", \"no\") | table hit"),
    func!("searchmatch", Eval, true, 1, Some(1), "searchmatch(search-string)", "True when the event matches a search expression.",
        "True when the current event matches a search expression written as text, with the same rules as the search command (case-insensitive values, wildcards, terms against _raw).",
        "| makeresults | eval user=\"Alice\", hit=if(searchmatch(\"user=alice\"), 1, 0) | table hit"),
    func!("cidrmatch", Eval, true, 2, Some(2), "cidrmatch(cidr, ip)", "True when the IP address is in the CIDR range.",
        "True when the IP address (IPv4 or IPv6) lies inside the CIDR block given first; false for values that are not addresses. The search command does the same for `field=10.0.0.0/8`.",
        "| makeresults | eval src=\"10.1.2.3\", internal=if(cidrmatch(\"10.0.0.0/8\", src), \"yes\", \"no\") | table internal"),
    func!("in", Eval, true, 2, None, "in(x, v1, v2, ...)", "True when x equals one of the values.",
        "True when the first argument equals any of the others; numbers compare numerically, text exactly. The function form of `x IN (...)`.",
        "| makeresults | eval status=403, denied=if(in(status, 401, 403), \"yes\", \"no\") | table denied"),
    // ---- eval: numbers ------------------------------------------------------------------------
    func!("round", Eval, true, 1, Some(2), "round(x[, digits])", "Round to the nearest whole number or to the given decimals.",
        "Rounds to the nearest whole number, or to the given number of decimals; halves round away from zero.",
        "| makeresults | eval a=round(2.5), b=round(3.14159, 2) | table a b"),
    func!("floor", Eval, true, 1, Some(1), "floor(x)", "Round down.",
        "Rounds down to the nearest whole number (towards negative infinity).",
        "| makeresults | eval f=floor(2.7) | table f"),
    func!("ceiling", Eval, true, 1, Some(1), "ceiling(x)", "Round up.",
        "Rounds up to the nearest whole number (towards positive infinity).",
        "| makeresults | eval c=ceiling(2.1) | table c"),
    func!("ceil", Eval, true, 1, Some(1), "ceil(x)", "Same as ceiling.",
        "A short name for ceiling: rounds up to the nearest whole number.",
        "| makeresults | eval c=ceil(2.1) | table c"),
    func!("abs", Eval, true, 1, Some(1), "abs(x)", "Absolute value.",
        "The absolute value: the number without its sign; null when the argument is not a number.",
        "| makeresults | eval a=abs(-7) | table a"),
    func!("pow", Eval, true, 2, Some(2), "pow(x, y)", "x to the power y.",
        "Raises the first number to the power of the second; fractional and negative exponents are allowed, and the result is null when either argument is not a number.",
        "| makeresults | eval p=pow(2, 10) | table p"),
    func!("sqrt", Eval, true, 1, Some(1), "sqrt(x)", "Square root.",
        "The square root; null for negative numbers and for values that are not numbers.",
        "| makeresults | eval s=sqrt(16) | table s"),
    func!("exp", Eval, true, 1, Some(1), "exp(x)", "e to the power x.",
        "The exponential function: e (2.71828...) raised to the given power; null when the result is too large to represent.",
        "| makeresults | eval e=exp(1) | table e"),
    func!("ln", Eval, true, 1, Some(1), "ln(x)", "Natural logarithm.",
        "The natural logarithm (base e); null for zero and negative numbers.",
        "| makeresults | eval l=ln(10) | table l"),
    func!("log", Eval, true, 1, Some(2), "log(x[, base])", "Logarithm, base 10 by default.",
        "The logarithm in the given base, or in base 10 when no base is given.",
        "| makeresults | eval a=log(1000), b=log(8, 2) | table a b"),
    func!("min", Eval, true, 1, None, "min(x, y, ...)", "Smallest argument (numbers before strings).",
        "The smallest of its arguments, looking at every value of multivalue ones. Numbers compare numerically and rank before text.",
        "| makeresults | eval m=min(3, 1, 2) | table m"),
    func!("max", Eval, true, 1, None, "max(x, y, ...)", "Largest argument (numbers before strings).",
        "The largest of its arguments, looking at every value of multivalue ones. Numbers compare numerically and rank before text.",
        "| makeresults | eval m=max(3, 1, 2) | table m"),
    func!("random", Eval, true, 0, Some(0), "random()", "Pseudo-random whole number from 0 to 2^31-1.",
        "A pseudo-random whole number from 0 to 2^31-1, different on each call; take it modulo n for a number below n.",
        "| makeresults | eval r=random() % 100 | table r"),
    func!("pi", Eval, true, 0, Some(0), "pi()", "The constant pi.",
        "The constant pi (3.14159...), the ratio of a circle's circumference to its diameter, as a floating-point number.",
        "| makeresults | eval r=2, area=round(pi()*r*r, 2) | table area"),
    // ---- eval: time ---------------------------------------------------------------------------
    func!("now", Eval, true, 0, Some(0), "now()", "Time the search started, in epoch seconds.",
        "The time the search started, in epoch seconds; the same for every event of a search.",
        "| makeresults | eval age=now() - _time | table age"),
    func!("time", Eval, true, 0, Some(0), "time()", "Current wall-clock time, in epoch seconds with microseconds.",
        "The wall-clock time at the moment of the call, in epoch seconds with microseconds; unlike now() it changes while the search runs.",
        "| makeresults | eval t=time() | table t"),
    func!("strftime", Eval, true, 2, Some(2), "strftime(epoch, format)", "Format epoch seconds as text (UTC here).",
        "Formats epoch seconds as text with strftime codes such as %Y-%m-%d %H:%M:%S. spelunk formats in UTC.",
        "| makeresults | eval d=strftime(0, \"%Y-%m-%d %H:%M:%S\") | table d"),
    func!("strptime", Eval, true, 2, Some(2), "strptime(text, format)", "Parse text into epoch seconds.",
        "Parses text into epoch seconds according to a strptime format; null when the text does not fit the format.",
        "| makeresults | eval t=strptime(\"2024-01-01\", \"%Y-%m-%d\") | table t"),
    func!("relative_time", Eval, true, 2, Some(2), "relative_time(epoch, modifier)", "Apply a time modifier such as \"-1d@d\" to a time.",
        "Applies a relative time modifier (such as \"-1d\", \"@d\" or \"-1h@h\") to epoch seconds: shift by an amount, then optionally snap down to the start of a unit.",
        "| makeresults | eval t=relative_time(1700000000, \"-1d@d\") | table t"),
    // ---- eval: multivalue ---------------------------------------------------------------------
    func!("mvcount", Eval, true, 1, Some(1), "mvcount(mv)", "Number of values (null when the field is missing).",
        "The number of values of a multivalue field (1 for an ordinary value, null when the field is missing).",
        "| makeresults | eval v=split(\"a,b,c\", \",\"), n=mvcount(v) | table n"),
    func!("mvindex", Eval, true, 2, Some(3), "mvindex(mv, start[, end])", "Value(s) by position from 0; negative counts from the end.",
        "Picks values by position, counting from 0; negative positions count back from the end. With an end position it returns the values from start to end inclusive.",
        "| makeresults | eval v=split(\"a,b,c\", \",\"), last=mvindex(v, -1), first_two=mvindex(v, 0, 1) | table last first_two"),
    func!("mvjoin", Eval, true, 2, Some(2), "mvjoin(mv, delimiter)", "Join the values into one text.",
        "Joins the values of a multivalue field into one text, with the delimiter between them.",
        "| makeresults | eval v=split(\"a,b,c\", \",\"), s=mvjoin(v, \" | \") | table s"),
    func!("mvappend", Eval, true, 1, None, "mvappend(x, y, ...)", "Concatenate values and multivalue fields into one multivalue field.",
        "Builds one multivalue field from all its arguments, single values and multivalue fields alike, in order; null arguments are skipped.",
        "| makeresults | eval v=mvappend(\"a\", split(\"b,c\", \",\"), \"d\"), n=mvcount(v) | table v n"),
    func!("mvfilter", Eval, true, 1, Some(1), "mvfilter(predicate)", "Values of one multivalue field for which the predicate is true.",
        "Keeps the values of one multivalue field for which the predicate is true; the predicate names that field and is evaluated once per value.",
        "| makeresults | eval users=split(\"admin1,bob,admin2\", \",\"), admins=mvfilter(match(users, \"^admin\")) | table admins"),
    func!("mvfind", Eval, true, 2, Some(2), "mvfind(mv, regex)", "Index of the first value matching the regex, or null.",
        "The position (from 0) of the first value that matches the regular expression, or null when none does.",
        "| makeresults | eval v=split(\"bob,admin1,carol\", \",\"), i=mvfind(v, \"^adm\") | table i"),
    func!("mvzip", Eval, true, 2, Some(3), "mvzip(mv1, mv2[, delimiter])", "Pair up the values of two multivalue fields.",
        "Pairs the values of two multivalue fields position by position, joined with a delimiter (a comma by default); extra values of the longer field are dropped.",
        "| makeresults | eval k=split(\"a,b\", \",\"), v=split(\"1,2\", \",\"), pairs=mvzip(k, v, \"=\") | table pairs"),
    func!("mvdedup", Eval, true, 1, Some(1), "mvdedup(mv)", "Remove duplicate values, keeping the first.",
        "Removes repeated values from a multivalue field, keeping the first occurrence of each.",
        "| makeresults | eval v=mvdedup(split(\"a,b,a,c,b\", \",\")) | table v"),
    func!("mvsort", Eval, true, 1, Some(1), "mvsort(mv)", "Sort the values lexicographically.",
        "Sorts the values of a multivalue field as text (so \"10\" sorts before \"9\").",
        "| makeresults | eval v=mvsort(split(\"c,a,b\", \",\")) | table v"),
    func!("mvrange", Eval, true, 2, Some(3), "mvrange(start, end[, step])", "Multivalue field of numbers from start up to (not including) end.",
        "Generates the numbers from start up to but not including end, by a step of 1 or the given step, as a multivalue field (at most 10,000 values).",
        "| makeresults | eval r=mvrange(0, 10, 3) | table r"),
    // ---- eval: hashes and JSON ----------------------------------------------------------------
    func!("md5", Eval, true, 1, Some(1), "md5(s)", "MD5 digest as hex.",
        "The MD5 digest of the text (its UTF-8 bytes), as lower-case hex.",
        "| makeresults | eval h=md5(\"abc\") | table h"),
    func!("sha1", Eval, true, 1, Some(1), "sha1(s)", "SHA-1 digest as hex.",
        "The SHA-1 digest of the text (its UTF-8 bytes), as lower-case hex.",
        "| makeresults | eval h=sha1(\"abc\") | table h"),
    func!("sha256", Eval, true, 1, Some(1), "sha256(s)", "SHA-256 digest as hex.",
        "The SHA-256 digest of the text (its UTF-8 bytes), as lower-case hex.",
        "| makeresults | eval h=sha256(\"abc\") | table h"),
    func!("json_extract", Eval, true, 1, None, "json_extract(json[, path, ...])", "Value at a path in JSON text.",
        "Reads JSON text and returns the value at each path given (dotted keys, `{n}` for array elements counted from 0); several paths give a multivalue result. Without a path it returns the whole document, normalised.",
        "| makeresults | eval j=\"{\\\"a\\\":{\\\"b\\\":[10,20]}}\", v=json_extract(j, \"a.b{1}\") | table v"),
    func!("spath", Eval, true, 2, Some(2), "spath(json-or-xml, path)", "Value at a path in JSON or XML text.",
        "The eval form of the spath command: the value at a path in JSON or XML text, with `{}` collecting every element of an array.",
        "| makeresults | eval j=\"{\\\"a\\\":{\\\"b\\\":[10,20]}}\", v=spath(j, \"a.b{}\") | table v"),
    // ---- eval: Splunk functions spelunk parses but does not run yet ---------------------------
    func!("nullif", Eval, false, 2, Some(2), "nullif(x, y)", "Null when x equals y, else x.",
        "Null when x equals y, else x. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval u=nullif(user, \"-\") | table u"),
    func!("isbool", Eval, false, 1, Some(1), "isbool(x)", "True when x is a Boolean.",
        "True when x is a Boolean. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval b=if(isbool(x), \"yes\", \"no\") | table b"),
    func!("lookup", Eval, false, 2, Some(3), "lookup(table, json-input[, json-output])", "Look values up in a CSV lookup table from eval.",
        "Look values up in a CSV lookup table from eval. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval r=lookup(\"users.csv\", json_object(\"user\", user)) | table r"),
    func!("ipmask", Eval, false, 2, Some(2), "ipmask(mask, ip)", "Apply a netmask to an IPv4 address.",
        "Apply a netmask to an IPv4 address. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval net=ipmask(\"255.255.255.0\", src) | table net"),
    func!("sha512", Eval, false, 1, Some(1), "sha512(s)", "SHA-512 digest as hex.",
        "SHA-512 digest as hex. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval h=sha512(user) | table h"),
    func!("exact", Eval, false, 1, Some(1), "exact(expr)", "Evaluate with full floating-point precision.",
        "Evaluate with full floating-point precision. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval x=exact(3.14 * n) | table x"),
    func!("sigfig", Eval, false, 1, Some(1), "sigfig(expr)", "Round to the significant figures of the operands.",
        "Round to the significant figures of the operands. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval x=sigfig(1.00 * 1111) | table x"),
    func!("sum", Eval, false, 1, None, "sum(x, y, ...)", "Sum of the numeric arguments.",
        "Sum of the numeric arguments. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval t=sum(a, b, 1) | table t"),
    func!("avg", Eval, false, 1, None, "avg(x, y, ...)", "Mean of the numeric arguments.",
        "Mean of the numeric arguments. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval m=avg(a, b) | table m"),
    func!("acos", Eval, false, 1, Some(1), "acos(x)", "Arc cosine, in radians.",
        "Arc cosine, in radians. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval a=acos(x) | table a"),
    func!("acosh", Eval, false, 1, Some(1), "acosh(x)", "Inverse hyperbolic cosine.",
        "Inverse hyperbolic cosine. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval a=acosh(x) | table a"),
    func!("asin", Eval, false, 1, Some(1), "asin(x)", "Arc sine, in radians.",
        "Arc sine, in radians. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval a=asin(x) | table a"),
    func!("asinh", Eval, false, 1, Some(1), "asinh(x)", "Inverse hyperbolic sine.",
        "Inverse hyperbolic sine. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval a=asinh(x) | table a"),
    func!("atan", Eval, false, 1, Some(1), "atan(x)", "Arc tangent, in radians.",
        "Arc tangent, in radians. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval a=atan(x) | table a"),
    func!("atan2", Eval, false, 2, Some(2), "atan2(y, x)", "Arc tangent of y/x, in radians.",
        "Arc tangent of y/x, in radians. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval a=atan2(y, x) | table a"),
    func!("atanh", Eval, false, 1, Some(1), "atanh(x)", "Inverse hyperbolic tangent.",
        "Inverse hyperbolic tangent. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval a=atanh(x) | table a"),
    func!("cos", Eval, false, 1, Some(1), "cos(x)", "Cosine of an angle in radians.",
        "Cosine of an angle in radians. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval c=cos(x) | table c"),
    func!("cosh", Eval, false, 1, Some(1), "cosh(x)", "Hyperbolic cosine.",
        "Hyperbolic cosine. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval c=cosh(x) | table c"),
    func!("hypot", Eval, false, 2, Some(2), "hypot(x, y)", "Length of the hypotenuse.",
        "Length of the hypotenuse. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval h=hypot(x, y) | table h"),
    func!("sin", Eval, false, 1, Some(1), "sin(x)", "Sine of an angle in radians.",
        "Sine of an angle in radians. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval s=sin(x) | table s"),
    func!("sinh", Eval, false, 1, Some(1), "sinh(x)", "Hyperbolic sine.",
        "Hyperbolic sine. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval s=sinh(x) | table s"),
    func!("tan", Eval, false, 1, Some(1), "tan(x)", "Tangent of an angle in radians.",
        "Tangent of an angle in radians. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval t=tan(x) | table t"),
    func!("tanh", Eval, false, 1, Some(1), "tanh(x)", "Hyperbolic tangent.",
        "Hyperbolic tangent. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval t=tanh(x) | table t"),
    func!("bit_and", Eval, false, 2, None, "bit_and(x, y, ...)", "Bitwise AND.",
        "Bitwise AND. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval b=bit_and(x, 255) | table b"),
    func!("bit_or", Eval, false, 2, None, "bit_or(x, y, ...)", "Bitwise OR.",
        "Bitwise OR. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval b=bit_or(x, 1) | table b"),
    func!("bit_xor", Eval, false, 2, None, "bit_xor(x, y, ...)", "Bitwise XOR.",
        "Bitwise XOR. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval b=bit_xor(x, 1) | table b"),
    func!("bit_not", Eval, false, 1, Some(2), "bit_not(x[, bits])", "Bitwise NOT.",
        "Bitwise NOT. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval b=bit_not(x) | table b"),
    func!("bit_shift_left", Eval, false, 2, Some(2), "bit_shift_left(x, n)", "Shift the bits left.",
        "Shift the bits left. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval b=bit_shift_left(x, 2) | table b"),
    func!("bit_shift_right", Eval, false, 2, Some(2), "bit_shift_right(x, n)", "Shift the bits right.",
        "Shift the bits right. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval b=bit_shift_right(x, 2) | table b"),
    func!("commands", Eval, false, 1, Some(1), "commands(search-string)", "The commands a search string uses, as a multivalue field.",
        "The commands a search string uses, as a multivalue field. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval c=commands(search) | table c"),
    func!("mvmap", Eval, false, 2, Some(2), "mvmap(mv, expression)", "Apply an expression to each value of a multivalue field.",
        "Apply an expression to each value of a multivalue field. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval d=mvmap(n, n*2) | table d"),
    func!("mv_to_json_array", Eval, false, 1, Some(2), "mv_to_json_array(mv[, infer_types])", "A multivalue field as a JSON array.",
        "A multivalue field as a JSON array. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval j=mv_to_json_array(users) | table j"),
    func!("json_array", Eval, false, 0, None, "json_array(v, ...)", "A JSON array of the values.",
        "A JSON array of the values. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval j=json_array(1, \"a\") | table j"),
    func!("json_object", Eval, false, 0, None, "json_object(key, value, ...)", "A JSON object of key/value pairs.",
        "A JSON object of key/value pairs. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval j=json_object(\"user\", user) | table j"),
    func!("json_array_to_mv", Eval, false, 1, Some(2), "json_array_to_mv(json-array[, bool])", "A JSON array as a multivalue field.",
        "A JSON array as a multivalue field. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval m=json_array_to_mv(j) | table m"),
    func!("json_append", Eval, false, 3, None, "json_append(json, path, value, ...)", "Append values to arrays in a JSON document.",
        "Append values to arrays in a JSON document. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval j=json_append(j, \"a\", 1) | table j"),
    func!("json_extend", Eval, false, 3, None, "json_extend(json, path, array, ...)", "Extend arrays in a JSON document.",
        "Extend arrays in a JSON document. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval j=json_extend(j, \"a\", \"[1]\") | table j"),
    func!("json_delete", Eval, false, 2, None, "json_delete(json, path, ...)", "Remove keys from a JSON document.",
        "Remove keys from a JSON document. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval j=json_delete(j, \"a\") | table j"),
    func!("json_entries", Eval, false, 1, Some(1), "json_entries(json)", "The key/value pairs of a JSON object.",
        "The key/value pairs of a JSON object. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval e=json_entries(j) | table e"),
    func!("json_extract_exact", Eval, false, 1, None, "json_extract_exact(json, key, ...)", "Values of keys taken literally (no path syntax).",
        "Values of keys taken literally (no path syntax). spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval v=json_extract_exact(j, \"a.b\") | table v"),
    func!("json_has_key_exists", Eval, false, 2, Some(2), "json_has_key_exists(json, key)", "True when the JSON object has the key.",
        "True when the JSON object has the key. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval h=json_has_key_exists(j, \"a\") | table h"),
    func!("json_keys", Eval, false, 1, Some(1), "json_keys(json)", "The keys of a JSON object, as a JSON array.",
        "The keys of a JSON object, as a JSON array. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval k=json_keys(j) | table k"),
    func!("json_set", Eval, false, 3, None, "json_set(json, path, value, ...)", "Set values in a JSON document.",
        "Set values in a JSON document. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval j=json_set(j, \"a\", 1) | table j"),
    func!("json_set_exact", Eval, false, 3, None, "json_set_exact(json, key, value, ...)", "Set values of keys taken literally.",
        "Set values of keys taken literally. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval j=json_set_exact(j, \"a.b\", 1) | table j"),
    func!("json_valid", Eval, false, 1, Some(1), "json_valid(json)", "True when the text is valid JSON.",
        "True when the text is valid JSON. spelunk parses it but does not run it yet: `spelunk check` reports a query using it as unsupported.",
        "| makeresults | eval ok=json_valid(j) | table ok"),
];

/// Splunk commands spelunk neither runs nor describes. Knowing them keeps `spelunk check`
/// from calling one a typo of a command it does know (`sistats` is not a misspelt `stats`) and
/// says "spelunk does not run it yet" instead of "unknown command". From Splunk's Search
/// Reference (https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/ListOfSearchCommands)
/// and the Machine Learning Toolkit's commands.
pub static OTHER_COMMANDS: &[&str] = &[
    "abstract", "accum", "addcoltotals", "af", "analyzefields", "anomalies", "anomalousvalue", "arules", "associate", "audit",
    "autoregress", "bucketdir", "cofilter", "concurrency", "contingency", "correlate", "counttable", "ctable", "datamodelsimple",
    "dbinspect", "delete", "deletemodel", "diff", "erex", "fieldsummary", "findtypes", "folderize", "gauge", "gentimes", "geom",
    "geomfilter", "geostats", "highlight", "history", "iconify", "inputcsv", "inputintelligence", "kmeans", "listmodels",
    "loadjob", "localize", "localop", "makecontinuous", "mcatalog", "mcollect", "meventcollect", "mpreview", "msearch",
    "multikv", "noop", "outlier", "outputcsv", "outputtext", "overlap", "pivot", "predict", "rangemap",
    "redistribute", "reltime", "require", "rtorder", "run", "sample", "savedsearch", "score", "script", "scrub", "searchtxn",
    "selfjoin", "sendalert", "sendemail", "set", "setfields", "sichart", "sirare", "sistats", "sitimechart", "sitop",
    "summary", "tags", "timewrap", "tojson", "trendline", "tscollect", "typeahead", "typelearner", "typer", "uniq",
    "walklex", "x11", "xmlunescape", "xpath", "xsdisplay", "xsfindbestconcept", "xsgetdistances", "xsgetwherecirc",
    "xslistconcepts", "xslistcontext", "xsupdateddcontext", "xswhere",
];

/// Look a command up by name or alias (command names are case-sensitive lower-case in SPL,
/// but we accept any case for lookup and suggestion).
pub fn command(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name.eq_ignore_ascii_case(name) || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(name)))
}

/// Look a function up by name and kind.
pub fn function(name: &str, kind: FunctionKind) -> Option<&'static FunctionSpec> {
    FUNCTIONS.iter().find(|f| f.kind == kind && f.name.eq_ignore_ascii_case(name))
}

/// Look an aggregation up by the name written in `stats`, resolving the percentile family:
/// `perc95`, `p95`, `exactperc99.9`, `upperperc90` all resolve to the `perc` spec with the
/// percentile (`Some(95.0)`, ...); the name as written tells which variant. Other names resolve
/// as [`function`] does, with `None`. The percentile must be a number from 0 to 100.
pub fn aggregate(name: &str) -> Option<(&'static FunctionSpec, Option<f64>)> {
    let lower = name.to_ascii_lowercase();
    // `p` must be tried last: `perc95` also starts with `p`.
    for prefix in ["exactperc", "upperperc", "perc", "p"] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            let valid = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.') && !digits.starts_with('.');
            if let Some(n) = digits.parse::<f64>().ok().filter(|n| valid && (0.0..=100.0).contains(n)) {
                return function("perc", FunctionKind::Aggregate).map(|f| (f, Some(n)));
            }
        }
    }
    if ["perc", "p", "exactperc", "upperperc"].contains(&lower.as_str()) {
        return None;
    }
    function(&lower, FunctionKind::Aggregate).map(|f| (f, None))
}

/// Is this one of Splunk's commands that spelunk only knows by name ([`OTHER_COMMANDS`])?
pub fn is_other_command(name: &str) -> bool {
    OTHER_COMMANDS.iter().any(|c| c.eq_ignore_ascii_case(name))
}

/// The command `name` is probably a misspelling of: `Some` when `name` is no Splunk command
/// spelunk knows of and a registered command is a few edits away (`stast`: `stats`). A name far
/// from every known one is taken for an app's custom command, not a typo.
pub fn command_typo(name: &str) -> Option<&'static str> {
    if command(name).is_some() || is_other_command(name) {
        return None;
    }
    crate::diagnostics::did_you_mean(name, command_names())
}

/// Every command name and alias, for suggestions and completion.
pub fn command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
}

/// Every function name of a kind.
pub fn function_names(kind: FunctionKind) -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().filter(move |f| f.kind == kind).map(|f| f.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for n in command_names() {
            assert!(seen.insert(n), "duplicate command name {n}");
        }
        for kind in [FunctionKind::Eval, FunctionKind::Aggregate] {
            let mut seen = std::collections::HashSet::new();
            for n in function_names(kind) {
                assert!(seen.insert(n), "duplicate {kind:?} function {n}");
            }
        }
    }

    #[test]
    fn implemented_sets() {
        let implemented: Vec<_> = COMMANDS.iter().filter(|c| c.implemented).map(|c| c.name).collect();
        for name in ["search", "where", "eval", "stats", "bin", "rename", "convert", "fields", "table", "head", "tail", "reverse", "sort", "dedup", "fillnull", "makeresults", "eventstats", "streamstats", "top", "rare", "mvexpand", "mvcombine", "makemv", "rex", "regex", "spath", "append", "join", "lookup", "inputlookup"] {
            assert!(implemented.contains(&name), "{name} should be implemented");
        }
        assert_eq!(implemented.len(), 30);
        assert_eq!(command("bucket").map(|c| c.name), Some("bin"));
        assert!(command("tstats").is_some_and(|c| !c.implemented && c.kind == CommandType::Generating));
        assert!(command("nosuch").is_none());
    }

    /// Every example is a whole query that parses and uses what it documents; every entry has
    /// a description. (crates/cli/tests/help_examples.rs runs the examples.)
    #[test]
    fn typos_and_other_commands() {
        assert_eq!(command_typo("stast"), Some("stats"));
        assert_eq!(command_typo("evel"), Some("eval"));
        // Splunk commands spelunk knows by name only, and far-off names, are not typos
        for name in ["sistats", "mcollect", "erex", "addcoltotals", "tscollect", "stats", "cyberchef"] {
            assert_eq!(command_typo(name), None, "{name}");
        }
        assert!(is_other_command("SISTATS"));
        for c in OTHER_COMMANDS {
            assert!(command(c).is_none(), "{c} is registered: remove it from OTHER_COMMANDS");
        }
    }

    #[test]
    fn arity_messages() {
        let len = function("len", FunctionKind::Eval).expect("len");
        assert_eq!(len.arity_error(1), None);
        assert_eq!(len.arity_error(2).as_deref(), Some("len() takes 1 argument(s); given 2 argument(s)"));
        let substr = function("substr", FunctionKind::Eval).expect("substr");
        assert_eq!(substr.arity_error(1).as_deref(), Some("substr() takes 2 to 3 arguments; given 1 argument(s)"));
        let case = function("case", FunctionKind::Eval).expect("case");
        assert_eq!(case.arity_error(0).as_deref(), Some("case() takes at least 2 argument(s); given 0 argument(s)"));
    }

    #[test]
    fn every_example_is_a_whole_query() {
        for c in COMMANDS {
            assert!(c.example.starts_with('|') || c.name == "search", "example of {} starts a query: {}", c.name, c.example);
            if let Err(e) = crate::parse_pipeline(c.example) {
                panic!("example of {}: {}: {}", c.name, c.example, e.message);
            }
            assert!(c.example.contains(c.name), "example of {} uses it: {}", c.name, c.example);
            assert!(c.description.len() > c.summary.len().min(40), "description of {}", c.name);
        }
        for f in FUNCTIONS {
            assert!(f.example.starts_with("| makeresults"), "example of {} starts with makeresults: {}", f.name, f.example);
            if let Err(e) = crate::parse_pipeline(f.example) {
                panic!("example of {}: {}: {}", f.name, f.example, e.message);
            }
            // the percentile family writes the percentile into the name: `perc95(x)`
            let call = if f.name.ends_with("perc") { f.name.to_string() } else { format!("{}(", f.name) };
            assert!(f.example.contains(&call), "example of {} calls it: {}", f.name, f.example);
            assert!(f.description.len() >= 30 && f.description != f.summary, "description of {}", f.name);
        }
    }

    #[test]
    fn arities_are_consistent() {
        for f in FUNCTIONS {
            assert!(f.max_args.is_none_or(|m| m >= f.min_args), "{}", f.name);
        }
    }

    #[test]
    fn percentile_family() {
        for (name, n) in [("perc95", 95.0), ("p50", 50.0), ("exactperc99", 99.0), ("upperperc90", 90.0), ("P99.5", 99.5), ("perc0", 0.0), ("p100", 100.0)] {
            let (spec, p) = aggregate(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(spec.name, "perc");
            assert_eq!(p, Some(n));
        }
        for bad in ["perc", "p", "p101", "perc.5", "pfoo", "exactperc", "p-1"] {
            assert!(aggregate(bad).is_none(), "{bad}");
        }
        assert_eq!(aggregate("DC").map(|(f, p)| (f.name, p)), Some(("dc", None)));
        assert_eq!(aggregate("count").map(|(f, _)| f.name), Some("count"));
        assert!(aggregate("nosuch").is_none());
        // eval-only functions are not aggregations
        assert!(aggregate("coalesce").is_none());
    }
}
