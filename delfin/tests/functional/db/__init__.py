"""Database layer tests on SQLite, PostgreSQL and MariaDB."""
