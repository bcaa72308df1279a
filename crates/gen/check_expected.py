#!/usr/bin/env python3
"""Recompute the expected rows of spelunk's two shipped detections over
generated (or any) data, independently of spelunk, in plain Python.

    python3 crates/gen/check_expected.py cloudtrail testdata/cloudtrail
    python3 crates/gen/check_expected.py asl testdata/asl/ocsf_api_activity.ndjson

It implements, from issue 2's table, the Splunk Add-on for AWS fields the
CloudTrail detection uses (src, signature, vendor_*, errorCode, user_type,
user_name, dest) and Splunk's search semantics for both detections:
case-insensitive value matching, `field!=value` false when the field is
missing, `stats ... BY` dropping events missing a BY field, values() distinct
and sorted. Prints every group (`--all`) or the rows that fire, as JSON lines.
"""
import datetime as dt
import fnmatch
import gzip
import json
import os
import re
import sys
from collections import defaultdict


def records(path):
    paths = []
    if os.path.isdir(path):
        for root, _, files in os.walk(path):
            paths += [os.path.join(root, f) for f in files]
    else:
        paths = [path]
    for p in sorted(paths):
        opener = gzip.open if p.endswith(".gz") else open
        with opener(p, "rt", encoding="utf-8") as f:
            text = f.read()
        s = text.lstrip()
        if s.startswith("{") and '"Records"' in s[:20]:
            yield from json.loads(s)["Records"]
        elif s.startswith("["):
            yield from json.loads(s)
        else:
            for line in text.splitlines():
                if line.strip():
                    yield json.loads(line)


def get(obj, dotted):
    """Splunk-style field: dotted path, `{}` for arrays. Returns a list of values."""
    cur = [obj]
    for part in dotted.split("."):
        arr = part.endswith("{}")
        key = part[:-2] if arr else part
        nxt = []
        for c in cur:
            if isinstance(c, dict) and key in c and c[key] is not None:
                v = c[key]
                if arr:
                    if isinstance(v, list):
                        nxt += [x for x in v if x is not None]
                else:
                    nxt.append(v)
        cur = nxt
    out = []
    for v in cur:
        if isinstance(v, (dict, list)):
            continue  # only leaves are fields
        out.append(("true" if v else "false") if isinstance(v, bool) else str(v))
    return out


def one(obj, dotted):
    v = get(obj, dotted)
    return v[0] if v else None


def like(value, pattern):
    if value is None:
        return False
    rx = "^" + ".*".join(re.escape(p) for p in pattern.split("%")) + "$"
    return re.match(rx, value) is not None


def ieq(a, b):
    return a is not None and a.lower() == b.lower()


def iglob(value, pattern):
    return value is not None and fnmatch.fnmatchcase(value.lower(), pattern.lower())


NULL_TYPE = {"CreateLoginProfile", "ListSigningCertificates", "CreateAccessKey", "ListAccessKeys",
             "CreateVirtualMFADevice", "GetAccountSummary", "ListAccountAliases"}


def user_type(r):
    name = one(r, "eventName")
    if name in NULL_TYPE or like(name, "%User"):
        return [], "1"
    if name == "ConsoleLogin" and one(r, "userIdentity.type") == "AssumedRole" and one(r, "additionalEventData.LoginTo") is None:
        return get(r, "userIdentity.sessionContext.sessionIssuer.type"), "2"
    if one(r, "eventType") == "AwsConsoleSignIn":
        return get(r, "userIdentity.type"), "3"
    if any(like(name, p) for p in ("%Instances", "%Volume", "Put%", "%Bucket")):
        return get(r, "userIdentity.type"), "4"
    if name in ("ListAliases", "ListRoles", "DeleteNetworkInterface"):
        return get(r, "userIdentity.sessionContext.sessionIssuer.type"), "5"
    if like(name, "AssumeRole%"):
        v = get(r, "resources{}.type")
        if not v:
            arn = one(r, "responseElements.assumedRoleUser.arn")
            parts = arn.split("/") if arn else []
            v = [parts[1]] if len(parts) > 1 else []
        return ([",".join(v)] if v else []), "6"
    return get(r, "userIdentity.type"), "7"


def user_name(r):
    name = one(r, "eventName")
    msg_rewrite = lambda: [re.sub(r".*resource\s*:\s*(?:user\s*)?(.*)", r"\1", m, flags=re.S) for m in get(r, "errorMessage")]
    if name == "ListRoles":
        pid = one(r, "userIdentity.principalId")
        return [pid.split(":")[0]] if pid is not None else []
    if name == "CreateLoginProfile":
        return get(r, "responseElements.loginProfile.userName")
    if name == "CreateUser":
        return get(r, "responseElements.user.userName")
    if name in ("DeleteUser", "DeleteLoginProfile"):
        return get(r, "requestParameters.userName")
    if name == "UpdateUser":
        return get(r, "requestParameters.newUserName")
    if name == "CreateAccessKey":
        return get(r, "responseElements.accessKey.userName") or msg_rewrite()
    if name in ("ListSigningCertificates", "ListAccessKeys", "GetUser", "GetAccountSummary", "ListAccountAliases"):
        return msg_rewrite()
    if name == "CreateVirtualMFADevice":
        return get(r, "userIdentity.userName")
    v = get(r, "userIdentity.userName") or get(r, "userIdentity.sessionContext.sessionIssuer.userName")
    if v:
        return v
    arn = one(r, "userIdentity.arn") or one(r, "requestParameters.roleArn")
    return [arn.split(":")[-1].split("/")[-1]] if arn else []


def dest(r):
    name = one(r, "eventName")
    src = get(r, "eventSource")
    if name == "PutBucketAcl":
        return get(r, "requestParameters.Host")
    if name == "GetBucketEncryption":
        return get(r, "requestParameters.host{}")
    if name == "RunInstances":
        return get(r, "responseElements.instancesSet.items{}.instanceId") or src
    if name == "StartInstances":
        return get(r, "requestParameters.instancesSet.items{}.instanceId") or src
    if name in ("StopInstances", "TerminateInstances", "RebootInstances"):
        return get(r, "requestParameters.instancesSet.items{}.instanceId")
    if like(name, "%Volume"):
        return get(r, "requestParameters.instanceId") or src
    if like(name, "%Bucket"):
        return get(r, "requestParameters.host{}")
    if like(name, "Put%"):
        return get(r, "requestParameters.host{}") or get(r, "requestParameters.Host")
    if name in ("CreateUser", "UpdateUser", "DeleteUser"):
        return src
    if name == "DeleteLoginProfile":
        return get(r, "requestParameters.userName")
    if name in ("ConsoleLogin", "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "CheckMfa", "ListAliases"):
        return get(r, "additionalEventData.LoginTo") or src
    return src


def error_code(r):
    if one(r, "errorCode") is not None:
        return one(r, "errorCode")
    if like(one(r, "responseElements.ConsoleLogin"), "%Failure%"):
        return "failure"
    return "success"


def epoch(iso):
    return int(dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp())


def ctime(secs):
    return dt.datetime.fromtimestamp(secs, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def cloudtrail(path, show_all):
    groups = defaultdict(lambda: {"n": 0, "t": [], "sig": set(), "dest": set()})
    for r in records(path):
        if not ieq(error_code(r), "AccessDenied"):
            continue
        ut, _ = user_type(r)
        if not any(ieq(v, "IAMUser") for v in ut):
            continue
        ua = one(r, "userAgent")
        if ua is None or iglob(ua, "*.amazonaws.com"):
            continue
        t = epoch(r["eventTime"]) // 3600 * 3600
        users = user_name(r)
        acct = one(r, "userIdentity.accountId") or one(r, "recipientAccountId")
        src, region = one(r, "sourceIPAddress"), one(r, "awsRegion")
        if not users or src is None or acct is None or region is None:
            continue
        key = (src, users[0], acct, region, "AWS CloudTrail")
        g = groups[key]
        g["n"] += 1
        g["t"].append(t)
        g["sig"].update(get(r, "eventName"))
        g["dest"].update(dest(r))
    rows = []
    for key in sorted(groups):
        g = groups[key]
        fires = g["n"] >= 5 and len(g["sig"]) >= 1 and len(g["dest"]) >= 1
        if not (fires or show_all):
            continue
        row = dict(zip(("src", "user", "vendor_account", "vendor_region", "vendor_product"), key))
        row.update(failures=g["n"], firstTime=ctime(min(g["t"])), lastTime=ctime(max(g["t"])),
                   methods=len(g["sig"]), sources=len(g["dest"]),
                   signature=sorted(g["sig"]), dest=sorted(g["dest"]))
        if show_all:
            row["_fires"] = fires
        rows.append(row)
    return rows


def asl(path, show_all):
    groups = defaultdict(lambda: {"n": 0, "t": [], "op": set(), "svc": set(), "ua": set(), "ip": set(),
                                  "acct": set(), "prov": set(), "reg": set()})
    for r in records(path):
        err = get(r, "api.response.error")
        if not any(ieq(e, "AccessDenied") or ieq(e, "OperationNotPermittedException") or iglob(e, "*Unauthorized*") for e in err):
            continue
        if not any(ieq(v, "IAMUser") for v in get(r, "actor.user.type")):
            continue
        uid = one(r, "actor.user.uid")
        if uid is None:
            continue
        t = int(r["time"]) / 1000
        b = int(t // 3600 * 3600)
        g = groups[(b, uid)]
        g["n"] += 1
        g["t"].append(b)
        g["op"].update(get(r, "api.operation"))
        g["svc"].update(get(r, "api.service.name"))
        g["ua"].update(get(r, "http_request.user_agent"))
        g["ip"].update(get(r, "src_endpoint.ip"))
        g["acct"].update(get(r, "actor.user.account.uid"))
        g["prov"].update(get(r, "cloud.provider"))
        g["reg"].update(get(r, "cloud.region"))
    rows = []
    for key in sorted(groups):
        g = groups[key]
        fires = g["n"] >= 5 and len(g["op"]) >= 1 and len(g["svc"]) >= 1
        if not (fires or show_all):
            continue
        row = {"_time": key[0], "user": key[1], "failures": g["n"], "firstTime": ctime(min(g["t"])),
               "lastTime": ctime(max(g["t"])), "dc_operation": len(g["op"]), "dc_service": len(g["svc"]),
               "action": sorted(g["op"]), "dest": sorted(g["svc"]), "user_agent": sorted(g["ua"]),
               "src_ip": sorted(g["ip"]), "vendor_account": sorted(g["acct"]),
               "vendor_product": sorted(g["prov"]), "vendor_region": sorted(g["reg"])}
        if show_all:
            row["_fires"] = fires
        rows.append(row)
    return rows


def main(argv):
    show_all = "--all" in argv
    args = [a for a in argv if a != "--all"]
    if len(args) != 2 or args[0] not in ("cloudtrail", "asl"):
        sys.exit(__doc__)
    rows = (cloudtrail if args[0] == "cloudtrail" else asl)(args[1], show_all)
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main(sys.argv[1:])
