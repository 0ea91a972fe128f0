{#- The read-only role of BI tools (Postgres): it reads the marts schema and nothing else, neither the raw datasets dlt
    loads nor staging (the only layer with clear emails and phones), intermediate or the seeds.

    Run after a build: `dbt run-operation grant_bi_role`, or as the project's on-run-end hook
    (`on-run-end: ["{{ grant_bi_role() }}"]`); on other warehouses it does nothing.
    Creates `role` (LOGIN, no password) when missing and keeps it read-only with `schema` as its search_path, which
    needs CREATEROLE (else a DBA creates the role beforehand). Grants: CONNECT (when the build's user owns the
    database), USAGE on `schema`, SELECT on its tables now and on those created later; revokes everything on the
    other schemas, and PUBLIC's grants on ours. Its password is never set here (it would show in dbt's log):
    funnelhouse's dbt_build sets it, hashed, from env FUNNELHOUSE_BI_PASSWORD, or a DBA runs \password funnel_bi
    in psql. Idempotent. -#}

{% macro grant_bi_role(role='funnel_bi', schema='marts') -%}
    {{ return(adapter.dispatch('grant_bi_role')(role, schema)) }}
{%- endmacro %}

{% macro default__grant_bi_role(role, schema) -%}
    {%- if execute -%}
        {{ log("grant_bi_role: nothing to grant on a " ~ target.type ~ " warehouse", info=false) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#- The schemas the role must not read: the sources' (raw_*, with dlt's raw_*_staging), every schema the project
    builds into other than `schema`, and the target's own. -#}
{% macro bi_role_closed_schemas(schema) -%}
    {%- set closed = [target.schema] -%}
    {%- for node in graph.nodes.values() | list + graph.sources.values() | list -%}
        {%- if node.resource_type in ('model', 'seed', 'snapshot', 'source') and node.schema not in closed -%}
            {%- do closed.append(node.schema) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set found = run_query(
        "select nspname from pg_catalog.pg_namespace where nspname like 'raw\\_%' order by 1"
    ) -%}
    {%- for row in found.rows -%}
        {%- if row[0] not in closed -%}{%- do closed.append(row[0]) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(closed | reject('equalto', schema) | list) }}
{%- endmacro %}

{% macro postgres__grant_bi_role(role, schema) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set quoted_role = adapter.quote(role) -%}
    {%- set marts = adapter.quote(schema) -%}
    {%- set existing = run_query(
        "select nspname from pg_catalog.pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema'"
    ).columns[0].values() -%}
    {%- set statements = [] -%}
    {#- the role itself: created when missing and kept read-only with the marts first on its search_path, when the
        current user may manage roles (superuser or CREATEROLE); CONNECT when it owns the database -#}
    {%- do statements.append(
        "do $grant_bi_role$ declare"
        ~ " may_manage boolean := (select rolsuper or rolcreaterole from pg_catalog.pg_roles"
        ~ " where rolname = current_user);"
        ~ " begin"
        ~ " if not exists (select from pg_catalog.pg_roles where rolname = " ~ dbt.string_literal(role) ~ ") then"
        ~ " if not may_manage then raise exception 'role % is missing and % may not create it (needs CREATEROLE)', "
        ~ dbt.string_literal(role) ~ ", current_user; end if;"
        ~ " create role " ~ quoted_role ~ " login;"
        ~ " end if;"
        ~ " if may_manage then"
        ~ " alter role " ~ quoted_role ~ " set search_path = " ~ marts ~ ";"
        ~ " alter role " ~ quoted_role ~ " set default_transaction_read_only = on;"
        ~ " end if;"
        ~ " if pg_catalog.pg_has_role((select datdba from pg_catalog.pg_database"
        ~ " where datname = current_database()), 'member') then"
        ~ " execute format('grant connect on database %I to %I', current_database(), " ~ dbt.string_literal(role) ~ ");"
        ~ " end if;"
        ~ " end $grant_bi_role$"
    ) -%}
    {%- for closed in bi_role_closed_schemas(schema) if closed in existing -%}
        {%- set quoted = adapter.quote(closed) -%}
        {%- do statements.append("revoke all on all tables in schema " ~ quoted ~ " from " ~ quoted_role) -%}
        {%- do statements.append("revoke all on all sequences in schema " ~ quoted ~ " from " ~ quoted_role) -%}
        {%- do statements.append("revoke all on schema " ~ quoted ~ " from " ~ quoted_role) -%}
        {%- if closed != 'public' -%}
            {#- ours: nobody else needs them through PUBLIC, whose grants every role has -#}
            {%- do statements.append("revoke all on schema " ~ quoted ~ " from public") -%}
            {%- do statements.append("revoke all on all tables in schema " ~ quoted ~ " from public") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if schema in existing -%}
        {%- do statements.append("grant usage on schema " ~ marts ~ " to " ~ quoted_role) -%}
        {%- do statements.append("grant select on all tables in schema " ~ marts ~ " to " ~ quoted_role) -%}
        {#- tables the next builds create (dbt replaces a table by a new one) are readable at once -#}
        {%- do statements.append(
            "alter default privileges in schema " ~ marts ~ " grant select on tables to " ~ quoted_role
        ) -%}
    {%- endif -%}
    {%- for statement in statements -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
    {%- do run_query("commit") -%}
    {{ log("grant_bi_role: " ~ role ~ " reads " ~ schema ~ " only", info=true) }}
    {{ return('') }}
{%- endmacro %}
