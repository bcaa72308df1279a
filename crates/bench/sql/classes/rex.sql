-- class rex:  * | rex field=userAgent "^(?<ua>[^/ ]+)" | stats count by ua
-- userAgent is read as JSON: it is a string in most records but an array in some, and only a
-- scalar is the field `userAgent` (an array is `userAgent{}`, which rex does not read). No match,
-- no ua: the event is dropped by stats BY.
WITH ev AS (
    SELECT CASE WHEN json_type(userAgent) IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE', 'BOOLEAN')
                THEN json_extract_string(userAgent, '$') END AS ua_text
    FROM read_ndjson({{PATHS}}, format = 'newline_delimited', maximum_object_size = 67108864,
        columns = {'userAgent': 'JSON'})
)
SELECT regexp_extract(ua_text, '^([^/ ]+)', 1) AS ua, count(*) AS count
FROM ev
WHERE regexp_matches(ua_text, '^([^/ ]+)')
GROUP BY 1
ORDER BY 1;
