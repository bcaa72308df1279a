-- class high_card:  * | stats count by sourceIPAddress | sort - count, sourceIPAddress | head 10
-- (the bench generates ~1 M distinct sourceIPAddress per GB: spelunk-gen --ip-pool)
SELECT sourceIPAddress, count(*) AS count
FROM read_ndjson({{PATHS}}, format = 'newline_delimited', maximum_object_size = 67108864,
    columns = {'sourceIPAddress': 'VARCHAR'})
WHERE sourceIPAddress IS NOT NULL
GROUP BY 1
ORDER BY count DESC, 1
LIMIT 10;
