"""The driver facade: how the API and the workers talk to storage drivers.

Callers name a storage by id; the facade finds its driver instance through
the process-wide `delfin.drivers.manager.DriverManager`, gives the driver a
context whose ``storage_id`` is that storage, and turns the driver's answer
into what the core stores or serves.

"Not supported" is explicit.  Asking for a resource kind the driver does not
serve (declared, inferred, or a lister that raised ``NotImplementedError``)
raises `DriverNotSupported`; the first time per driver class and kind it is
logged.  Every other exception of a driver propagates unchanged.

Resource items handed to the sync engine are normalised at this boundary:
only the kind's registry fields are kept (a key that is not a field is
dropped and logged once per driver, kind and key, rather than failing a
bulk write) and ``storage_id`` is set to the storage being synced.
"""
import copy
import threading
import uuid

from oslo_log import log as logging

from delfin import exception
from delfin.drivers import capabilities
from delfin.drivers import manager as driver_manager
from delfin.resources import registry

LOG = logging.getLogger(__name__)


# Keys kept in the items of each kind.
_ALLOWED_KEYS = {k.name: frozenset(k.field_names) | (
    frozenset() if k is registry.STORAGE else {'storage_id'})
    for k in registry.ALL_KINDS}


def _kind(kind):
    return registry.by_name(kind) if isinstance(kind, str) else kind


def _driver_context(context, storage_id):
    """A context for one driver call, bound to ``storage_id``.

    A copy, so that threads serving different storages with one request
    context never see each other's ``storage_id``.
    """
    if context is None:
        from delfin import context as delfin_context
        ctx = delfin_context.get_admin_context()
    else:
        ctx = copy.copy(context)
    try:
        ctx.storage_id = storage_id
    except AttributeError:
        pass
    return ctx


class _Once(object):
    """Remembers which messages were already logged."""

    def __init__(self):
        self._seen = set()
        self._lock = threading.Lock()

    def first(self, key):
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            return True


class API(object):
    """Facade over the storage drivers.

    :param manager: the `DriverManager` to use; the process-wide one by
        default.
    """

    def __init__(self, manager=None):
        self._manager = manager
        self._logged = _Once()

    @property
    def manager(self):
        return self._manager or driver_manager.get_manager()

    # -- registration and access information ----------------------------

    def discover_storage(self, context, access_info):
        """Describe a storage that is not registered yet.

        Builds a fresh driver (never cached) from ``access_info`` and calls
        its ``get_storage`` once.  Writes nothing.

        :param access_info: dict with ``vendor``, ``model``, access
            sections whose passwords are already encrypted with
            `delfin.cryptor.encode`, optional ``extra_attributes`` and
            ``storage_id`` (a new UUID is chosen when absent).
        :returns: the ``storage`` dict from the driver, with ``id`` set to
            the storage id the driver was built with; register the storage
            under that id.
        :raises StorageDriverNotFound: no driver for vendor and model.
        :raises StorageBackendNotFound: the driver returned nothing.
        :raises InvalidResults: no ``serial_number`` in the result.
        :raises: whatever the driver raises (InvalidIpOrPort, ...).
        """
        access_info = dict(access_info)
        storage_id = access_info.get('storage_id') or str(uuid.uuid4())
        access_info['storage_id'] = storage_id
        driver = self.manager.build_driver(access_info)
        storage = self._describe(driver, context, storage_id)
        storage['id'] = storage_id
        return storage

    def update_access_info(self, context, storage_id, access_info):
        """Check new access information of a registered storage.

        Builds a fresh driver from ``access_info`` (the complete new access
        information, passwords encrypted) and checks that it reaches the
        same device.  Writes nothing; once the caller stores the new access
        information, `get_driver` rebuilds the cached instance.

        :returns: the ``storage`` dict from the driver.
        :raises StorageNotFound: no such storage.
        :raises StorageSerialNumberMismatch: another device answered.
        :raises StorageBackendNotFound, InvalidResults: as
            `discover_storage`.
        """
        from delfin.db import api as db_api
        stored = db_api.get('storage', storage_id)
        access_info = dict(access_info, storage_id=storage_id)
        driver = self.manager.build_driver(access_info)
        storage = self._describe(driver, context, storage_id)
        if storage['serial_number'] != stored['serial_number']:
            raise exception.StorageSerialNumberMismatch(
                'The serial number %s does not match the registered %s.'
                % (storage['serial_number'], stored['serial_number']))
        return storage

    def _describe(self, driver, context, storage_id):
        storage = driver.get_storage(_driver_context(context, storage_id))
        if not storage:
            raise exception.StorageBackendNotFound()
        if not storage.get('serial_number'):
            raise exception.InvalidResults(
                'get_storage() returned no serial_number.')
        return self._normalise(driver, registry.STORAGE, storage, None)

    # -- instances --------------------------------------------------------

    def get_driver(self, context, storage_id):
        """The driver instance of a registered storage (one per storage,
        rebuilt when its access information changed).

        :raises AccessInfoNotFound, StorageDriverNotFound, InvalidCAPath.
        """
        return self.manager.get_driver(storage_id)

    def remove_storage(self, context, storage_id):
        """Let the storage's driver release its resources and forget it.

        Calls ``delete_storage`` on the cached instance, if any (an error
        there is logged, not raised), then drops the instance.
        """
        driver = self.manager.remove_driver(storage_id)
        if driver is None:
            return
        try:
            driver.delete_storage(_driver_context(context, storage_id))
        except Exception:
            LOG.exception("delete_storage of the driver of storage %s "
                          "failed", storage_id)

    # -- inventory --------------------------------------------------------

    def get_storage(self, context, storage_id):
        """The ``storage`` dict the driver reports now, normalised.

        :raises StorageBackendNotFound, InvalidResults, driver errors.
        """
        driver = self.get_driver(context, storage_id)
        return self._describe(driver, context, storage_id)

    def supported_kinds(self, context, storage_id):
        """``{kind_name: bool}`` for every inventory kind of the storage's
        driver (see `delfin.drivers.capabilities.supported_kinds`)."""
        return capabilities.supported_kinds(
            self.get_driver(context, storage_id))

    def list_resources(self, context, storage_id, kind):
        """Items of one resource kind, as the storage's driver lists them.

        The driver's lister is called at once (so its errors surface
        here); the items are produced lazily, so a driver that yields page
        by page is never held in memory whole.  For a kind served by a
        group lister the matching part of its dict (``kind.driver_key``)
        is returned.  ``'storage'`` gives a one-item list.

        :param kind: a registry kind or its name.
        :returns: an iterator of dicts with the kind's fields only and
            ``storage_id`` set.
        :raises DriverNotSupported: the driver does not serve this kind.
        :raises: any other driver error, unchanged.
        """
        kind = _kind(kind)
        if kind is registry.STORAGE:
            return iter([self.get_storage(context, storage_id)])
        driver = self.get_driver(context, storage_id)
        result = self._call_lister(driver, context, storage_id, kind)
        return self._items(driver, kind, result, storage_id)

    def list_grouped_resources(self, context, storage_id, kind):
        """A group kind and its relation kind from one lister call.

        :param kind: a group kind (``storage_host_group``, ``port_group``,
            ``volume_group``) or its relation kind, or their names.
        :returns: ``{group_kind_name: [dicts], relation_kind_name:
            [dicts]}``, normalised as in `list_resources`.
        :raises DriverNotSupported, driver errors.
        """
        kind = _kind(kind)
        group = next((k for k in registry.ALL_KINDS
                      if k.relation and (k is kind
                                         or k.relation.kind == kind.name)),
                     None)
        if group is None:
            raise ValueError('%s is not a group kind' % kind.name)
        relation = registry.by_name(group.relation.kind)
        driver = self.get_driver(context, storage_id)
        result = self._call_lister(driver, context, storage_id, group)
        return {k.name: list(self._items(driver, k, result, storage_id))
                for k in (group, relation)}

    def _not_supported(self, driver, kind, reason):
        cls = type(driver)
        if self._logged.first(('unsupported', cls, kind.name)):
            LOG.info("Driver %s.%s does not support %s (%s)",
                     cls.__module__, cls.__qualname__, kind.plural, reason)
        return exception.DriverNotSupported(kind.plural)

    def _call_lister(self, driver, context, storage_id, kind):
        if not capabilities.supported_kinds(driver)[kind.name]:
            raise self._not_supported(driver, kind, 'not implemented')
        method = getattr(driver, kind.driver_method)
        try:
            return method(_driver_context(context, storage_id))
        except NotImplementedError as err:
            capabilities.record_unsupported(driver, kind.name)
            raise self._not_supported(driver, kind, err or 'not implemented')

    def _items(self, driver, kind, result, storage_id):
        if kind.driver_key:
            result = (result or {}).get(kind.driver_key)
        allowed = _ALLOWED_KEYS[kind.name]
        try:
            for item in result or ():
                # The common case inline: drivers list up to millions.
                try:
                    plain = storage_id is not None and item.keys() <= allowed
                except AttributeError:
                    # Not a dict: the sync counts and skips it.
                    yield item
                    continue
                if plain:
                    item = dict(item)
                    item['storage_id'] = storage_id
                    yield item
                else:
                    yield self._normalise(driver, kind, item, storage_id)
        except NotImplementedError as err:
            capabilities.record_unsupported(driver, kind.name)
            raise self._not_supported(driver, kind, err or 'not implemented')

    def _normalise(self, driver, kind, item, storage_id):
        allowed = _ALLOWED_KEYS[kind.name]
        if item.keys() <= allowed:
            out = dict(item)
        else:
            out = {}
            for key, value in item.items():
                if key in allowed:
                    out[key] = value
                elif self._logged.first(('key', type(driver), kind.name,
                                         key)):
                    LOG.warning("Driver %s returned %s with unknown key "
                                "'%s'; it is ignored",
                                type(driver).__qualname__, kind.name, key)
        if storage_id is not None:
            out['storage_id'] = storage_id
        return out

    # -- capabilities -------------------------------------------------------

    def get_capabilities(self, context, storage_id, filters=None):
        """The body of ``GET /v1/storages/{id}/capabilities``.

        :returns: ``{'metadata': {'vendor', 'model'}, 'spec': <performance
            capabilities or {}>, 'resources': {kind: 'supported' |
            'unsupported'}}`` (vendor and model of the storage row).
        :raises StorageNotFound: no such storage.
        :raises InvalidStorageCapability: the driver's answer is invalid.
        """
        from delfin.db import api as db_api
        storage = db_api.get('storage', storage_id)
        driver = self.get_driver(context, storage_id)
        spec = capabilities.performance_spec(
            driver, _driver_context(context, storage_id), filters)
        return capabilities.view(storage, driver, spec)

    # -- alerts -------------------------------------------------------------

    def list_alerts(self, context, storage_id, query_para=None):
        """Alerts held by the storage (``begin_time``/``end_time`` in ms
        in ``query_para`` limit the window).

        :returns: list of alert dicts from the driver.
        """
        driver = self.get_driver(context, storage_id)
        return list(driver.list_alerts(
            _driver_context(context, storage_id), query_para) or [])

    def clear_alert(self, context, storage_id, sequence_number):
        """Clear one alert on the storage."""
        driver = self.get_driver(context, storage_id)
        return driver.clear_alert(_driver_context(context, storage_id),
                                  sequence_number)

    def parse_alert(self, context, storage_id, alert):
        """Turn a trap from the storage into an alert dict.

        Uses the driver class's static ``parse_alert``; no instance is
        built.

        :param alert: the trap's variable bindings as a dict.
        :returns: the alert dict, or a falsy value when the trap is not
            an alert.
        :raises IncompleteTrapInformation, AccessInfoNotFound,
            StorageDriverNotFound.
        """
        driver = self.manager.cached_driver(storage_id)
        if driver is not None:
            cls = type(driver)
        else:
            from delfin.db import api as db_api
            access = db_api.get('access_info', storage_id)
            cls = self.manager.get_driver_class(access['vendor'],
                                                access['model'])
        return cls.parse_alert(_driver_context(context, storage_id), alert)

    def get_alert_sources(self, context, storage_id):
        """Extra addresses the storage sends traps from."""
        driver = self.get_driver(context, storage_id)
        return driver.get_alert_sources(_driver_context(context, storage_id))

    # -- performance --------------------------------------------------------

    def collect_perf_metrics(self, context, storage_id, resource_metrics,
                             start_time, end_time):
        """Performance samples of the storage in ``[start_time, end_time]``
        (ms).

        :returns: what the driver answers: a list or any iterable of
            ``constants.metric_struct`` (a generator is read as it is
            iterated, by the caller); empty when the driver collects
            nothing.
        """
        driver = self.get_driver(context, storage_id)
        return driver.collect_perf_metrics(
            _driver_context(context, storage_id), storage_id,
            resource_metrics, start_time, end_time) or []

    def get_latest_perf_timestamp(self, context, storage_id):
        """Time of the newest sample on the storage (ms) or None."""
        driver = self.get_driver(context, storage_id)
        return driver.get_latest_perf_timestamp(
            _driver_context(context, storage_id))
