//! Named AccessDenied scenarios with known outcomes for the two detections.
//!
//! Times are offsets from the *base hour*: the first whole UTC hour at or after
//! `--start`. Every scenario principal and source IP (203.0.113.0/24 and
//! 198.51.100.0/24, the documentation ranges) is used by no background
//! principal, so background traffic never joins a scenario's group.
//!
//! The expected detection rows for the committed test sets are in
//! `testdata/README.md`; `crates/gen/check_expected.py` recomputes them.

use crate::model::*;
use crate::params::{apply, deny_message, params};
use crate::rng::{Rng, UPPER_ALNUM};
use crate::world::{ACCOUNT_A, ACCOUNT_B};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detection {
    /// AWS IAM AccessDenied Discovery Events (CloudTrail).
    CloudTrail,
    /// ASL AWS IAM AccessDenied Discovery Events (OCSF).
    Asl,
}

/// One event of a scenario.
#[derive(Clone, Debug)]
pub struct Ev {
    pub hour: i64,
    pub min: i64,
    pub sec: i64,
    pub api: &'static str,
    /// errorCode; empty for a successful call.
    pub code: &'static str,
    pub ip: &'static str,
    /// `None`: no userAgent key.
    pub agent: Option<&'static str>,
}

pub struct Scenario {
    pub id: &'static str,
    pub detection: Detection,
    pub fires: bool,
    pub summary: &'static str,
    pub principal: Principal,
    pub recipient: &'static str,
    pub region: &'static str,
    pub events: Vec<Ev>,
}

/// Services of the scenario-only APIs that are not in the background catalogue.
fn source_of(api: &str) -> &'static str {
    match api {
        "GetResourceShares" | "ListResources" => "ram.amazonaws.com",
        _ => crate::model::api(api).source,
    }
}

fn read_only(api: &str) -> bool {
    match api {
        "GetResourceShares" | "ListResources" => true,
        _ => crate::model::api(api).read_only,
    }
}

/// Builder shorthand: events at (hour, min, sec) with one IP/agent.
struct B {
    ip: &'static str,
    agent: Option<&'static str>,
    events: Vec<Ev>,
}

impl B {
    fn new(ip: &'static str, agent: Option<&'static str>) -> Self {
        B {
            ip,
            agent,
            events: Vec::new(),
        }
    }
    fn ev(mut self, hour: i64, min: i64, sec: i64, api: &'static str, code: &'static str) -> Self {
        self.events.push(Ev {
            hour,
            min,
            sec,
            api,
            code,
            ip: self.ip,
            agent: self.agent,
        });
        self
    }
    fn from(mut self, ip: &'static str, agent: Option<&'static str>) -> Self {
        self.ip = ip;
        self.agent = agent;
        self
    }
    fn done(self) -> Vec<Ev> {
        self.events
    }
}

const AD: &str = "AccessDenied";
const EC2: &str = "Client.UnauthorizedOperation";

fn user(account: &str, name: &str) -> Principal {
    Principal::iam_user(account, name, Profile::Developer)
}

/// Scenarios for detection (1), over CloudTrail.
pub fn cloudtrail() -> Vec<Scenario> {
    let cli = Some(UA_CLI);
    vec![
        Scenario {
            id: "ct-a-burst",
            detection: Detection::CloudTrail,
            fires: true,
            summary: "IAM user runs a discovery script: 7 counted AccessDenied from one IP in one hour. Its denied ListRoles (user_type rule 5: sessionIssuer.type, absent for an IAM user), the successful GetCallerIdentity and the EC2 Client.UnauthorizedOperation are not counted",
            principal: user(ACCOUNT_A, "mallory"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("203.0.113.10", cli)
                .ev(1, 13, 58, "GetCallerIdentity", "")
                .ev(1, 14, 0, "ListRoles", AD)
                .ev(1, 14, 3, "ListUsers", AD)
                .ev(1, 14, 9, "ListGroups", AD)
                .ev(1, 14, 15, "ListPolicies", AD)
                .ev(1, 14, 22, "GetAccountAuthorizationDetails", AD)
                .ev(1, 14, 31, "ListInstanceProfiles", AD)
                .ev(1, 14, 40, "ListBuckets", AD)
                .ev(1, 14, 52, "GetBucketPolicy", AD)
                .ev(1, 15, 5, "DescribeInstances", EC2)
                .done(),
        },
        Scenario {
            id: "ct-b-four",
            detection: Detection::CloudTrail,
            fires: false,
            summary: "exactly 4 AccessDenied: below failures >= 5",
            principal: user(ACCOUNT_A, "trudy"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("198.51.100.20", Some(UA_BOTO3))
                .ev(1, 31, 0, "ListUsers", AD)
                .ev(1, 31, 7, "ListPolicies", AD)
                .ev(1, 31, 19, "ListGroups", AD)
                .ev(1, 31, 33, "ListBuckets", AD)
                .done(),
        },
        Scenario {
            id: "ct-c-five",
            detection: Detection::CloudTrail,
            fires: true,
            summary: "exactly 5 AccessDenied (query-protocol services RDS, ELB, CloudFormation, Auto Scaling answer AccessDenied) in account B, eu-west-1",
            principal: user(ACCOUNT_B, "carol"),
            recipient: ACCOUNT_B,
            region: "eu-west-1",
            events: B::new("198.51.100.21", Some(UA_CLI_V1))
                .ev(2, 5, 10, "DescribeDBInstances", AD)
                .ev(2, 5, 12, "DescribeDBInstances", AD)
                .ev(2, 5, 30, "DescribeLoadBalancers", AD)
                .ev(2, 6, 1, "DescribeStacks", AD)
                .ev(2, 6, 45, "DescribeAutoScalingGroups", AD)
                .done(),
        },
        Scenario {
            id: "ct-d-service-agent",
            detection: Detection::CloudTrail,
            fires: false,
            summary: "7 AccessDenied whose userAgent matches *.amazonaws.com (5 of them in mixed case: Splunk matches values case-insensitively), so userAgent!=*.amazonaws.com drops all 7",
            principal: user(ACCOUNT_A, "dave"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("203.0.113.40", Some("ec2.amazonaws.com"))
                .ev(1, 40, 0, "ListUsers", AD)
                .from("203.0.113.40", Some("console.amazonaws.com"))
                .ev(1, 40, 11, "ListPolicies", AD)
                .from("203.0.113.40", Some("EC2.AMAZONAWS.COM"))
                .ev(1, 40, 23, "ListGroups", AD)
                .from("203.0.113.40", Some("Console.AmazonAWS.com"))
                .ev(1, 40, 35, "ListBuckets", AD)
                .from("203.0.113.40", Some("ssm.AmazonAWS.com"))
                .ev(1, 40, 47, "GetBucketAcl", AD)
                .from("203.0.113.40", Some("CONSOLE.AMAZONAWS.COM"))
                .ev(1, 40, 59, "ListInstanceProfiles", AD)
                .from("203.0.113.40", Some("Lambda.amazonaws.com"))
                .ev(1, 41, 10, "GetAccountAuthorizationDetails", AD)
                .done(),
        },
        Scenario {
            id: "ct-e-no-agent",
            detection: Detection::CloudTrail,
            fires: false,
            summary: "6 AccessDenied with no userAgent key: field!=value is false where the field is missing",
            principal: user(ACCOUNT_A, "erin"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("203.0.113.55", None)
                .ev(2, 20, 0, "ListUsers", AD)
                .ev(2, 20, 4, "ListPolicies", AD)
                .ev(2, 20, 8, "ListGroups", AD)
                .ev(2, 20, 12, "ListBuckets", AD)
                .ev(2, 20, 16, "GetBucketPolicy", AD)
                .ev(2, 20, 20, "ListInstanceProfiles", AD)
                .done(),
        },
        Scenario {
            id: "ct-f-assumed-role",
            detection: Detection::CloudTrail,
            fires: false,
            summary: "assumed role with 8 AccessDenied: user_type is AssumedRole (rule 7) or Role (ListRoles, rule 5), never IAMUser",
            principal: Principal::assumed_role(ACCOUNT_A, "ReadOnlyAuditor", "frank@example.com", Profile::Auditor),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("203.0.113.66", cli)
                .ev(1, 2, 0, "ListRoles", AD)
                .ev(1, 2, 6, "ListUsers", AD)
                .ev(1, 2, 12, "ListPolicies", AD)
                .ev(1, 2, 18, "ListGroups", AD)
                .ev(1, 2, 24, "GetAccountAuthorizationDetails", AD)
                .ev(1, 2, 30, "ListBuckets", AD)
                .ev(1, 2, 36, "GetBucketPolicy", AD)
                .ev(1, 2, 42, "ListInstanceProfiles", AD)
                .done(),
        },
        Scenario {
            id: "ct-g-mixed-case",
            detection: Detection::CloudTrail,
            fires: true,
            summary: "5 denials spelled accessdenied / ACCESSDENIED / AccessDenied / Accessdenied / accessDenied: errorCode=\"AccessDenied\" matches all 5 case-insensitively",
            principal: user(ACCOUNT_A, "grace"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("203.0.113.77", Some(UA_CLI_MAC))
                .ev(3, 12, 0, "ListUsers", "accessdenied")
                .ev(3, 12, 10, "ListPolicies", "ACCESSDENIED")
                .ev(3, 12, 20, "ListBuckets", "AccessDenied")
                .ev(3, 12, 30, "GetBucketAcl", "Accessdenied")
                .ev(3, 12, 40, "ListGroups", "accessDenied")
                .done(),
        },
        Scenario {
            id: "ct-h-hour-boundary",
            detection: Detection::CloudTrail,
            fires: true,
            summary: "3 AccessDenied before and 3 after a clock hour: no _time in the BY list, so one group of 6 (firstTime and lastTime are different hours)",
            principal: user(ACCOUNT_A, "heidi"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("198.51.100.88", cli)
                .ev(2, 57, 10, "ListUsers", AD)
                .ev(2, 58, 20, "ListPolicies", AD)
                .ev(2, 59, 45, "ListGroups", AD)
                .ev(3, 0, 5, "ListBuckets", AD)
                .ev(3, 1, 30, "ListUsers", AD)
                .ev(3, 2, 10, "ListPolicies", AD)
                .done(),
        },
        Scenario {
            id: "ct-i-unauthorized-operation",
            detection: Detection::CloudTrail,
            fires: false,
            summary: "8 EC2 Client.UnauthorizedOperation (not AccessDenied) plus 2 AccessDenied: the group has 2 failures",
            principal: user(ACCOUNT_A, "ivan"),
            recipient: ACCOUNT_A,
            region: "us-west-2",
            events: B::new("203.0.113.91", cli)
                .ev(2, 40, 0, "DescribeInstances", EC2)
                .ev(2, 40, 5, "DescribeSecurityGroups", EC2)
                .ev(2, 40, 10, "DescribeVpcs", EC2)
                .ev(2, 40, 15, "DescribeVolumes", EC2)
                .ev(2, 40, 20, "DescribeNetworkInterfaces", EC2)
                .ev(2, 40, 25, "DescribeInstances", EC2)
                .ev(2, 40, 30, "DescribeVpcs", EC2)
                .ev(2, 40, 35, "DescribeSecurityGroups", EC2)
                .ev(2, 41, 0, "DescribeDBInstances", AD)
                .ev(2, 41, 10, "DescribeStacks", AD)
                .done(),
        },
        Scenario {
            id: "ct-j-user-type-null",
            detection: Detection::CloudTrail,
            fires: false,
            summary: "9 AccessDenied, but user_type is not IAMUser for 5: ListRoles (rule 5, no sessionIssuer), GetUser (rule 1, like %User), ListAccessKeys and GetAccountSummary (rule 1), AssumeRole (rule 6, no resources or assumedRoleUser when denied); 4 counted",
            principal: user(ACCOUNT_A, "judy"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("203.0.113.99", cli)
                .ev(3, 30, 0, "ListUsers", AD)
                .ev(3, 30, 5, "ListRoles", AD)
                .ev(3, 30, 10, "GetUser", AD)
                .ev(3, 30, 15, "ListGroups", AD)
                .ev(3, 30, 20, "ListAccessKeys", AD)
                .ev(3, 30, 25, "ListPolicies", AD)
                .ev(3, 30, 30, "GetAccountSummary", AD)
                .ev(3, 30, 35, "ListBuckets", AD)
                .ev(3, 30, 40, "AssumeRole", AD)
                .done(),
        },
        Scenario {
            id: "ct-k-two-ips",
            detection: Detection::CloudTrail,
            fires: false,
            summary: "one user, 4 AccessDenied from each of two IPs: src is a BY field, two groups of 4",
            principal: user(ACCOUNT_A, "kim"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("198.51.100.30", cli)
                .ev(1, 5, 0, "ListUsers", AD)
                .ev(1, 5, 10, "ListPolicies", AD)
                .ev(1, 5, 20, "ListGroups", AD)
                .ev(1, 5, 30, "ListBuckets", AD)
                .from("198.51.100.31", cli)
                .ev(1, 50, 0, "ListUsers", AD)
                .ev(1, 50, 10, "ListPolicies", AD)
                .ev(1, 50, 20, "ListGroups", AD)
                .ev(1, 50, 30, "ListBuckets", AD)
                .done(),
        },
        Scenario {
            id: "ct-l-low-and-slow",
            detection: Detection::CloudTrail,
            fires: true,
            summary: "one AccessDenied an hour for 5 hours: no _time in the BY list, so failures are counted over the whole input and it fires",
            principal: user(ACCOUNT_A, "leo"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("198.51.100.45", Some(UA_BOTO3))
                .ev(0, 10, 0, "ListBuckets", AD)
                .ev(1, 20, 0, "ListBuckets", AD)
                .ev(2, 30, 0, "ListBuckets", AD)
                .ev(3, 40, 0, "ListBuckets", AD)
                .ev(4, 50, 0, "ListBuckets", AD)
                .done(),
        },
        Scenario {
            id: "ct-n-cross-account",
            detection: Detection::CloudTrail,
            fires: true,
            summary: "IAM user of account B denied on account A's buckets; logged in A's trail (recipientAccountId A) but vendor_account is userIdentity.accountId = B",
            principal: user(ACCOUNT_B, "nina"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("203.0.113.120", Some(UA_BOTO3))
                .ev(0, 33, 0, "GetBucketPolicy", AD)
                .ev(0, 33, 2, "GetBucketAcl", AD)
                .ev(0, 33, 4, "GetBucketLocation", AD)
                .ev(0, 33, 6, "GetBucketPolicy", AD)
                .ev(0, 33, 8, "GetBucketAcl", AD)
                .done(),
        },
    ]
}

/// Scenarios for detection (2), over OCSF.
pub fn asl() -> Vec<Scenario> {
    let cli = Some(UA_CLI);
    vec![
        Scenario {
            id: "asl-a-six",
            detection: Detection::Asl,
            fires: true,
            summary: "6 AccessDenied in one clock hour from two IPs and two agents: one row (BY _time actor.user.uid)",
            principal: user(ACCOUNT_A, "olivia"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("203.0.113.130", cli)
                .ev(1, 20, 0, "ListUsers", AD)
                .ev(1, 20, 20, "ListRoles", AD)
                .ev(1, 21, 0, "ListPolicies", AD)
                .from("203.0.113.131", Some(UA_BOTO3))
                .ev(1, 22, 0, "ListBuckets", AD)
                .ev(1, 22, 30, "GetBucketPolicy", AD)
                .ev(1, 23, 0, "GetAccountAuthorizationDetails", AD)
                .done(),
        },
        Scenario {
            id: "asl-a2-same-user-later",
            detection: Detection::Asl,
            fires: true,
            summary: "the same user again two hours later, 5 AccessDenied: a second row for another _time bucket",
            principal: user(ACCOUNT_A, "olivia"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("203.0.113.130", cli)
                .ev(3, 5, 0, "ListUsers", AD)
                .ev(3, 5, 30, "ListUsers", AD)
                .ev(3, 6, 0, "ListRoles", AD)
                .ev(3, 6, 30, "ListGroups", AD)
                .ev(3, 7, 0, "ListBuckets", AD)
                .done(),
        },
        Scenario {
            id: "asl-b-four",
            detection: Detection::Asl,
            fires: false,
            summary: "exactly 4 AccessDenied in one hour",
            principal: user(ACCOUNT_A, "peggy"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("198.51.100.140", cli)
                .ev(1, 40, 0, "ListUsers", AD)
                .ev(1, 40, 10, "ListRoles", AD)
                .ev(1, 40, 20, "ListPolicies", AD)
                .ev(1, 40, 30, "ListGroups", AD)
                .done(),
        },
        Scenario {
            id: "asl-c-other-codes",
            detection: Detection::Asl,
            fires: true,
            summary: "5 failures: 2 OperationNotPermittedException, 2 Client.UnauthorizedOperation and 1 UnauthorizedOperation (both match *Unauthorized*)",
            principal: user(ACCOUNT_A, "quentin"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("198.51.100.150", Some(UA_BOTO3))
                .ev(2, 10, 0, "GetResourceShares", "OperationNotPermittedException")
                .ev(2, 10, 30, "ListResources", "OperationNotPermittedException")
                .ev(2, 11, 0, "DescribeInstances", EC2)
                .ev(2, 11, 20, "DescribeVpcs", EC2)
                .ev(2, 12, 0, "DescribeSecurityGroups", "UnauthorizedOperation")
                .done(),
        },
        Scenario {
            id: "asl-d-hour-boundary",
            detection: Detection::Asl,
            fires: false,
            summary: "3 AccessDenied before and 3 after a clock hour: BY _time after bucket gives two groups of 3",
            principal: user(ACCOUNT_A, "rupert"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("198.51.100.160", cli)
                .ev(2, 57, 0, "ListUsers", AD)
                .ev(2, 58, 0, "ListRoles", AD)
                .ev(2, 59, 0, "ListPolicies", AD)
                .ev(3, 0, 30, "ListGroups", AD)
                .ev(3, 1, 0, "ListBuckets", AD)
                .ev(3, 2, 0, "GetBucketAcl", AD)
                .done(),
        },
        Scenario {
            id: "asl-e-assumed-role",
            detection: Detection::Asl,
            fires: false,
            summary: "assumed role with 7 AccessDenied in one hour: actor.user.type is AssumedRole",
            principal: Principal::assumed_role(ACCOUNT_A, "ReadOnlyAuditor", "sybil@example.com", Profile::Auditor),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("203.0.113.170", cli)
                .ev(1, 10, 0, "ListUsers", AD)
                .ev(1, 10, 5, "ListRoles", AD)
                .ev(1, 10, 10, "ListPolicies", AD)
                .ev(1, 10, 15, "ListGroups", AD)
                .ev(1, 10, 20, "ListBuckets", AD)
                .ev(1, 10, 25, "GetBucketPolicy", AD)
                .ev(1, 10, 30, "GetAccountAuthorizationDetails", AD)
                .done(),
        },
        Scenario {
            id: "asl-f-lower-case",
            detection: Detection::Asl,
            fires: true,
            summary: "5 denials spelled accessdenied (3), ACCESSDENIED, AccessDenied: search values match case-insensitively",
            principal: user(ACCOUNT_A, "trent"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("203.0.113.180", Some(UA_CLI_MAC))
                .ev(4, 0, 0, "ListUsers", "accessdenied")
                .ev(4, 0, 15, "ListRoles", "accessdenied")
                .ev(4, 0, 30, "ListPolicies", "accessdenied")
                .ev(4, 0, 45, "ListGroups", "ACCESSDENIED")
                .ev(4, 1, 0, "ListBuckets", "AccessDenied")
                .done(),
        },
        Scenario {
            id: "asl-g-access-denied-exception",
            detection: Detection::Asl,
            fires: false,
            summary: "6 AccessDeniedException (JSON-protocol services): neither =AccessDenied (no wildcard) nor *Unauthorized*",
            principal: user(ACCOUNT_A, "uma"),
            recipient: ACCOUNT_A,
            region: "us-east-1",
            events: B::new("198.51.100.190", Some(UA_BOTO3))
                .ev(2, 30, 0, "ListAliases", "AccessDeniedException")
                .ev(2, 30, 10, "DescribeKey", "AccessDeniedException")
                .ev(2, 30, 20, "ListSecrets", "AccessDeniedException")
                .ev(2, 30, 30, "ListFunctions20150331", "AccessDeniedException")
                .ev(2, 30, 40, "DescribeLogGroups", "AccessDeniedException")
                .ev(2, 30, 50, "DescribeTrails", "AccessDeniedException")
                .done(),
        },
    ]
}

/// Hours after the base hour that the scenarios need.
pub const SPAN_HOURS: i64 = 5;

impl Scenario {
    /// The scenario's events as calls, `base` being the base hour (epoch s).
    pub fn calls(&self, base: i64, seed: u64, index: u64) -> Vec<Call<'_>> {
        let mut rng = Rng::derive(seed, 0x5CE4_A210, index);
        self.events
            .iter()
            .map(|e| {
                let source = source_of(e.api);
                let ok = e.code.is_empty();
                let mut call = Call {
                    time: base + e.hour * 3600 + e.min * 60 + e.sec,
                    p: &self.principal,
                    source,
                    name: e.api,
                    region: self.region,
                    recipient: self.recipient,
                    src_ip: e.ip.into(),
                    user_agent: e.agent,
                    error: None,
                    req: None,
                    resp: None,
                    additional: None,
                    resources: None,
                    read_only: read_only(e.api),
                    event_type: "AwsApiCall",
                    request_id: String::new(),
                    event_id: String::new(),
                    tls_host: None,
                };
                apply(&mut call, params(e.api, &mut rng, &self.principal, self.recipient, self.region, ok));
                if !ok {
                    let msg = match e.code {
                        "OperationNotPermittedException" => {
                            "Operation not permitted: resource sharing is not enabled for this account".to_string()
                        }
                        code => deny_message(
                            source,
                            e.api,
                            &self.principal.error_subject(),
                            self.recipient,
                            code,
                        ),
                    };
                    call.error = Some((e.code.to_string(), msg));
                    if source != "s3.amazonaws.com" {
                        call.resp = None;
                    }
                }
                call.request_id = if source == "s3.amazonaws.com" {
                    let mut s = String::new();
                    rng.push_charset(&mut s, UPPER_ALNUM, 16);
                    s
                } else {
                    rng.uuid()
                };
                call.event_id = rng.uuid();
                call
            })
            .collect()
    }
}

pub fn for_detection(d: Detection) -> Vec<Scenario> {
    match d {
        Detection::CloudTrail => cloudtrail(),
        Detection::Asl => asl(),
    }
}
