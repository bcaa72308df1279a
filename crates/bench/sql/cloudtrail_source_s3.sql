-- CloudTrail in the S3 delivery layout: AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz,
-- each file one {"Records":[...]} object, gzipped. Same column choices as
-- cloudtrail_source_ndjson.sql, one level down: each file is read as one JSON value
-- (read_json_objects, gzip decompressed by DuckDB, files in parallel), `Records` is converted
-- with json_transform to a list of STRUCTs and unnested to one row per record.
--
-- Why not read_json(..., columns = {'Records': 'STRUCT(...)[]'}): it gives the same rows but
-- was 4-5x slower on these inputs (about 0.4-0.7 ms of fixed cost per file, and 1152 files a
-- day), so it would understate DuckDB. json_transform (not _strict) gives NULL where a value
-- does not fit the declared type instead of failing the query; the declared types (VARCHAR
-- leaves, JSON for the heterogeneous subtrees) fit every CloudTrail record.
CREATE OR REPLACE VIEW cloudtrail_raw AS
SELECT r.* FROM (
    SELECT unnest(json_transform(json, '{"Records": [{
            "eventTime": "VARCHAR",
            "eventName": "VARCHAR",
            "eventSource": "VARCHAR",
            "eventType": "VARCHAR",
            "awsRegion": "VARCHAR",
            "sourceIPAddress": "VARCHAR",
            "recipientAccountId": "VARCHAR",
            "errorCode": "VARCHAR",
            "errorMessage": "VARCHAR",
            "userAgent": "JSON",
            "userIdentity": {"type": "VARCHAR", "principalId": "VARCHAR", "arn": "VARCHAR", "accountId": "VARCHAR",
                             "userName": "VARCHAR",
                             "sessionContext": {"sessionIssuer": {"type": "VARCHAR", "userName": "VARCHAR"}}},
            "requestParameters": "JSON",
            "responseElements": "JSON",
            "additionalEventData": "JSON",
            "resources": "JSON"
        }]}').Records) AS r
    FROM read_json_objects({{PATHS}}, format = 'unstructured', compression = 'gzip',
                           maximum_object_size = 268435456)
);
