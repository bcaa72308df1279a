-- class count_by:  * | stats count by eventName
-- stats BY drops events without eventName; rows ordered by the BY field, byte-wise.
SELECT eventName, count(*) AS count
FROM read_ndjson({{PATHS}}, format = 'newline_delimited', maximum_object_size = 67108864,
    columns = {'eventName': 'VARCHAR'})
WHERE eventName IS NOT NULL
GROUP BY eventName
ORDER BY eventName;
