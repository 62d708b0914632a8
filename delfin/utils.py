"""Small helpers shared by the core and by drivers: clocks, identifiers,
the SSH command-injection check and a thread-safe singleton metaclass.

Drivers written for Delfin use ``utcnow_ms`` and ``check_ssh_injection``
from here; their behaviour is part of the driver contract.
"""
import datetime
import threading
import time
import uuid

from delfin import exception

# Characters that let a shell chain, substitute or redirect commands.
SHELL_METACHARACTERS = ('`', '$', '|', ';', '&', '>', '<')
_QUOTES = ('"', "'")


def utcnow(with_timezone=False):
    """Current UTC time; naive (as stored in the database) by default."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now if with_timezone else now.replace(tzinfo=None)


def utcnow_ms():
    """Current UTC time as integer epoch milliseconds."""
    return int(time.time() * 1000)


def generate_uuid():
    """A new random UUID as a str."""
    return str(uuid.uuid4())


def _has_unescaped(text, chars, start=0):
    for index in range(start, len(text)):
        if text[index] in chars and (index == 0 or text[index - 1] != '\\'):
            return True
    return False


def _is_unsafe(argument):
    if (len(argument) >= 2 and argument[0] in _QUOTES
            and argument[-1] == argument[0]):
        inner = argument[1:-1]
        # A quote at the start, or an unescaped one inside, would close
        # the quoting and let the rest reach the shell.
        if inner and (inner[0] in _QUOTES
                      or _has_unescaped(inner, _QUOTES, start=1)):
            return True
    elif len(argument.split()) > 1:
        return True
    return _has_unescaped(argument, SHELL_METACHARACTERS)


def check_ssh_injection(cmd_list):
    """Raise SSHInjectionThreat if an argument of `cmd_list` could inject
    shell syntax.

    `cmd_list` is meant to be a list of arguments: an argument may not hold
    unquoted whitespace, a badly quoted string, or an unescaped shell
    metacharacter (`` ` $ | ; & > < ``).  Given a plain string the check
    runs on each character, so any metacharacter anywhere is rejected,
    escaped or not, while spaces and quotes pass.
    """
    for item in cmd_list:
        if _is_unsafe(str(item).strip()):
            raise exception.SSHInjectionThreat(cmd_list)


class Singleton(type):
    """Metaclass giving one shared instance per class, created once even
    when several threads ask at the same time."""

    _instances = {}
    _lock = threading.Lock()

    def __call__(cls, *args, **kwargs):
        instance = Singleton._instances.get(cls)
        if instance is None:
            with Singleton._lock:
                instance = Singleton._instances.get(cls)
                if instance is None:
                    instance = super().__call__(*args, **kwargs)
                    Singleton._instances[cls] = instance
        return instance
