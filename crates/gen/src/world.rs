//! The simulated organisation: accounts, regions (CloudTrail delivers one
//! file stream per account and region), principals and how they behave.

use crate::model::*;
use crate::params::{deny_message, other_error, params};
use crate::rng::Rng;

pub const ACCOUNT_A: &str = "123456789012";
pub const ACCOUNT_B: &str = "210987654321";

/// One CloudTrail delivery stream: `AWSLogs/<account>/CloudTrail/<region>/`.
#[derive(Clone, Copy, Debug)]
pub struct Stream {
    pub account: &'static str,
    pub region: &'static str,
    /// Share of the background traffic.
    pub weight: u32,
}

pub const STREAMS: &[Stream] = &[
    Stream {
        account: ACCOUNT_A,
        region: "us-east-1",
        weight: 5,
    },
    Stream {
        account: ACCOUNT_A,
        region: "us-west-2",
        weight: 2,
    },
    Stream {
        account: ACCOUNT_B,
        region: "us-east-1",
        weight: 3,
    },
    Stream {
        account: ACCOUNT_B,
        region: "eu-west-1",
        weight: 1,
    },
];

pub const HOME_REGION: &str = "us-east-1";

/// Relative traffic by UTC hour of day (a working day in the Americas/Europe).
pub const DIURNAL: [u32; 24] = [
    4, 3, 3, 2, 2, 2, 3, 4, 6, 8, 9, 10, 10, 10, 11, 12, 12, 12, 11, 10, 9, 8, 6, 5,
];

pub fn principals(account: &str) -> Vec<Principal> {
    use Profile::*;
    vec![
        Principal::iam_user(account, "deploy-bot", Ci)
            .ips(&["34.228.17.201", "52.21.90.14"])
            .agents(&[UA_BOTO3, UA_TERRAFORM])
            .weight(6),
        Principal::iam_user(account, "terraform", Ci)
            .ips(&["35.171.22.9"])
            .agents(&[UA_TERRAFORM])
            .weight(5),
        Principal::iam_user(account, "j.smith", Developer)
            .ips(&["73.158.61.20", "104.28.39.66"])
            .agents(&[UA_CLI_MAC, UA_CONSOLE, UA_CLI_MAC])
            .console(false)
            .weight(4),
        Principal::iam_user(account, "a.nguyen", Developer)
            .ips(&["98.207.11.143"])
            .agents(&[UA_CLI, UA_BOTO3])
            .weight(3),
        Principal::iam_user(account, "backup-svc", Workload)
            .ips(&["18.209.33.120"])
            .agents(&[UA_JAVA])
            .weight(3),
        Principal::iam_user(account, "r.patel", Admin)
            .ips(&["81.2.69.160"])
            .agents(&[UA_CONSOLE, UA_CLI_V1])
            .console(true)
            .weight(2),
        Principal::root(account)
            .ips(&["81.2.69.160"])
            .agents(&[UA_CONSOLE])
            .weight(1),
        Principal::assumed_role(
            account,
            "AWSReservedSSO_AdministratorAccess_5f1c2e3a4b6d7e8f",
            "m.garcia@example.com",
            Admin,
        )
        .ips(&["94.140.8.17"])
        .agents(&[UA_CONSOLE, UA_INTERNAL, UA_CLI_MAC])
        .console(true)
        .weight(4),
        Principal::assumed_role(
            account,
            "AWSReservedSSO_ReadOnly_0a1b2c3d4e5f6a7b",
            "k.lee@example.com",
            Auditor,
        )
        .ips(&["94.140.8.22"])
        .agents(&[UA_CLI, UA_CONSOLE])
        .console(false)
        .weight(3),
        Principal::assumed_role(account, "lambda-orders-exec", "orders-processor", Workload)
            .ips(&["3.91.171.44", "54.166.12.3"])
            .agents(&[UA_LAMBDA])
            .weight(10),
        Principal::assumed_role(account, "eks-node-role", "i-0c4f2b9a1d3e5f708", Workload)
            .ips(&["44.195.2.17"])
            .agents(&[UA_GO])
            .weight(8),
        Principal::assumed_role(account, "GitHubActionsDeploy", "GitHubActions", Ci)
            .ips(&["20.57.79.26", "4.227.161.88"])
            .agents(&[UA_GITHUB, UA_TERRAFORM])
            .weight(4),
        Principal::assumed_role(
            account,
            "AWSServiceRoleForConfig",
            "AWSConfig-Describe",
            Auditor,
        )
        .ips(&["config.amazonaws.com"])
        .agents(&["config.amazonaws.com"])
        .weight(6),
        Principal::assumed_role(
            account,
            "AWSServiceRoleForAutoScaling",
            "AutoScaling",
            Service,
        )
        .ips(&["autoscaling.amazonaws.com"])
        .agents(&["autoscaling.amazonaws.com"])
        .weight(2),
        Principal::aws_service(account, "ec2.amazonaws.com").weight(3),
        Principal::aws_service(account, "lambda.amazonaws.com").weight(4),
    ]
}

/// Knobs of the background traffic.
#[derive(Clone, Copy, Debug)]
pub struct Rates {
    /// Share of calls that fail with errorCode `AccessDenied` exactly.
    pub denied: f64,
    /// Share of calls that fail with the other access-denied codes
    /// (`Client.UnauthorizedOperation`, `AccessDeniedException`).
    pub other_denied: f64,
    /// Share of calls that fail for other reasons (throttling, not found...).
    pub other_error: f64,
}

impl Default for Rates {
    fn default() -> Self {
        Rates {
            denied: 0.02,
            other_denied: 0.005,
            other_error: 0.02,
        }
    }
}

struct AccountWorld {
    principals: Vec<Principal>,
    cum: Vec<u32>,
    /// Humans and workloads that get AccessDenied (IAM users and roles).
    deniable: Vec<usize>,
    deniable_cum: Vec<u32>,
}

/// Everything needed to draw background calls; shared read-only by threads.
pub struct World {
    accounts: Vec<(&'static str, AccountWorld)>,
    /// [profile][home_region]
    tables: Vec<[ApiTable; 2]>,
    deny_tables: [ApiTable; 2],
    pub rates: Rates,
    pub ocsf: bool,
    /// `--ip-pool N`: when > 0, background calls of principals that call from IP addresses
    /// (not AWS services) come, 9 times in 10, from one of N pool addresses ([`pool_ip`]),
    /// drawn uniformly: high-cardinality `sourceIPAddress` for benchmarks. 0: off (the
    /// default; the output is then byte-identical to a generator without the option).
    pub ip_pool: u64,
}

/// Public-looking first octets of pool addresses (no private, TEST-NET, loopback or
/// multicast ranges, none used by the named principals or the scenarios).
const POOL_FIRST_OCTETS: [u8; 16] = [
    5, 23, 31, 37, 46, 62, 77, 85, 91, 109, 128, 141, 151, 176, 185, 212,
];

/// The largest `--ip-pool`: every pool address is distinct.
pub const IP_POOL_MAX: u64 = (POOL_FIRST_OCTETS.len() as u64) << 24;

/// Pool address `i` (`i < IP_POOL_MAX`): a first octet from [`POOL_FIRST_OCTETS`] and the
/// low 24 bits of `i` scrambled by a bijection of 24-bit integers, so that consecutive
/// indices do not give consecutive addresses and distinct indices give distinct addresses.
pub fn pool_ip(i: u64) -> String {
    const MASK: u64 = (1 << 24) - 1;
    let first = POOL_FIRST_OCTETS[((i >> 24) as usize) % POOL_FIRST_OCTETS.len()];
    let mut x = i & MASK;
    // xorshift and odd multiplication, both invertible modulo 2^24
    x ^= x >> 12;
    x = x.wrapping_mul(0x9E_3779) & MASK;
    x ^= x >> 11;
    x = x.wrapping_mul(0x85_EBCB) & MASK;
    x ^= x >> 13;
    format!("{first}.{}.{}.{}", (x >> 16) & 255, (x >> 8) & 255, x & 255)
}

const PROFILES: [Profile; 6] = [
    Profile::Admin,
    Profile::Developer,
    Profile::Ci,
    Profile::Workload,
    Profile::Service,
    Profile::Auditor,
];

fn profile_idx(p: Profile) -> usize {
    PROFILES.iter().position(|&q| q == p).unwrap()
}

fn cumulative(ws: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut t = 0;
    ws.map(|w| {
        t += w;
        t
    })
    .collect()
}

impl World {
    pub fn new(rates: Rates, ocsf: bool) -> Self {
        let mut accounts = Vec::new();
        for acct in [ACCOUNT_A, ACCOUNT_B] {
            let principals = principals(acct);
            let cum = cumulative(principals.iter().map(|p| p.weight));
            let deniable: Vec<usize> = principals
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    matches!(p.kind, Kind::IamUser | Kind::AssumedRole)
                        && !p.ips.iter().any(|ip| is_service_agent(ip))
                })
                .map(|(i, _)| i)
                .collect();
            // IAM users are the usual suspects: weight them 3x.
            let deniable_cum = cumulative(deniable.iter().map(|&i| {
                let p = &principals[i];
                if p.kind == Kind::IamUser {
                    3
                } else {
                    1
                }
            }));
            accounts.push((
                acct,
                AccountWorld {
                    principals,
                    cum,
                    deniable,
                    deniable_cum,
                },
            ));
        }
        let tables = PROFILES
            .iter()
            .map(|&p| {
                [
                    ApiTable::for_profile(p, false, ocsf),
                    ApiTable::for_profile(p, true, ocsf),
                ]
            })
            .collect();
        let deny = |home: bool| {
            ApiTable::build(
                |a| a.deny == Deny::AccessDenied && (home || !a.global) && a.name != "ConsoleLogin",
                |a| if a.read_only { a.weight + 3 } else { a.weight },
            )
        };
        World {
            accounts,
            tables,
            deny_tables: [deny(false), deny(true)],
            rates,
            ocsf,
            ip_pool: 0,
        }
    }

    /// Sets [`World::ip_pool`] (capped at [`IP_POOL_MAX`]).
    pub fn with_ip_pool(mut self, n: u64) -> Self {
        self.ip_pool = n.min(IP_POOL_MAX);
        self
    }

    fn account(&self, acct: &str) -> &AccountWorld {
        &self
            .accounts
            .iter()
            .find(|(a, _)| *a == acct)
            .expect("known account")
            .1
    }

    /// Draw one background call in `stream` at `time`.
    pub fn background<'w>(&'w self, rng: &mut Rng, stream: &'w Stream, time: i64) -> Call<'w> {
        let aw = self.account(stream.account);
        let home = (stream.region == HOME_REGION) as usize;
        let denied = rng.chance(self.rates.denied);
        let (p, api) = if denied {
            let p = &aw.principals[aw.deniable[rng.pick_cum(&aw.deniable_cum)]];
            (p, self.deny_tables[home].pick(rng))
        } else {
            let p = &aw.principals[rng.pick_cum(&aw.cum)];
            let mut table = &self.tables[profile_idx(p.profile)][home];
            if table.is_empty() {
                table = &self.tables[profile_idx(Profile::Admin)][home];
            }
            (p, table.pick(rng))
        };
        let own_ip = rng.pick(&p.ips).as_str();
        let src_ip: std::borrow::Cow<'w, str> = if self.ip_pool > 0
            && p.kind != Kind::AwsService
            && !p.ips.iter().any(|ip| is_service_agent(ip))
            && rng.chance(0.9)
        {
            pool_ip(rng.below(self.ip_pool)).into()
        } else {
            own_ip.into()
        };
        let mut user_agent = if p.kind == Kind::AwsService {
            Some(p.name.as_str())
        } else {
            Some(*rng.pick(&p.agents))
        };
        let mut event_type = "AwsApiCall";
        let mut read_only = api.read_only;
        let mut request_id = String::new();

        let error = if denied {
            Some((
                "AccessDenied".to_string(),
                deny_message(
                    api.source,
                    api.name,
                    &p.error_subject(),
                    stream.account,
                    "AccessDenied",
                ),
            ))
        } else {
            let r = rng.unit();
            if r < self.rates.other_denied && api.deny != Deny::AccessDenied {
                Some((
                    api.deny.code().to_string(),
                    deny_message(
                        api.source,
                        api.name,
                        &p.error_subject(),
                        stream.account,
                        api.deny.code(),
                    ),
                ))
            } else if r < self.rates.other_denied + self.rates.other_error
                && api.name != "ConsoleLogin"
            {
                Some(other_error(api.name, rng))
            } else {
                None
            }
        };
        let ok = error.is_none();
        let mut prm = params(api.name, rng, p, stream.account, stream.region, ok);

        if api.name == "ConsoleLogin" {
            // Console sign-in: no access key, browser agent, result in
            // responseElements; a failed password has no errorCode at all.
            event_type = "AwsConsoleSignIn";
            read_only = false;
            user_agent = Some(if rng.chance(0.5) {
                UA_BROWSER
            } else {
                UA_BROWSER_WIN
            });
            let failed = rng.chance(0.08);
            prm.resp = Some(format!(
                r#"{{"ConsoleLogin":"{}"}}"#,
                if failed { "Failure" } else { "Success" }
            ));
            prm.additional = Some(format!(
                r#"{{"LoginTo":"https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_{}","MobileVersion":"No","MFAUsed":"{}"}}"#,
                {
                    let mut s = String::new();
                    rng.push_hex(&mut s, 16);
                    s
                },
                if p.mfa { "Yes" } else { "No" }
            ));
            let call = Call {
                time,
                p,
                source: api.source,
                name: api.name,
                region: stream.region,
                recipient: stream.account,
                src_ip,
                user_agent,
                error: if failed {
                    Some((String::new(), "Failed authentication".into()))
                } else {
                    None
                },
                req: None,
                resp: prm.resp,
                additional: prm.additional,
                resources: None,
                read_only,
                event_type,
                request_id,
                event_id: rng.uuid(),
                tls_host: Some("signin.aws.amazon.com".into()),
            };
            return call;
        }

        if api.source == "s3.amazonaws.com" {
            let mut s = String::new();
            rng.push_charset(&mut s, crate::rng::UPPER_ALNUM, 16);
            request_id = s;
        } else {
            request_id = rng.uuid();
        }
        if !ok && api.source != "s3.amazonaws.com" {
            prm.resp = None;
        }
        Call {
            time,
            p,
            source: api.source,
            name: api.name,
            region: stream.region,
            recipient: stream.account,
            src_ip,
            user_agent,
            error,
            req: prm.req,
            resp: prm.resp,
            additional: prm.additional,
            resources: prm.resources,
            read_only,
            event_type,
            request_id,
            event_id: rng.uuid(),
            tls_host: prm.tls_host,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_ips_are_distinct_public_addresses() {
        let mut seen = std::collections::HashSet::new();
        for i in (0..200_000u64).chain(IP_POOL_MAX - 1000..IP_POOL_MAX) {
            let ip = pool_ip(i);
            let octets: Vec<u8> = ip.split('.').map(|o| o.parse().unwrap()).collect();
            assert_eq!(octets.len(), 4, "{ip}");
            assert!(POOL_FIRST_OCTETS.contains(&octets[0]), "{ip}");
            assert!(seen.insert(ip), "pool address {i} repeats");
        }
        assert_eq!(pool_ip(0), pool_ip(0));
    }
}
