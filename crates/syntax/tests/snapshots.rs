//! Snapshot tests (insta): the parse trees of the two shipped detections (macro-expanded as the
//! planner hands them to the parser), their canonical printed form, and rendered diagnostics.
//!
//! Update with `INSTA_UPDATE=always cargo test -p spelunk-syntax --test snapshots`, then review
//! the `.snap` files.

use spelunk_syntax::{parse_expr, parse_pipeline};

/// `aws_iam_accessdenied_discovery_events`, macros expanded.
const CLOUDTRAIL: &str = r#"sourcetype=aws:cloudtrail (errorCode = "AccessDenied") user_type=IAMUser (userAgent!=*.amazonaws.com)
  | bucket _time span=1h
  | rename user_name as user
  | stats count as failures min(_time) as firstTime max(_time) as lastTime, dc(signature) as methods, dc(dest) as sources values(signature) as signature values(dest) as dest
    BY src, user, vendor_account
       vendor_region, vendor_product
  | where failures >= 5 and methods >= 1 and sources >= 1
  | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)
  | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)
  | search *"#;

/// `asl_aws_iam_accessdenied_discovery_events`, macros expanded.
const ASL: &str = r#"sourcetype=aws:asl api.response.error=AccessDenied OR api.response.error=OperationNotPermittedException OR api.response.error=*Unauthorized* actor.user.type=IAMUser
  | bucket _time span=1h
  | stats count as failures min(_time) as firstTime max(_time) as lastTime dc(api.operation) as dc_operation, dc(api.service.name) as dc_service values(api.operation) as api.operation values(api.service.name) as api.service.name values(http_request.user_agent) as http_request.user_agent values(src_endpoint.ip) as src_ip values(actor.user.account.uid) as actor.user.account.uid values(cloud.provider) as cloud.provider values(cloud.region) as cloud.region
    BY _time actor.user.uid
  | where failures >= 5 AND dc_operation >= 1 AND dc_service >= 1
  | rename actor.user.uid as user api.operation as action api.service.name as dest http_request.user_agent as user_agent src_endpoint.ip as src actor.user.account.uid as vendor_account cloud.provider as vendor_product cloud.region as vendor_region
  | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)
  | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)
  | search *"#;

#[test]
fn cloudtrail_detection_tree() {
    let p = parse_pipeline(CLOUDTRAIL).unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("cloudtrail_printed", p.to_string());
    insta::assert_debug_snapshot!("cloudtrail_tree", p);
}

#[test]
fn asl_detection_tree() {
    let p = parse_pipeline(ASL).unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("asl_printed", p.to_string());
    insta::assert_debug_snapshot!("asl_tree", p);
}

#[test]
fn user_type_eval_tree() {
    // A props.conf calculated field of the AWS add-on (issue 2).
    let e = parse_expr(r#"mvjoin(coalesce('resources{}.type', mvindex(split('responseElements.assumedRoleUser.arn',"/"),1)), ",")"#)
        .unwrap_or_else(|e| panic!("{e}"));
    insta::assert_debug_snapshot!("user_type_expr", e);
}

/// Render an error as the CLI shows it (miette, no colours).
fn render(src: &str, f: fn(&str) -> Result<(), spelunk_syntax::SplError>) -> String {
    let Err(e) = f(src) else { panic!("{src:?} parsed") };
    let report = e.with_source("query.spl", src);
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, &report)
        .unwrap_or_else(|e| panic!("render: {e}"));
    out
}

fn pipeline_err(src: &str) -> Result<(), spelunk_syntax::SplError> {
    parse_pipeline(src).map(|_| ())
}

fn expr_err(src: &str) -> Result<(), spelunk_syntax::SplError> {
    parse_expr(src).map(|_| ())
}

#[test]
fn error_messages() {
    let cases: &[(&str, &str)] = &[
        ("err_by_without_fields", "sourcetype=x | stats count by"),
        ("err_unclosed_quote", "sourcetype=x errorCode=\"AccessDenied | stats count"),
        ("err_unclosed_paren", "sourcetype=x (a=1 OR b=2 | stats count"),
        ("err_unmatched_paren", "sourcetype=x a=1) | stats count"),
        ("err_empty_command", "sourcetype=x | | stats count"),
        ("err_trailing_pipe", "sourcetype=x | stats count |"),
        ("err_rename_missing_as", "x | rename a b"),
        ("err_eval_missing_comma", "x | eval a=1 b=2"),
        ("err_where_dangling_operator", "x | where failures >="),
        ("err_value_missing", "x errorCode= | stats count"),
        ("err_or_at_start", "OR a=1"),
        ("err_unclosed_subsearch", "x | join user [search y | fields user"),
        ("err_unclosed_comment", "x ```note | stats count"),
        ("err_macro_left", "x | `security_content_ctime(firstTime)`"),
    ];
    for (name, src) in cases {
        insta::assert_snapshot!(*name, render(src, pipeline_err));
    }
    insta::assert_snapshot!("err_expr_bad_number", render("1abc + 2", expr_err));
    insta::assert_snapshot!("err_expr_call_args", render("if(a, \"b\" \"c\")", expr_err));
}
