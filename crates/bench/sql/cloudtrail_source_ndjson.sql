-- CloudTrail records, one JSON object a line (spelunk-gen --ndjson).
--
-- Reader choice: read_ndjson with an explicit `columns=` schema, no auto-detection.
-- CloudTrail is not one schema: requestParameters, responseElements, additionalEventData and
-- resources change shape from one eventName to the next (objects, arrays, null, strings), so
-- sampling-based auto-detection either errors or guesses a struct that later records break.
-- * top-level fields CloudTrail documents as strings: VARCHAR;
-- * userIdentity: a STRUCT of VARCHAR leaves (its shape is stable across CloudTrail);
-- * the heterogeneous subtrees, and userAgent (a string, but an array in some records, which
--   Splunk extracts as `userAgent{}` instead): the JSON type, read with the sv()/mv() macros of
--   cloudtrail_fields.sql, which keep Splunk's "only scalar leaves are fields" rule.
-- Fields not listed are skipped by the reader (projection).
CREATE OR REPLACE VIEW cloudtrail_raw AS
SELECT * FROM read_ndjson({{PATHS}},
    format = 'newline_delimited',
    maximum_object_size = 67108864,
    columns = {
        'eventTime': 'VARCHAR',
        'eventName': 'VARCHAR',
        'eventSource': 'VARCHAR',
        'eventType': 'VARCHAR',
        'awsRegion': 'VARCHAR',
        'sourceIPAddress': 'VARCHAR',
        'recipientAccountId': 'VARCHAR',
        'errorCode': 'VARCHAR',
        'errorMessage': 'VARCHAR',
        'userAgent': 'JSON',
        'userIdentity': 'STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, userName VARCHAR, sessionContext STRUCT(sessionIssuer STRUCT(type VARCHAR, userName VARCHAR)))',
        'requestParameters': 'JSON',
        'responseElements': 'JSON',
        'additionalEventData': 'JSON',
        'resources': 'JSON'
    });
