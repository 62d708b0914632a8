"""[DEFAULT] options shared by every service process."""
import socket

from oslo_config import cfg

default_opts = [
    cfg.StrOpt('state_path', default='state',
               help='Directory where the service keeps its state (the '
                    'SQLite database, the secret key file, coordination '
                    'files). A relative path is taken from the current '
                    'working directory.'),
    cfg.StrOpt('host', default=socket.gethostname(),
               sample_default='<hostname>',
               help='Name of this node, used as its identity among task '
                    'nodes.'),
    cfg.StrOpt('my_ip', default='127.0.0.1',
               help='IP address of this node.'),
    cfg.StrOpt('delfin_task_topic', default='delfin-task',
               help='RPC topic of the task service.'),
    cfg.StrOpt('delfin_alert_topic', default='delfin-alert',
               help='RPC topic of the alert service.'),
    cfg.StrOpt('delfin_cryptor', default='delfin.cryptor.Fernet',
               help='Class that encrypts the secrets stored in the '
                    'database: delfin.cryptor.Fernet (the keys of '
                    '[security]; base64 values written by Delfin are still '
                    'read) or the path of an own class with static '
                    'encode(text) and decode(text). Delfin\'s '
                    'delfin.cryptor._Base64 is refused at start because it '
                    'stores secrets unencrypted.'),
]


def register_opts(conf):
    conf.register_opts(default_opts)


def list_opts():
    return [('DEFAULT', default_opts)]
