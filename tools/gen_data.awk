# Turns the data files into INSERT statements for the catalog.  The files have a
# header line and no quoted fields; a quote in a value is doubled for SQL.
#
# With -v upsert=1 (an upgrade script, tools/build_sql.sh --delta) the rows are
# written over those of an installed catalog instead, one statement per table:
# resource types, permissions and workload kinds are inserted or, where they
# differ, updated; roles are matched by id and get their name and flag (their
# descriptions are not in the data files: a new role needs its own statement).
# Rows missing from the files are left alone.  The immutability triggers must be
# disabled around them.
BEGIN { FS = "," }
function q(s) { gsub(/'/, "''", s); return "'" s "'" }
function add(t, row) { rows[t] = rows[t] (rows[t] == "" ? "" : ",\n") "  (" row ")" }
{ sub(/\r$/, "") }
FNR == 1 { file = FILENAME; sub(/.*\//, "", file); n = 0; next }
file == "resource_types.csv" && !upsert {
  printf "INSERT INTO runai.resource_types (id, name, display_name, \"group\") VALUES (%d, %s, %s, %s);\n", n++, q($1), q($2), q($3)
}
file == "roles.csv" && !upsert {
  printf "INSERT INTO runai_internal.roles (id, name, in_seed_documents, description, tenant_wide) SELECT %d, %s, %s, d.description, d.tenant_wide FROM runai_internal.role_descriptions d WHERE d.role = %s;\n", n++, q($1), ($2 == "yes") ? "true" : "false", q($1)
}
file == "role_permissions.csv" && !upsert {
  printf "INSERT INTO runai_internal.role_permissions (role_id, resource_type_id, actions) SELECT r.id, t.id, runai.actionset(ARRAY[%s]::text[]) FROM runai_internal.roles r, runai.resource_types t WHERE r.name = %s AND t.name = %s;\n", \
    substr((($3 == "y") ? ",'view'" : "") (($4 == "y") ? ",'edit'" : "") (($5 == "y") ? ",'create'" : "") (($6 == "y") ? ",'delete'" : ""), 2), q($1), q($2)
}
file == "workload_kinds.csv" && !upsert {
  printf "INSERT INTO runai.workload_kinds (kind, api_group, origin) VALUES (%s, %s, %s);\n", q($1), q($2), q($3)
}
upsert && file == "resource_types.csv" { add(file, sprintf("%d, %s, %s, %s", n++, q($1), q($2), q($3))) }
upsert && file == "roles.csv" { add(file, sprintf("%d, %s, %s", n++, q($1), ($2 == "yes") ? "true" : "false")) }
upsert && file == "role_permissions.csv" {
  add(file, sprintf("%s, %s, '{%s}'", q($1), q($2),
      substr((($3 == "y") ? ",view" : "") (($4 == "y") ? ",edit" : "") (($5 == "y") ? ",create" : "") (($6 == "y") ? ",delete" : ""), 2)))
}
upsert && file == "workload_kinds.csv" { add(file, sprintf("%s, %s, %s", q($1), q($2), q($3))) }
END {
  if (!upsert) exit
  print "INSERT INTO runai.resource_types AS t (id, name, display_name, \"group\") VALUES\n" rows["resource_types.csv"]
  print "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, display_name = EXCLUDED.display_name, \"group\" = EXCLUDED.\"group\""
  print "  WHERE (t.name, t.display_name, t.\"group\") IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.display_name, EXCLUDED.\"group\");"
  print "UPDATE runai_internal.roles r SET name = v.name, in_seed_documents = v.in_seed_documents FROM (VALUES\n" rows["roles.csv"] ") v(id, name, in_seed_documents)"
  print "  WHERE r.id = v.id AND (r.name, r.in_seed_documents) IS DISTINCT FROM (v.name, v.in_seed_documents);"
  print "INSERT INTO runai_internal.role_permissions AS p (role_id, resource_type_id, actions)"
  print "SELECT r.id, t.id, v.actions::runai.actionset FROM (VALUES\n" rows["role_permissions.csv"] ") v(role, resource_type, actions)"
  print "  JOIN runai_internal.roles r ON r.name = v.role JOIN runai.resource_types t ON t.name = v.resource_type"
  print "ON CONFLICT (role_id, resource_type_id) DO UPDATE SET actions = EXCLUDED.actions"
  print "  WHERE NOT (p.actions OPERATOR(pg_catalog.=) EXCLUDED.actions);"
  print "INSERT INTO runai.workload_kinds AS k (kind, api_group, origin) VALUES\n" rows["workload_kinds.csv"]
  print "ON CONFLICT (kind) DO UPDATE SET api_group = EXCLUDED.api_group, origin = EXCLUDED.origin"
  print "  WHERE (k.api_group, k.origin) IS DISTINCT FROM (EXCLUDED.api_group, EXCLUDED.origin);"
}
