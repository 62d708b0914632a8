"""The COPY text form the sync engine sends PostgreSQL."""
import datetime

from delfin.task_manager import sync


def test_values_in_copy_text_form():
    row = ('plain', None, True, False, 42, -7,
           datetime.datetime(2026, 1, 2, 3, 4, 5, 678),
           'tab\there', 'line\nbreak\rreturn', 'back\\slash', '\\N', 1.5)
    assert sync.statements._copy_text([row]) == '\t'.join([
        'plain', '\\N', 't', 'f', '42', '-7', '2026-01-02 03:04:05.000678',
        'tab\\there', 'line\\nbreak\\rreturn', 'back\\\\slash', '\\\\N',
        '1.5']) + '\n'


def test_rows_end_with_newlines():
    assert sync.statements._copy_text([('a',), ('b',)]) == 'a\nb\n'
    assert sync.statements._copy_text([]) == ''
