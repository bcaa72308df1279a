//! What a CloudTrail event is made of: principals, the API catalogue, and
//! [`Call`], the one description of an API call that both the CloudTrail and
//! the OCSF writers serialise.

use crate::rng::{hash_str, Rng, UPPER_ALNUM};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    IamUser,
    AssumedRole,
    AwsService,
    Root,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::IamUser => "IAMUser",
            Kind::AssumedRole => "AssumedRole",
            Kind::AwsService => "AWSService",
            Kind::Root => "Root",
        }
    }
}

/// Who a background principal is, which decides the APIs it calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Admin,
    Developer,
    Ci,
    Workload,
    Service,
    Auditor,
}

impl Profile {
    fn bit(self) -> u8 {
        match self {
            Profile::Admin => 1,
            Profile::Developer => 2,
            Profile::Ci => 4,
            Profile::Workload => 8,
            Profile::Service => 16,
            Profile::Auditor => 32,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Principal {
    pub kind: Kind,
    pub profile: Profile,
    pub account: String,
    /// IAM user name, role name, or (AWSService) the invoking service.
    pub name: String,
    /// Role session name (AssumedRole only).
    pub session: String,
    pub principal_id: String,
    pub arn: String,
    pub access_key: String,
    /// Source IPs this principal calls from. For service principals this is
    /// the service's DNS name, as CloudTrail records it.
    pub ips: Vec<String>,
    pub agents: Vec<&'static str>,
    pub console: bool,
    pub mfa: bool,
    pub weight: u32,
}

fn id_from(seed: &str, prefix: &str, n: usize) -> String {
    let mut r = Rng::new(hash_str(seed));
    let mut s = String::from(prefix);
    r.push_charset(&mut s, UPPER_ALNUM, n);
    s
}

impl Principal {
    pub fn iam_user(account: &str, name: &str, profile: Profile) -> Self {
        let key = format!("{account}/{name}");
        Principal {
            kind: Kind::IamUser,
            profile,
            account: account.into(),
            name: name.into(),
            session: String::new(),
            principal_id: id_from(&key, "AIDA", 17),
            arn: format!("arn:aws:iam::{account}:user/{name}"),
            access_key: id_from(&format!("{key}/key"), "AKIA", 16),
            ips: Vec::new(),
            agents: Vec::new(),
            console: false,
            mfa: false,
            weight: 1,
        }
    }

    pub fn assumed_role(account: &str, role: &str, session: &str, profile: Profile) -> Self {
        let key = format!("{account}/{role}");
        let role_id = id_from(&key, "AROA", 17);
        Principal {
            kind: Kind::AssumedRole,
            profile,
            account: account.into(),
            name: role.into(),
            session: session.into(),
            principal_id: format!("{role_id}:{session}"),
            arn: format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
            access_key: id_from(&format!("{key}/{session}/key"), "ASIA", 16),
            ips: Vec::new(),
            agents: Vec::new(),
            console: false,
            mfa: false,
            weight: 1,
        }
    }

    pub fn aws_service(account: &str, service: &str) -> Self {
        Principal {
            kind: Kind::AwsService,
            profile: Profile::Service,
            account: account.into(),
            name: service.into(),
            session: String::new(),
            principal_id: String::new(),
            arn: String::new(),
            access_key: String::new(),
            ips: vec![service.into()],
            agents: vec![],
            console: false,
            mfa: false,
            weight: 1,
        }
    }

    pub fn root(account: &str) -> Self {
        Principal {
            kind: Kind::Root,
            profile: Profile::Admin,
            account: account.into(),
            name: String::new(),
            session: String::new(),
            principal_id: account.into(),
            arn: format!("arn:aws:iam::{account}:root"),
            access_key: id_from(&format!("{account}/root"), "ASIA", 16),
            ips: Vec::new(),
            agents: Vec::new(),
            console: true,
            mfa: true,
            weight: 1,
        }
    }

    pub fn ips(mut self, ips: &[&str]) -> Self {
        self.ips = ips.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn agents(mut self, a: &[&'static str]) -> Self {
        self.agents = a.to_vec();
        self
    }
    pub fn weight(mut self, w: u32) -> Self {
        self.weight = w;
        self
    }
    pub fn console(mut self, mfa: bool) -> Self {
        self.console = true;
        self.mfa = mfa;
        self
    }

    pub fn role_arn(&self) -> String {
        format!("arn:aws:iam::{}:role/{}", self.account, self.name)
    }

    /// The "User: ... is not authorized" subject in an errorMessage.
    pub fn error_subject(&self) -> String {
        match self.kind {
            Kind::AwsService => format!("arn:aws:iam::{}:role/aws-service-role", self.account),
            _ => self.arn.clone(),
        }
    }
}

// ---------------------------------------------------------------- user agents

pub const UA_CLI: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/5.10.210-201.852.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off";
pub const UA_CLI_MAC: &str = "aws-cli/2.13.25 Python/3.11.6 Darwin/23.2.0 exe/x86_64 prompt/off";
pub const UA_CLI_V1: &str = "aws-cli/1.32.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.5.0-1016-azure md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy botocore/1.34.69";
pub const UA_BOTO3: &str = "Boto3/1.34.62 md/Botocore#1.34.62 ua/2.0 os/linux#5.15.0-1057-aws md/arch#x86_64 lang/python#3.11.4 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.62";
pub const UA_LAMBDA: &str = "Boto3/1.34.42 md/Botocore#1.34.42 ua/2.0 os/linux#5.10.209-220.815.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.42";
pub const UA_TERRAFORM: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.3 os/linux lang/go#1.21.8 md/GOOS#linux md/GOARCH#amd64";
pub const UA_GO: &str = "aws-sdk-go/1.50.38 (go1.21.8; linux; amd64)";
pub const UA_JAVA: &str = "aws-sdk-java/2.25.6 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy";
pub const UA_CONSOLE: &str = "console.amazonaws.com";
pub const UA_BROWSER: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";
pub const UA_BROWSER_WIN: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0";
pub const UA_INTERNAL: &str = "AWS Internal";
pub const UA_GITHUB: &str = "aws-sdk-js/3.535.0 ua/2.0 os/linux#6.5.0-1016-azure lang/js md/nodejs#20.11.1 api/sts#3.535.0 github-actions";

// ---------------------------------------------------------------- API catalogue

/// How a service reports "you are not allowed": query-protocol services (IAM,
/// STS, S3, RDS, ELB, CloudFormation, Auto Scaling, CloudWatch) say
/// `AccessDenied`, JSON-protocol ones `AccessDeniedException`, EC2
/// `Client.UnauthorizedOperation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deny {
    AccessDenied,
    Exception,
    Ec2,
}

impl Deny {
    pub fn code(self) -> &'static str {
        match self {
            Deny::AccessDenied => "AccessDenied",
            Deny::Exception => "AccessDeniedException",
            Deny::Ec2 => "Client.UnauthorizedOperation",
        }
    }
}

#[derive(Debug)]
pub struct Api {
    pub source: &'static str,
    pub name: &'static str,
    pub read_only: bool,
    /// Global service: always logged in us-east-1.
    pub global: bool,
    pub weight: u32,
    pub deny: Deny,
    /// Profiles that call it (bit set of [`Profile::bit`]).
    pub who: u8,
}

const A: u8 = 1; // admin
const D: u8 = 2; // developer
const C: u8 = 4; // ci
const W: u8 = 8; // workload role
const S: u8 = 16; // AWS service
const U: u8 = 32; // auditor / config
const ALL_HUMAN: u8 = A | D | U;

macro_rules! api {
    ($src:literal, $name:literal, $ro:literal, $global:literal, $w:literal, $deny:ident, $who:expr) => {
        Api {
            source: $src,
            name: $name,
            read_only: $ro,
            global: $global,
            weight: $w,
            deny: Deny::$deny,
            who: $who,
        }
    };
}

pub static CATALOG: &[Api] = &[
    api!(
        "sts.amazonaws.com",
        "GetCallerIdentity",
        true,
        true,
        14,
        AccessDenied,
        A | D | C | W
    ),
    api!(
        "sts.amazonaws.com",
        "AssumeRole",
        false,
        true,
        16,
        AccessDenied,
        C | W | S
    ),
    api!(
        "iam.amazonaws.com",
        "ListUsers",
        true,
        true,
        3,
        AccessDenied,
        ALL_HUMAN | C
    ),
    api!(
        "iam.amazonaws.com",
        "ListRoles",
        true,
        true,
        4,
        AccessDenied,
        ALL_HUMAN | C
    ),
    api!(
        "iam.amazonaws.com",
        "GetRole",
        true,
        true,
        6,
        AccessDenied,
        ALL_HUMAN | C
    ),
    api!(
        "iam.amazonaws.com",
        "ListPolicies",
        true,
        true,
        2,
        AccessDenied,
        ALL_HUMAN
    ),
    api!(
        "iam.amazonaws.com",
        "GetPolicyVersion",
        true,
        true,
        3,
        AccessDenied,
        ALL_HUMAN | C
    ),
    api!(
        "iam.amazonaws.com",
        "ListAttachedRolePolicies",
        true,
        true,
        3,
        AccessDenied,
        ALL_HUMAN | C
    ),
    api!(
        "iam.amazonaws.com",
        "GetUser",
        true,
        true,
        2,
        AccessDenied,
        A | D
    ),
    api!(
        "iam.amazonaws.com",
        "ListAccessKeys",
        true,
        true,
        2,
        AccessDenied,
        A | D | U
    ),
    api!(
        "iam.amazonaws.com",
        "ListGroups",
        true,
        true,
        1,
        AccessDenied,
        A | U
    ),
    api!(
        "iam.amazonaws.com",
        "GetAccountSummary",
        true,
        true,
        1,
        AccessDenied,
        A | U
    ),
    api!(
        "iam.amazonaws.com",
        "ListAccountAliases",
        true,
        true,
        1,
        AccessDenied,
        A | D
    ),
    api!(
        "iam.amazonaws.com",
        "GetAccountAuthorizationDetails",
        true,
        true,
        1,
        AccessDenied,
        U
    ),
    api!(
        "iam.amazonaws.com",
        "ListInstanceProfiles",
        true,
        true,
        1,
        AccessDenied,
        A | C | U
    ),
    api!(
        "iam.amazonaws.com",
        "CreateAccessKey",
        false,
        true,
        1,
        AccessDenied,
        A
    ),
    api!(
        "iam.amazonaws.com",
        "PutRolePolicy",
        false,
        true,
        1,
        AccessDenied,
        A | C
    ),
    api!(
        "iam.amazonaws.com",
        "CreateUser",
        false,
        true,
        1,
        AccessDenied,
        A
    ),
    api!(
        "s3.amazonaws.com",
        "ListBuckets",
        true,
        true,
        5,
        AccessDenied,
        A | D | C | U
    ),
    api!(
        "s3.amazonaws.com",
        "GetBucketLocation",
        true,
        false,
        5,
        AccessDenied,
        A | D | C | W | U
    ),
    api!(
        "s3.amazonaws.com",
        "GetBucketPolicy",
        true,
        false,
        3,
        AccessDenied,
        A | D | U
    ),
    api!(
        "s3.amazonaws.com",
        "GetBucketAcl",
        true,
        false,
        3,
        AccessDenied,
        A | U
    ),
    api!(
        "s3.amazonaws.com",
        "GetBucketEncryption",
        true,
        false,
        2,
        AccessDenied,
        A | U
    ),
    api!(
        "s3.amazonaws.com",
        "GetBucketVersioning",
        true,
        false,
        2,
        AccessDenied,
        A | C | U
    ),
    api!(
        "s3.amazonaws.com",
        "PutBucketPolicy",
        false,
        false,
        1,
        AccessDenied,
        A | C
    ),
    api!(
        "s3.amazonaws.com",
        "PutBucketTagging",
        false,
        false,
        1,
        AccessDenied,
        C
    ),
    api!(
        "ec2.amazonaws.com",
        "DescribeInstances",
        true,
        false,
        10,
        Ec2,
        A | D | C | U | S
    ),
    api!(
        "ec2.amazonaws.com",
        "DescribeSecurityGroups",
        true,
        false,
        4,
        Ec2,
        A | D | C | U
    ),
    api!(
        "ec2.amazonaws.com",
        "DescribeVpcs",
        true,
        false,
        3,
        Ec2,
        A | C | U
    ),
    api!(
        "ec2.amazonaws.com",
        "DescribeVolumes",
        true,
        false,
        3,
        Ec2,
        A | U
    ),
    api!(
        "ec2.amazonaws.com",
        "DescribeNetworkInterfaces",
        true,
        false,
        3,
        Ec2,
        A | C | U | S
    ),
    api!(
        "ec2.amazonaws.com",
        "RunInstances",
        false,
        false,
        1,
        Ec2,
        A | C | S
    ),
    api!(
        "ec2.amazonaws.com",
        "StartInstances",
        false,
        false,
        1,
        Ec2,
        A | D
    ),
    api!(
        "ec2.amazonaws.com",
        "StopInstances",
        false,
        false,
        1,
        Ec2,
        A | D
    ),
    api!(
        "ec2.amazonaws.com",
        "CreateVolume",
        false,
        false,
        1,
        Ec2,
        A | S
    ),
    api!(
        "ec2.amazonaws.com",
        "DeleteNetworkInterface",
        false,
        false,
        1,
        Ec2,
        S | C
    ),
    api!(
        "ec2.amazonaws.com",
        "CreateTags",
        false,
        false,
        2,
        Ec2,
        A | C | S
    ),
    api!(
        "rds.amazonaws.com",
        "DescribeDBInstances",
        true,
        false,
        2,
        AccessDenied,
        A | D | U
    ),
    api!(
        "rds.amazonaws.com",
        "DescribeDBClusters",
        true,
        false,
        1,
        AccessDenied,
        A | U
    ),
    api!(
        "elasticloadbalancing.amazonaws.com",
        "DescribeLoadBalancers",
        true,
        false,
        2,
        AccessDenied,
        A | C | U
    ),
    api!(
        "elasticloadbalancing.amazonaws.com",
        "DescribeTargetHealth",
        true,
        false,
        3,
        AccessDenied,
        C | S
    ),
    api!(
        "cloudformation.amazonaws.com",
        "DescribeStacks",
        true,
        false,
        4,
        AccessDenied,
        A | C
    ),
    api!(
        "cloudformation.amazonaws.com",
        "ListStacks",
        true,
        false,
        1,
        AccessDenied,
        A | U
    ),
    api!(
        "autoscaling.amazonaws.com",
        "DescribeAutoScalingGroups",
        true,
        false,
        2,
        AccessDenied,
        A | C | S
    ),
    api!(
        "monitoring.amazonaws.com",
        "DescribeAlarms",
        true,
        false,
        2,
        AccessDenied,
        A | U
    ),
    api!(
        "monitoring.amazonaws.com",
        "PutMetricAlarm",
        false,
        false,
        1,
        AccessDenied,
        C
    ),
    api!(
        "lambda.amazonaws.com",
        "ListFunctions20150331",
        true,
        false,
        2,
        Exception,
        A | D | U
    ),
    api!(
        "lambda.amazonaws.com",
        "GetFunction20150331v2",
        true,
        false,
        2,
        Exception,
        A | C
    ),
    api!(
        "kms.amazonaws.com",
        "Decrypt",
        true,
        false,
        12,
        Exception,
        W | S
    ),
    api!(
        "kms.amazonaws.com",
        "GenerateDataKey",
        true,
        false,
        6,
        Exception,
        W | S
    ),
    api!(
        "kms.amazonaws.com",
        "DescribeKey",
        true,
        false,
        2,
        Exception,
        A | U
    ),
    api!(
        "kms.amazonaws.com",
        "ListAliases",
        true,
        false,
        1,
        Exception,
        A | U
    ),
    api!(
        "secretsmanager.amazonaws.com",
        "GetSecretValue",
        true,
        false,
        4,
        Exception,
        W | D
    ),
    api!(
        "secretsmanager.amazonaws.com",
        "ListSecrets",
        true,
        false,
        1,
        Exception,
        A | U
    ),
    api!(
        "ssm.amazonaws.com",
        "GetParameter",
        true,
        false,
        4,
        Exception,
        W | C
    ),
    api!(
        "ssm.amazonaws.com",
        "DescribeInstanceInformation",
        true,
        false,
        3,
        Exception,
        A | S
    ),
    api!(
        "logs.amazonaws.com",
        "CreateLogStream",
        false,
        false,
        5,
        Exception,
        W | S
    ),
    api!(
        "logs.amazonaws.com",
        "DescribeLogGroups",
        true,
        false,
        2,
        Exception,
        A | D | U
    ),
    api!(
        "dynamodb.amazonaws.com",
        "DescribeTable",
        true,
        false,
        3,
        Exception,
        W | C
    ),
    api!(
        "ecr.amazonaws.com",
        "GetAuthorizationToken",
        true,
        false,
        3,
        Exception,
        C | W
    ),
    api!(
        "cloudtrail.amazonaws.com",
        "DescribeTrails",
        true,
        false,
        1,
        Exception,
        A | U
    ),
    api!(
        "cloudtrail.amazonaws.com",
        "LookupEvents",
        true,
        false,
        1,
        Exception,
        A | U
    ),
    api!(
        "signin.amazonaws.com",
        "ConsoleLogin",
        false,
        true,
        2,
        AccessDenied,
        A | D
    ),
];

pub fn api(name: &str) -> &'static Api {
    CATALOG
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no API {name} in catalogue"))
}

/// Cumulative weights over the catalogue for one profile and region class.
pub struct ApiTable {
    pub idx: Vec<usize>,
    pub cum: Vec<u32>,
}

impl ApiTable {
    pub fn build(filter: impl Fn(&Api) -> bool, weight: impl Fn(&Api) -> u32) -> Self {
        let mut idx = Vec::new();
        let mut cum = Vec::new();
        let mut total = 0;
        for (i, a) in CATALOG.iter().enumerate() {
            if filter(a) {
                let w = weight(a);
                if w > 0 {
                    total += w;
                    idx.push(i);
                    cum.push(total);
                }
            }
        }
        ApiTable { idx, cum }
    }

    pub fn for_profile(p: Profile, home_region: bool, ocsf: bool) -> Self {
        Self::build(
            |a| {
                a.who & p.bit() != 0
                    && (home_region || !a.global)
                    && !(ocsf && a.name == "ConsoleLogin")
            },
            |a| a.weight,
        )
    }

    pub fn pick(&self, rng: &mut Rng) -> &'static Api {
        &CATALOG[self.idx[rng.pick_cum(&self.cum)]]
    }

    pub fn is_empty(&self) -> bool {
        self.idx.is_empty()
    }
}

// ---------------------------------------------------------------- a call

/// One API call, everything both serialisations need.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    pub time: i64,
    pub p: &'a Principal,
    pub source: &'a str,
    pub name: &'a str,
    pub region: &'a str,
    pub recipient: &'a str,
    /// Borrowed from the principal, or a pool address (`--ip-pool`).
    pub src_ip: std::borrow::Cow<'a, str>,
    /// `None`: the record has no userAgent key at all.
    pub user_agent: Option<&'a str>,
    pub error: Option<(String, String)>,
    /// Raw JSON for requestParameters / responseElements; `None` writes `null`.
    pub req: Option<String>,
    pub resp: Option<String>,
    /// Raw JSON for additionalEventData and resources, when present.
    pub additional: Option<String>,
    pub resources: Option<String>,
    pub read_only: bool,
    pub event_type: &'a str,
    pub request_id: String,
    pub event_id: String,
    pub tls_host: Option<String>,
}

pub fn is_service_agent(ua: &str) -> bool {
    ua.to_ascii_lowercase().ends_with(".amazonaws.com")
}
