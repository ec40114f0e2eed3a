# Turns the data files into INSERT statements for the catalog.  The files have a
# header line and no quoted fields; a quote in a value is doubled for SQL.
BEGIN { FS = "," }
function q(s) { gsub(/'/, "''", s); return "'" s "'" }
{ sub(/\r$/, "") }
FNR == 1 { file = FILENAME; sub(/.*\//, "", file); n = 0; next }
file == "resource_types.csv" {
  printf "INSERT INTO runai.resource_types (id, name, display_name, \"group\") VALUES (%d, %s, %s, %s);\n", n++, q($1), q($2), q($3)
}
file == "roles.csv" {
  printf "INSERT INTO runai_internal.roles (id, name, in_seed_documents, description, tenant_wide) SELECT %d, %s, %s, d.description, d.tenant_wide FROM runai_internal.role_descriptions d WHERE d.role = %s;\n", n++, q($1), ($2 == "yes") ? "true" : "false", q($1)
}
file == "role_permissions.csv" {
  printf "INSERT INTO runai_internal.role_permissions (role_id, resource_type_id, actions) SELECT r.id, t.id, runai.actionset(ARRAY[%s]::text[]) FROM runai_internal.roles r, runai.resource_types t WHERE r.name = %s AND t.name = %s;\n", \
    substr((($3 == "y") ? ",'view'" : "") (($4 == "y") ? ",'edit'" : "") (($5 == "y") ? ",'create'" : "") (($6 == "y") ? ",'delete'" : ""), 2), q($1), q($2)
}
file == "workload_kinds.csv" {
  printf "INSERT INTO runai.workload_kinds (kind, api_group, origin) VALUES (%s, %s, %s);\n", q($1), q($2), q($3)
}
