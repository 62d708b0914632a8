"""Secrets at rest: Fernet tokens, the key file, rotation."""
import base64
import logging
import os
import stat
import subprocess
import sys

import pytest
from cryptography import fernet
from oslo_config import cfg

from delfin import cryptor

CONF = cfg.CONF
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / 'state' / 'keys' / 'secret.key'
    CONF.set_override('secret_key_file', str(path), group='security')
    cryptor.reset()
    yield path
    CONF.clear_override('secret_key_file', group='security')
    cryptor.reset()


@pytest.fixture
def option_keys():
    def use(keys):
        CONF.set_override('secret_keys', keys, group='security')
        cryptor.reset()
    yield use
    CONF.clear_override('secret_keys', group='security')
    cryptor.reset()


def _keys_in(path):
    return [line for line in path.read_text().splitlines() if line]


def test_round_trip_of_unicode_text(key_file):
    token = cryptor.encode('pässwörd ✓')
    assert isinstance(token, str)
    assert cryptor.decode(token) == 'pässwörd ✓'
    assert cryptor.decode(cryptor.encode('')) == ''


def test_token_does_not_reveal_the_secret(key_file):
    token = cryptor.encode('hunter2')
    assert 'hunter2' not in token
    assert base64.b64encode(b'hunter2').decode() not in token
    # Fernet tokens carry a random IV: the same text never gives the
    # same token twice.
    assert cryptor.encode('hunter2') != token


def test_key_file_is_created_private_on_first_use(key_file):
    assert not key_file.exists()
    cryptor.encode('x')
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    keys = _keys_in(key_file)
    assert len(keys) == 1
    fernet.Fernet(keys[0].encode())
    # No temporary file is left next to the key file.
    assert os.listdir(key_file.parent) == ['secret.key']


def test_key_file_survives_a_reload(key_file):
    token = cryptor.encode('secret')
    before = key_file.read_text()
    cryptor.reset()
    assert cryptor.decode(token) == 'secret'
    assert key_file.read_text() == before


def test_key_file_with_comments_and_blank_lines(key_file):
    first, second = cryptor.generate_key(), cryptor.generate_key()
    key_file.parent.mkdir(parents=True)
    key_file.write_text('# primary\n%s\n\n  %s  \n' % (first, second))
    key_file.chmod(0o600)
    token = cryptor.encode('v')
    assert fernet.Fernet(first.encode()).decrypt(token.encode()) == b'v'
    old = fernet.Fernet(second.encode()).encrypt(b'old').decode()
    assert cryptor.decode(old) == 'old'


def test_keys_from_option_take_precedence(key_file, option_keys):
    key = cryptor.generate_key()
    option_keys([key])
    token = cryptor.encode('abc')
    assert fernet.Fernet(key.encode()).decrypt(token.encode()) == b'abc'
    assert not key_file.exists()


def test_rotation_old_key_decrypts_and_reencrypt_uses_new_key(option_keys):
    old_key, new_key = cryptor.generate_key(), cryptor.generate_key()
    option_keys([old_key])
    old_token = cryptor.encode('p@ss')

    option_keys([new_key, old_key])
    assert cryptor.decode(old_token) == 'p@ss'
    new_token = cryptor.reencrypt(old_token)
    assert fernet.Fernet(new_key.encode()).decrypt(new_token.encode()) \
        == b'p@ss'
    with pytest.raises(fernet.InvalidToken):
        fernet.Fernet(old_key.encode()).decrypt(new_token.encode())
    fresh = cryptor.encode('other')
    assert fernet.Fernet(new_key.encode()).decrypt(fresh.encode()) \
        == b'other'

    option_keys([new_key])
    assert cryptor.decode(new_token) == 'p@ss'
    with pytest.raises(cryptor.InvalidCipherText):
        cryptor.decode(old_token)


def test_add_primary_key_rotates_the_key_file(key_file):
    old_token = cryptor.encode('kept')
    old_keys = _keys_in(key_file)
    cryptor.add_primary_key()
    keys = _keys_in(key_file)
    assert len(keys) == 2 and keys[1:] == old_keys
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert cryptor.decode(old_token) == 'kept'
    new_token = cryptor.reencrypt(old_token)
    assert fernet.Fernet(keys[0].encode()).decrypt(new_token.encode()) \
        == b'kept'


def test_add_primary_key_refused_when_keys_come_from_option(option_keys):
    option_keys([cryptor.generate_key()])
    with pytest.raises(cryptor.InvalidSecretKey):
        cryptor.add_primary_key()


def test_key_added_by_another_process_is_picked_up(key_file):
    cryptor.encode('load the keys')
    new_key = cryptor.generate_key()
    old = key_file.read_text()
    key_file.write_text(new_key + '\n' + old)
    token = fernet.Fernet(new_key.encode()).encrypt(b'from elsewhere')
    assert cryptor.decode(token.decode()) == 'from elsewhere'


def test_decode_none_raises_type_error(key_file):
    with pytest.raises(TypeError):
        cryptor.decode(None)
    with pytest.raises(TypeError):
        cryptor.encode(None)


@pytest.mark.parametrize('text', [
    'not a token', '', 'gAAAAAnotreallyatoken==',
    # base64, but of bytes that are not UTF-8 text
    base64.b64encode(b'\xff\xfe\x00').decode()])
def test_decode_of_a_non_token_raises_value_error(key_file, text):
    with pytest.raises(cryptor.InvalidCipherText) as info:
        cryptor.decode(text)
    assert isinstance(info.value, ValueError)
    assert 'secret key' in str(info.value)


@pytest.mark.parametrize('plain', ['password', 'pässwörd ✓', 'a:b/c+d='])
def test_decode_reads_the_base64_values_delfin_stored(key_file, plain):
    stored = base64.b64encode(plain.encode('utf-8')).decode('ascii')
    assert cryptor.decode(stored) == plain
    assert cryptor.decode(stored.encode('ascii')) == plain
    assert cryptor.legacy_text(stored) == plain
    assert cryptor.classify(stored) == cryptor.LEGACY
    # Reading it needed no key, so none was made.
    assert not key_file.exists()


def test_encode_always_writes_a_token_never_base64(key_file):
    token = cryptor.encode('password')
    assert cryptor.is_token(token)
    assert cryptor.legacy_text(token) is None
    assert token != base64.b64encode(b'password').decode()
    assert cryptor.classify(token) == cryptor.ENCRYPTED


def test_reencrypt_turns_a_base64_value_into_a_token(key_file):
    token = cryptor.reencrypt('cGFzc3dvcmQ=')
    assert cryptor.is_token(token)
    keys = _keys_in(key_file)
    assert fernet.Fernet(keys[0].encode()).decrypt(token.encode()) \
        == b'password'


def test_classify_tells_old_keys_and_unreadable_values(option_keys):
    old_key, new_key = cryptor.generate_key(), cryptor.generate_key()
    option_keys([old_key])
    old_token = cryptor.encode('x')
    option_keys([new_key, old_key])
    assert cryptor.classify(old_token) == cryptor.OLD_KEY
    assert cryptor.classify(cryptor.encode('y')) == cryptor.ENCRYPTED
    foreign = fernet.Fernet(fernet.Fernet.generate_key()).encrypt(b'z')
    assert cryptor.classify(foreign) == cryptor.UNREADABLE
    assert cryptor.classify('not base64!') == cryptor.UNREADABLE


def test_decoding_a_token_without_any_key_creates_no_file(key_file):
    foreign = fernet.Fernet(fernet.Fernet.generate_key()).encrypt(b'x')
    with pytest.raises(cryptor.InvalidCipherText):
        cryptor.decode(foreign)
    assert not key_file.parent.exists()


def test_delfins_base64_cryptor_option_means_encryption_and_says_so(
        key_file, caplog):
    # Delfin's shipped delfin.conf sets it: a Delfin configuration works,
    # and secrets are still never stored as plain base64.
    CONF.set_override('delfin_cryptor', 'delfin.cryptor._Base64')
    token = cryptor.encode('x')
    assert token != 'eA=='
    assert cryptor.classify(token) == cryptor.ENCRYPTED
    assert cryptor.decode(token) == 'x'
    assert cryptor.decode('eA==') == 'x'
    message = caplog.text
    assert 'delfin_cryptor' in message and 'base64' in message
    assert 'secrets rotate' in message
    cryptor.check_configuration()


def test_unknown_cryptor_class_is_refused_naming_it(key_file):
    CONF.set_override('delfin_cryptor', 'no.such.module.Cryptor')
    with pytest.raises(cryptor.UnsupportedCryptor) as info:
        cryptor.decode('YWJj')
    assert 'no.such.module.Cryptor' in str(info.value)


class Rot13(cryptor.ICryptor):
    """An operator's own implementation, for the option tests."""

    @staticmethod
    def encode(plain_text):
        import codecs
        return 'rot13:' + codecs.encode(plain_text, 'rot13')

    @staticmethod
    def decode(cipher_text):
        import codecs
        return codecs.decode(cipher_text[len('rot13:'):], 'rot13')


def test_own_cryptor_class_is_honoured(key_file):
    CONF.set_override('delfin_cryptor', __name__ + '.Rot13')
    assert cryptor.encode('abc') == 'rot13:nop'
    assert cryptor.decode('rot13:nop') == 'abc'
    assert cryptor.reencrypt('rot13:nop') == 'rot13:nop'
    assert cryptor.classify('rot13:nop') == cryptor.ENCRYPTED
    assert not key_file.exists()


def test_token_of_an_unknown_key_is_rejected(key_file):
    foreign = fernet.Fernet(fernet.Fernet.generate_key()).encrypt(b'x')
    with pytest.raises(cryptor.InvalidCipherText):
        cryptor.decode(foreign)
    with pytest.raises(cryptor.InvalidCipherText):
        cryptor.reencrypt(foreign)


def test_invalid_key_is_reported_without_showing_it(option_keys):
    option_keys(['this-is-not-a-fernet-key'])
    with pytest.raises(cryptor.InvalidSecretKey) as info:
        cryptor.encode('x')
    assert 'this-is-not-a-fernet-key' not in str(info.value)
    assert 'secret_keys' in str(info.value)


def test_keys_never_reach_the_log(key_file, caplog):
    caplog.set_level(logging.DEBUG)
    cryptor.encode('x')
    cryptor.add_primary_key()
    cryptor.encode('y')
    assert 'secret.key' in caplog.text
    for key in _keys_in(key_file):
        assert key not in caplog.text


def test_base64_class_kept_for_compatibility():
    assert issubclass(cryptor._Base64, cryptor.ICryptor)
    assert cryptor._Base64.encode('abc') == 'YWJj'
    assert cryptor._Base64.decode('YWJj') == 'abc'
    with pytest.raises(TypeError):
        cryptor._Base64.decode(None)


def _run(code, cwd, env_extra=None):
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, '-c', code], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_decoding_creates_no_file_in_the_working_directory(tmp_path):
    result = _run("from delfin import cryptor\n"
                  "print(cryptor.decode('cGFzc3dvcmQ='))\n"
                  "try:\n"
                  "    cryptor.decode('gAAAAABpRk' + 'A' * 130)\n"
                  "except ValueError as e:\n"
                  "    print(e)\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == 'password'
    assert os.listdir(tmp_path) == []


def test_service_starts_with_delfins_base64_cryptor_and_warns(tmp_path):
    conf = tmp_path / 'delfin.conf'
    conf.write_text('[DEFAULT]\ndelfin_cryptor = delfin.cryptor._Base64\n')
    result = _run("from delfin import cmd\n"
                  "from delfin import cryptor\n"
                  "cmd.prepare(['--config-file', %r])\n"
                  "print(cryptor.decode(cryptor.encode('ok')))\n"
                  "print('started')" % str(conf), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == ['ok', 'started']
    assert "delfin_cryptor = delfin.cryptor._Base64 (Delfin's base64) " \
        "is not used to store secrets" in result.stderr + result.stdout


def test_import_needs_no_prior_config_import(tmp_path):
    result = _run("from delfin import cryptor\n"
                  "print(cryptor.decode(cryptor.encode('ok')))", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'ok'
    # The default key file lives under [DEFAULT] state_path, relative to
    # the working directory.
    assert (tmp_path / 'state' / 'secret.key').exists()


def test_processes_starting_together_share_one_key_file(tmp_path):
    code = ("from delfin import cryptor\n"
            "print(cryptor.encode('shared'))")
    procs = [subprocess.Popen([sys.executable, '-c', code], cwd=tmp_path,
                              env=dict(os.environ, PYTHONPATH=REPO_ROOT),
                              stdout=subprocess.PIPE, text=True)
             for _ in range(3)]
    tokens = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    key_path = tmp_path / 'state' / 'secret.key'
    keys = _keys_in(key_path)
    assert len(keys) == 1
    only = fernet.Fernet(keys[0].encode())
    assert {only.decrypt(t.encode()) for t in tokens} == {b'shared'}


def test_a_cryptor_mock_in_sys_modules_never_reaches_importers(tmp_path):
    # Delfin's driver tests put a mock in sys.modules at import and leave
    # it there; modules imported later still get the real cryptor.
    code = ("import sys\n"
            "from unittest import mock\n"
            "sys.modules['delfin.cryptor'] = mock.Mock()\n"
            "from delfin import cryptor\n"
            "import delfin.drivers.utils.ssh_client as ssh_client\n"
            "print(type(cryptor).__name__, "
            "type(ssh_client.cryptor).__name__,"
            " type(sys.modules['delfin.cryptor']).__name__)\n"
            "print(cryptor.decode('cGFzc3dvcmQ='))\n")
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['module', 'module', 'Mock', 'password']
