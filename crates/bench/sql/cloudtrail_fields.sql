-- Search-time fields of sourcetype aws:cloudtrail, translated from queries/props.conf
-- (the Splunk Add-on for AWS 7.x rules of issue 2) to SQL, as view `cloudtrail` over
-- `cloudtrail_raw` (one of the cloudtrail_source_*.sql views).
--
-- Splunk JSON extraction: a field exists only for a scalar leaf (string, number, boolean as
-- true/false); null, objects and arrays are not values of `a.b`. An array gives the multivalue
-- field `a{}`; `a{}.b` collects `b` of every element. Multivalue fields are VARCHAR[] here
-- (NULL, never an empty list, when there is no value).
SET TimeZone = 'UTC';

-- sv(j, path): the single-valued field at a JSON path, Splunk style.
CREATE OR REPLACE MACRO sv(j, p) AS
    CASE WHEN json_type(j, p) IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE', 'BOOLEAN')
         THEN json_extract_string(j, p) END;
-- mv(j, path_with_[*]): the multivalue field `a{}.b` (scalar leaves only), NULL when empty.
CREATE OR REPLACE MACRO mv(j, p) AS
    nullif(list_transform(
        list_filter(json_extract(j, p), lambda x: json_type(x) IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE', 'BOOLEAN')),
        lambda x: json_extract_string(x, '$')), []::VARCHAR[]);
-- Splunk eval's coalesce over a multivalue and a single value, as a multivalue.
CREATE OR REPLACE MACRO mv_or(l, s) AS coalesce(l, CASE WHEN s IS NOT NULL THEN [s] END);

CREATE OR REPLACE VIEW cloudtrail AS
WITH x AS (
    SELECT
        *,
        -- extracted fields that the EVALs read
        userIdentity.type                                   AS "userIdentity.type",
        userIdentity.principalId                            AS "userIdentity.principalId",
        userIdentity.arn                                    AS "userIdentity.arn",
        userIdentity.accountId                              AS "userIdentity.accountId",
        userIdentity.userName                               AS "userIdentity.userName",
        userIdentity.sessionContext.sessionIssuer.type      AS "userIdentity.sessionContext.sessionIssuer.type",
        userIdentity.sessionContext.sessionIssuer.userName  AS "userIdentity.sessionContext.sessionIssuer.userName",
        sv(userAgent, '$')                                  AS userAgent_sv,
        -- _time from eventTime (ISO-8601), epoch seconds with the fraction kept
        epoch(TRY_CAST(eventTime AS TIMESTAMPTZ))           AS _time
    FROM cloudtrail_raw
)
SELECT
    _time,
    eventName,
    eventSource,
    userAgent_sv                                            AS userAgent,
    -- FIELDALIAS-src, -signature, -region
    sourceIPAddress                                         AS src,
    eventName                                               AS signature,
    awsRegion                                               AS vendor_region,
    -- EVAL-vendor_product
    'AWS CloudTrail'                                        AS vendor_product,
    -- EVAL-vendor_account
    coalesce("userIdentity.accountId", recipientAccountId)  AS vendor_account,
    -- EVAL-errorCode: case(isnotnull(errorCode), errorCode,
    --                      'responseElements.ConsoleLogin' LIKE "Failure", "failure", true(), "success")
    CASE WHEN errorCode IS NOT NULL THEN errorCode
         WHEN sv(responseElements, '$.ConsoleLogin') LIKE 'Failure' THEN 'failure'
         ELSE 'success' END                                 AS errorCode,
    -- EVAL-user_type (rules 1-7 of issue 2; eval's == and LIKE are case-sensitive, as here)
    CASE
        WHEN eventName IN ('CreateLoginProfile', 'ListSigningCertificates', 'CreateAccessKey', 'ListAccessKeys',
                           'CreateVirtualMFADevice', 'GetAccountSummary', 'ListAccountAliases')
             OR eventName LIKE '%User' THEN NULL
        WHEN eventName = 'ConsoleLogin' AND "userIdentity.type" = 'AssumedRole'
             AND sv(additionalEventData, '$.LoginTo') IS NULL
            THEN "userIdentity.sessionContext.sessionIssuer.type"
        WHEN eventType = 'AwsConsoleSignIn' THEN "userIdentity.type"
        WHEN eventName LIKE '%Instances' OR eventName LIKE '%Volume' OR eventName LIKE 'Put%' OR eventName LIKE '%Bucket'
            THEN "userIdentity.type"
        WHEN eventName IN ('ListAliases', 'ListRoles', 'DeleteNetworkInterface')
            THEN "userIdentity.sessionContext.sessionIssuer.type"
        WHEN eventName LIKE 'AssumeRole%'
            -- mvjoin(coalesce('resources{}.type', mvindex(split('responseElements.assumedRoleUser.arn',"/"),1)), ",")
            THEN array_to_string(mv_or(mv(resources, '$[*].type'),
                                       string_split(sv(responseElements, '$.assumedRoleUser.arn'), '/')[2]), ',')
        ELSE "userIdentity.type"
    END                                                     AS user_type,
    -- EVAL-user_name
    CASE
        WHEN eventName = 'ListRoles' THEN split_part("userIdentity.principalId", ':', 1)
        WHEN eventName = 'CreateLoginProfile' THEN sv(responseElements, '$.loginProfile.userName')
        WHEN eventName = 'CreateUser' THEN sv(responseElements, '$.user.userName')
        WHEN eventName IN ('DeleteUser', 'DeleteLoginProfile') THEN sv(requestParameters, '$.userName')
        WHEN eventName = 'UpdateUser' THEN sv(requestParameters, '$.newUserName')
        WHEN eventName = 'CreateAccessKey'
            THEN coalesce(sv(responseElements, '$.accessKey.userName'),
                          regexp_replace(errorMessage, '.*resource\s*:\s*(?:user\s*)?(.*)', '\1', 'g'))
        WHEN eventName IN ('ListSigningCertificates', 'ListAccessKeys', 'GetUser', 'GetAccountSummary', 'ListAccountAliases')
            THEN regexp_replace(errorMessage, '.*resource\s*:\s*(?:user\s*)?(.*)', '\1', 'g')
        WHEN eventName = 'CreateVirtualMFADevice' THEN "userIdentity.userName"
        ELSE coalesce("userIdentity.userName", "userIdentity.sessionContext.sessionIssuer.userName",
                      string_split(string_split(coalesce("userIdentity.arn", sv(requestParameters, '$.roleArn')), ':')[-1], '/')[-1])
    END                                                     AS user_name,
    -- EVAL-dest (multivalue: VARCHAR[])
    CASE
        WHEN eventName = 'PutBucketAcl' THEN mv_or(NULL, sv(requestParameters, '$.Host'))
        WHEN eventName = 'GetBucketEncryption' THEN mv(requestParameters, '$.host[*]')
        WHEN eventName = 'RunInstances'
            THEN mv_or(mv(responseElements, '$.instancesSet.items[*].instanceId'), eventSource)
        WHEN eventName = 'StartInstances'
            THEN mv_or(mv(requestParameters, '$.instancesSet.items[*].instanceId'), eventSource)
        WHEN eventName IN ('StopInstances', 'TerminateInstances', 'RebootInstances')
            THEN mv(requestParameters, '$.instancesSet.items[*].instanceId')
        WHEN eventName LIKE '%Volume' THEN mv_or(NULL, coalesce(sv(requestParameters, '$.instanceId'), eventSource))
        WHEN eventName LIKE '%Bucket' THEN mv(requestParameters, '$.host[*]')
        WHEN eventName LIKE 'Put%' THEN mv_or(mv(requestParameters, '$.host[*]'), sv(requestParameters, '$.Host'))
        WHEN eventName IN ('CreateUser', 'UpdateUser', 'DeleteUser') THEN mv_or(NULL, eventSource)
        WHEN eventName = 'DeleteLoginProfile' THEN mv_or(NULL, sv(requestParameters, '$.userName'))
        WHEN eventName IN ('ConsoleLogin', 'AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'CheckMfa', 'ListAliases')
            THEN mv_or(NULL, coalesce(sv(additionalEventData, '$.LoginTo'), eventSource))
        ELSE mv_or(NULL, eventSource)
    END                                                     AS dest
FROM x;
