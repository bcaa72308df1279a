-- class dc:  * | stats dc(sourceIPAddress) as ips, count by userIdentity.arn
--            | where ips > 3 | sort - ips, userIdentity.arn | head 20
-- dc() counts distinct values present (NULLs are not values); count counts every event of the group.
SELECT userIdentity.arn AS "userIdentity.arn", count(DISTINCT sourceIPAddress) AS ips, count(*) AS count
FROM read_ndjson({{PATHS}}, format = 'newline_delimited', maximum_object_size = 67108864,
    columns = {'sourceIPAddress': 'VARCHAR', 'userIdentity': 'STRUCT(arn VARCHAR)'})
WHERE userIdentity.arn IS NOT NULL
GROUP BY 1
HAVING count(DISTINCT sourceIPAddress) > 3
ORDER BY ips DESC, 1
LIMIT 20;
