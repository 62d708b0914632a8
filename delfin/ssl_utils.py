"""TLS trust for connections to storage backends.

``[storage_driver] ca_path`` names a CA bundle file or a directory of CA
certificates; empty means backends' certificates are not verified.  A CA
directory is made usable by OpenSSL (and so by requests) by
:func:`reload_certificate`, which creates the subject-hash links OpenSSL
looks certificates up by (what ``openssl rehash`` does).

Hostname verification stays on everywhere in the core.
``HostNameIgnoreAdapter`` is for drivers that ask for it explicitly: it
keeps verifying the certificate chain against the CA but accepts a
certificate whose names do not match the address (arrays reached by IP
often present such certificates).
"""
import hashlib
import os
import re
import threading

import requests
from cryptography import x509
from oslo_config import cfg
from oslo_log import log as logging
from urllib3 import PoolManager

import delfin.conf  # noqa: F401  (registers [storage_driver] ca_path)
from delfin import exception

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

CERT_SUFFIXES = ('.pem', '.cer', '.crt')
CRL_SUFFIXES = ('.crl',)
_HASH_LINK = re.compile(r'^[0-9a-f]{8}\.r?[0-9]+$')


class HostNameIgnoreAdapter(requests.adapters.HTTPAdapter):
    """Transport adapter that verifies the certificate chain (when the
    session verifies at all) but not the host name in the certificate."""

    def cert_verify(self, conn, url, verify, cert):
        conn.assert_hostname = False
        return super().cert_verify(conn, url, verify, cert)

    def init_poolmanager(self, connections, maxsize, block=False,
                         **pool_kwargs):
        self._pool_connections = connections
        self._pool_maxsize = maxsize
        self._pool_block = block
        pool_kwargs['assert_hostname'] = False
        self.poolmanager = PoolManager(num_pools=connections,
                                       maxsize=maxsize, block=block,
                                       **pool_kwargs)


def get_host_name_ignore_adapter():
    return HostNameIgnoreAdapter()


def get_storage_ca_path():
    """The configured CA file or directory ('' when not verifying)."""
    return CONF.storage_driver.ca_path


def verify_ca_path(path):
    """Raise InvalidCAPath unless `path` is an existing file or directory."""
    if not path or not os.path.exists(path):
        raise exception.InvalidCAPath(path)
    return True


def reload_certificate(ca_path):
    """Create the OpenSSL subject-hash links for the CA directory `ca_path`
    (with or without a trailing slash); return the link names.

    Certificates get ``<hash>.<n>`` links and CRLs ``<hash>.r<n>``, ``n``
    counting up when subjects collide.  Each link is replaced atomically
    and stale links are removed last, so a connection verified meanwhile
    (or a concurrent reload) never finds the directory half-linked.  A
    file path needs no links and is left alone.  Files that do not parse
    are skipped with a warning.
    """
    verify_ca_path(ca_path)
    if not os.path.isdir(ca_path):
        return []
    names = sorted(os.listdir(ca_path))
    links = {}
    for name in names:
        path = os.path.join(ca_path, name)
        suffix = os.path.splitext(name)[1].lower()
        if not os.path.isfile(path) or os.path.islink(path):
            continue
        if suffix in CERT_SUFFIXES:
            name_hash = _file_name_hash(path, _load_certificate_subject)
            marker = ''
        elif suffix in CRL_SUFFIXES:
            name_hash = _file_name_hash(path, _load_crl_issuer)
            marker = 'r'
        else:
            continue
        if name_hash is None:
            continue
        index = 0
        while '%s.%s%d' % (name_hash, marker, index) in links:
            index += 1
        links['%s.%s%d' % (name_hash, marker, index)] = name
    for link_name, target in links.items():
        _replace_symlink(ca_path, link_name, target)
    for name in names:
        path = os.path.join(ca_path, name)
        if _HASH_LINK.match(name) and name not in links \
                and os.path.islink(path):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
    LOG.info("Linked %d CA files in %s", len(links), ca_path)
    return sorted(links)


def _replace_symlink(directory, link_name, target):
    temp_name = os.path.join(directory, '.%s.%d.%d.tmp' % (
        link_name, os.getpid(), threading.get_ident()))
    os.symlink(target, temp_name)
    try:
        os.replace(temp_name, os.path.join(directory, link_name))
    except BaseException:
        os.unlink(temp_name)
        raise


def _file_name_hash(path, loader):
    try:
        with open(path, 'rb') as f:
            data = f.read()
        return subject_name_hash(loader(data))
    except (ValueError, OSError) as e:
        LOG.warning("Skipping %s: not a readable certificate or CRL (%s)",
                    path, e)
        return None


def _load_certificate_subject(data):
    if b'-----BEGIN' in data:
        return x509.load_pem_x509_certificate(data).subject
    return x509.load_der_x509_certificate(data).subject


def _load_crl_issuer(data):
    if b'-----BEGIN' in data:
        return x509.load_pem_x509_crl(data).issuer
    return x509.load_der_x509_crl(data).issuer


# ASN.1 universal tags of the string types OpenSSL canonicalises
# (ASN1_MASK_CANON); any other value type keeps its own encoding.
_UTF8STRING = 12
_CANONICAL_TYPES = {12, 19, 20, 22, 26, 28, 30}
_OPENSSL_SPACE = ' \t\n\v\f\r'


def subject_name_hash(name):
    """OpenSSL's ``X509_NAME_hash`` of a cryptography ``x509.Name``, as
    the 8 hex digits ``openssl x509 -hash`` prints.

    It is the first four bytes (little-endian) of the SHA-1 of the
    canonical DER of the name: string values re-encoded as UTF8String,
    trimmed, inner whitespace runs collapsed to one space and ASCII
    letters lower-cased, the outer SEQUENCE header left out.
    """
    encoded = b''.join(_der_rdn(rdn) for rdn in name.rdns)
    digest = hashlib.sha1(encoded).digest()
    return '%08x' % int.from_bytes(digest[:4], 'little')


def _der_rdn(rdn):
    # A SET OF is DER-sorted by the encodings of its members.
    members = sorted(_der_attribute(attr) for attr in rdn)
    return _der(0x31, b''.join(members))


def _der_attribute(attr):
    tag = getattr(getattr(attr, '_type', None), 'value', _UTF8STRING)
    value = attr.value
    if isinstance(value, bytes):
        # A bit string (x500UniqueIdentifier); cryptography keeps its
        # leading unused-bits octet in the value.
        encoded_value = _der(3, value)
    elif tag in _CANONICAL_TYPES:
        encoded_value = _der(_UTF8STRING, _canonical_text(value))
    else:
        encoded_value = _der(tag, value.encode('utf-8'))
    return _der(0x30, _der_oid(attr.oid.dotted_string) + encoded_value)


def _canonical_text(value):
    data = value.encode('utf-8')
    out = bytearray()
    pending_space = False
    for byte in data.strip(_OPENSSL_SPACE.encode('ascii')):
        if chr(byte) in _OPENSSL_SPACE:
            pending_space = True
            continue
        if pending_space:
            out.append(0x20)
            pending_space = False
        if 0x41 <= byte <= 0x5a:
            byte += 0x20
        out.append(byte)
    return bytes(out)


def _der_oid(dotted):
    arcs = [int(part) for part in dotted.split('.')]
    body = bytearray(_base128(arcs[0] * 40 + arcs[1]))
    for arc in arcs[2:]:
        body += _base128(arc)
    return _der(0x06, bytes(body))


def _base128(number):
    chunks = [number & 0x7f]
    number >>= 7
    while number:
        chunks.append(0x80 | (number & 0x7f))
        number >>= 7
    return bytes(reversed(chunks))


def _der(tag, content):
    length = len(content)
    if length < 0x80:
        header = bytes([tag, length])
    else:
        size = length.to_bytes((length.bit_length() + 7) // 8, 'big')
        header = bytes([tag, 0x80 | len(size)]) + size
    return header + content
