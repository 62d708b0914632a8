"""A vendor driver in Delfin's layout: it imports its own package by its
full name and third-party packages, some of them optional."""
import requests  # noqa: F401  (the plugin must require it)
import six
from oslo_log import log

from delfin import cryptor
from delfin.drivers import driver
from delfin.drivers.acme.box import consts

try:
    import yaml  # noqa: F401  (optional)
except ImportError:
    yaml = None

LOG = log.getLogger(__name__)


class AcmeBoxDriver(driver.StorageDriver):

    def __init__(self, **kwargs):
        super(AcmeBoxDriver, self).__init__(**kwargs)
        rest = kwargs.get('rest') or {}
        # Delfin's drivers decode the stored password themselves.
        self.username = rest.get('username')
        self.password = cryptor.decode(rest.get('password'))

    def reset_connection(self, context, **kwargs):
        pass

    def get_storage(self, context):
        return dict(consts.STORAGE)

    def list_storage_pools(self, context):
        return [dict(pool, storage_id=self.storage_id)
                for pool in consts.POOLS]

    def list_volumes(self, context):
        return [dict(volume, storage_id=self.storage_id,
                     description=six.text_type(volume['name']))
                for volume in consts.VOLUMES]

    def add_trap_config(self, context, trap_config):
        pass

    def remove_trap_config(self, context, trap_config):
        pass

    @staticmethod
    def parse_alert(context, alert):
        pass

    def clear_alert(self, context, sequence_number):
        pass

    def list_alerts(self, context, query_para=None):
        return []
