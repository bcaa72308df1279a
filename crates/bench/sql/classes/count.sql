-- class count:  * | stats count
-- One column is declared (the reader needs one); every record counts, whatever it holds.
SELECT count(*) AS count
FROM read_ndjson({{PATHS}}, format = 'newline_delimited', maximum_object_size = 67108864,
    columns = {'eventVersion': 'VARCHAR'});
