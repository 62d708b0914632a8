"""CA directories for backend TLS: subject-hash links, path checks and the
host-name-ignoring adapter."""
import os
import shutil
import subprocess
import threading

import pytest
import requests
from cryptography import x509
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from oslo_config import cfg

from delfin import exception
from delfin import ssl_utils
from delfin.tests import tls_certs

CONF = cfg.CONF
OPENSSL = shutil.which('openssl')
needs_openssl = pytest.mark.skipif(
    OPENSSL is None and os.environ.get('CI') != 'true',
    reason='the openssl command is not installed')


@pytest.fixture(scope='module')
def authority():
    return tls_certs.Authority()


def _self_signed(name):
    key = tls_certs.ec.generate_private_key(tls_certs.ec.SECP256R1())
    builder = x509.CertificateBuilder().subject_name(name).issuer_name(name) \
        .public_key(key.public_key()).serial_number(1)
    return tls_certs._validity(builder).sign(key, tls_certs.hashes.SHA256())


NAMES = [
    x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Test CA')]),
    x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, 'US'),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, '  ACME   Storage Inc '),
        x509.NameAttribute(NameOID.COMMON_NAME, 'Ünïcode CA Ä'),
    ]),
    x509.Name([
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, 'Admin@Example.COM'),
        x509.NameAttribute(NameOID.COMMON_NAME, 'MiXeD\tCase'),
    ]),
    x509.Name([
        x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.COMMON_NAME, 'b'),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, 'A unit'),
        ]),
        x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.DN_QUALIFIER, '123',
                               _ASN1Type.PrintableString),
        ]),
    ]),
    x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, 'T61', _ASN1Type.T61String),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'BMP',
                           _ASN1Type.BMPString),
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b'\x01\x02',
                           _ASN1Type.BitString),
    ]),
    x509.Name([]),
]


def _openssl_hash(kind, path):
    return subprocess.run([OPENSSL, kind, '-hash', '-noout', '-in', path],
                          capture_output=True, text=True,
                          check=True).stdout.strip()


@needs_openssl
@pytest.mark.parametrize('name', NAMES, ids=range(len(NAMES)))
def test_subject_hash_matches_openssl(tmp_path, name):
    cert = _self_signed(name)
    path = tls_certs.write_cert(tmp_path / 'cert.pem', cert)
    assert ssl_utils.subject_name_hash(cert.subject) \
        == _openssl_hash('x509', path)


@needs_openssl
def test_crl_issuer_hash_matches_openssl(tmp_path, authority):
    crl = authority.crl()
    path = tls_certs.write_crl(tmp_path / 'ca.crl', crl)
    assert ssl_utils.subject_name_hash(crl.issuer) \
        == _openssl_hash('crl', path)


def _ca_dir(tmp_path, authority):
    ca_dir = tmp_path / 'ca'
    ca_dir.mkdir()
    tls_certs.write_cert(ca_dir / 'root.pem', authority.cert)
    return ca_dir


@pytest.mark.parametrize('trailing_slash', [True, False])
def test_reload_certificate_links_by_subject_hash(tmp_path, authority,
                                                  trailing_slash):
    ca_dir = _ca_dir(tmp_path, authority)
    path = str(ca_dir) + ('/' if trailing_slash else '')
    links = ssl_utils.reload_certificate(path)
    name_hash = ssl_utils.subject_name_hash(authority.cert.subject)
    assert links == [name_hash + '.0']
    link = ca_dir / (name_hash + '.0')
    assert link.is_symlink() and os.readlink(link) == 'root.pem'


@needs_openssl
def test_openssl_finds_the_ca_only_after_reload(tmp_path, authority):
    ca_dir = _ca_dir(tmp_path, authority)
    _, server_cert = authority.issue()
    server = tls_certs.write_cert(tmp_path / 'server.pem', server_cert)

    def verify():
        return subprocess.run([OPENSSL, 'verify', '-CApath', str(ca_dir),
                               server], capture_output=True).returncode

    assert verify() != 0
    ssl_utils.reload_certificate(str(ca_dir))
    assert verify() == 0


def test_reload_handles_collisions_crls_and_reruns(tmp_path, authority):
    ca_dir = _ca_dir(tmp_path, authority)
    shutil.copy(ca_dir / 'root.pem', ca_dir / 'root-copy.crt')
    tls_certs.write_crl(ca_dir / 'root.crl', authority.crl())
    (ca_dir / 'notes.txt').write_text('not a certificate')
    (ca_dir / 'broken.pem').write_text('-----BEGIN CERTIFICATE-----\nxx\n')
    name_hash = ssl_utils.subject_name_hash(authority.cert.subject)

    first = ssl_utils.reload_certificate(str(ca_dir))
    assert sorted(first) == sorted([name_hash + '.0', name_hash + '.1',
                                    name_hash + '.r0'])
    assert os.readlink(ca_dir / (name_hash + '.r0')) == 'root.crl'

    os.remove(ca_dir / 'root-copy.crt')
    second = ssl_utils.reload_certificate(str(ca_dir))
    assert sorted(second) == sorted([name_hash + '.0', name_hash + '.r0'])
    assert not os.path.lexists(ca_dir / (name_hash + '.1'))


def test_reload_of_a_ca_file_changes_nothing(tmp_path, authority):
    path = tls_certs.write_cert(tmp_path / 'bundle.pem', authority.cert)
    assert ssl_utils.reload_certificate(path) == []
    assert os.listdir(tmp_path) == ['bundle.pem']


@pytest.mark.parametrize('path', ['', '/nonexistent/ca/dir'])
def test_verify_ca_path_rejects_missing_paths(path):
    with pytest.raises(exception.InvalidCAPath) as info:
        ssl_utils.verify_ca_path(path)
    assert path in str(info.value)
    with pytest.raises(exception.InvalidCAPath):
        ssl_utils.reload_certificate(path)


def test_verify_ca_path_accepts_files_and_directories(tmp_path, authority):
    assert ssl_utils.verify_ca_path(str(tmp_path))
    path = tls_certs.write_cert(tmp_path / 'ca.pem', authority.cert)
    assert ssl_utils.verify_ca_path(path)


def test_get_storage_ca_path_reads_the_option(tmp_path):
    assert ssl_utils.get_storage_ca_path() == ''
    CONF.set_override('ca_path', str(tmp_path), group='storage_driver')
    try:
        assert ssl_utils.get_storage_ca_path() == str(tmp_path)
    finally:
        CONF.clear_override('ca_path', group='storage_driver')


def test_host_name_ignore_adapter_turns_off_only_the_name_check():
    adapter = ssl_utils.get_host_name_ignore_adapter()
    assert isinstance(adapter, ssl_utils.HostNameIgnoreAdapter)
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    assert adapter.poolmanager.connection_pool_kw['assert_hostname'] is False
    pool = adapter.poolmanager.connection_from_url('https://127.0.0.1:1')
    adapter.cert_verify(pool, 'https://127.0.0.1:1', os.path.dirname(
        os.path.abspath(__file__)), None)
    assert pool.assert_hostname is False
    assert pool.cert_reqs == 'CERT_REQUIRED'


def test_concurrent_reloads_leave_a_consistent_directory(tmp_path,
                                                         authority):
    ca_dir = _ca_dir(tmp_path, authority)
    tls_certs.write_cert(ca_dir / 'other.pem',
                         tls_certs.Authority('Other CA').cert)
    errors = []

    def reload_many():
        try:
            for _ in range(10):
                ssl_utils.reload_certificate(str(ca_dir))
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=reload_many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    links = sorted(n for n in os.listdir(ca_dir) if n.endswith('.0'))
    assert len(links) == 2
    assert sorted(os.readlink(ca_dir / n) for n in links) == \
        ['other.pem', 'root.pem']
    assert sorted(os.listdir(ca_dir)) == sorted(links +
                                                ['other.pem', 'root.pem'])


def test_link_to_a_renamed_file_is_corrected(tmp_path, authority):
    ca_dir = _ca_dir(tmp_path, authority)
    (link,) = ssl_utils.reload_certificate(str(ca_dir))
    os.rename(ca_dir / 'root.pem', ca_dir / 'renamed.pem')
    assert ssl_utils.reload_certificate(str(ca_dir)) == [link]
    assert os.readlink(ca_dir / link) == 'renamed.pem'
