//! The two shipped detections plan as Splunk reads them. Snapshots (insta) pin the expanded
//! text and the plan `explain` prints.

use spelunk_plan::{Op, Planner, Projection};

fn query(name: &str) -> String {
    let p = format!("{}/../../queries/{}.spl", env!("CARGO_MANIFEST_DIR"), name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {p}: {e}"))
}

#[test]
fn cloudtrail_detection_plan() {
    let planner = Planner::builtin().expect("built-in conf");
    let planned = planner.plan(&query("aws_iam_accessdenied_discovery_events")).expect("plans");
    insta::assert_snapshot!("cloudtrail_expanded", planned.expanded.text.trim());
    insta::assert_snapshot!("cloudtrail_plan", planned.plan.to_string());
    // stats BY has no _time: the bucket only rounds the times
    let stats = planned.plan.nodes.iter().find_map(|n| if let Op::Stats(s) = &n.op { Some(s) } else { None }).expect("stats");
    assert_eq!(stats.by, ["src", "user", "vendor_account", "vendor_region", "vendor_product"]);
    // pushdown: AccessDenied must be in the raw record (errorCode's calculated field passes it through)
    assert_eq!(planned.prefilter, [["AccessDenied"]]);
    let Projection::Fields(f) = &planned.plan.projection else { panic!("projection should be pushed down") };
    assert!(f.contains("user_type") && f.contains("user_name") && f.contains("userAgent"));
}

#[test]
fn asl_detection_plan() {
    let planner = Planner::builtin().expect("built-in conf");
    let planned = planner.plan(&query("asl_aws_iam_accessdenied_discovery_events")).expect("plans");
    insta::assert_snapshot!("asl_expanded", planned.expanded.text.trim());
    insta::assert_snapshot!("asl_plan", planned.plan.to_string());
    let stats = planned.plan.nodes.iter().find_map(|n| if let Op::Stats(s) = &n.op { Some(s) } else { None }).expect("stats");
    assert_eq!(stats.by, ["_time", "actor.user.uid"]);
    assert_eq!(planned.prefilter, vec![vec!["AccessDenied", "OperationNotPermittedException", "Unauthorized"], vec!["IAMUser"]]);
}

#[test]
fn cloudtrail_props_dependencies_reach_extracted_fields() {
    let planner = Planner::builtin().expect("built-in conf");
    let planned = planner.plan(&query("aws_iam_accessdenied_discovery_events")).expect("plans");
    let Projection::Fields(f) = planner.scan_fields(&planned.plan.projection, "aws:cloudtrail") else { panic!("fields") };
    for needed in ["eventName", "userIdentity.type", "sourceIPAddress", "awsRegion", "userIdentity.accountId", "eventSource", "errorCode"] {
        assert!(f.contains(needed), "scan must read {needed}; reads {f:?}");
    }
}
