-- Run once by the postgres image's entrypoint (docker-entrypoint-initdb.d), as POSTGRES_USER,
-- only when the data volume is empty. After editing: docker compose down -v && docker compose up -d
CREATE DATABASE orders;
CREATE DATABASE notifications;
