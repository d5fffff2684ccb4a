#!/usr/bin/env bash
# Captures the pgoutput messages of a fixed set of changes from a running PostgreSQL (the dev
# stack's, with wal_level=logical) into tests/unit/data/pgoutput_v1.hex and pgoutput_v2.hex: one
# message a line, `<lsn> <hex bytes>`, exactly as the server's pgoutput plugin sent them. The
# decoder's unit tests read these files, so they test real bytes, not our own idea of them.
#   source .stack/<name>/env && bash tests/unit/data/capture_pgoutput.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
url=${KT_POSTGRES_URL:?source a dev stack env file first}
psql_() { psql "$url" -v ON_ERROR_STOP=1 -qAt "$@"; }

psql_ <<'SQL'
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
 WHERE slot_name IN ('kt_capture_v1', 'kt_capture_v2');
DROP PUBLICATION IF EXISTS kt_capture_pub;
DROP TABLE IF EXISTS kt_capture_item, "kt capture ""Odd"" Name";
DROP TYPE IF EXISTS kt_capture_mood;
SELECT pg_replication_origin_drop('kt_capture_origin') FROM pg_replication_origin
 WHERE roname = 'kt_capture_origin';
CREATE TYPE kt_capture_mood AS ENUM ('calm', 'busy');
SELECT 'origin' FROM pg_replication_origin_create('kt_capture_origin');
CREATE TABLE kt_capture_item (
  id bigint PRIMARY KEY, title text, price numeric(10, 2), tags text[], body text,
  seen timestamptz);
ALTER TABLE kt_capture_item ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE TABLE "kt capture ""Odd"" Name" ("Key" int PRIMARY KEY, "väl ue" text,
  mood kt_capture_mood);
ALTER TABLE "kt capture ""Odd"" Name" REPLICA IDENTITY FULL;
CREATE PUBLICATION kt_capture_pub FOR TABLE kt_capture_item, "kt capture ""Odd"" Name";
SELECT 'slot' FROM pg_create_logical_replication_slot('kt_capture_v1', 'pgoutput');
SELECT 'slot' FROM pg_create_logical_replication_slot('kt_capture_v2', 'pgoutput');
SQL

psql_ <<'SQL'
-- 1: an insert with every kind of value, a NULL and a TOASTed body
INSERT INTO kt_capture_item VALUES
  (1, 'Desk', 249.50, '{oak,"large desk"}', repeat('x', 3000), '2026-01-02 03:04:05+00'),
  (2, NULL, 10, '{}', 'short', NULL);
-- 2: an update that leaves the TOASTed body unchanged, then a key change
UPDATE kt_capture_item SET title = 'Desk, oak' WHERE id = 1;
UPDATE kt_capture_item SET id = 3 WHERE id = 2;
-- 3: a delete (old key only) and a transactional logical message
BEGIN;
DELETE FROM kt_capture_item WHERE id = 3;
SELECT 'm' FROM pg_logical_emit_message(true, 'kt.test', 'hello');
COMMIT;
-- 4: replica identity full (the whole old row on update and delete), a type of our own, and
-- a transaction replayed from elsewhere (it carries a replication origin)
SELECT 'o' FROM pg_replication_origin_session_setup('kt_capture_origin');
INSERT INTO "kt capture ""Odd"" Name" VALUES (7, 'a', 'calm');
SELECT 'o' FROM pg_replication_origin_session_reset();
UPDATE "kt capture ""Odd"" Name" SET "väl ue" = 'b' WHERE "Key" = 7;
DELETE FROM "kt capture ""Odd"" Name" WHERE "Key" = 7;
-- 5: a truncate of both tables, and a non-transactional message
TRUNCATE kt_capture_item, "kt capture ""Odd"" Name" RESTART IDENTITY CASCADE;
SELECT 'm' FROM pg_logical_emit_message(false, 'kt.test', 'now');
SQL
v1_upto=$(psql_ -c 'SELECT pg_current_wal_insert_lsn()')
psql_ <<'SQL'
-- 6: a transaction larger than logical_decoding_work_mem (streamed under protocol 2)
INSERT INTO kt_capture_item (id, title) SELECT g, 'r' || g FROM generate_series(10, 509) g;
SQL

peek() {  # slot, file, options, up to lsn
  psql_ -c "SET logical_decoding_work_mem = '64kB'" \
    -c "SELECT lsn, encode(data, 'hex') FROM pg_logical_slot_peek_binary_changes('$1', $4, NULL,
          'publication_names', 'kt_capture_pub', 'messages', 'true' $3)" |
    tr '|' ' ' >"$here/$2"
}
# Protocol 1 up to the large transactions (they look the same as small ones there).
peek kt_capture_v1 pgoutput_v1.hex ", 'proto_version', '1'" "'$v1_upto'"
peek kt_capture_v2 pgoutput_v2.hex ", 'proto_version', '2', 'streaming', 'on'" NULL

psql_ <<'SQL'
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
 WHERE slot_name IN ('kt_capture_v1', 'kt_capture_v2');
DROP PUBLICATION kt_capture_pub;
DROP TABLE kt_capture_item, "kt capture ""Odd"" Name";
DROP TYPE kt_capture_mood;
SELECT pg_replication_origin_drop('kt_capture_origin');
SQL
wc -l "$here"/pgoutput_v1.hex "$here"/pgoutput_v2.hex
