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
    pub summary: &'static str,
    pub description: &'static str,
    /// A runnable example (`spelunk run -e` over makeresults or the shipped testdata).
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
    pub summary: &'static str,
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
    ($name:literal, $kind:ident, $impl:literal, $min:literal, $max:expr, $syntax:literal, $summary:literal, $example:literal) => {
        FunctionSpec { name: $name, kind: FunctionKind::$kind, implemented: $impl, min_args: $min, max_args: $max,
            syntax: $syntax, summary: $summary, example: $example }
    };
}

pub static COMMANDS: &[CommandSpec] = &[
    // ---- implemented ------------------------------------------------------------------------
    cmd!("search", [], Streaming, true, ["earliest", "latest"],
        "search <search-expression>",
        "Keep the events that match a boolean search expression.",
        "Terms are ANDed by juxtaposition; OR binds tighter than that implicit AND, and NOT tighter still. `field=value` matches values case-insensitively with `*` wildcards; field names are case-sensitive. `field!=value` keeps only events that have the field with another value, while `NOT field=value` also keeps events without the field. A bare term matches anywhere in the raw event.",
        "| makeresults count=3 | eval user=\"Alice\" | search user=alice"),
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
        "streamstats [window=<n>] [current=<bool>] <agg>[(field)] [as name] ... [by <field-list>]",
        "Running aggregates over the events seen so far, in pipeline order.",
        "Each event gets the aggregate of the events before it (and itself, unless `current=f`), per BY group; `window=n` limits that to the last n events. Order matters: events reach it newest first unless sorted.",
        "| makeresults count=5 | streamstats count as n"),
    cmd!("bin", ["bucket", "discretize"], Streaming, true, ["span", "bins", "minspan", "start", "end", "aligntime"],
        "bin [span=<span>] [bins=<n>] <field> [as <newfield>]",
        "Round a numeric or time field down to the start of its bucket.",
        "With `span=1h` on `_time` each time becomes the start of its hour (buckets aligned to the Unix epoch, in UTC). Later commands see the rounded value; BY `_time` then groups per bucket.",
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
        "head [<n>] [limit=<n>]",
        "Keep the first n events (10 by default).",
        "First means first in pipeline order; events reach the pipeline newest first, so `head` shows the latest ones unless the events were sorted.",
        "| makeresults count=20 | streamstats count as n | head 5"),
    cmd!("tail", [], Dataset, true, [],
        "tail [<n>]",
        "Keep the last n events (10 by default), last one first.",
        "Returns the last n events of the pipeline in reverse order, so the very last event comes first.",
        "| makeresults count=20 | streamstats count as n | tail 3"),
    cmd!("reverse", [], Dataset, true, [],
        "reverse",
        "Reverse the order of the events.",
        "Needs all events before it can emit the first one.",
        "| makeresults count=3 | streamstats count as n | reverse"),
    cmd!("sort", [], Dataset, true, ["limit"],
        "sort [<n>] [+|-]<field> [, [+|-]<field>]...",
        "Sort events by one or more fields.",
        "`-f` sorts descending. Numbers sort numerically and before strings; `num(f)`, `str(f)` and `ip(f)` force a comparison. Without a count sort keeps at most 10000 events; `sort 0` keeps all.",
        "| makeresults count=5 | eval n=random()%10 | sort - n"),
    cmd!("dedup", [], Dataset, true, ["keepempty", "consecutive", "keepevents", "sortby"],
        "dedup [<n>] <field-list> [keepempty=<bool>] [consecutive=<bool>] [sortby <sort-fields>]",
        "Keep the first event (or first n) of each distinct combination of the fields.",
        "Events lacking any of the fields are dropped unless `keepempty=true`. `consecutive=true` removes only runs of adjacent duplicates.",
        "| makeresults count=4 | eval k=\"a\" | dedup k"),
    cmd!("fillnull", [], Streaming, true, ["value"],
        "fillnull [value=<string>] [<field-list>]",
        "Replace missing or empty values with a constant (0 by default).",
        "Without a field list it fills every field that appears in the results; with one it fills only those fields, creating them when absent.",
        "| makeresults | eval a=null() | fillnull value=\"none\" a"),
    cmd!("makeresults", [], Generating, true, ["count", "annotate"],
        "| makeresults [count=<n>]",
        "Generate n empty results that carry only `_time`.",
        "Must be the first command. Useful with eval to try expressions without data.",
        "| makeresults count=3"),
    cmd!("top", [], Transforming, true, ["limit", "countfield", "percentfield", "showcount", "showperc", "useother", "otherstr"],
        "top [limit=<n>] <field-list> [by <field-list>]",
        "The most common values of the fields, with their count and percentage.",
        "Returns at most `limit` rows (10 by default) per BY group, most frequent first, with `count` and `percent` columns (renamed with countfield= and percentfield=).",
        "| makeresults count=5 | eval k=if(random()%2==0,\"a\",\"b\") | top k"),
    cmd!("rare", [], Transforming, true, ["limit", "countfield", "percentfield", "showcount", "showperc"],
        "rare [limit=<n>] <field-list> [by <field-list>]",
        "The least common values of the fields, with their count and percentage.",
        "The mirror image of `top`: least frequent first.",
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
        "A generating command that names its source instead of searching an index.",
        "| from datamodel:Authentication"),
    cmd!("datamodel", [], Generating, false, ["summariesonly"],
        "| datamodel <model> <dataset> [search]",
        "Search a data model dataset.",
        "Returns the events of a data model dataset, with its field names.",
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
        "Each bracketed search must be streaming; their events are merged by time.",
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
        "Useful before exporting a multivalue field as one cell.",
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
        "The inverse of untable.",
        "| makeresults | eval x=1, n=\"a\", v=2 | xyseries x n v"),
    cmd!("untable", [], Transforming, false, [],
        "untable <x-field> <y-name-field> <y-data-field>",
        "Unpivot a table into one row per (row, column) pair.",
        "The inverse of xyseries.",
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
        "Each `<name>value</name>` element in the text becomes a field `name`.",
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
        "Gives each result the time range and start time of the search.",
        "| makeresults | addinfo"),
    cmd!("cluster", [], Transforming, false, ["t", "field", "labelonly", "match", "showcount", "countfield", "labelfield", "delims"],
        "cluster [t=<threshold>] [field=<field>] [showcount=<bool>] [labelonly=<bool>]",
        "Group similar events by text similarity.",
        "Clusters events whose text (`_raw` by default) is similar beyond the threshold, keeping one per cluster unless `labelonly=t`.",
        "| makeresults count=3 | eval _raw=\"error x\" | cluster showcount=t"),
    cmd!("kvform", [], Streaming, false, ["form", "field"],
        "kvform [form=<formname>] [field=<field>]",
        "Extract key-value fields using a form template.",
        "Reads `key: value` style text with a predefined form.",
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
        "The metrics counterpart of tstats.",
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
        "Top-level keys only; arrays become multivalue fields.",
        "| makeresults | eval j=\"{\\\"a\\\":1}\" | fromjson j"),
    cmd!("filldown", [], Streaming, false, [],
        "filldown [<field-list>]",
        "Fill empty values with the last non-empty value above them.",
        "Order-dependent; without fields it fills all fields.",
        "| makeresults count=2 | filldown"),
    cmd!("transpose", [], Transforming, false, ["header_field", "column_name", "include_empty"],
        "transpose [<n>] [header_field=<field>] [column_name=<string>]",
        "Swap rows and columns of the results.",
        "The first n rows (5 by default) become columns.",
        "| makeresults | eval a=1 | transpose"),
    cmd!("eventcount", [], Generating, false, ["index", "summarize", "report_size", "list_vix"],
        "| eventcount [index=<index>]...",
        "Count the events in indexes.",
        "Reports index sizes without searching events; there are no indexes here.",
        "| eventcount index=main"),
    cmd!("metadata", [], Generating, false, ["type", "index", "splunk_server"],
        "| metadata type=hosts|sources|sourcetypes [index=<index>]",
        "List the hosts, sources or sourcetypes of indexes with their time ranges.",
        "Reads index metadata rather than events.",
        "| metadata type=sourcetypes index=main"),
    cmd!("fieldformat", [], Streaming, false, [],
        "fieldformat <field>=<eval-expression>",
        "Change how a field is displayed without changing its value.",
        "The expression formats the displayed value only; later commands still see the original.",
        "| makeresults | eval n=1234 | fieldformat n=tostring(n, \"commas\")"),
    cmd!("apply", [], Streaming, false, [],
        "apply <model-name> [options]",
        "Apply a trained Machine Learning Toolkit model.",
        "Part of the Splunk Machine Learning Toolkit; parsed for checking only.",
        "| makeresults | apply my_model"),
    cmd!("fit", [], Streaming, false, [],
        "fit <algorithm> <fields> [into <model-name>]",
        "Train a Machine Learning Toolkit model.",
        "Part of the Splunk Machine Learning Toolkit; parsed for checking only.",
        "| makeresults | fit DensityFunction n into my_model"),
];

/// Every aggregation and eval function. (`min`/`max` exist as both kinds.)
pub static FUNCTIONS: &[FunctionSpec] = &[
    // ---- aggregations -----------------------------------------------------------------------
    func!("count", Aggregate, true, 0, Some(1), "count[(field)]", "Number of events (with the field, when one is given).", "stats count"),
    func!("c", Aggregate, true, 0, Some(1), "c[(field)]", "Short for count.", "stats c(user)"),
    func!("dc", Aggregate, true, 1, Some(1), "dc(field)", "Number of distinct values of the field.", "stats dc(user)"),
    func!("distinct_count", Aggregate, true, 1, Some(1), "distinct_count(field)", "Same as dc: number of distinct values.", "stats distinct_count(user)"),
    func!("values", Aggregate, true, 1, Some(1), "values(field)", "Distinct values, sorted lexicographically, as a multivalue field.", "stats values(user)"),
    func!("list", Aggregate, true, 1, Some(1), "list(field)", "All values in event order (up to 100), duplicates kept.", "stats list(user)"),
    func!("min", Aggregate, true, 1, Some(1), "min(field)", "Smallest value: numeric when values are numbers, else lexicographic.", "stats min(_time)"),
    func!("max", Aggregate, true, 1, Some(1), "max(field)", "Largest value: numeric when values are numbers, else lexicographic.", "stats max(_time)"),
    func!("sum", Aggregate, true, 1, Some(1), "sum(field)", "Sum of the numeric values.", "stats sum(bytes)"),
    func!("avg", Aggregate, true, 1, Some(1), "avg(field)", "Mean of the numeric values.", "stats avg(bytes)"),
    func!("mean", Aggregate, true, 1, Some(1), "mean(field)", "Same as avg.", "stats mean(bytes)"),
    func!("median", Aggregate, true, 1, Some(1), "median(field)", "Middle value of the numeric values.", "stats median(bytes)"),
    func!("mode", Aggregate, true, 1, Some(1), "mode(field)", "Most frequent value.", "stats mode(user)"),
    func!("perc", Aggregate, true, 1, Some(1), "perc<N>(field) | p<N>(field)", "N-th percentile (approximate in Splunk), e.g. perc95(x) or p95(x).", "stats perc95(duration)"),
    func!("exactperc", Aggregate, true, 1, Some(1), "exactperc<N>(field)", "Exact N-th percentile.", "stats exactperc99(duration)"),
    func!("upperperc", Aggregate, true, 1, Some(1), "upperperc<N>(field)", "Upper bound of the approximate N-th percentile.", "stats upperperc90(duration)"),
    func!("stdev", Aggregate, true, 1, Some(1), "stdev(field)", "Sample standard deviation.", "stats stdev(bytes)"),
    func!("stdevp", Aggregate, true, 1, Some(1), "stdevp(field)", "Population standard deviation.", "stats stdevp(bytes)"),
    func!("var", Aggregate, true, 1, Some(1), "var(field)", "Sample variance.", "stats var(bytes)"),
    func!("varp", Aggregate, true, 1, Some(1), "varp(field)", "Population variance.", "stats varp(bytes)"),
    func!("range", Aggregate, true, 1, Some(1), "range(field)", "max minus min of the numeric values.", "stats range(_time)"),
    func!("earliest", Aggregate, true, 1, Some(1), "earliest(field)", "Value of the field in the event with the smallest _time.", "stats earliest(user)"),
    func!("latest", Aggregate, true, 1, Some(1), "latest(field)", "Value of the field in the event with the largest _time.", "stats latest(user)"),
    func!("first", Aggregate, true, 1, Some(1), "first(field)", "Value in the first event seen (the newest, in Splunk's order).", "stats first(user)"),
    func!("last", Aggregate, true, 1, Some(1), "last(field)", "Value in the last event seen (the oldest, in Splunk's order).", "stats last(user)"),
    func!("earliest_time", Aggregate, false, 1, Some(1), "earliest_time(field)", "Smallest _time of the events having the field.", "stats earliest_time(user)"),
    func!("latest_time", Aggregate, false, 1, Some(1), "latest_time(field)", "Largest _time of the events having the field.", "stats latest_time(user)"),
    func!("estdc", Aggregate, false, 1, Some(1), "estdc(field)", "Estimated number of distinct values.", "stats estdc(user)"),
    func!("estdc_error", Aggregate, false, 1, Some(1), "estdc_error(field)", "Theoretical error of estdc.", "stats estdc_error(user)"),
    func!("sumsq", Aggregate, false, 1, Some(1), "sumsq(field)", "Sum of the squares of the values.", "stats sumsq(bytes)"),
    func!("rate", Aggregate, false, 1, Some(1), "rate(counter)", "Per-second rate of change of an accumulating counter.", "stats rate(bytes)"),
    func!("rate_avg", Aggregate, false, 1, Some(1), "rate_avg(counter)", "Average per-second rate of counter metrics.", "stats rate_avg(bytes)"),
    func!("rate_sum", Aggregate, false, 1, Some(1), "rate_sum(counter)", "Summed per-second rate of counter metrics.", "stats rate_sum(bytes)"),
    func!("per_second", Aggregate, false, 1, Some(1), "per_second(field)", "Per-second rate of the summed values (timechart).", "stats per_second(bytes)"),
    func!("per_minute", Aggregate, false, 1, Some(1), "per_minute(field)", "Per-minute rate of the summed values (timechart).", "stats per_minute(bytes)"),
    func!("per_hour", Aggregate, false, 1, Some(1), "per_hour(field)", "Per-hour rate of the summed values (timechart).", "stats per_hour(bytes)"),
    func!("per_day", Aggregate, false, 1, Some(1), "per_day(field)", "Per-day rate of the summed values (timechart).", "stats per_day(bytes)"),
    func!("sparkline", Aggregate, false, 0, Some(2), "sparkline[(agg(field)[, span])]", "A small trend chart of an aggregation over time.", "stats sparkline"),
    // ---- eval: conditions and types -----------------------------------------------------------
    func!("if", Eval, true, 3, Some(3), "if(condition, then, else)", "`then` when the condition is true, else `else`.", "eval r=if(n>1, \"many\", \"one\")"),
    func!("case", Eval, true, 2, None, "case(cond1, value1, cond2, value2, ...)", "Value of the first true condition; null when none is (use true() as a default).", "eval r=case(n<10, \"low\", n<100, \"mid\", true(), \"high\")"),
    func!("coalesce", Eval, true, 1, None, "coalesce(x, y, ...)", "First argument that is not null.", "eval u=coalesce(user, src_user, \"unknown\")"),
    func!("null", Eval, true, 0, Some(0), "null()", "The null value.", "eval x=null()"),
    func!("true", Eval, true, 0, Some(0), "true()", "Boolean true.", "eval r=case(n>1, \"a\", true(), \"b\")"),
    func!("false", Eval, true, 0, Some(0), "false()", "Boolean false.", "where false()"),
    func!("isnull", Eval, true, 1, Some(1), "isnull(x)", "True when x is null (the field is missing).", "where isnull(user)"),
    func!("isnotnull", Eval, true, 1, Some(1), "isnotnull(x)", "True when x is not null.", "where isnotnull(user)"),
    func!("isnum", Eval, true, 1, Some(1), "isnum(x)", "True when x is a number.", "where isnum(port)"),
    func!("isint", Eval, true, 1, Some(1), "isint(x)", "True when x is a whole number.", "where isint(port)"),
    func!("isstr", Eval, true, 1, Some(1), "isstr(x)", "True when x is a string that is not a number.", "where isstr(user)"),
    func!("typeof", Eval, true, 1, Some(1), "typeof(x)", "\"Number\", \"String\", \"Boolean\" or \"Invalid\" (null).", "eval t=typeof(port)"),
    func!("validate", Eval, true, 2, None, "validate(cond1, msg1, cond2, msg2, ...)", "Message of the first false condition, or null when all hold.", "eval err=validate(isint(port), \"bad port\")"),
    // ---- eval: text ---------------------------------------------------------------------------
    func!("lower", Eval, true, 1, Some(1), "lower(s)", "Lower-case text.", "eval u=lower(user)"),
    func!("upper", Eval, true, 1, Some(1), "upper(s)", "Upper-case text.", "eval u=upper(user)"),
    func!("len", Eval, true, 1, Some(1), "len(s)", "Number of characters.", "eval n=len(user)"),
    func!("substr", Eval, true, 2, Some(3), "substr(s, start[, length])", "Part of the text; start counts from 1, negative from the end.", "eval p=substr(user, 1, 3)"),
    func!("trim", Eval, true, 1, Some(2), "trim(s[, chars])", "Remove spaces (or the given characters) at both ends.", "eval u=trim(user)"),
    func!("ltrim", Eval, true, 1, Some(2), "ltrim(s[, chars])", "Remove spaces (or the given characters) at the start.", "eval u=ltrim(user, \"0\")"),
    func!("rtrim", Eval, true, 1, Some(2), "rtrim(s[, chars])", "Remove spaces (or the given characters) at the end.", "eval u=rtrim(user, \"$\")"),
    func!("replace", Eval, true, 3, Some(3), "replace(s, regex, replacement)", "Replace every regex match; \\1 refers to groups.", "eval d=replace(arn, \".*/\", \"\")"),
    func!("split", Eval, true, 2, Some(2), "split(s, delimiter)", "Split text into a multivalue field.", "eval parts=split(arn, \"/\")"),
    func!("urldecode", Eval, true, 1, Some(1), "urldecode(s)", "Decode %XX escapes and + in a URL.", "eval u=urldecode(url)"),
    func!("printf", Eval, true, 1, None, "printf(format, args...)", "Format values like C printf (%s, %d, %.2f, ...).", "eval s=printf(\"%s has %d\", user, n)"),
    func!("tostring", Eval, true, 1, Some(2), "tostring(x[, \"hex\"|\"commas\"|\"duration\"])", "Text form of a value, optionally formatted.", "eval s=tostring(n, \"commas\")"),
    func!("tonumber", Eval, true, 1, Some(2), "tonumber(s[, base])", "Number from text (base 2 to 36); null when not a number.", "eval n=tonumber(\"ff\", 16)"),
    func!("like", Eval, true, 2, Some(2), "like(s, pattern)", "SQL-style match: % any text, _ one character.", "where like(user, \"adm%\")"),
    func!("match", Eval, true, 2, Some(2), "match(s, regex)", "True when the regex matches anywhere in the text.", "where match(user, \"^adm\")"),
    func!("searchmatch", Eval, true, 1, Some(1), "searchmatch(search-string)", "True when the event matches a search expression.", "eval hit=if(searchmatch(\"error\"), 1, 0)"),
    func!("cidrmatch", Eval, true, 2, Some(2), "cidrmatch(cidr, ip)", "True when the IP address is in the CIDR range.", "where cidrmatch(\"10.0.0.0/8\", src)"),
    func!("in", Eval, true, 2, None, "in(x, v1, v2, ...)", "True when x equals one of the values.", "where in(status, \"401\", \"403\")"),
    // ---- eval: numbers ------------------------------------------------------------------------
    func!("round", Eval, true, 1, Some(2), "round(x[, digits])", "Round to the nearest whole number or to the given decimals.", "eval r=round(avg, 2)"),
    func!("floor", Eval, true, 1, Some(1), "floor(x)", "Round down.", "eval f=floor(x)"),
    func!("ceiling", Eval, true, 1, Some(1), "ceiling(x)", "Round up.", "eval c=ceiling(x)"),
    func!("ceil", Eval, true, 1, Some(1), "ceil(x)", "Same as ceiling.", "eval c=ceil(x)"),
    func!("abs", Eval, true, 1, Some(1), "abs(x)", "Absolute value.", "eval a=abs(delta)"),
    func!("pow", Eval, true, 2, Some(2), "pow(x, y)", "x to the power y.", "eval p=pow(2, 10)"),
    func!("sqrt", Eval, true, 1, Some(1), "sqrt(x)", "Square root.", "eval s=sqrt(x)"),
    func!("exp", Eval, true, 1, Some(1), "exp(x)", "e to the power x.", "eval e=exp(1)"),
    func!("ln", Eval, true, 1, Some(1), "ln(x)", "Natural logarithm.", "eval l=ln(x)"),
    func!("log", Eval, true, 1, Some(2), "log(x[, base])", "Logarithm, base 10 by default.", "eval l=log(x, 2)"),
    func!("min", Eval, true, 1, None, "min(x, y, ...)", "Smallest argument (numbers before strings).", "eval m=min(a, b, 10)"),
    func!("max", Eval, true, 1, None, "max(x, y, ...)", "Largest argument (numbers before strings).", "eval m=max(a, b, 0)"),
    func!("random", Eval, true, 0, Some(0), "random()", "Pseudo-random whole number from 0 to 2^31-1.", "eval r=random() % 100"),
    func!("pi", Eval, true, 0, Some(0), "pi()", "The constant pi.", "eval c=2*pi()*r"),
    // ---- eval: time ---------------------------------------------------------------------------
    func!("now", Eval, true, 0, Some(0), "now()", "Time the search started, in epoch seconds.", "eval age=now() - _time"),
    func!("time", Eval, true, 0, Some(0), "time()", "Current wall-clock time, in epoch seconds with microseconds.", "eval t=time()"),
    func!("strftime", Eval, true, 2, Some(2), "strftime(epoch, format)", "Format epoch seconds as text (UTC here).", "eval d=strftime(_time, \"%Y-%m-%d\")"),
    func!("strptime", Eval, true, 2, Some(2), "strptime(text, format)", "Parse text into epoch seconds.", "eval t=strptime(\"2024-01-01\", \"%Y-%m-%d\")"),
    func!("relative_time", Eval, true, 2, Some(2), "relative_time(epoch, modifier)", "Apply a time modifier such as \"-1d@d\" to a time.", "eval midnight=relative_time(now(), \"@d\")"),
    // ---- eval: multivalue ---------------------------------------------------------------------
    func!("mvcount", Eval, true, 1, Some(1), "mvcount(mv)", "Number of values (null when the field is missing).", "eval n=mvcount(users)"),
    func!("mvindex", Eval, true, 2, Some(3), "mvindex(mv, start[, end])", "Value(s) by position from 0; negative counts from the end.", "eval last=mvindex(parts, -1)"),
    func!("mvjoin", Eval, true, 2, Some(2), "mvjoin(mv, delimiter)", "Join the values into one text.", "eval s=mvjoin(users, \",\")"),
    func!("mvappend", Eval, true, 1, None, "mvappend(x, y, ...)", "Concatenate values and multivalue fields into one multivalue field.", "eval all=mvappend(src, dest)"),
    func!("mvfilter", Eval, true, 1, Some(1), "mvfilter(predicate)", "Values of one multivalue field for which the predicate is true.", "eval admins=mvfilter(match(users, \"^adm\"))"),
    func!("mvfind", Eval, true, 2, Some(2), "mvfind(mv, regex)", "Index of the first value matching the regex, or null.", "eval i=mvfind(users, \"^adm\")"),
    func!("mvzip", Eval, true, 2, Some(3), "mvzip(mv1, mv2[, delimiter])", "Pair up the values of two multivalue fields.", "eval pairs=mvzip(names, values, \"=\")"),
    func!("mvdedup", Eval, true, 1, Some(1), "mvdedup(mv)", "Remove duplicate values, keeping the first.", "eval u=mvdedup(users)"),
    func!("mvsort", Eval, true, 1, Some(1), "mvsort(mv)", "Sort the values lexicographically.", "eval s=mvsort(users)"),
    func!("mvrange", Eval, true, 2, Some(3), "mvrange(start, end[, step])", "Multivalue field of numbers from start up to (not including) end.", "eval r=mvrange(0, 5)"),
    // ---- eval: hashes and JSON ----------------------------------------------------------------
    func!("md5", Eval, true, 1, Some(1), "md5(s)", "MD5 digest as hex.", "eval h=md5(user)"),
    func!("sha1", Eval, true, 1, Some(1), "sha1(s)", "SHA-1 digest as hex.", "eval h=sha1(user)"),
    func!("sha256", Eval, true, 1, Some(1), "sha256(s)", "SHA-256 digest as hex.", "eval h=sha256(user)"),
    func!("json_extract", Eval, true, 1, None, "json_extract(json[, path, ...])", "Value at a path in JSON text.", "eval v=json_extract(j, \"a.b\")"),
    func!("spath", Eval, true, 2, Some(2), "spath(json-or-xml, path)", "Value at a path in JSON or XML text.", "eval v=spath(j, \"a.b{}\")"),
    // ---- eval: Splunk functions spelunk parses but does not run yet ---------------------------
    func!("nullif", Eval, false, 2, Some(2), "nullif(x, y)", "Null when x equals y, else x.", "eval u=nullif(user, \"-\")"),
    func!("isbool", Eval, false, 1, Some(1), "isbool(x)", "True when x is a Boolean.", "eval b=isbool(x)"),
    func!("lookup", Eval, false, 2, Some(3), "lookup(table, json-input[, json-output])", "Look values up in a CSV lookup table from eval.", "eval r=lookup(\"users.csv\", json_object(\"user\", user))"),
    func!("ipmask", Eval, false, 2, Some(2), "ipmask(mask, ip)", "Apply a netmask to an IPv4 address.", "eval net=ipmask(\"255.255.255.0\", src)"),
    func!("sha512", Eval, false, 1, Some(1), "sha512(s)", "SHA-512 digest as hex.", "eval h=sha512(user)"),
    func!("exact", Eval, false, 1, Some(1), "exact(expr)", "Evaluate with full floating-point precision.", "eval x=exact(3.14 * n)"),
    func!("sigfig", Eval, false, 1, Some(1), "sigfig(expr)", "Round to the significant figures of the operands.", "eval x=sigfig(1.00 * 1111)"),
    func!("sum", Eval, false, 1, None, "sum(x, y, ...)", "Sum of the numeric arguments.", "eval t=sum(a, b, 1)"),
    func!("avg", Eval, false, 1, None, "avg(x, y, ...)", "Mean of the numeric arguments.", "eval m=avg(a, b)"),
    func!("acos", Eval, false, 1, Some(1), "acos(x)", "Arc cosine, in radians.", "eval a=acos(x)"),
    func!("acosh", Eval, false, 1, Some(1), "acosh(x)", "Inverse hyperbolic cosine.", "eval a=acosh(x)"),
    func!("asin", Eval, false, 1, Some(1), "asin(x)", "Arc sine, in radians.", "eval a=asin(x)"),
    func!("asinh", Eval, false, 1, Some(1), "asinh(x)", "Inverse hyperbolic sine.", "eval a=asinh(x)"),
    func!("atan", Eval, false, 1, Some(1), "atan(x)", "Arc tangent, in radians.", "eval a=atan(x)"),
    func!("atan2", Eval, false, 2, Some(2), "atan2(y, x)", "Arc tangent of y/x, in radians.", "eval a=atan2(y, x)"),
    func!("atanh", Eval, false, 1, Some(1), "atanh(x)", "Inverse hyperbolic tangent.", "eval a=atanh(x)"),
    func!("cos", Eval, false, 1, Some(1), "cos(x)", "Cosine of an angle in radians.", "eval c=cos(x)"),
    func!("cosh", Eval, false, 1, Some(1), "cosh(x)", "Hyperbolic cosine.", "eval c=cosh(x)"),
    func!("hypot", Eval, false, 2, Some(2), "hypot(x, y)", "Length of the hypotenuse.", "eval h=hypot(x, y)"),
    func!("sin", Eval, false, 1, Some(1), "sin(x)", "Sine of an angle in radians.", "eval s=sin(x)"),
    func!("sinh", Eval, false, 1, Some(1), "sinh(x)", "Hyperbolic sine.", "eval s=sinh(x)"),
    func!("tan", Eval, false, 1, Some(1), "tan(x)", "Tangent of an angle in radians.", "eval t=tan(x)"),
    func!("tanh", Eval, false, 1, Some(1), "tanh(x)", "Hyperbolic tangent.", "eval t=tanh(x)"),
    func!("bit_and", Eval, false, 2, None, "bit_and(x, y, ...)", "Bitwise AND.", "eval b=bit_and(x, 255)"),
    func!("bit_or", Eval, false, 2, None, "bit_or(x, y, ...)", "Bitwise OR.", "eval b=bit_or(x, 1)"),
    func!("bit_xor", Eval, false, 2, None, "bit_xor(x, y, ...)", "Bitwise XOR.", "eval b=bit_xor(x, 1)"),
    func!("bit_not", Eval, false, 1, Some(2), "bit_not(x[, bits])", "Bitwise NOT.", "eval b=bit_not(x)"),
    func!("bit_shift_left", Eval, false, 2, Some(2), "bit_shift_left(x, n)", "Shift the bits left.", "eval b=bit_shift_left(x, 2)"),
    func!("bit_shift_right", Eval, false, 2, Some(2), "bit_shift_right(x, n)", "Shift the bits right.", "eval b=bit_shift_right(x, 2)"),
    func!("commands", Eval, false, 1, Some(1), "commands(search-string)", "The commands a search string uses, as a multivalue field.", "eval c=commands(search)"),
    func!("mvmap", Eval, false, 2, Some(2), "mvmap(mv, expression)", "Apply an expression to each value of a multivalue field.", "eval d=mvmap(n, n*2)"),
    func!("mv_to_json_array", Eval, false, 1, Some(2), "mv_to_json_array(mv[, infer_types])", "A multivalue field as a JSON array.", "eval j=mv_to_json_array(users)"),
    func!("json_array", Eval, false, 0, None, "json_array(v, ...)", "A JSON array of the values.", "eval j=json_array(1, \"a\")"),
    func!("json_object", Eval, false, 0, None, "json_object(key, value, ...)", "A JSON object of key/value pairs.", "eval j=json_object(\"user\", user)"),
    func!("json_array_to_mv", Eval, false, 1, Some(2), "json_array_to_mv(json-array[, bool])", "A JSON array as a multivalue field.", "eval m=json_array_to_mv(j)"),
    func!("json_append", Eval, false, 3, None, "json_append(json, path, value, ...)", "Append values to arrays in a JSON document.", "eval j=json_append(j, \"a\", 1)"),
    func!("json_extend", Eval, false, 3, None, "json_extend(json, path, array, ...)", "Extend arrays in a JSON document.", "eval j=json_extend(j, \"a\", \"[1]\")"),
    func!("json_delete", Eval, false, 2, None, "json_delete(json, path, ...)", "Remove keys from a JSON document.", "eval j=json_delete(j, \"a\")"),
    func!("json_entries", Eval, false, 1, Some(1), "json_entries(json)", "The key/value pairs of a JSON object.", "eval e=json_entries(j)"),
    func!("json_extract_exact", Eval, false, 1, None, "json_extract_exact(json, key, ...)", "Values of keys taken literally (no path syntax).", "eval v=json_extract_exact(j, \"a.b\")"),
    func!("json_has_key_exists", Eval, false, 2, Some(2), "json_has_key_exists(json, key)", "True when the JSON object has the key.", "eval h=json_has_key_exists(j, \"a\")"),
    func!("json_keys", Eval, false, 1, Some(1), "json_keys(json)", "The keys of a JSON object, as a JSON array.", "eval k=json_keys(j)"),
    func!("json_set", Eval, false, 3, None, "json_set(json, path, value, ...)", "Set values in a JSON document.", "eval j=json_set(j, \"a\", 1)"),
    func!("json_set_exact", Eval, false, 3, None, "json_set_exact(json, key, value, ...)", "Set values of keys taken literally.", "eval j=json_set_exact(j, \"a.b\", 1)"),
    func!("json_valid", Eval, false, 1, Some(1), "json_valid(json)", "True when the text is valid JSON.", "eval ok=json_valid(j)"),
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
    fn every_example_parses() {
        for c in COMMANDS {
            let q = if c.example.starts_with('|') { c.example.to_string() } else { format!("| makeresults | {}", c.example) };
            if let Err(e) = crate::parse_pipeline(&q) {
                panic!("example of {}: {q}: {}", c.name, e.message);
            }
        }
        for f in FUNCTIONS {
            let q = format!("| makeresults | {}", f.example);
            if let Err(e) = crate::parse_pipeline(&q) {
                panic!("example of {}: {q}: {}", f.name, e.message);
            }
        }
    }

    #[test]
    fn arities_are_consistent() {
        for f in FUNCTIONS {
            assert!(f.max_args.map_or(true, |m| m >= f.min_args), "{}", f.name);
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
