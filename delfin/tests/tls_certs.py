"""Throwaway X.509 material for tests: a CA, and server certificates it
signs, written as PEM files (EC P-256 keys, quick to generate)."""
import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common_name):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'Delfin Tests'),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _validity(builder):
    now = datetime.datetime.now(datetime.timezone.utc)
    return builder.not_valid_before(now - datetime.timedelta(minutes=5)) \
        .not_valid_after(now + datetime.timedelta(days=1))


class Authority(object):
    """A self-signed CA that issues server certificates."""

    def __init__(self, common_name='Delfin Test CA'):
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = _name(common_name)
        builder = x509.CertificateBuilder().subject_name(name) \
            .issuer_name(name).public_key(self.key.public_key()) \
            .serial_number(x509.random_serial_number()) \
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True) \
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True) \
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                self.key.public_key()), critical=False)
        self.cert = _validity(builder).sign(self.key, hashes.SHA256())

    def issue(self, hosts=('127.0.0.1', 'localhost'), common_name=None):
        """A (key, certificate) pair for a server known by `hosts`."""
        key = ec.generate_private_key(ec.SECP256R1())
        names = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = x509.CertificateBuilder() \
            .subject_name(_name(common_name or hosts[0])) \
            .issuer_name(self.cert.subject).public_key(key.public_key()) \
            .serial_number(x509.random_serial_number()) \
            .add_extension(x509.SubjectAlternativeName(names),
                           critical=False) \
            .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                           critical=True) \
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), critical=False)
        return key, _validity(builder).sign(self.key, hashes.SHA256())

    def crl(self):
        """An empty CRL issued by this CA."""
        now = datetime.datetime.now(datetime.timezone.utc)
        return x509.CertificateRevocationListBuilder() \
            .issuer_name(self.cert.subject).last_update(now) \
            .next_update(now + datetime.timedelta(days=1)) \
            .sign(self.key, hashes.SHA256())


def write_cert(path, cert):
    with open(path, 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def write_key(path, key):
    with open(path, 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return str(path)


def write_crl(path, crl):
    with open(path, 'wb') as f:
        f.write(crl.public_bytes(serialization.Encoding.PEM))
    return str(path)
