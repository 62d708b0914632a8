"""[database] options."""
from oslo_config import cfg

database_opts = [
    cfg.StrOpt('connection', secret=True,
               default='sqlite:///$state_path/delfin.sqlite',
               help='SQLAlchemy URL of the database. SQLite (the default), '
                    'PostgreSQL (postgresql+psycopg2://...) and MariaDB/MySQL '
                    '(mysql+pymysql://...) are supported.'),
    cfg.StrOpt('db_backend', default='sqlalchemy',
               help='Accepted for compatibility; only sqlalchemy exists.'),
    cfg.IntOpt('max_pool_size', default=10, min=1,
               help='Connections kept open per process (server databases).'),
    cfg.IntOpt('sqlite_busy_timeout', default=30000, min=0,
               help='Milliseconds a SQLite writer waits for the lock before '
                    'failing.'),
    cfg.BoolOpt('auto_upgrade', default=True,
                help='Upgrade the database schema when a service starts.'),
]


def register_opts(conf):
    conf.register_opts(database_opts, group='database')


def list_opts():
    return [('database', database_opts)]
