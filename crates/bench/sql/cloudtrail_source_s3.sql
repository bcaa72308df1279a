-- CloudTrail in the S3 delivery layout: AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz,
-- each file one {"Records":[...]} object, gzipped. Same column choices as
-- cloudtrail_source_ndjson.sql, one level down: Records is a list of STRUCTs, unnested to rows.
-- DuckDB decompresses .gz transparently (compression = 'gzip'), one file per thread.
CREATE OR REPLACE VIEW cloudtrail_raw AS
SELECT r.* FROM (SELECT unnest(Records) AS r FROM read_json({{PATHS}},
    format = 'unstructured',
    compression = 'gzip',
    maximum_object_size = 268435456,
    columns = {
        'Records': 'STRUCT(
            eventTime VARCHAR,
            eventName VARCHAR,
            eventSource VARCHAR,
            eventType VARCHAR,
            awsRegion VARCHAR,
            sourceIPAddress VARCHAR,
            recipientAccountId VARCHAR,
            errorCode VARCHAR,
            errorMessage VARCHAR,
            userAgent JSON,
            userIdentity STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, userName VARCHAR, sessionContext STRUCT(sessionIssuer STRUCT(type VARCHAR, userName VARCHAR))),
            requestParameters JSON,
            responseElements JSON,
            additionalEventData JSON,
            resources JSON
        )[]'
    }));
