-- Data: the schemas and the shell types.
--
-- Schema runai (created by CREATE EXTENSION from the control file) holds exactly the
-- documented interface; schema runai_internal holds everything else: the catalog
-- tables, the bodies of the public functions, their helpers, the type support
-- functions, operator classes and the row-level security functions.  The operators
-- of the types are created in pg_catalog (10_data_types.sql).

CREATE SCHEMA runai_internal;

-- The types exist as shells first, so that their C functions can be created.
CREATE TYPE runai.scope;
CREATE TYPE runai.actionset;
