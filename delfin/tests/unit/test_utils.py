"""Clocks, identifiers, the SSH injection check and the singleton."""
import datetime
import threading
import time
import uuid

import pytest

from delfin import exception
from delfin import utils


def test_utcnow_is_naive_utc():
    now = utils.utcnow()
    assert now.tzinfo is None
    reference = datetime.datetime.now(datetime.timezone.utc)
    assert abs(reference.replace(tzinfo=None) - now) \
        < datetime.timedelta(seconds=5)
    aware = utils.utcnow(with_timezone=True)
    assert aware.utcoffset() == datetime.timedelta(0)


def test_utcnow_ms_is_integer_epoch_milliseconds():
    before = int(time.time() * 1000)
    value = utils.utcnow_ms()
    after = int(time.time() * 1000)
    assert isinstance(value, int)
    assert before <= value <= after


def test_generate_uuid():
    first, second = utils.generate_uuid(), utils.generate_uuid()
    assert first != second
    assert str(uuid.UUID(first)) == first


@pytest.mark.parametrize('cmd_list', [
    ['ls', '-l'],
    'lsvdisk -delim : -nohdr -bytes'.split(),
    ["'a b'"],
    ['"quoted argument"'],
    ['"it\\"s"'],
    ['a\\;b'],
    ['back\\`tick'],
    ['12345'],
    [],
])
def test_safe_argument_lists_pass(cmd_list):
    assert utils.check_ssh_injection(cmd_list) is None


@pytest.mark.parametrize('cmd_list', [
    ['a b'],
    ['ls;'],
    [';ls'],
    ['$HOME'],
    ['a|b'],
    ['a&&b'],
    ['a>b'],
    ['<in'],
    ['`id`'],
    ["'a'b'"],
    ["''a'"],
    ['"ab"c"'],
    ["'a;b'"],
    # A metacharacter escaped once does not excuse a later one.
    ['a\\;b;c'],
])
def test_unsafe_argument_lists_raise(cmd_list):
    with pytest.raises(exception.SSHInjectionThreat) as info:
        utils.check_ssh_injection(cmd_list)
    assert info.value.code == 500
    assert str(cmd_list) in str(info.value)


@pytest.mark.parametrize('command', [
    'storage show -fields a,b',
    "a 'b c'",
    'showsys -d "x y"',
    'ls -l /tmp',
])
def test_plain_string_is_checked_per_character_and_passes(command):
    assert utils.check_ssh_injection(command) is None


@pytest.mark.parametrize('command', [
    'ls | x', 'echo $HOME', 'x\\;y', 'a>b', 'a<b', 'a&b', 'a`b`', 'ls;id',
])
def test_plain_string_with_any_metacharacter_raises(command):
    with pytest.raises(exception.SSHInjectionThreat) as info:
        utils.check_ssh_injection(command)
    assert str(info.value) == \
        'SSH command injection detected: %s.' % command


def test_singleton_gives_one_instance_across_threads():
    created = []

    class Registry(metaclass=utils.Singleton):
        def __init__(self):
            time.sleep(0.01)
            created.append(self)

    results = []
    threads = [threading.Thread(target=lambda: results.append(Registry()))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(created) == 1
    assert all(r is created[0] for r in results)
