#!/usr/bin/env bash
# Sample data for the "source" service of compose.yml (postgres:9.5 image).
# Run once by the image's docker-entrypoint.sh from /docker-entrypoint-initdb.d
# on first start (empty data directory), while the server listens on the unix
# socket only. SQL is kept 9.5-compatible (serial, no IDENTITY, no
# IF NOT EXISTS on roles/databases).
#
# Result:
#   role  app_owner (LOGIN)          owns database pdb3 and everything in it
#   pdb1  table1 (20k rows), table2 (50k rows, FK -> table1),
#         table3 (200k rows; the compose "migrate" service delays its data),
#         view v_table2_per_table1
#   pdb2  table1, table2, table_audit (all matched by 'pdb2.table*'),
#         other (not matched), a custom enum type and a function
#   pdb3  schema app with customers/orders owned by app_owner, a sequence
set -euo pipefail

psql_super() {
  psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" "$@"
}

echo "init-source: creating role and databases"
psql_super --dbname postgres <<'SQL'
CREATE ROLE app_owner LOGIN PASSWORD 'app_owner_pw';
CREATE DATABASE pdb1;
CREATE DATABASE pdb2;
CREATE DATABASE pdb3 OWNER app_owner;
COMMENT ON DATABASE pdb1 IS 'pg-migrate sample: plain tables with FK and a view';
SQL

echo "init-source: populating pdb1"
psql_super --dbname pdb1 <<'SQL'
CREATE TABLE table1 (
    id         serial PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO table1 (name, created_at)
SELECT 'name-' || g, now() - g * interval '1 minute'
FROM generate_series(1, 20000) AS g;

CREATE TABLE table2 (
    id        bigserial PRIMARY KEY,
    table1_id integer NOT NULL REFERENCES table1 (id),
    amount    numeric(12,2) NOT NULL,
    note      text
);
INSERT INTO table2 (table1_id, amount, note)
SELECT 1 + (g % 20000), round((random() * 1000)::numeric, 2),
       CASE WHEN g % 7 = 0 THEN NULL ELSE md5(g::text) END
FROM generate_series(1, 50000) AS g;
CREATE INDEX table2_table1_id_idx ON table2 (table1_id);

-- The biggest table: its data is delayed by the migrate service
-- (--delay-table-data pdb1.table3).
CREATE TABLE table3 (
    id      bigserial PRIMARY KEY,
    payload text NOT NULL,
    flags   integer[] NOT NULL DEFAULT '{}',
    doc     jsonb
);
INSERT INTO table3 (payload, flags, doc)
SELECT repeat(md5(g::text), 4), ARRAY[g % 3, g % 5],
       json_build_object('n', g, 'even', g % 2 = 0)::jsonb
FROM generate_series(1, 200000) AS g;
CREATE INDEX table3_doc_idx ON table3 USING gin (doc);

CREATE VIEW v_table2_per_table1 AS
SELECT t1.id, t1.name, count(t2.id) AS n, sum(t2.amount) AS total
FROM table1 t1 LEFT JOIN table2 t2 ON t2.table1_id = t1.id
GROUP BY t1.id, t1.name;
ANALYZE;
SQL

echo "init-source: populating pdb2"
psql_super --dbname pdb2 <<'SQL'
CREATE TYPE status AS ENUM ('new', 'active', 'closed');

CREATE TABLE table1 (
    id     serial PRIMARY KEY,
    status status NOT NULL DEFAULT 'new',
    label  varchar(64) NOT NULL UNIQUE
);
INSERT INTO table1 (status, label)
SELECT (ARRAY['new','active','closed']::status[])[1 + g % 3], 'label-' || g
FROM generate_series(1, 10000) AS g;

CREATE TABLE table2 (
    id        serial PRIMARY KEY,
    table1_id integer REFERENCES table1 (id) ON DELETE CASCADE,
    value     double precision
);
INSERT INTO table2 (table1_id, value)
SELECT 1 + (g % 10000), random()
FROM generate_series(1, 30000) AS g;

CREATE TABLE table_audit (
    id         bigserial PRIMARY KEY,
    changed_at timestamptz NOT NULL DEFAULT now(),
    what       text
);
INSERT INTO table_audit (what)
SELECT 'change ' || g FROM generate_series(1, 5000) AS g;

-- Not matched by 'pdb2.table*': migrated with the normal data pass.
CREATE TABLE other (
    k text PRIMARY KEY,
    v text
);
INSERT INTO other SELECT 'k' || g, 'v' || g FROM generate_series(1, 1000) AS g;

CREATE FUNCTION table1_count() RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT count(*) FROM table1 $$;
ANALYZE;
SQL

echo "init-source: populating pdb3 (as app_owner)"
psql_super --dbname pdb3 <<'SQL'
SET ROLE app_owner;
CREATE SCHEMA app;
CREATE SEQUENCE app.invoice_no START 1000;
CREATE TABLE app.customers (
    id    serial PRIMARY KEY,
    email text NOT NULL UNIQUE
);
INSERT INTO app.customers (email)
SELECT 'user' || g || '@example.com' FROM generate_series(1, 2000) AS g;
CREATE TABLE app.orders (
    id          serial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES app.customers (id),
    invoice_no  bigint NOT NULL DEFAULT nextval('app.invoice_no'),
    total       numeric(10,2) NOT NULL
);
INSERT INTO app.orders (customer_id, total)
SELECT 1 + (g % 2000), (g % 500) + 0.99 FROM generate_series(1, 8000) AS g;
RESET ROLE;
ANALYZE;
SQL

echo "init-source: done"
