-- queries/aws_iam_accessdenied_discovery_events.spl, over view `cloudtrail` (cloudtrail_fields.sql):
--
--   `cloudtrail` (errorCode = "AccessDenied") user_type=IAMUser (userAgent!=*.amazonaws.com)
--   | bucket _time span=1h | rename user_name as user
--   | stats count as failures min(_time) as firstTime max(_time) as lastTime, dc(signature) as methods,
--           dc(dest) as sources values(signature) as signature values(dest) as dest
--       BY src, user, vendor_account vendor_region, vendor_product
--   | where failures >= 5 and methods >= 1 and sources >= 1
--   | `security_content_ctime(firstTime)` | `security_content_ctime(lastTime)`
--
-- Splunk semantics kept:
-- * search `field=value` matches case-insensitively (lower() on both sides, `*` as LIKE '%');
-- * `userAgent!=*.amazonaws.com` is true only where userAgent exists and does not match;
-- * stats BY drops events missing any BY field; no _time in BY, so `bucket` only rounds
--   firstTime/lastTime down to the hour and failures count over the whole input;
-- * dc/values of a multivalue field (dest) count every value; values() are distinct and sorted
--   byte-wise (DuckDB's default binary collation), rows are ordered by the BY values;
-- * ctime with %Y-%m-%dT%H:%M:%S in UTC.
WITH ev AS (
    SELECT
        src, user_name AS "user", vendor_account, vendor_region, vendor_product,
        floor(_time / 3600) * 3600 AS _time,
        signature, dest
    FROM cloudtrail
    WHERE lower(errorCode) = 'accessdenied'
      AND lower(user_type) = 'iamuser'
      AND userAgent IS NOT NULL AND NOT (lower(userAgent) LIKE '%.amazonaws.com')
      AND src IS NOT NULL AND user_name IS NOT NULL AND vendor_account IS NOT NULL
      AND vendor_region IS NOT NULL AND vendor_product IS NOT NULL
),
g AS (
    SELECT
        src, "user", vendor_account, vendor_region, vendor_product,
        count(*) AS failures,
        min(_time) AS firstTime,
        max(_time) AS lastTime,
        list_sort(list_distinct(list(signature))) AS signature,
        list_sort(list_distinct(flatten(list(dest)))) AS dest
    FROM ev
    GROUP BY ALL
)
SELECT
    src, "user", vendor_account, vendor_region, vendor_product,
    failures,
    strftime(to_timestamp(firstTime), '%Y-%m-%dT%H:%M:%S') AS firstTime,
    strftime(to_timestamp(lastTime), '%Y-%m-%dT%H:%M:%S') AS lastTime,
    len(signature) AS methods,
    len(dest) AS sources,
    signature,
    dest
FROM g
WHERE failures >= 5 AND len(signature) >= 1 AND len(dest) >= 1
ORDER BY src, "user", vendor_account, vendor_region, vendor_product;
