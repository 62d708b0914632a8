"""The Ceph storage driver.

Maps a Ceph cluster, as its manager's REST API (`client`) shows it, onto
the driver contract of the service:

* the storage is the cluster: serial number = fsid, status from the health
  status, capacities from the cluster's df statistics, firmware = the Ceph
  version of the active manager;
* storage pools are Ceph pools, with capacity from their statistics and
  byte quotas;
* volumes are RBD images (in every pool the API lists them for);
* disks are OSDs (size, device class, up/in as status);
* controllers are the monitor and manager daemons;
* alerts are the cluster's health checks: each check is one alert, gone
  from the list (and so cleared by the service) when Ceph drops it;
* performance: read and write operations and bytes per second of the
  cluster, of every pool and of every OSD, from the rates the manager
  computes.

Ceph has no SAN ports, hosts, masking or file inventory in this API: those
kinds stay unsupported.
"""
import threading
import time

from oslo_log import log as logging

from delfin import exception
from delfin import utils
from delfin.common import alert_util
from delfin.common import constants
from delfin.drivers import driver
from delfin.drivers.ceph import client as backend
from delfin.drivers.ceph import mapping

LOG = logging.getLogger(__name__)

# RBD images are listed page by page: the manager opens every image of a
# page to describe it, so a page of 100 takes seconds.
IMAGE_PAGE = 100


def _int(value):
    """An integer quantity (bytes, counts) from what Ceph sent."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _latest(stats, name):
    """``stats[name]['latest']`` of a pool's statistics."""
    value = (stats or {}).get(name)
    if isinstance(value, dict):
        value = value.get('latest')
    return _int(value)


def _version_number(text):
    """``16.2.15`` of ``ceph version 16.2.15 (618f...) pacific (stable)``."""
    words = str(text or '').split()
    if len(words) >= 3 and words[0] == 'ceph' and words[1] == 'version':
        return words[2]
    return text or None


def _address_host(addr):
    """``127.0.0.1`` of ``127.0.0.1:6789/0`` or ``[::1]:6789/0``."""
    if not addr:
        return None
    addr = str(addr).split('/', 1)[0]
    if addr.startswith('['):
        return addr[1:].split(']', 1)[0]
    return addr.rsplit(':', 1)[0] if ':' in addr else addr


class CephDriver(driver.StorageDriver):
    """Driver of Ceph clusters, through the manager's dashboard REST API."""

    SUPPORTED_RESOURCES = ('storage_pool', 'volume', 'controller', 'disk')
    PERFORMANCE_METRICS = mapping.PERFORMANCE_METRICS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Building the client does no I/O: the first request logs in.
        self.client = backend.client_from_access_info(kwargs)
        extra = kwargs.get('extra_attributes') or {}
        self.image_page = backend.positive_number(
            extra, 'image_page_size', IMAGE_PAGE, int)
        # When this driver first saw each health check (Ceph's API gives
        # checks no time).
        self._first_seen = {}
        self._seen_lock = threading.Lock()

    def reset_connection(self, context, **kwargs):
        self.client.close()
        self.client = backend.client_from_access_info(kwargs)
        self.client.login()

    # -- inventory ----------------------------------------------------------

    def get_storage(self, context):
        monitors = self.client.get('/api/monitor') or {}
        health = self.client.get('/api/health/minimal') or {}
        summary = self.client.get('/api/summary') or {}
        mon_status = monitors.get('mon_status') or {}
        fsid = (mon_status.get('monmap') or {}).get('fsid')
        if not fsid:
            raise exception.StorageBackendException(
                'the Ceph manager at %s reports no cluster fsid'
                % self.client.where)
        stats = (health.get('df') or {}).get('stats') or {}
        status = (health.get('health') or {}).get('status')
        total = _int(stats.get('total_bytes'))
        return {
            'name': 'ceph-%s' % fsid.split('-', 1)[0],
            'description': summary.get('version'),
            'location': None,
            'vendor': 'Ceph',
            'model': 'Ceph cluster',
            'status': mapping.lookup(mapping.STORAGE_STATUS, status,
                                     constants.StorageStatus.UNKNOWN),
            'serial_number': fsid,
            'firmware_version': _version_number(summary.get('version')),
            'raw_capacity': total,
            'total_capacity': total,
            'used_capacity': _int(stats.get('total_used_raw_bytes')),
            'free_capacity': _int(stats.get('total_avail_bytes')),
        }

    def list_storage_pools(self, context):
        pools = self.client.get('/api/pool', {'stats': 'true'}) or []
        return [self._pool(pool) for pool in pools]

    def _pool(self, pool):
        stats = pool.get('stats') or {}
        # Stored bytes and max_avail are both in bytes of user data (before
        # replication), so they add up to what the pool can hold.
        used = _latest(stats, 'stored')
        free = _latest(stats, 'max_avail')
        quota = _int(pool.get('quota_max_bytes'))
        if quota:
            free = max(min(free, quota - used), 0)
        applications = [str(a).upper() for a in
                        (pool.get('application_metadata') or [])]
        storage_type = constants.StorageType.UNIFIED
        for app in applications:
            if app in mapping.POOL_APPLICATION:
                storage_type = mapping.POOL_APPLICATION[app]
                break
        return {
            'native_storage_pool_id': str(pool['pool']),
            'name': pool.get('pool_name'),
            'description': '%s pool, size %s' % (pool.get('type'),
                                                 pool.get('size')),
            'storage_type': storage_type,
            'status': self._pool_status(pool.get('pg_status')),
            'storage_id': self.storage_id,
            'total_capacity': used + free,
            'used_capacity': used,
            'free_capacity': free,
        }

    @staticmethod
    def _pool_status(pg_status):
        """A pool is as well as its placement groups: all active+clean is
        normal, some not active is abnormal, else degraded."""
        if not isinstance(pg_status, dict) or not pg_status:
            return constants.StoragePoolStatus.UNKNOWN
        states = [set(name.split('+')) for name in pg_status]
        if any('active' not in s for s in states):
            return constants.StoragePoolStatus.ABNORMAL
        if all(s <= {'active', 'clean', 'scrubbing', 'deep'}
               and 'clean' in s for s in states):
            return constants.StoragePoolStatus.NORMAL
        return constants.StoragePoolStatus.DEGRADED

    def _pool_ids(self):
        """Pool name -> native pool id."""
        return {p['pool_name']: str(p['pool'])
                for p in self.client.get('/api/pool') or []}

    def list_volumes(self, context):
        pool_ids = self._pool_ids()
        seen = set()
        for page in self._image_pages():
            for group in page:
                for image in group.get('value') or ():
                    volume = self._volume(image, pool_ids)
                    # Pages are slices of a list sorted by name: an image
                    # created meanwhile shifts the next page by one.
                    if volume['native_volume_id'] not in seen:
                        seen.add(volume['native_volume_id'])
                        yield volume

    def _image_pages(self):
        """Pages of ``GET /api/block/image``: lists of ``{pool_name,
        value: [images]}``, until the total the manager announces
        (``X-Total-Count``); a page may hold fewer images than asked when
        some were removed since the manager listed their names.

        One page after the other: the manager describes every image of a
        page in its own Python interpreter (about 25 ms of its CPU per
        image with Ceph 16.2), so concurrent pages would only make each
        request slower and closer to the timeout.
        """
        offset, total = 0, None
        while total is None or offset < total:
            answer = self.client.request(
                'GET', '/api/block/image',
                {'offset': offset, 'limit': self.image_page})
            page = answer.body or []
            yield page
            header = answer.headers.get('X-Total-Count')
            if header is None:
                return
            total = int(header)
            offset += self.image_page

    def _volume(self, image, pool_ids):
        pool_name = image.get('pool_name')
        pool_id = pool_ids.get(pool_name, pool_name)
        namespace = image.get('namespace') or ''
        image_id = image.get('id') or image.get('name')
        native_id = '/'.join(p for p in (str(pool_id), namespace,
                                         str(image_id)) if p)
        size = _int(image.get('size'))
        # disk_usage is known only for images with the fast-diff feature.
        usage = image.get('disk_usage')
        used = _int(usage)
        return {
            'native_volume_id': native_id,
            'name': image.get('name'),
            'description': '/'.join(p for p in (pool_name, namespace,
                                                image.get('name')) if p),
            'type': constants.VolumeType.THIN,
            'status': constants.VolumeStatus.AVAILABLE,
            'storage_id': self.storage_id,
            'native_storage_pool_id': str(pool_id),
            'wwn': None,
            'total_capacity': size,
            'used_capacity': used if usage is not None else None,
            'free_capacity': max(size - used, 0) if usage is not None
            else None,
            'compressed': False,
            'deduplicated': False,
        }

    def list_disks(self, context):
        return [self._disk(osd) for osd in self.client.get('/api/osd') or []]

    def _disk(self, osd):
        stats = osd.get('stats') or {}
        tree = osd.get('tree') or {}
        host = (osd.get('host') or {}).get('name')
        up, is_in = bool(osd.get('up')), bool(osd.get('in'))
        if up and is_in:
            status = constants.DiskStatus.NORMAL
        elif up:
            status = constants.DiskStatus.DEGRADED   # running, holds no data
        elif is_in:
            status = constants.DiskStatus.ABNORMAL   # down, data degraded
        else:
            status = constants.DiskStatus.OFFLINE
        name = tree.get('name') or 'osd.%s' % osd.get('osd')
        return {
            'native_disk_id': name,
            'name': name,
            'physical_type': mapping.lookup(
                mapping.DISK_CLASS, tree.get('device_class'),
                constants.DiskPhysicalType.UNKNOWN),
            'logical_type': (constants.DiskLogicalType.MEMBER if is_in
                             else constants.DiskLogicalType.FREE),
            'status': status,
            'location': host,
            'serial_number': osd.get('uuid'),
            'capacity': _int(stats.get('stat_bytes')),
            'storage_id': self.storage_id,
        }

    def list_controllers(self, context):
        hosts = self.client.get('/api/host') or []
        monitors = self.client.get('/api/monitor') or {}
        health = self.client.get('/api/health/minimal') or {}
        summary = self.client.get('/api/summary') or {}
        daemons = {}
        for host in hosts:
            for service in host.get('services') or ():
                daemons[(service.get('type'), str(service.get('id')))] = (
                    host.get('hostname'), service.get('ceph_version'))
        controllers = []
        mon_status = monitors.get('mon_status') or {}
        quorum = set(mon_status.get('quorum') or ())
        for mon in (mon_status.get('monmap') or {}).get('mons') or ():
            host, version = daemons.get(('mon', str(mon.get('name'))),
                                        (None, None))
            controllers.append(self._controller(
                'mon', mon.get('name'), mon.get('rank') in quorum, host,
                version, _address_host(mon.get('public_addr'))))
        mgr_map = health.get('mgr_map') or {}
        active = mgr_map.get('active_name')
        standbys = [s.get('name') if isinstance(s, dict) else s
                    for s in mgr_map.get('standbys') or ()]
        names = ([active] if active else []) + standbys
        names += sorted(i for (t, i) in daemons if t == 'mgr'
                        and i not in names)
        mgr_url = summary.get('mgr_host') or ''
        for name in names:
            host, version = daemons.get(('mgr', str(name)), (None, None))
            address = None
            if name == active and '://' in mgr_url:
                address = _address_host(mgr_url.split('://', 1)[1])
            controllers.append(self._controller(
                'mgr', name, name == active or name in standbys, host,
                version, address))
        return controllers

    def _controller(self, kind, name, ok, host, version, address):
        return {
            'native_controller_id': '%s.%s' % (kind, name),
            'name': '%s.%s' % (kind, name),
            'status': (constants.ControllerStatus.NORMAL if ok
                       else constants.ControllerStatus.OFFLINE),
            'location': host,
            'soft_version': _version_number(version),
            'mgmt_ip': address,
            'storage_id': self.storage_id,
        }

    # -- alerts ---------------------------------------------------------------

    def add_trap_config(self, context, trap_config):
        """Ceph sends no SNMP traps by itself; nothing to configure."""

    def remove_trap_config(self, context, trap_config):
        """Ceph sends no SNMP traps by itself; nothing to configure."""

    def list_alerts(self, context, query_para=None):
        health = self.client.get('/api/health/minimal') or {}
        checks = (health.get('health') or {}).get('checks') or []
        if isinstance(checks, dict):  # {code: check} in some releases
            checks = [dict(v, type=k) for k, v in checks.items()]
        now = utils.utcnow_ms()
        alerts = []
        with self._seen_lock:
            codes = {c.get('type') for c in checks}
            for code in list(self._first_seen):
                if code not in codes:
                    del self._first_seen[code]  # over: a new episode later
            for check in checks:
                self._first_seen.setdefault(check.get('type'), now)
            seen = dict(self._first_seen)
        for check in checks:
            code = check.get('type')
            if not code:
                continue
            occur_time = seen[code]
            if not alert_util.is_alert_in_time_range(query_para, occur_time):
                continue
            alerts.append(self._alert(check, occur_time))
        return alerts

    @staticmethod
    def _alert(check, occur_time):
        code = check['type']
        message = (check.get('summary') or {}).get('message') or code
        details = [d.get('message') for d in check.get('detail') or ()
                   if isinstance(d, dict) and d.get('message')]
        description = '; '.join([message] + details)
        if check.get('muted'):
            description += ' (muted in Ceph)'
        return {
            'alert_id': code,
            'alert_name': code,
            'severity': mapping.lookup(mapping.ALERT_SEVERITY,
                                       check.get('severity'),
                                       constants.Severity.NOT_SPECIFIED),
            'category': constants.Category.FAULT,
            'type': mapping.alert_type(code),
            # A check is one condition at a time: its code names it.
            'sequence_number': code,
            'match_key': code,
            'occur_time': occur_time,
            'description': description[:1000],
            'recovery_advice': 'See https://docs.ceph.com/en/latest/'
                               'rados/operations/health-checks/#%s'
                               % code.lower().replace('_', '-'),
            'resource_type': constants.DEFAULT_RESOURCE_TYPE,
            'location': '',
        }

    def clear_alert(self, context, sequence_number):
        # Ceph acknowledges a health check by muting it (``ceph health
        # mute CODE``), a monitor command the manager's REST API does not
        # offer (Ceph 16.2).  A check that Ceph drops is cleared by the
        # next alert poll.
        raise exception.StorageClearAlertFailed(
            'health check %s cannot be muted through the Ceph manager REST '
            'API; mute it with "ceph health mute %s" or fix its cause, and '
            'the next alert sync clears it' % (sequence_number,
                                               sequence_number))

    # -- performance ----------------------------------------------------------

    @staticmethod
    def get_capabilities(context, filters=None):
        return {
            # The manager keeps rates of the last minutes only.
            'is_historic': False,
            'resource_metrics': mapping.PERFORMANCE_METRICS,
        }

    def collect_perf_metrics(self, context, storage_id, resource_metrics,
                             start_time, end_time):
        metrics = []
        now = int(time.time() * 1000)
        wanted = resource_metrics or {}
        rtype = constants.ResourceType.STORAGE
        if wanted.get(rtype):
            health = self.client.get('/api/health/minimal') or {}
            perf = health.get('client_perf') or {}
            fsid = self._fsid()
            series = [[(now, perf.get(f))] for f in mapping.CLIENT_RATES]
            metrics += self._metrics(storage_id, rtype, fsid,
                                     'ceph-%s' % fsid.split('-', 1)[0],
                                     series, wanted[rtype], start_time,
                                     end_time)
        rtype = constants.ResourceType.STORAGE_POOL
        if wanted.get(rtype):
            for pool in self.client.get('/api/pool',
                                        {'stats': 'true'}) or []:
                stats = pool.get('stats') or {}
                series = [self._rates(stats.get(f), now)
                          for f in mapping.POOL_RATES]
                metrics += self._metrics(
                    storage_id, rtype, str(pool['pool']),
                    pool.get('pool_name'), series, wanted[rtype],
                    start_time, end_time)
        rtype = constants.ResourceType.DISK
        if wanted.get(rtype):
            for osd in self.client.get('/api/osd') or []:
                history = osd.get('stats_history') or {}
                stats = osd.get('stats') or {}
                series = []
                for field in mapping.OSD_RATES:
                    points = [(int(float(t) * 1000), v)
                              for t, v in history.get(field) or ()]
                    if not points and stats.get(field) is not None:
                        points = [(now, stats[field])]
                    series.append(points)
                name = (osd.get('tree') or {}).get('name') or \
                    'osd.%s' % osd.get('osd')
                metrics += self._metrics(storage_id, rtype, name, name,
                                         series, wanted[rtype], start_time,
                                         end_time)
        return metrics

    def _fsid(self):
        monitors = self.client.get('/api/monitor') or {}
        return ((monitors.get('mon_status') or {}).get('monmap') or
                {}).get('fsid') or ''

    @staticmethod
    def _rates(stat, now):
        """[(ms, rate per second)] of one pool statistic: the manager's
        recent rates, else its current rate."""
        if not isinstance(stat, dict):
            return []
        points = [(int(float(t) * 1000), v) for t, v in
                  stat.get('rates') or ()]
        if not points and stat.get('rate') is not None:
            points = [(now, stat['rate'])]
        return points

    @staticmethod
    def _metrics(storage_id, rtype, resource_id, resource_name, series,
                 wanted, start_time, end_time):
        """metric_structs of one resource from its four series (read ops,
        write ops, read bytes, write bytes), in `mapping.RATE_METRICS`
        order, limited to the window and to the wanted metrics."""
        values = {}
        for name, points in zip(mapping.RATE_METRICS, series):
            scale = (1.0 / mapping.BYTES_PER_MB
                     if name in mapping.THROUGHPUTS else 1.0)
            values[name] = {
                stamp: float(value) * scale for stamp, value in points
                if value is not None and start_time <= stamp <= end_time}
        for name, (read, write) in mapping.SUMS.items():
            values[name] = {stamp: values[read][stamp] + values[write][stamp]
                            for stamp in values[read]
                            if stamp in values[write]}
        result = []
        for name, samples in values.items():
            if name not in wanted or not samples:
                continue
            labels = {
                'storage_id': storage_id,
                'resource_type': rtype,
                'resource_id': resource_id,
                'resource_name': resource_name,
                'type': 'RAW',
                'unit': constants.METRIC_UNITS[name],
            }
            result.append(constants.metric_struct(
                name=name, labels=labels, values=samples))
        return result
