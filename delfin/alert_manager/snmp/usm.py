"""The SNMPv3 user-based security model (USM) for received notifications.

A USM user is a name plus optional authentication and privacy passphrases,
bound to the authoritative engine that sends the traps (the agent: a trap's
sender is authoritative, so its keys are localized to the agent's engine id).

* Keys (RFC 3414 A.2): a passphrase is stretched to a 1 MiB stream and
  hashed once (``Ku``, the expensive step, cached per passphrase), then
  localized to an engine id (``Kul = H(Ku | engineID | Ku)``, cheap, cached
  per user and engine id).
* Authentication: HMAC-MD5-96 and HMAC-SHA-96 (RFC 3414), HMAC-SHA-2 with
  the truncations of RFC 7860 (SHA-224: 16, SHA-256: 24, SHA-384: 32,
  SHA-512: 48 octets), computed over the whole message with the
  authentication parameters zeroed.
* Privacy: DES-CBC (RFC 3414), 3DES-EDE-CBC (draft-reeder-snmpv3-usm-3desede),
  AES-128-CFB (RFC 3826) and AES-192/256-CFB.  A privacy key longer than the
  hash output needs extending, and two incompatible extensions exist:
  ``aes192``/``aes256`` use draft-blumenthal-aes-usm-04 (append H of the key
  so far), which is what net-snmp's ``-x AES-192``/``-x AES-256`` do;
  ``aes192c``/``aes256c`` and ``3des`` use the Reeder draft (append the key
  so far, re-stretched and re-localized), which is net-snmp's
  ``AES-192C``/``AES-256C`` ("Cisco") and its 3DES.
* Timeliness (RFC 3414 3.2 step 7b, non-authoritative receiver): the
  listener is not authoritative for traps, so it can only remember, per
  sender engine id, the latest authentic engineBoots/engineTime it saw.  An
  authentic message is refused when engineBoots is latched at 2^31-1, when
  engineBoots is lower than the remembered value, or when engineBoots is
  the same and engineTime lags the remembered time (advanced by the local
  clock since) by more than 150 s.  This is replay protection; a sender
  that forgets its engineBoots across reboots breaks it, which is why
  `EngineTimes` can be disabled.

Protocol names are the lower-case names of the snmp-config API.
"""
import hashlib
import hmac
import os
import threading
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# Old ciphers and modes moved to the "decrepit" package (TripleDES in
# cryptography 43, CFB in 47); older releases only have the first home.
try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:
    TripleDES = algorithms.TripleDES
try:
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:
    CFB = modes.CFB

from delfin.alert_manager.snmp import ber
from delfin.common.constants import SecurityLevel

# name -> (hashlib name, length of the transmitted MAC)
AUTH_PROTOCOLS = {
    'hmacmd5': ('md5', 12),
    'hmacsha': ('sha1', 12),
    'hmcsha2224': ('sha224', 16),
    'hmcsha2256': ('sha256', 24),
    'hmcsha2384': ('sha384', 32),
    'hmcsha2512': ('sha512', 48),
}

# name -> (cipher family, key length, key extension)
PRIV_PROTOCOLS = {
    'des': ('des', 16, None),
    '3des': ('3des', 32, 'reeder'),
    'aes': ('aes', 16, None),
    'aes192': ('aes', 24, 'blumenthal'),
    'aes256': ('aes', 32, 'blumenthal'),
    'aes192c': ('aes', 24, 'reeder'),
    'aes256c': ('aes', 32, 'reeder'),
}

# RFC 3414: passphrases shorter than this are refused.
MIN_PASSWORD_LENGTH = 8
_STRETCH_LENGTH = 1048576
_TIME_WINDOW = 150
_MAX_BOOTS = 2147483647
# Bounds of the key caches; a key costs a 1 MiB hash, so these are only ever
# exceeded by a configuration with that many distinct passphrases.
_KU_CACHE_MAX = 4096
_KU_CACHE = {}
# Per user: localized keys for engine ids seen (only grows past one entry
# for users that accept any engine id).
_LOCALIZED_MAX = 1024


class AuthenticationError(Exception):
    """The message does not authenticate as the user it names."""


class DecryptionError(Exception):
    """The encrypted scoped PDU could not be decrypted."""


def as_bytes(value):
    """Text as UTF-8; bytes as they are (names and secrets are either)."""
    return value.encode('utf-8') if isinstance(value, str) else bytes(value)


def password_to_key(password, hash_name):
    """``Ku`` of RFC 3414 A.2: the passphrase stretched to 1 MiB, hashed."""
    password = as_bytes(password)
    cache_key = (hash_name, password)
    key = _KU_CACHE.get(cache_key)
    if key is None:
        if not password:
            raise ValueError('empty passphrase')
        repeats = _STRETCH_LENGTH // len(password) + 1
        key = hashlib.new(
            hash_name, (password * repeats)[:_STRETCH_LENGTH]).digest()
        if len(_KU_CACHE) >= _KU_CACHE_MAX:
            _KU_CACHE.clear()
        _KU_CACHE[cache_key] = key
    return key


def localize_key(ku, engine_id, hash_name):
    """``Kul``: a stretched key bound to one authoritative engine id."""
    return hashlib.new(hash_name, ku + engine_id + ku).digest()


def localized_priv_key(priv_protocol, hash_name, password, engine_id):
    """The privacy key for ``engine_id``, extended as the protocol says."""
    _, size, extension = PRIV_PROTOCOLS[priv_protocol]
    key = localize_key(password_to_key(password, hash_name), engine_id,
                       hash_name)
    while len(key) < size:
        if extension == 'blumenthal':
            key += hashlib.new(hash_name, key).digest()
        elif extension == 'reeder':
            key += localize_key(password_to_key(key, hash_name), engine_id,
                                hash_name)
        else:
            raise ValueError('%s needs a longer key than %s gives'
                             % (priv_protocol, hash_name))
    return key[:size]


@dataclass(frozen=True)
class LocalizedKeys:
    auth: bytes = field(repr=False)
    priv: bytes = field(repr=False)


@dataclass(frozen=True, eq=False)
class UsmUser:
    """One SNMPv3 user as configured for an alert source.

    ``auth_password``/``priv_password`` are the passphrases (Delfin's
    ``auth_key``/``privacy_key``).  ``engine_id`` is the sender's
    authoritative engine id; ``None`` accepts the user from any engine (the
    keys are then localized to whatever engine id a message carries).
    """
    name: str
    auth_protocol: str = None
    auth_password: str = field(default=None, repr=False)
    priv_protocol: str = None
    priv_password: str = field(default=None, repr=False)
    engine_id: bytes = None
    _keys: dict = field(default_factory=dict, init=False, repr=False,
                        compare=False)
    # The msgFlags security bits this user's messages carry.
    flags: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self):
        auth, priv = self.auth_protocol, self.priv_protocol
        if auth is not None and auth not in AUTH_PROTOCOLS:
            raise ValueError('unknown authentication protocol %r' % auth)
        if priv is not None and priv not in PRIV_PROTOCOLS:
            raise ValueError('unknown privacy protocol %r' % priv)
        if priv is not None and auth is None:
            raise ValueError('privacy needs authentication')
        for protocol, password in ((auth, self.auth_password),
                                   (priv, self.priv_password)):
            if protocol is not None and (
                    password is None
                    or len(as_bytes(password)) < MIN_PASSWORD_LENGTH):
                raise ValueError('passphrases must have at least %d octets'
                                 % MIN_PASSWORD_LENGTH)
        if self.engine_id is not None:
            object.__setattr__(self, 'engine_id', bytes(self.engine_id))
        # Read for every message: computed once.
        object.__setattr__(self, 'flags', (
            (ber.FLAG_AUTH if auth else 0) | (ber.FLAG_PRIV if priv else 0)))

    @property
    def security_level(self):
        if self.priv_protocol:
            return SecurityLevel.AUTHPRIV
        if self.auth_protocol:
            return SecurityLevel.AUTHNOPRIV
        return SecurityLevel.NOAUTHNOPRIV

    def same_secrets(self, other):
        """Whether ``other`` authenticates and decrypts as this user does."""
        return (self.auth_protocol == other.auth_protocol
                and self.auth_password == other.auth_password
                and self.priv_protocol == other.priv_protocol
                and self.priv_password == other.priv_password)

    def keys(self, engine_id):
        """Localized keys for ``engine_id`` (computed once, then cached)."""
        keys = self._keys.get(engine_id)
        if keys is None:
            auth = priv = b''
            if self.auth_protocol:
                hash_name = AUTH_PROTOCOLS[self.auth_protocol][0]
                auth = localize_key(
                    password_to_key(self.auth_password, hash_name),
                    engine_id, hash_name)
                if self.priv_protocol:
                    priv = localized_priv_key(self.priv_protocol, hash_name,
                                              self.priv_password, engine_id)
            keys = LocalizedKeys(auth, priv)
            if len(self._keys) >= _LOCALIZED_MAX:
                self._keys.clear()
            self._keys[engine_id] = keys
        return keys

    def __getstate__(self):
        # Localized keys are re-derived where the user is used.
        state = dict(self.__dict__)
        state['_keys'] = {}
        return state

    def __setstate__(self, state):
        for name, value in state.items():
            object.__setattr__(self, name, value)


def _mac(auth_protocol, key, whole_message):
    hash_name, size = AUTH_PROTOCOLS[auth_protocol]
    return hmac.digest(key, whole_message, hash_name)[:size]


def authenticate(user, keys, msg, data):
    """Check the MAC of ``data`` (a decoded `ber.V3Message`) for ``user``."""
    size = AUTH_PROTOCOLS[user.auth_protocol][1]
    if len(msg.auth_params) != size:
        raise AuthenticationError('authentication parameters of %d octets'
                                  % len(msg.auth_params))
    offset = msg.auth_offset
    zeroed = data[:offset] + bytes(size) + data[offset + size:]
    if not hmac.compare_digest(_mac(user.auth_protocol, keys.auth, zeroed),
                               msg.auth_params):
        raise AuthenticationError('wrong digest')


def _cipher(user, keys, engine_boots, engine_time, salt):
    family = PRIV_PROTOCOLS[user.priv_protocol][0]
    key = keys.priv
    if family == 'aes':
        iv = (engine_boots.to_bytes(4, 'big') + engine_time.to_bytes(4, 'big')
              + salt)
        return Cipher(algorithms.AES(key), CFB(iv))
    if family == 'des':
        # Single DES as 3DES with one key repeated (K1 = K2 = K3).
        des_key, pre_iv = key[:8] * 3, key[8:16]
    else:
        des_key, pre_iv = key[:24], key[24:32]
    iv = bytes(a ^ b for a, b in zip(pre_iv, salt))
    return Cipher(TripleDES(des_key), modes.CBC(iv))


def decrypt(user, keys, msg, data):
    """Plaintext of the encrypted scoped PDU of ``msg``."""
    if len(msg.priv_params) != 8:
        raise DecryptionError('privacy parameters of %d octets'
                              % len(msg.priv_params))
    ciphertext = data[msg.data_start:msg.data_end]
    if (PRIV_PROTOCOLS[user.priv_protocol][0] != 'aes'
            and len(ciphertext) % 8):
        raise DecryptionError('ciphertext is not a multiple of 8 octets')
    decryptor = _cipher(user, keys, msg.engine_boots, msg.engine_time,
                        msg.priv_params).decryptor()
    return decryptor.update(ciphertext) + decryptor.finalize()


class EngineTimes:
    """Latest authentic engineBoots/engineTime per sender engine id.

    ``accept`` applies the non-authoritative timeliness rule of RFC 3414
    3.2 step 7b and remembers what it accepted.  Only authentic messages
    reach it, so only engines that know a configured key can add entries;
    the table is still bounded and starts over when full.
    """

    def __init__(self, max_engines=100000, clock=time.monotonic):
        self._latest = {}
        self._max = max_engines
        self._clock = clock
        self._lock = threading.Lock()

    def accept(self, engine_id, boots, engine_time):
        now = self._clock()
        with self._lock:
            if boots >= _MAX_BOOTS:
                return False
            latest = self._latest.get(engine_id)
            if latest is not None:
                last_boots, last_time, seen_at = latest
                if boots < last_boots:
                    return False
                if boots == last_boots:
                    expected = last_time + (now - seen_at)
                    if engine_time < expected - _TIME_WINDOW:
                        return False
                    if engine_time <= expected:
                        return True
            elif len(self._latest) >= self._max:
                self._latest.clear()
            self._latest[engine_id] = (boots, engine_time, now)
            return True


def _salt():
    return os.urandom(8)


def encode_message(user, engine_id, engine_boots, engine_time, pdu,
                   context_engine_id=None, context_name=b'', msg_id=None,
                   reportable=False):
    """Build a v3 message from ``user`` carrying the encoded ``pdu``.

    The message is authenticated and encrypted as the user is configured;
    it is what an agent would send, used by tests, the trap blaster and
    inform acknowledgements.
    """
    keys = user.keys(engine_id)
    if context_engine_id is None:
        context_engine_id = engine_id
    scoped = ber.encode_scoped_pdu(context_engine_id, context_name, pdu)
    flags = user.flags | (ber.FLAG_REPORTABLE if reportable else 0)
    priv_params = b''
    if user.priv_protocol:
        priv_params = _salt()
        if PRIV_PROTOCOLS[user.priv_protocol][0] != 'aes':
            scoped += bytes(-len(scoped) % 8)
        encryptor = _cipher(user, keys, engine_boots, engine_time,
                            priv_params).encryptor()
        msg_data = ber.encode_tlv(
            ber.OCTET_STRING, encryptor.update(scoped) + encryptor.finalize())
    else:
        msg_data = scoped
    size = AUTH_PROTOCOLS[user.auth_protocol][1] if user.auth_protocol else 0
    if msg_id is None:
        msg_id = int.from_bytes(os.urandom(4), 'big') & 0x7FFFFFFF
    message = ber.encode_v3_message(
        msg_id, 65507, flags, engine_id, engine_boots, engine_time,
        as_bytes(user.name), bytes(size), priv_params, msg_data)
    if not size:
        return message
    offset = ber.decode_message(message).auth_offset
    mac = _mac(user.auth_protocol, keys.auth, message)
    return message[:offset] + mac + message[offset + size:]
