//! Serialising a [`Call`] as a CloudTrail record or as an OCSF 1.1 API
//! Activity record (the Amazon Security Lake v2 shape).

use crate::json::Json;
use crate::model::{is_service_agent, Call, Kind};
use crate::time::{iso, iso_millis};

fn session_created(t: i64) -> String {
    iso(t - t.rem_euclid(3600))
}

fn invoked_by<'c>(c: &'c Call<'_>) -> Option<&'c str> {
    match c.p.kind {
        Kind::AwsService => Some(c.p.name.as_str()),
        Kind::AssumedRole if is_service_agent(&c.src_ip) => Some(&c.src_ip),
        _ => None,
    }
}

fn console_session(c: &Call<'_>) -> bool {
    c.p.console
        && c.user_agent
            .is_some_and(|a| a == crate::model::UA_CONSOLE || a == crate::model::UA_INTERNAL)
}

fn user_identity(j: &mut Json, c: &Call<'_>) {
    let p = c.p;
    let sign_in = c.event_type == "AwsConsoleSignIn";
    j.obj().kv("type", p.kind.as_str());
    match p.kind {
        Kind::AwsService => {
            j.kv("invokedBy", &p.name);
        }
        Kind::IamUser | Kind::Root => {
            j.kv("principalId", &p.principal_id)
                .kv("arn", &p.arn)
                .kv("accountId", &p.account);
            if !sign_in {
                j.kv("accessKeyId", &p.access_key);
            }
            if p.kind == Kind::IamUser {
                j.kv("userName", &p.name);
            }
            if console_session(c) {
                j.key("sessionContext").obj();
                j.key("sessionIssuer").obj().end_obj();
                j.key("webIdFederationData").obj().end_obj();
                j.key("attributes")
                    .obj()
                    .kv("creationDate", &session_created(c.time))
                    .kv("mfaAuthenticated", if p.mfa { "true" } else { "false" });
                j.end_obj().end_obj();
            }
        }
        Kind::AssumedRole => {
            let role_id = p.principal_id.split(':').next().unwrap_or("");
            j.kv("principalId", &p.principal_id)
                .kv("arn", &p.arn)
                .kv("accountId", &p.account);
            if !sign_in {
                j.kv("accessKeyId", &p.access_key);
            }
            j.key("sessionContext").obj();
            j.key("sessionIssuer")
                .obj()
                .kv("type", "Role")
                .kv("principalId", role_id)
                .kv("arn", &p.role_arn())
                .kv("accountId", &p.account)
                .kv("userName", &p.name)
                .end_obj();
            j.key("webIdFederationData").obj().end_obj();
            j.key("attributes")
                .obj()
                .kv("creationDate", &session_created(c.time))
                .kv("mfaAuthenticated", if p.mfa { "true" } else { "false" })
                .end_obj();
            j.end_obj();
            if let Some(by) = invoked_by(c) {
                j.kv("invokedBy", by);
            }
        }
    }
    j.end_obj();
}

/// One CloudTrail record, keys in the order CloudTrail writes them.
pub fn cloudtrail(j: &mut Json, c: &Call<'_>) {
    j.obj().kv("eventVersion", "1.08");
    j.key("userIdentity");
    user_identity(j, c);
    j.kv("eventTime", &iso(c.time))
        .kv("eventSource", c.source)
        .kv("eventName", c.name)
        .kv("awsRegion", c.region)
        .kv("sourceIPAddress", &c.src_ip);
    j.kv_opt("userAgent", c.user_agent);
    if let Some((code, msg)) = &c.error {
        if !code.is_empty() {
            j.kv("errorCode", code);
        }
        if !msg.is_empty() {
            j.kv("errorMessage", msg);
        }
    }
    j.key("requestParameters");
    match &c.req {
        Some(r) => j.raw(r),
        None => j.null(),
    };
    j.key("responseElements");
    match &c.resp {
        Some(r) => j.raw(r),
        None => j.null(),
    };
    if let Some(a) = &c.additional {
        j.key("additionalEventData").raw(a);
    }
    if !c.request_id.is_empty() {
        j.kv("requestID", &c.request_id);
    }
    j.kv("eventID", &c.event_id)
        .key("readOnly")
        .bool(c.read_only);
    if let Some(r) = &c.resources {
        j.key("resources").raw(r);
    }
    j.kv("eventType", c.event_type)
        .key("managementEvent")
        .bool(true)
        .kv("recipientAccountId", c.recipient)
        .kv("eventCategory", "Management");
    if let Some(h) = &c.tls_host {
        j.key("tlsDetails")
            .obj()
            .kv("tlsVersion", "TLSv1.3")
            .kv("cipherSuite", "TLS_AES_128_GCM_SHA256")
            .kv("clientProvidedHostHeader", h)
            .end_obj();
    }
    if console_session(c) {
        j.kv("sessionCredentialFromConsole", "true");
    }
    j.end_obj();
}

/// OCSF activity for an API call.
pub fn activity(name: &str, read_only: bool) -> (i64, &'static str) {
    if read_only {
        return (2, "Read");
    }
    for (prefix, id, label) in [
        ("Create", 1, "Create"),
        ("Run", 1, "Create"),
        ("Put", 1, "Create"),
        ("Generate", 1, "Create"),
        ("Delete", 4, "Delete"),
        ("Terminate", 4, "Delete"),
        ("Start", 3, "Update"),
        ("Stop", 3, "Update"),
        ("Update", 3, "Update"),
        ("Modify", 3, "Update"),
        ("Attach", 3, "Update"),
    ] {
        if name.starts_with(prefix) {
            return (id, label);
        }
    }
    (99, "Other")
}

/// One OCSF 1.1 API Activity (class_uid 6003) record as Amazon Security Lake
/// v2 writes it for a CloudTrail management event.
pub fn ocsf(j: &mut Json, c: &Call<'_>) {
    let p = c.p;
    let ms = c.time * 1000;
    j.obj();
    j.key("metadata").obj();
    j.key("product")
        .obj()
        .kv("version", "1.08")
        .kv("name", "CloudTrail")
        .kv("vendor_name", "AWS")
        .key("feature")
        .obj()
        .kv("name", "Management")
        .end_obj()
        .end_obj();
    j.kv("event_code", c.event_type).kv("uid", &c.event_id);
    j.key("profiles")
        .arr()
        .str("cloud")
        .str("datetime")
        .end_arr();
    j.kv("version", "1.1.0").end_obj();
    j.key("time").int(ms).kv("time_dt", &iso_millis(ms));
    j.key("cloud")
        .obj()
        .kv("region", c.region)
        .kv("provider", "AWS")
        .end_obj();

    j.key("api").obj();
    match (&c.error, &c.resp) {
        (Some((code, msg)), _) => {
            j.key("response").obj();
            if !code.is_empty() {
                j.kv("error", code);
            }
            if !msg.is_empty() {
                j.kv("message", msg);
            }
            j.end_obj();
        }
        (None, Some(data)) => {
            j.key("response").obj().kv("data", data).end_obj();
        }
        (None, None) => {}
    }
    j.kv("operation", c.name);
    j.key("service").obj().kv("name", c.source).end_obj();
    j.key("request").obj();
    if let Some(r) = &c.req {
        j.kv("data", r);
    }
    if !c.request_id.is_empty() {
        j.kv("uid", &c.request_id);
    }
    j.end_obj().end_obj();

    j.key("actor").obj();
    j.key("user").obj().kv("type", p.kind.as_str());
    match p.kind {
        Kind::AwsService => {
            j.kv("name", &p.name);
        }
        Kind::Root => {
            j.kv("uid_alt", &p.principal_id).kv("uid", &p.arn);
        }
        Kind::IamUser | Kind::AssumedRole => {
            j.kv("name", &p.name)
                .kv("uid_alt", &p.principal_id)
                .kv("uid", &p.arn);
        }
    }
    j.key("account").obj().kv("uid", &p.account).end_obj();
    if !p.access_key.is_empty() {
        j.kv("credential_uid", &p.access_key);
    }
    j.end_obj();
    if p.kind == Kind::AssumedRole {
        j.key("session")
            .obj()
            .kv(
                "created_time_dt",
                &iso_millis((c.time - c.time.rem_euclid(3600)) * 1000),
            )
            .key("is_mfa")
            .bool(p.mfa)
            .kv("issuer", &p.role_arn())
            .end_obj();
    }
    if let Some(by) = invoked_by(c) {
        j.kv("invoked_by", by);
    }
    j.end_obj();

    if let Some(ua) = c.user_agent {
        j.key("http_request").obj().kv("user_agent", ua).end_obj();
    }
    j.key("src_endpoint").obj();
    if is_service_agent(&c.src_ip) {
        j.kv("domain", &c.src_ip);
    } else {
        j.kv("ip", &c.src_ip);
    }
    j.end_obj();

    let (aid, aname) = activity(c.name, c.read_only);
    let failed = c.error.is_some();
    j.kv("class_name", "API Activity")
        .key("class_uid")
        .int(6003);
    j.kv("category_name", "Application Activity")
        .key("category_uid")
        .int(6);
    j.kv("severity", "Informational").key("severity_id").int(1);
    j.kv("status", if failed { "Failure" } else { "Success" })
        .key("status_id")
        .int(if failed { 2 } else { 1 });
    j.kv("activity_name", aname).key("activity_id").int(aid);
    j.kv("type_name", &format!("API Activity: {aname}"))
        .key("type_uid")
        .int(600300 + aid);
    j.key("unmapped")
        .obj()
        .kv("recipientAccountId", c.recipient)
        .kv("eventCategory", "Management");
    j.kv("managementEvent", "true")
        .kv("readOnly", if c.read_only { "true" } else { "false" });
    if let Some(h) = &c.tls_host {
        j.kv("tlsDetails.clientProvidedHostHeader", h);
    }
    j.end_obj();
    j.end_obj();
}
