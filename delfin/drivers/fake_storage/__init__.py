"""The fake storage driver: a simulated backend with every resource kind.

Registered as ``fake_storage fake_driver``.  It talks to no device: a fake
storage's inventory, alerts and performance samples are computed from its
storage id (or, before registration, from its access address), so every
sync of a storage sees the same data and two storages see different data.
See `inventory` for how objects are numbered and related, `alerts` for the
trap rule, and `performance` for the samples.

Options (group ``[fake_driver]``; a storage's ``extra_attributes`` may
override any of them by name, e.g. ``{"fake_volume_range": "10-10"}``):

* ``fake_<kind>_range`` ("min-max"): count of each kind, drawn once per
  storage (``fake_volume_range = 100000-100000`` gives exactly 100,000
  volumes); ``fake_initiator_range`` counts initiators per host;
* ``fake_page_query_limit``: volumes produced per simulated page; volumes
  are generated page by page, never all at once;
* ``fake_api_time_range`` ("min-max" seconds, default 0): simulated device
  latency of each call and each volume page;
* ``fake_alert_range``: alerts the storage holds;
* ``fake_perf_resource_limit``: resources per type in performance samples;
* ``churn`` (0-1): share of objects replaced and updated between syncs;
  every ``get_storage`` call starts a new generation;
* ``fail_on``: method names that raise ``StorageBackendException``;
* ``not_implemented``: listers that raise ``NotImplementedError``.

``fail_on``, ``not_implemented``, ``churn`` and the latency are read on
every call, so they can be changed while a driver instance lives.
"""
import random
import threading
import time

from oslo_config import cfg
from oslo_log import log as logging

import delfin.conf  # noqa: F401  (registers [fake_driver])
from delfin import exception
from delfin.common import alert_util
from delfin.common import constants
from delfin.drivers import driver
from delfin.drivers.fake_storage import alerts
from delfin.drivers.fake_storage import inventory as inv
from delfin.drivers.fake_storage import performance

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

# Options read when the driver is built (the shape of the storage).
_SHAPE_OPTIONS = tuple(inv.RANGE_OPTION.values()) + (
    'fake_initiator_range', 'fake_alert_range')


def _seconds_range(text):
    parts = str(text).strip().split('-')
    if len(parts) == 1:
        parts = parts * 2
    low, high = float(parts[0]), float(parts[1])
    if low < 0 or high < low:
        raise ValueError('invalid range %r' % (text,))
    return low, high


class FakeStorageDriver(driver.StorageDriver):
    """A simulated storage system (see the module documentation)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._generation = 0
        self._cleared = set()
        self._configure(kwargs)

    def _configure(self, kwargs):
        self._extra = dict(kwargs.get('extra_attributes') or {})
        address = None
        for section in constants.ACCESS_TYPE:
            access = kwargs.get(section)
            if access and access.get('host'):
                address = '%s:%s' % (access['host'], access.get('port'))
                break
        self._seed = self.storage_id or address or 'fake_storage'
        try:
            self._shape = {name: self._option(name)
                           for name in _SHAPE_OPTIONS}
            for name in _SHAPE_OPTIONS:
                try:
                    inv.parse_range(self._shape[name])
                except ValueError as err:
                    raise ValueError('%s: %s' % (name, err))
            self._page_size = int(self._option('fake_page_query_limit'))
            if self._page_size < 1:
                raise ValueError('fake_page_query_limit must be >= 1')
            _seconds_range(self._option('fake_api_time_range'))
        except ValueError as err:
            raise exception.InvalidInput('fake_driver: %s' % err)

    def _option(self, name):
        if name in self._extra:
            return self._extra[name]
        return getattr(CONF.fake_driver, name)

    # -- simulation helpers ---------------------------------------------

    def _enter(self, method):
        """Apply the configured failure, absence and latency of a call."""
        if method in (self._option('not_implemented') or ()):
            raise NotImplementedError(
                "Driver API %s() is not Implemented" % method)
        if method in (self._option('fail_on') or ()):
            raise exception.StorageBackendException(
                'simulated failure of %s' % method)
        self._delay()

    def _delay(self):
        low, high = _seconds_range(self._option('fake_api_time_range'))
        if high > 0:
            time.sleep(random.uniform(low, high))

    def _churn(self):
        return float(self._option('churn') or 0.0)

    def _inventory(self, generation=None):
        if generation is None:
            with self._lock:
                generation = self._generation
        return inv.Inventory(self._seed, self.storage_id, self._shape,
                             generation=generation, churn=self._churn())

    # -- connection -----------------------------------------------------

    def reset_connection(self, context, **kwargs):
        kwargs.setdefault('storage_id', self.storage_id)
        self.storage_id = kwargs['storage_id']
        self._configure(kwargs)

    # -- inventory ------------------------------------------------------

    def get_storage(self, context):
        self._enter('get_storage')
        with self._lock:
            if self._churn() > 0:
                self._generation += 1
            generation = self._generation
        return self._inventory(generation).storage()

    def list_storage_pools(self, context):
        self._enter('list_storage_pools')
        i = self._inventory()
        return list(i.stream('storage_pool', i.pool))

    def list_volumes(self, context):
        self._enter('list_volumes')
        return self._volume_pages(self._inventory())

    def _volume_pages(self, i):
        first = True
        for page in i.pages('volume', i.volumes, self._page_size):
            if not first:
                self._delay()
            first = False
            yield from page

    def list_controllers(self, context):
        self._enter('list_controllers')
        i = self._inventory()
        return list(i.stream('controller', i.controller))

    def list_ports(self, context):
        self._enter('list_ports')
        i = self._inventory()
        return list(i.stream('port', i.port))

    def list_disks(self, context):
        self._enter('list_disks')
        i = self._inventory()
        return list(i.stream('disk', i.disk))

    def list_filesystems(self, context):
        self._enter('list_filesystems')
        i = self._inventory()
        return list(i.stream('filesystem', i.filesystem))

    def list_qtrees(self, context):
        self._enter('list_qtrees')
        i = self._inventory()
        return list(i.stream('qtree', i.qtree))

    def list_quotas(self, context):
        self._enter('list_quotas')
        i = self._inventory()
        return list(i.stream('quota', i.quota))

    def list_shares(self, context):
        self._enter('list_shares')
        i = self._inventory()
        return list(i.stream('share', i.share))

    def list_storage_hosts(self, context):
        self._enter('list_storage_hosts')
        i = self._inventory()
        return list(i.stream('storage_host', i.host))

    def list_storage_host_initiators(self, context):
        self._enter('list_storage_host_initiators')
        return list(self._inventory().initiators())

    def list_storage_host_groups(self, context):
        self._enter('list_storage_host_groups')
        i = self._inventory()
        return {
            'storage_host_groups': list(i.stream('storage_host_group',
                                                 i.host_group)),
            'storage_host_grp_host_rels': i.host_group_relations(),
        }

    def list_port_groups(self, context):
        self._enter('list_port_groups')
        i = self._inventory()
        return {
            'port_groups': list(i.stream('port_group', i.port_group)),
            'port_grp_port_rels': i.port_group_relations(),
        }

    def list_volume_groups(self, context):
        self._enter('list_volume_groups')
        i = self._inventory()
        return {
            'volume_groups': list(i.stream('volume_group', i.volume_group)),
            'vol_grp_vol_rels': i.volume_group_relations(),
        }

    def list_masking_views(self, context):
        self._enter('list_masking_views')
        return list(self._inventory().masking_views())

    # -- alerts ---------------------------------------------------------

    def add_trap_config(self, context, trap_config):
        self._enter('add_trap_config')

    def remove_trap_config(self, context, trap_config):
        self._enter('remove_trap_config')

    @staticmethod
    def parse_alert(context, alert):
        return alerts.parse(alert)

    def _held_alerts(self):
        low, high = inv.parse_range(self._shape['fake_alert_range'])
        n = random.Random('%s:count:alert' % self._seed).randint(low, high)
        return alerts.held_alerts(inv.digest(self._seed), n)

    def list_alerts(self, context, query_para=None):
        self._enter('list_alerts')
        with self._lock:
            cleared = set(self._cleared)
        return [a for a in self._held_alerts()
                if a['sequence_number'] not in cleared
                and alert_util.is_alert_in_time_range(query_para,
                                                      a['occur_time'])]

    def clear_alert(self, context, sequence_number):
        self._enter('clear_alert')
        known = {a['sequence_number'] for a in self._held_alerts()}
        if str(sequence_number) not in known and \
                not alerts.is_trap_sequence_number(sequence_number):
            raise exception.StorageClearAlertFailed(
                'no alert with sequence number %s' % sequence_number)
        with self._lock:
            self._cleared.add(str(sequence_number))

    # -- performance ----------------------------------------------------

    @staticmethod
    def get_capabilities(context, filters=None):
        return performance.capabilities()

    def collect_perf_metrics(self, context, storage_id, resource_metrics,
                             start_time, end_time):
        self._enter('collect_perf_metrics')
        return performance.collect(
            self._inventory(), resource_metrics, start_time, end_time,
            int(self._option('fake_perf_resource_limit')))

    def get_latest_perf_timestamp(self, context):
        now = int(time.time() * 1000)
        return now - now % performance.INTERVAL_MS

    # -- life cycle -----------------------------------------------------

    def delete_storage(self, context):
        with self._lock:
            self._cleared.clear()
            self._generation = 0
