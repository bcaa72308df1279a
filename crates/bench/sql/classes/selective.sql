-- class selective:  errorCode=AccessDenied | stats count by userIdentity.userName
-- a selective filter (about 2 % of events), case-insensitive as search is.
SELECT userIdentity.userName AS "userIdentity.userName", count(*) AS count
FROM read_ndjson({{PATHS}}, format = 'newline_delimited', maximum_object_size = 67108864,
    columns = {'errorCode': 'VARCHAR', 'userIdentity': 'STRUCT(userName VARCHAR)'})
WHERE lower(errorCode) = 'accessdenied' AND userIdentity.userName IS NOT NULL
GROUP BY 1
ORDER BY 1;
