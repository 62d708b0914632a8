"""Encryption of secrets at rest.

Passwords, tokens and SNMP keys are kept as Fernet tokens (AES-128-CBC with
an HMAC-SHA256, see the ``cryptography`` package).  The keys come from
``[security] secret_keys`` when that option is set, otherwise from the file
named by ``[security] secret_key_file``: one url-safe base64 key per line,
blank lines and ``#`` comments ignored.  The first key encrypts; every key
decrypts, so a key is rotated by putting a new key first, re-encrypting the
stored tokens with :func:`reencrypt`, then removing the old key.  The key
file is created (one fresh key, mode 0600) the first time a secret is
encrypted; decrypting never creates it, nor any other file.

Drivers written for Delfin call the module functions :func:`encode` and
:func:`decode` on the passwords and tokens they keep, so those names stay.
Delfin stored secrets as plain base64 (its ``_Base64``): :func:`decode`
still reads such a value, that is anything that is not a Fernet token and
decodes as base64 to UTF-8 text, while :func:`encode` always writes a
Fernet token.  ``delfin-manage secrets status`` counts the base64 values
left in the database and ``delfin-manage secrets rotate`` encrypts them.

``[DEFAULT] delfin_cryptor`` names the implementation as in Delfin: this
module's ``Fernet`` (the default), or the class path of an operator's own
`ICryptor` (anything with static ``encode`` and ``decode``), which is then
used for every secret.  Delfin's ``delfin.cryptor._Base64`` is refused with
`UnsupportedCryptor`, because it would store secrets unencrypted.
"""
import abc
import base64
import binascii
import os
import stat
import tempfile
import threading

from cryptography import fernet as _fernet
from oslo_config import cfg
from oslo_log import log as logging

import delfin.conf  # noqa: F401  (registers the [security] options)

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

_KEY_FILE_MODE = 0o600
_KEY_DIR_MODE = 0o700


class InvalidCipherText(ValueError):
    """The text is not a token made by any of the configured keys."""


class InvalidSecretKey(ValueError):
    """A configured key is not a valid Fernet key (the key is not shown)."""


class UnsupportedCryptor(ValueError):
    """``[DEFAULT] delfin_cryptor`` names an implementation that cannot
    be used."""


class ICryptor(abc.ABC):
    """Interface of an implementation of the module functions."""

    @staticmethod
    @abc.abstractmethod
    def encode(plain_text):
        """Return the protected form of `plain_text` as a str."""

    @staticmethod
    @abc.abstractmethod
    def decode(cipher_text):
        """Return the plain text of `cipher_text` as a str."""


class _Base64(ICryptor):
    """Delfin's former default: reversible base64, no secrecy at all."""

    @staticmethod
    def encode(plain_text):
        return base64.b64encode(plain_text.encode('utf-8')).decode('ascii')

    @staticmethod
    def decode(cipher_text):
        return base64.b64decode(cipher_text).decode('utf-8')


class _KeyRing(object):
    """The configured keys, loaded once and reloaded when their source
    changes (another option value, or a key file rewritten by a rotation).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._source = None
        self._file_stamp = None
        self._multi = None
        self._primary = None

    def reset(self):
        with self._lock:
            self._source = None
            self._file_stamp = None
            self._multi = None
            self._primary = None

    def get(self, create=True):
        """The keys; the key file is created when missing only if
        `create` (encrypting), otherwise `NoSecretKey` is raised."""
        source = _current_source()
        with self._lock:
            if self._multi is None or source != self._source:
                self._load(source, create)
            return self._multi

    def primary(self):
        """The key that encrypts, as a ``cryptography`` Fernet."""
        self.get(create=False)
        with self._lock:
            return self._primary

    def reload_if_file_changed(self):
        """Reload when the key file changed on disk; True if it did."""
        source = _current_source()
        with self._lock:
            if source[0] != 'file' or source != self._source:
                return False
            if _file_stamp(source[1]) == self._file_stamp:
                return False
            self._load(source, False)
            return True

    def _load(self, source, create):
        kind, value = source
        if kind == 'option':
            keys = _parse_keys(value, 'option [security] secret_keys')
            stamp = None
        else:
            keys, stamp = _read_or_create_key_file(value, create)
        self._multi = _fernet.MultiFernet(keys)
        self._primary = keys[0]
        self._source = source
        self._file_stamp = stamp


def _current_source():
    keys = tuple(k for k in (CONF.security.secret_keys or []) if k.strip())
    if keys:
        return ('option', keys)
    return ('file', os.path.abspath(CONF.security.secret_key_file))


def _parse_keys(lines, where):
    keys = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith('#'):
            continue
        try:
            keys.append(_fernet.Fernet(text.encode('ascii')))
        except (ValueError, binascii.Error, UnicodeEncodeError):
            raise InvalidSecretKey(
                "Entry %d of %s is not a valid Fernet key (32 url-safe "
                "base64-encoded bytes)" % (number, where))
    if not keys:
        raise InvalidSecretKey("No key found in %s" % where)
    return keys


def _file_stamp(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class NoSecretKey(InvalidCipherText):
    """Nothing was ever encrypted here: no key file exists yet."""


def _read_or_create_key_file(path, create):
    if not os.path.exists(path):
        if not create:
            raise NoSecretKey("No secret key exists yet (%s is missing), so "
                              "no token can be decrypted" % path)
        _create_key_file(path, [generate_key()])
    st = os.stat(path)
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        LOG.warning("Secret key file %s is accessible by other users; "
                    "it should have mode 0600", path)
    with open(path, encoding='ascii') as f:
        lines = f.read().splitlines()
    return _parse_keys(lines, 'key file %s' % path), _file_stamp(path)


def _write_temp_key_file(path, keys):
    directory = os.path.dirname(path)
    # mkstemp creates the file with mode 0600, so the keys are never
    # readable by others, not even for a moment.
    fd, temp_path = tempfile.mkstemp(prefix='.secret-key-', dir=directory)
    try:
        with os.fdopen(fd, 'w', encoding='ascii') as f:
            f.write(''.join(k + '\n' for k in keys))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp_path, _KEY_FILE_MODE)
    except BaseException:
        os.unlink(temp_path)
        raise
    return temp_path


def _create_key_file(path, keys):
    """Create the key file atomically, never replacing one that another
    process created meanwhile (its keys may already protect data)."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=_KEY_DIR_MODE, exist_ok=True)
    temp_path = _write_temp_key_file(path, keys)
    try:
        os.link(temp_path, path)
        LOG.info("Created secret key file %s", path)
    except FileExistsError:
        pass
    except OSError:
        # No hard links on this file system: exclusive create instead.
        _create_key_file_exclusive(path, keys)
    finally:
        os.unlink(temp_path)


def _create_key_file_exclusive(path, keys):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                     _KEY_FILE_MODE)
    except FileExistsError:
        return
    with os.fdopen(fd, 'w', encoding='ascii') as f:
        f.write(''.join(k + '\n' for k in keys))
        f.flush()
        os.fsync(f.fileno())
    LOG.info("Created secret key file %s", path)


_KEYRING = _KeyRing()


def _as_bytes(value, name):
    if isinstance(value, str):
        return value.encode('utf-8')
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError("%s must be str or bytes, not %s"
                    % (name, type(value).__name__))


_TOKEN_VERSION = 0x80
# Version, timestamp and IV (25 bytes), one AES block at least, HMAC (32).
_TOKEN_MIN_BYTES = 25 + 16 + 32


def is_token(value):
    """True if `value` (str or bytes) has the shape of a Fernet token."""
    data = _as_bytes(value, 'value').strip()
    if not data.startswith(b'gAAAAA'):
        return False
    try:
        raw = base64.b64decode(data, altchars=b'-_', validate=True)
    except (binascii.Error, ValueError):
        return False
    return (len(raw) >= _TOKEN_MIN_BYTES and raw[0] == _TOKEN_VERSION
            and (len(raw) - _TOKEN_MIN_BYTES) % 16 == 0)


def legacy_text(value):
    """The text of a value Delfin stored as base64, or None when `value`
    is a Fernet token, empty, not base64, or not UTF-8 text once decoded.
    """
    data = _as_bytes(value, 'value').strip()
    if not data or is_token(data):
        return None
    try:
        return base64.b64decode(data, validate=True).decode('utf-8')
    except (binascii.Error, ValueError):
        return None


class Fernet(ICryptor):
    """The implementation used for every stored secret: encrypts with the
    first configured key, decrypts with any, and reads Delfin's base64."""

    @staticmethod
    def encode(plain_text):
        data = _as_bytes(plain_text, 'plain_text')
        return _KEYRING.get().encrypt(data).decode('ascii')

    @staticmethod
    def decode(cipher_text):
        token = _as_bytes(cipher_text, 'cipher_text')
        if not is_token(token):
            text = legacy_text(token)
            if text is None:
                raise InvalidCipherText(
                    "Neither a token made by a configured secret key nor "
                    "a base64 value")
            return text
        plain = _with_keys(lambda keys: keys.decrypt(token))
        try:
            return plain.decode('utf-8')
        except UnicodeDecodeError:
            raise InvalidCipherText("The decrypted secret is not UTF-8 text")

    @staticmethod
    def reencrypt(token):
        data = _as_bytes(token, 'token')
        text = legacy_text(data)
        if text is not None:
            return Fernet.encode(text)
        return _with_keys(lambda keys: keys.rotate(data)).decode('ascii')

    @staticmethod
    def classify(value):
        data = _as_bytes(value, 'value')
        if legacy_text(data) is not None:
            return LEGACY
        if not is_token(data) or not _readable(data):
            return UNREADABLE
        try:
            _KEYRING.primary().decrypt(data.strip())
            return ENCRYPTED
        except _fernet.InvalidToken:
            return OLD_KEY


def _readable(token):
    try:
        _with_keys(lambda keys: keys.decrypt(token))
        return True
    except InvalidCipherText:
        return False


def _with_keys(operation):
    try:
        return operation(_KEYRING.get(create=False))
    except _fernet.InvalidToken:
        # A rotation in another process may have put a new key in the file.
        if _KEYRING.reload_if_file_changed():
            try:
                return operation(_KEYRING.get(create=False))
            except _fernet.InvalidToken:
                pass
    raise InvalidCipherText("Not a token made by any configured secret key")


# What `classify` says of a stored secret.
ENCRYPTED = 'encrypted'      # a token of the first (encrypting) key
OLD_KEY = 'old-key'          # a token of another configured key
LEGACY = 'legacy-base64'     # Delfin's base64, not encrypted
UNREADABLE = 'unreadable'    # none of the above

_BUILT_IN = 'delfin.cryptor.Fernet'
# Delfin's own value of delfin_cryptor, in the delfin.conf it shipped and
# so in every Delfin configuration: a Delfin configuration file must work,
# and secrets must not be stored as plain base64.  It is taken to mean the
# built-in encryption (which also reads the base64 values Delfin stored),
# and said so once at start.
_DELFIN_DEFAULT = 'delfin.cryptor._Base64'
_DELFIN_DEFAULT_NOTE = (
    "[DEFAULT] delfin_cryptor = %s (Delfin's base64) is not used to store "
    "secrets: they are encrypted with the keys of [security]; the base64 "
    "values Delfin stored are still read, and 'delfin-manage secrets "
    "rotate' encrypts them. Remove the option to silence this warning."
    % _DELFIN_DEFAULT)
_resolved = {}
_resolved_lock = threading.Lock()


class _Custom(object):
    """An operator's own implementation named by delfin_cryptor."""

    def __init__(self, cls):
        self.cls = cls

    def encode(self, plain_text):
        return self.cls.encode(plain_text)

    def decode(self, cipher_text):
        return self.cls.decode(cipher_text)

    def reencrypt(self, token):
        return self.cls.encode(self.cls.decode(token))

    def classify(self, value):
        try:
            self.cls.decode(value)
            return ENCRYPTED
        except Exception:
            return UNREADABLE


def _load_custom(name):
    from oslo_utils import importutils
    try:
        cls = importutils.import_class(name)
    except Exception as err:
        raise UnsupportedCryptor(
            "[DEFAULT] delfin_cryptor = %s cannot be imported (%s: %s)"
            % (name, type(err).__name__, err))
    for method in ('encode', 'decode'):
        if not callable(getattr(cls, method, None)):
            raise UnsupportedCryptor(
                "[DEFAULT] delfin_cryptor = %s has no %s(text) method"
                % (name, method))
    LOG.info("Secrets are encrypted with %s ([DEFAULT] delfin_cryptor)",
             name)
    return _Custom(cls)


def implementation():
    """The implementation ``[DEFAULT] delfin_cryptor`` selects.

    Delfin's ``delfin.cryptor._Base64`` means the built-in encryption
    (with a warning): see `_DELFIN_DEFAULT`.

    :raises UnsupportedCryptor: the option names a class that cannot be
        used (the message says why).
    """
    name = (CONF.delfin_cryptor or '').strip() or _BUILT_IN
    impl = _resolved.get(name)
    if impl is None:
        with _resolved_lock:
            impl = _resolved.get(name)
            if impl is None:
                if name == _DELFIN_DEFAULT:
                    LOG.warning(_DELFIN_DEFAULT_NOTE)
                    impl = Fernet
                else:
                    impl = Fernet if name == _BUILT_IN \
                        else _load_custom(name)
                _resolved[name] = impl
    return impl


def check_configuration():
    """Raise `UnsupportedCryptor` now if delfin_cryptor cannot be used
    (services call it when they start)."""
    implementation()


def encode(plain_text):
    """Encrypt `plain_text` (str) with the first key; return the token."""
    return implementation().encode(plain_text)


def decode(cipher_text):
    """Return the text of a token made by any configured key, or of a
    base64 value stored by Delfin.

    Raises TypeError for None and InvalidCipherText (a ValueError) for a
    value that is neither.
    """
    return implementation().decode(cipher_text)


def reencrypt(token):
    """Return `token` encrypted with the first key (for key rotation);
    a base64 value stored by Delfin comes back encrypted too."""
    return implementation().reencrypt(token)


def classify(value):
    """What a stored secret is: `ENCRYPTED`, `OLD_KEY`, `LEGACY` or
    `UNREADABLE` (a custom implementation only tells readable ones)."""
    return implementation().classify(value)


def generate_key():
    """Return a new random Fernet key as str."""
    return _fernet.Fernet.generate_key().decode('ascii')


def add_primary_key(key=None):
    """Put a new key first in the key file; the old keys keep decrypting.

    Returns nothing so the key never travels further than the file.  Only
    valid when the keys come from the key file, not from the option.
    """
    kind, path = _current_source()
    if kind != 'file':
        raise InvalidSecretKey(
            "Keys come from [security] secret_keys; rotate them there")
    key = key or generate_key()
    _parse_keys([key], 'the new key')
    with _KEYRING._lock:
        old_lines = []
        if os.path.exists(path):
            with open(path, encoding='ascii') as f:
                old_lines = f.read().splitlines()
        else:
            os.makedirs(os.path.dirname(path), mode=_KEY_DIR_MODE,
                        exist_ok=True)
        temp_path = _write_temp_key_file(path, [key] + old_lines)
        os.replace(temp_path, path)
    _KEYRING.reset()
    LOG.info("Added a new primary key to %s", path)


def reset():
    """Forget the loaded keys; the next call reads the configuration."""
    _KEYRING.reset()
