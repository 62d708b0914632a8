"""[security] options: encryption of secrets at rest."""
from oslo_config import cfg

security_opts = [
    cfg.ListOpt('secret_keys', default=[], secret=True,
                help='Fernet keys (url-safe base64, 32 bytes) used to encrypt '
                     'secrets stored in the database. The first encrypts; '
                     'all decrypt, so a new key is put first to rotate. When '
                     'empty, the key file is used.'),
    cfg.StrOpt('secret_key_file', default='$state_path/secret.key',
               help='File holding the Fernet keys, one per line, first one '
                    'encrypting. Created with mode 0600 on first start when '
                    'secret_keys is empty.'),
]


def register_opts(conf):
    conf.register_opts(security_opts, group='security')


def list_opts():
    return [('security', security_opts)]
