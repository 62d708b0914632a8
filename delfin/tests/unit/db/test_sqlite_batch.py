"""Multi-row INSERT and UPDATE statements for SQLite batches."""
import sqlite3
import threading

import pytest

from delfin.db import sqlite_batch

VALUES = [None, 0, -1, 2 ** 63 - 1, -2 ** 63, 1.5, '', 'text',
          "quote ' \" ?", 'ünïcødé ✓', 'line\nbreak', b'\x00\xff']


@pytest.fixture
def conn():
    c = sqlite3.connect(':memory:', isolation_level=None,
                        check_same_thread=False)
    c.execute('CREATE TABLE "t x" (id TEXT PRIMARY KEY, a, b, "c d")')
    yield c
    c.close()


@pytest.fixture
def statements(conn):
    """The statements ``conn`` runs, as SQLite traces them."""
    seen = []
    conn.set_trace_callback(seen.append)
    return seen


def rows_of(n, start=0):
    return [('id-%05d' % i, VALUES[i % len(VALUES)],
             VALUES[(i * 7) % len(VALUES)], i) for i in range(start, n)]


def stored(conn):
    return conn.execute('SELECT id, a, b, "c d" FROM "t x" '
                        'ORDER BY id').fetchall()


COLUMNS = ('id', 'a', 'b', '"c d"')


@pytest.mark.parametrize('count', [1, 2, 99, 100, 101, 1000])
def test_insert_stores_every_row_as_given(conn, statements, count):
    # A limit of 40 parameters: 10 rows of 4 values per statement.
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 40)
    rows = rows_of(count)
    sqlite_batch.insert(conn, '"t x"', COLUMNS, rows)
    assert stored(conn) == rows
    inserts = [s for s in statements if s.startswith('INSERT')]
    assert len(inserts) == -(-count // 10)


def test_insert_of_nothing_runs_no_statement(conn, statements):
    sqlite_batch.insert(conn, '"t x"', COLUMNS, [])
    assert statements == []


def test_rows_per_statement_follows_the_connection_limit(conn):
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    assert sqlite_batch.rows_per_statement(conn, 4) == 249
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 3)
    assert sqlite_batch.rows_per_statement(conn, 4) == 1
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 10 ** 6)
    assert sqlite_batch.rows_per_statement(conn, 4) == sqlite_batch._MAX_ROWS


def test_a_failing_row_fails_its_statement(conn):
    rows = rows_of(5)
    sqlite_batch.insert(conn, '"t x"', COLUMNS, rows[:1])
    with pytest.raises(sqlite3.IntegrityError):
        sqlite_batch.insert(conn, '"t x"', COLUMNS, rows)
    assert stored(conn) == rows[:1]


@pytest.mark.parametrize('update_from', [True, False])
def test_update_sets_the_columns_of_the_keyed_rows_only(
        conn, statements, monkeypatch, update_from):
    if update_from and not sqlite_batch._UPDATE_FROM:
        pytest.skip('SQLite %s has no UPDATE ... FROM'
                    % sqlite3.sqlite_version)
    monkeypatch.setattr(sqlite_batch, '_UPDATE_FROM', update_from)
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 30)
    rows = rows_of(300)
    sqlite_batch.insert(conn, '"t x"', COLUMNS, rows)
    changed = {row[0]: (VALUES[(i * 3) % len(VALUES)], -i)
               for i, row in enumerate(rows) if i % 3 == 0}
    sqlite_batch.update(conn, '"t x"', ('b', '"c d"'), 'id',
                        [values + (key,) for key, values in changed.items()])
    expected = [(key, a) + changed.get(key, (b, c))
                for key, a, b, c in rows]
    assert stored(conn) == expected
    updates = [s for s in statements if s.startswith('UPDATE')]
    # 10 rows of 3 values per statement, or one per row without FROM.
    assert len(updates) == (10 if update_from else len(changed))


def test_a_batch_is_not_held_up_by_a_busy_thread(tmp_path):
    # An executemany gives up the interpreter lock for every row and waits
    # for it again after each; with a thread running Python beside it, that
    # wait lasts a switch interval per row.  A batch here gives it up once
    # per statement.
    path = tmp_path / 'busy.sqlite'
    conn = sqlite3.connect(str(path), isolation_level=None,
                           check_same_thread=False)
    conn.execute('CREATE TABLE "t x" (id TEXT PRIMARY KEY, a, b, "c d")')
    releases = []
    conn.set_trace_callback(releases.append)
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            sum(range(1000))
    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    try:
        rows = rows_of(20000)
        conn.execute('BEGIN')
        sqlite_batch.insert(conn, '"t x"', COLUMNS, rows)
        conn.execute('COMMIT')
    finally:
        stop.set()
        spinner.join()
    assert conn.execute('SELECT count(*) FROM "t x"').fetchone()[0] == 20000
    inserts = [s for s in releases if s.startswith('INSERT')]
    assert len(inserts) == -(-20000 // sqlite_batch.rows_per_statement(
        conn, len(COLUMNS)))
    conn.close()
