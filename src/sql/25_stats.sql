-- Introspection of the per-backend decision cache.
CREATE FUNCTION runai.cache_stats(OUT subjects bigint, OUT max_subjects bigint, OUT scopes bigint,
                                  OUT tree_bytes bigint, OUT subject_bytes bigint,
                                  OUT largest_subject_bytes bigint)
AS 'MODULE_PATHNAME', 'rbac_cache_stats_sql' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION runai.cache_stats() IS
  'This backend''s permission cache: subjects cached (at most runai.cache_max_subjects), scopes in the tree, and the memory used by the tree, by all subjects and by the largest one.';
