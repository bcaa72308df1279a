-- class bin:  * | bin _time span=1h | stats count by _time, awsRegion
-- _time is eventTime in epoch seconds, floored to the hour (spelunk prints it as ISO-8601,
-- which the row comparison reads back as epoch seconds); rows ordered by _time, awsRegion.
WITH ev AS (
    SELECT floor(epoch(TRY_CAST(eventTime AS TIMESTAMPTZ)) / 3600) * 3600 AS _time, awsRegion
    FROM read_ndjson({{PATHS}}, format = 'newline_delimited', maximum_object_size = 67108864,
        columns = {'eventTime': 'VARCHAR', 'awsRegion': 'VARCHAR'})
)
SELECT CAST(_time AS BIGINT) AS _time, awsRegion, count(*) AS count
FROM ev
WHERE _time IS NOT NULL AND awsRegion IS NOT NULL
GROUP BY ALL
ORDER BY 1, 2;
