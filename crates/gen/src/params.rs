//! requestParameters / responseElements / additionalEventData / resources for
//! each API of the catalogue, shaped like the real thing. Read calls mostly log
//! `responseElements: null`, as CloudTrail does; some keys are a string in one
//! API and an object in another (`policy`), as CloudTrail really does.

use crate::json::quoted;
use crate::model::{Call, Principal};
use crate::rng::Rng;

pub struct Params {
    pub req: Option<String>,
    pub resp: Option<String>,
    pub additional: Option<String>,
    pub resources: Option<String>,
    pub tls_host: Option<String>,
}

const ROLES: &[&str] = &[
    "OrganizationAccountAccessRole",
    "lambda-orders-exec",
    "eks-node-role",
    "GitHubActionsDeploy",
    "AWSServiceRoleForAutoScaling",
    "datadog-integration",
    "ecsTaskExecutionRole",
];
const BUCKET_STEMS: &[&str] = &[
    "acme-prod-logs",
    "acme-artifacts",
    "acme-data-lake-raw",
    "terraform-state",
    "acme-web-assets",
];
const SECRETS: &[&str] = &[
    "prod/orders/db",
    "prod/payments/stripe",
    "staging/orders/db",
    "ci/github-token",
];
const PARAMS: &[&str] = &[
    "/prod/orders/feature-flags",
    "/prod/orders/db-host",
    "/ci/ecr-repo",
    "/shared/vpc-id",
];
const TABLES: &[&str] = &["orders", "sessions", "inventory", "terraform-locks"];
const STACKS: &[&str] = &[
    "network-baseline",
    "orders-service",
    "eks-cluster",
    "data-lake",
];
const FUNCTIONS: &[&str] = &[
    "orders-processor",
    "thumbnailer",
    "slack-notifier",
    "cost-report",
];
const LOG_GROUPS: &[&str] = &[
    "/aws/lambda/orders-processor",
    "/aws/lambda/thumbnailer",
    "/ecs/orders-api",
    "/aws/eks/prod/cluster",
];

fn instance_id(rng: &mut Rng) -> String {
    let mut s = String::from("i-0");
    rng.push_hex(&mut s, 16);
    s
}

fn hexid(rng: &mut Rng, prefix: &str, n: usize) -> String {
    let mut s = String::from(prefix);
    rng.push_hex(&mut s, n);
    s
}

pub fn bucket(rng: &mut Rng, account: &str) -> String {
    format!("{}-{}", rng.pick(BUCKET_STEMS), account)
}

fn s3_additional(rng: &mut Rng) -> String {
    let mut id2 = String::new();
    rng.push_charset(&mut id2, crate::rng::ALNUM, 56);
    format!(
        r#"{{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"{id2}=","bytesTransferredOut":{}}}"#,
        rng.range(0, 2000)
    )
}

fn bucket_res(bucket: &str) -> String {
    format!(r#"[{{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{bucket}"}}]"#)
}

/// Fill in parameters for a background call. `ok` is whether it succeeded.
/// `acct` is the account that owns the resources (the recipient account).
pub fn params(
    name: &str,
    rng: &mut Rng,
    p: &Principal,
    acct: &str,
    region: &str,
    ok: bool,
) -> Params {
    let mut out = Params {
        req: None,
        resp: None,
        additional: None,
        resources: None,
        tls_host: None,
    };
    let host = |svc: &str, global: bool| {
        if global {
            format!("{svc}.amazonaws.com")
        } else {
            format!("{svc}.{region}.amazonaws.com")
        }
    };
    match name {
        "GetCallerIdentity" => {
            out.tls_host = Some(host("sts", false));
        }
        "AssumeRole" => {
            let role = rng.pick(ROLES);
            let session = if p.kind == crate::model::Kind::AwsService {
                let mut s = String::new();
                rng.push_hex(&mut s, 16);
                s
            } else {
                format!("{}-{}", p.name, rng.range(1_700_000_000, 1_800_000_000))
            };
            out.req = Some(format!(
                r#"{{"roleArn":"arn:aws:iam::{acct}:role/{role}","roleSessionName":{},"durationSeconds":3600}}"#,
                quoted(&session)
            ));
            if ok {
                let akid = hexid(rng, "ASIA", 16).to_uppercase();
                let rid = hexid(rng, "AROA", 17).to_uppercase();
                out.resp = Some(format!(
                    r#"{{"credentials":{{"accessKeyId":"{akid}","sessionToken":"IQoJb3JpZ2luX2VjEHAaCXVzLWVhc3QtMSJHMEUCIQ","expiration":"Mar 4, 2024, 11:00:00 PM"}},"assumedRoleUser":{{"assumedRoleId":"{rid}:{session}","arn":"arn:aws:sts::{acct}:assumed-role/{role}/{session}"}}}}"#
                ));
            }
            out.resources = Some(format!(
                r#"[{{"accountId":"{acct}","type":"AWS::IAM::Role","ARN":"arn:aws:iam::{acct}:role/{role}"}}]"#
            ));
            if !ok {
                // A denied AssumeRole logs neither parameters nor resources.
                out.req = None;
                out.resources = None;
            }
            out.tls_host = Some(host("sts", false));
        }
        "ListUsers"
        | "ListGroups"
        | "ListPolicies"
        | "ListAccountAliases"
        | "GetAccountSummary"
        | "GetAccountAuthorizationDetails"
        | "ListInstanceProfiles" => {
            out.req = match name {
                "ListPolicies" => Some(r#"{"scope":"Local","onlyAttached":false}"#.into()),
                "GetAccountAuthorizationDetails" => {
                    Some(r#"{"filter":["User","Role","Group","LocalManagedPolicy"]}"#.into())
                }
                "ListUsers" if rng.chance(0.3) => Some(r#"{"maxItems":100}"#.into()),
                _ => None,
            };
            out.tls_host = Some(host("iam", true));
        }
        "ListRoles" => {
            out.req = if rng.chance(0.5) {
                Some(r#"{"maxItems":1000}"#.into())
            } else {
                None
            };
            out.tls_host = Some(host("iam", true));
        }
        "GetRole" | "ListAttachedRolePolicies" => {
            out.req = Some(format!(r#"{{"roleName":"{}"}}"#, rng.pick(ROLES)));
            out.tls_host = Some(host("iam", true));
        }
        "GetPolicyVersion" => {
            out.req = Some(format!(
                r#"{{"policyArn":"arn:aws:iam::{acct}:policy/{}","versionId":"v{}"}}"#,
                rng.pick(&["orders-read", "ci-deploy", "s3-logs-write"]),
                rng.range(1, 6)
            ));
            out.tls_host = Some(host("iam", true));
        }
        "GetUser" | "ListAccessKeys" => {
            if rng.chance(0.5) {
                out.req = Some(format!(r#"{{"userName":"{}"}}"#, p.name));
            }
            out.tls_host = Some(host("iam", true));
        }
        "CreateAccessKey" => {
            let user = rng.pick(&["deploy-bot", "backup-svc", "j.smith"]);
            out.req = Some(format!(r#"{{"userName":"{user}"}}"#));
            if ok {
                out.resp = Some(format!(
                    r#"{{"accessKey":{{"accessKeyId":"{}","status":"Active","userName":"{user}","createDate":"Mar 4, 2024, 9:12:00 PM"}}}}"#,
                    hexid(rng, "AKIA", 16).to_uppercase()
                ));
            }
            out.tls_host = Some(host("iam", true));
        }
        "CreateUser" => {
            let user = format!("contractor-{}", rng.range(10, 99));
            out.req = Some(format!(r#"{{"userName":"{user}","path":"/"}}"#));
            if ok {
                out.resp = Some(format!(
                    r#"{{"user":{{"path":"/","userName":"{user}","userId":"{}","arn":"arn:aws:iam::{acct}:user/{user}","createDate":"Mar 4, 2024, 9:12:00 PM"}}}}"#,
                    hexid(rng, "AIDA", 17).to_uppercase()
                ));
            }
            out.tls_host = Some(host("iam", true));
        }
        "PutRolePolicy" => {
            // policyDocument is JSON *text* inside the JSON.
            out.req = Some(format!(
                r#"{{"roleName":"{}","policyName":"inline-s3","policyDocument":{}}}"#,
                rng.pick(ROLES),
                quoted(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
                )
            ));
            out.tls_host = Some(host("iam", true));
        }
        "ListBuckets" => {
            out.req = Some(r#"{"Host":"s3.amazonaws.com"}"#.into());
            out.additional = Some(s3_additional(rng));
            out.tls_host = Some("s3.amazonaws.com".into());
        }
        "GetBucketLocation"
        | "GetBucketPolicy"
        | "GetBucketAcl"
        | "GetBucketEncryption"
        | "GetBucketVersioning" => {
            let b = bucket(rng, acct);
            let sub = match name {
                "GetBucketLocation" => "location",
                "GetBucketPolicy" => "policy",
                "GetBucketAcl" => "acl",
                "GetBucketEncryption" => "encryption",
                _ => "versioning",
            };
            // `"policy": ""` here, an object in PutBucketPolicy.
            out.req = Some(format!(
                r#"{{"bucketName":"{b}","Host":"{b}.s3.{region}.amazonaws.com","{sub}":""}}"#
            ));
            out.additional = Some(s3_additional(rng));
            out.resources = Some(bucket_res(&b));
            out.tls_host = Some(format!("{b}.s3.{region}.amazonaws.com"));
        }
        "PutBucketPolicy" => {
            let b = bucket(rng, acct);
            out.req = Some(format!(
                r#"{{"bucketPolicy":{{"Version":"2012-10-17","Statement":[{{"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::{b}","arn:aws:s3:::{b}/*"],"Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}]}},"bucketName":"{b}","Host":"{b}.s3.{region}.amazonaws.com","policy":{{"Version":"2012-10-17"}}}}"#
            ));
            out.additional = Some(s3_additional(rng));
            out.resources = Some(bucket_res(&b));
            out.tls_host = Some(format!("{b}.s3.{region}.amazonaws.com"));
        }
        "PutBucketTagging" => {
            let b = bucket(rng, acct);
            out.req = Some(format!(
                r#"{{"bucketName":"{b}","Host":"{b}.s3.{region}.amazonaws.com","tagging":"","Tagging":{{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","TagSet":{{"Tag":[{{"Value":"orders","Key":"team"}}]}}}}}}"#
            ));
            out.additional = Some(s3_additional(rng));
            out.resources = Some(bucket_res(&b));
            out.tls_host = Some(format!("{b}.s3.{region}.amazonaws.com"));
        }
        "DescribeInstances" => {
            out.req = Some(if rng.chance(0.5) {
                r#"{"instancesSet":{},"filterSet":{}}"#.into()
            } else if rng.chance(0.5) {
                format!(
                    r#"{{"instancesSet":{{"items":[{{"instanceId":"{}"}}]}},"filterSet":{{}}}}"#,
                    instance_id(rng)
                )
            } else {
                r#"{"instancesSet":{},"filterSet":{"items":[{"name":"tag:Name","valueSet":{"items":[{"value":"orders-api"}]}},{"name":"instance-state-name","valueSet":{"items":[{"value":"running"}]}}]}}"#.into()
            });
            out.tls_host = Some(host("ec2", false));
        }
        "DescribeSecurityGroups"
        | "DescribeVpcs"
        | "DescribeVolumes"
        | "DescribeNetworkInterfaces" => {
            let set = match name {
                "DescribeSecurityGroups" => "securityGroupSet",
                "DescribeVpcs" => "vpcSet",
                "DescribeVolumes" => "volumeSet",
                _ => "networkInterfaceIdSet",
            };
            out.req = Some(format!(r#"{{"{set}":{{}},"filterSet":{{}}}}"#));
            out.tls_host = Some(host("ec2", false));
        }
        "RunInstances" => {
            let iid = instance_id(rng);
            out.req = Some(format!(
                r#"{{"instancesSet":{{"items":[{{"imageId":"ami-0{}","minCount":1,"maxCount":1}}]}},"instanceType":"t3.medium","blockDeviceMapping":{{}},"monitoring":{{"enabled":false}},"disableApiTermination":false,"disableApiStop":false,"clientToken":"{}"}}"#,
                hexid(rng, "", 16),
                rng.uuid()
            ));
            if ok {
                out.resp = Some(format!(
                    r#"{{"requestId":"{}","reservationId":"r-0{}","ownerId":"{acct}","groupSet":{{}},"instancesSet":{{"items":[{{"instanceId":"{iid}","imageId":"ami-0{}","instanceState":{{"code":0,"name":"pending"}},"instanceType":"t3.medium"}}]}}}}"#,
                    rng.uuid(),
                    hexid(rng, "", 16),
                    hexid(rng, "", 16)
                ));
            }
            out.tls_host = Some(host("ec2", false));
        }
        "StartInstances" | "StopInstances" => {
            let iid = instance_id(rng);
            out.req = Some(format!(
                r#"{{"instancesSet":{{"items":[{{"instanceId":"{iid}"}}]}}}}"#
            ));
            if ok {
                let (a, b) = if name == "StartInstances" {
                    ("pending", "stopped")
                } else {
                    ("stopping", "running")
                };
                out.resp = Some(format!(
                    r#"{{"requestId":"{}","instancesSet":{{"items":[{{"instanceId":"{iid}","currentState":{{"code":0,"name":"{a}"}},"previousState":{{"code":80,"name":"{b}"}}}}]}}}}"#,
                    rng.uuid()
                ));
            }
            out.tls_host = Some(host("ec2", false));
        }
        "CreateVolume" => {
            out.req = Some(format!(
                r#"{{"size":{},"zone":"{region}a","volumeType":"gp3","encrypted":true}}"#,
                rng.pick(&[8, 20, 100])
            ));
            if ok {
                out.resp = Some(format!(
                    r#"{{"requestId":"{}","volumeId":"vol-0{}","size":"20","zone":"{region}a","status":"creating","volumeType":"gp3","encrypted":true}}"#,
                    rng.uuid(),
                    hexid(rng, "", 16)
                ));
            }
        }
        "DeleteNetworkInterface" => {
            out.req = Some(format!(
                r#"{{"networkInterfaceId":"eni-0{}"}}"#,
                hexid(rng, "", 16)
            ));
            if ok {
                out.resp = Some(format!(
                    r#"{{"requestId":"{}","_return":true}}"#,
                    rng.uuid()
                ));
            }
        }
        "CreateTags" => {
            out.req = Some(format!(
                r#"{{"resourcesSet":{{"items":[{{"resourceId":"{}"}}]}},"tagSet":{{"items":[{{"key":"team","value":"orders"}}]}}}}"#,
                instance_id(rng)
            ));
            if ok {
                out.resp = Some(format!(
                    r#"{{"requestId":"{}","_return":true}}"#,
                    rng.uuid()
                ));
            }
        }
        "DescribeDBInstances" | "DescribeDBClusters" => {
            if rng.chance(0.4) {
                out.req = Some(r#"{"dBInstanceIdentifier":"orders-prod"}"#.into());
            }
            out.tls_host = Some(host("rds", false));
        }
        "DescribeLoadBalancers" | "DescribeTargetHealth" => {
            if name == "DescribeTargetHealth" {
                out.req = Some(format!(
                    r#"{{"targetGroupArn":"arn:aws:elasticloadbalancing:{region}:{acct}:targetgroup/orders-api/{}"}}"#,
                    hexid(rng, "", 16)
                ));
            }
            out.tls_host = Some(host("elasticloadbalancing", false));
        }
        "DescribeStacks" | "ListStacks" => {
            if name == "DescribeStacks" {
                out.req = Some(format!(r#"{{"stackName":"{}"}}"#, rng.pick(STACKS)));
            }
            out.tls_host = Some(host("cloudformation", false));
        }
        "DescribeAutoScalingGroups" => {
            out.tls_host = Some(host("autoscaling", false));
        }
        "DescribeAlarms" => {
            out.req = Some(r#"{"stateValue":"ALARM"}"#.into());
            out.tls_host = Some(host("monitoring", false));
        }
        "PutMetricAlarm" => {
            out.req = Some(r#"{"alarmName":"orders-api-5xx","metricName":"HTTPCode_Target_5XX_Count","namespace":"AWS/ApplicationELB","statistic":"Sum","period":60,"evaluationPeriods":5,"threshold":10.0,"comparisonOperator":"GreaterThanThreshold"}"#.into());
            out.tls_host = Some(host("monitoring", false));
        }
        "ListFunctions20150331" => {
            out.tls_host = Some(host("lambda", false));
        }
        "GetFunction20150331v2" => {
            out.req = Some(format!(r#"{{"functionName":"{}"}}"#, rng.pick(FUNCTIONS)));
            out.tls_host = Some(host("lambda", false));
        }
        "Decrypt" | "GenerateDataKey" | "DescribeKey" => {
            let key = format!("arn:aws:kms:{region}:{acct}:key/{}", rng.uuid());
            out.req = Some(match name {
                "Decrypt" => r#"{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#.to_string(),
                "GenerateDataKey" => format!(
                    r#"{{"keyId":"{key}","encryptionContext":{{"aws:s3:arn":"arn:aws:s3:::{}"}},"keySpec":"AES_256"}}"#,
                    bucket(rng, acct)
                ),
                _ => format!(r#"{{"keyId":"{key}"}}"#),
            });
            out.resources = Some(format!(
                r#"[{{"accountId":"{acct}","type":"AWS::KMS::Key","ARN":"{key}"}}]"#
            ));
            out.tls_host = Some(host("kms", false));
        }
        "ListAliases" => {
            out.tls_host = Some(host("kms", false));
        }
        "GetSecretValue" => {
            out.req = Some(format!(r#"{{"secretId":"{}"}}"#, rng.pick(SECRETS)));
            out.tls_host = Some(host("secretsmanager", false));
        }
        "ListSecrets" => {
            out.tls_host = Some(host("secretsmanager", false));
        }
        "GetParameter" => {
            out.req = Some(format!(
                r#"{{"name":"{}","withDecryption":{}}}"#,
                rng.pick(PARAMS),
                rng.chance(0.5)
            ));
            out.tls_host = Some(host("ssm", false));
        }
        "DescribeInstanceInformation" => {
            out.req = Some(r#"{"maxResults":50}"#.into());
            out.tls_host = Some(host("ssm", false));
        }
        "CreateLogStream" => {
            out.req = Some(format!(
                r#"{{"logGroupName":"{}","logStreamName":"2024/03/04/[$LATEST]{}"}}"#,
                rng.pick(LOG_GROUPS),
                hexid(rng, "", 32)
            ));
        }
        "DescribeLogGroups" => {
            out.req = Some(r#"{"limit":50}"#.into());
            out.tls_host = Some(host("logs", false));
        }
        "DescribeTable" => {
            out.req = Some(format!(r#"{{"tableName":"{}"}}"#, rng.pick(TABLES)));
            out.tls_host = Some(host("dynamodb", false));
        }
        "GetAuthorizationToken" => {
            out.tls_host = Some(host("api.ecr", false));
        }
        "DescribeTrails" | "LookupEvents" => {
            if name == "LookupEvents" {
                out.req = Some(r#"{"lookupAttributes":[{"attributeKey":"EventName","attributeValue":"ConsoleLogin"}],"maxResults":50}"#.into());
            } else {
                out.req = Some(r#"{"includeShadowTrails":false}"#.into());
            }
            out.tls_host = Some(host("cloudtrail", false));
        }
        _ => {}
    }
    out
}

/// An `errorMessage` as the service would word it.
pub fn deny_message(
    call_source: &str,
    api: &str,
    subject: &str,
    account: &str,
    code: &str,
) -> String {
    let svc = call_source.trim_end_matches(".amazonaws.com");
    let svc = match svc {
        "monitoring" => "cloudwatch",
        "elasticloadbalancing" => "elasticloadbalancing",
        "lambda" => "lambda",
        other => other,
    };
    let action = api
        .trim_end_matches("20150331v2")
        .trim_end_matches("20150331");
    match (svc, code) {
        ("s3", _) => "Access Denied".to_string(),
        ("ec2", _) => "You are not authorized to perform this operation. User: ".to_string()
            + subject
            + " is not authorized to perform: ec2:"
            + action
            + " because no identity-based policy allows the ec2:"
            + action
            + " action",
        ("sts", _) if action == "AssumeRole" => format!(
            "User: {subject} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
        ),
        ("iam", _) => {
            let resource = match action {
                "ListRoles" | "GetRole" | "ListAttachedRolePolicies" => format!("arn:aws:iam::{account}:role/*"),
                "ListUsers" | "GetUser" | "ListAccessKeys" | "CreateAccessKey" | "CreateUser" => {
                    format!("arn:aws:iam::{account}:user/*")
                }
                "ListPolicies" | "GetPolicyVersion" => format!("arn:aws:iam::{account}:policy/*"),
                "ListGroups" => format!("arn:aws:iam::{account}:group/*"),
                _ => "*".to_string(),
            };
            format!("User: {subject} is not authorized to perform: iam:{action} on resource: {resource} because no identity-based policy allows the iam:{action} action")
        }
        _ => format!("User: {subject} is not authorized to perform: {svc}:{action} because no identity-based policy allows the {svc}:{action} action"),
    }
}

/// A service's non-authorisation failures.
pub fn other_error(name: &str, rng: &mut Rng) -> (String, String) {
    let pick = |list: &[(&str, &str)], rng: &mut Rng| {
        let (c, m) = *rng.pick(list);
        (c.to_string(), m.to_string())
    };
    match name {
        "GetRole" | "GetUser" | "ListAttachedRolePolicies" | "GetPolicyVersion" => {
            pick(&[("NoSuchEntity", "The role with name ecsTaskExecutionRole cannot be found.")], rng)
        }
        "GetBucketPolicy" => pick(&[("NoSuchBucketPolicy", "The bucket policy does not exist")], rng),
        "GetBucketEncryption" => pick(
            &[("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found")],
            rng,
        ),
        "DescribeInstances" | "StartInstances" | "StopInstances" | "CreateTags" => pick(
            &[
                ("Client.InvalidInstanceID.NotFound", "The instance ID 'i-0a1b2c3d4e5f60718' does not exist"),
                ("Client.RequestLimitExceeded", "Request limit exceeded."),
            ],
            rng,
        ),
        "RunInstances" => pick(
            &[("Server.InsufficientInstanceCapacity", "We currently do not have sufficient t3.medium capacity in the Availability Zone you requested.")],
            rng,
        ),
        "GetFunction20150331v2" | "DescribeTable" | "GetSecretValue" => {
            pick(&[("ResourceNotFoundException", "Requested resource not found")], rng)
        }
        "GetParameter" => pick(&[("ParameterNotFound", "")], rng),
        "DescribeStacks" => pick(&[("ValidationError", "Stack with id orders-service does not exist")], rng),
        "CreateLogStream" => pick(&[("ResourceAlreadyExistsException", "The specified log stream already exists")], rng),
        _ => pick(&[("ThrottlingException", "Rate exceeded")], rng),
    }
}

/// Convenience for scenario calls: fill params into a call.
pub fn apply(call: &mut Call<'_>, p: Params) {
    call.req = p.req;
    call.resp = p.resp;
    call.additional = p.additional;
    call.resources = p.resources;
    call.tls_host = p.tls_host;
}
