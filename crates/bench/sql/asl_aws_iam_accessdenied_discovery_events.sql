-- queries/asl_aws_iam_accessdenied_discovery_events.spl, over view `asl` (ocsf_source_ndjson.sql):
--
--   `amazon_security_lake` api.response.error=AccessDenied OR api.response.error=OperationNotPermittedException
--       OR api.response.error=*Unauthorized* actor.user.type=IAMUser
--   | bucket _time span=1h
--   | stats count as failures min(_time) as firstTime max(_time) as lastTime dc(api.operation) as dc_operation,
--       dc(api.service.name) as dc_service values(api.operation) as api.operation ... values(cloud.region) as cloud.region
--     BY _time actor.user.uid
--   | where failures >= 5 AND dc_operation >= 1 AND dc_service >= 1
--   | rename actor.user.uid as user api.operation as action api.service.name as dest ...
--   | `security_content_ctime(firstTime)` | `security_content_ctime(lastTime)`
--
-- OR binds tighter than the implicit AND; values match case-insensitively; `*Unauthorized*`
-- is a case-insensitive LIKE; BY _time makes one group per user per clock hour; events missing
-- actor.user.uid are dropped; `rename src_endpoint.ip as src` renames nothing (after stats the
-- field is src_ip). Output columns in Splunk's order after the renames.
WITH ev AS (
    SELECT floor(_time / 3600) * 3600 AS _time, *  EXCLUDE (_time)
    FROM asl
    WHERE (lower("api.response.error") = 'accessdenied'
           OR lower("api.response.error") = 'operationnotpermittedexception'
           OR lower("api.response.error") LIKE '%unauthorized%')
      AND lower("actor.user.type") = 'iamuser'
      AND "actor.user.uid" IS NOT NULL
),
g AS (
    SELECT
        _time, "actor.user.uid",
        count(*) AS failures,
        min(_time) AS firstTime,
        max(_time) AS lastTime,
        list_sort(list_distinct(list("api.operation"))) AS op,
        list_sort(list_distinct(list("api.service.name"))) AS svc,
        list_sort(list_distinct(list("http_request.user_agent"))) AS ua,
        list_sort(list_distinct(list("src_endpoint.ip"))) AS ip,
        list_sort(list_distinct(list("actor.user.account.uid"))) AS acct,
        list_sort(list_distinct(list("cloud.provider"))) AS prov,
        list_sort(list_distinct(list("cloud.region"))) AS reg
    FROM ev
    GROUP BY _time, "actor.user.uid"
)
SELECT
    CAST(_time AS BIGINT) AS _time,
    "actor.user.uid" AS "user",
    failures,
    strftime(to_timestamp(firstTime), '%Y-%m-%dT%H:%M:%S') AS firstTime,
    strftime(to_timestamp(lastTime), '%Y-%m-%dT%H:%M:%S') AS lastTime,
    len(op) AS dc_operation,
    len(svc) AS dc_service,
    op AS action,
    svc AS dest,
    ua AS user_agent,
    ip AS src_ip,
    acct AS vendor_account,
    prov AS vendor_product,
    reg AS vendor_region
FROM g
WHERE failures >= 5 AND len(op) >= 1 AND len(svc) >= 1
ORDER BY _time, "user";
