-- class iam_filter:  eventSource=iam.amazonaws.com | stats count by eventName, userIdentity.arn
-- search field=value is case-insensitive; stats BY drops events lacking either BY field.
SELECT eventName, userIdentity.arn AS "userIdentity.arn", count(*) AS count
FROM read_ndjson({{PATHS}}, format = 'newline_delimited', maximum_object_size = 67108864,
    columns = {'eventSource': 'VARCHAR', 'eventName': 'VARCHAR', 'userIdentity': 'STRUCT(arn VARCHAR)'})
WHERE lower(eventSource) = 'iam.amazonaws.com'
  AND eventName IS NOT NULL AND userIdentity.arn IS NOT NULL
GROUP BY ALL
ORDER BY 1, 2;
