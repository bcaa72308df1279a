-- OCSF API Activity (class 6003) NDJSON as Amazon Security Lake writes it (spelunk-gen ocsf).
-- Explicit columns: only the fields the ASL detection reads, as STRUCTs of VARCHAR leaves
-- (OCSF's schema is stable for these paths); everything else is skipped by the reader.
-- aws:asl has no aliases or calculated fields: the dotted OCSF paths are the field names.
SET TimeZone = 'UTC';
CREATE OR REPLACE VIEW asl AS
SELECT
    "time" / 1000.0                       AS _time,   -- epoch milliseconds -> seconds
    api.response.error                    AS "api.response.error",
    api.operation                         AS "api.operation",
    api.service.name                      AS "api.service.name",
    actor.user.type                       AS "actor.user.type",
    actor.user.uid                        AS "actor.user.uid",
    actor.user.account.uid                AS "actor.user.account.uid",
    http_request.user_agent               AS "http_request.user_agent",
    src_endpoint.ip                       AS "src_endpoint.ip",
    cloud.provider                        AS "cloud.provider",
    cloud.region                          AS "cloud.region"
FROM read_ndjson({{PATHS}},
    format = 'newline_delimited',
    maximum_object_size = 67108864,
    columns = {
        'time': 'BIGINT',
        'api': 'STRUCT(operation VARCHAR, service STRUCT(name VARCHAR), response STRUCT(error VARCHAR))',
        'actor': 'STRUCT("user" STRUCT(type VARCHAR, uid VARCHAR, account STRUCT(uid VARCHAR)))',
        'http_request': 'STRUCT(user_agent VARCHAR)',
        'src_endpoint': 'STRUCT(ip VARCHAR)',
        'cloud': 'STRUCT(provider VARCHAR, region VARCHAR)'
    });
