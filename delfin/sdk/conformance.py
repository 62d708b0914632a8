"""The conformance check: a driver run through every interface, the way the
service would call it, with every result held against the contract.

`run_check` loads the driver by vendor and model through the service's own
driver manager (stevedore, capability validation, TLS ``verify``), builds
it from access information whose passwords it encrypts with
`delfin.cryptor` first, then calls ``get_storage``, every lister of the
resource registry, ``list_alerts`` (plain and with a time window),
``parse_alert`` on sample traps, ``clear_alert`` when allowed,
``get_capabilities`` and ``collect_perf_metrics`` over a short window.
Each call is timed and its result checked with `delfin.sdk.validation`;
references between kinds are checked once everything is listed.

An interface the driver does not serve (a lister it does not override, or
that raises ``NotImplementedError``) is *unsupported*, not a failure --
unless the driver declared it in ``SUPPORTED_RESOURCES``.
"""
import contextlib
import copy
import importlib.metadata
import json
import platform
import sys
import threading
import time
import traceback
import uuid

from oslo_config import cfg

import delfin.conf  # noqa: F401  (registers the options the core reads)
from delfin import cryptor
from delfin.common import constants
from delfin.drivers import capabilities
from delfin.drivers import manager as driver_manager
from delfin.resources import registry
from delfin.sdk import doctor
from delfin.sdk import report as rpt
from delfin.sdk import validation

CONF = cfg.CONF

DEFAULT_PERF_WINDOW = 300
DEFAULT_CALL_TIMEOUT = 300.0

# What a trap sample may expect from parse_alert.
EXPECT_ALERT = 'alert'
EXPECT_IGNORED = 'ignored'


class CallTimeout(Exception):
    """A driver call did not return within the allowed time."""


def _call(timeout, func, *args):
    """Run `func` in a daemon thread; return (result, exception, ms).

    A daemon thread, so that a driver stuck on a dead backend cannot keep
    the checker from exiting.
    """
    outcome = {}

    def target():
        try:
            outcome['result'] = func(*args)
        except BaseException as err:  # reported, never swallowed
            outcome['error'] = err

    started = time.perf_counter()
    worker = threading.Thread(target=target, name='driver-call',
                              daemon=True)
    worker.start()
    worker.join(timeout)
    elapsed = (time.perf_counter() - started) * 1000.0
    if worker.is_alive():
        return None, CallTimeout('no answer after %.0f s' % timeout), elapsed
    return outcome.get('result'), outcome.get('error'), elapsed


def _describe_error(err):
    text = ''.join(traceback.format_exception_only(type(err), err)).strip()
    where = doctor.error_location(err)
    return text + (' at %s' % where if where else '')


def encrypt_access_info(access_info):
    """A copy of `access_info` with section passwords encrypted, as the
    service stores and hands them to drivers."""
    info = copy.deepcopy(access_info)
    for section in constants.ACCESS_TYPE:
        values = info.get(section)
        if isinstance(values, dict) and values.get('password') is not None:
            values['password'] = cryptor.encode(str(values['password']))
    return info


_KEY_LOCK = threading.Lock()
_KEY_DEPTH = [0]


@contextlib.contextmanager
def ephemeral_secret_key():
    """Encrypt with a key that lives only in this process while the block
    runs, so a check never creates or reads the service's key file.

    Re-entrant: a nested block keeps the outer block's key.
    """
    with _KEY_LOCK:
        _KEY_DEPTH[0] += 1
        if _KEY_DEPTH[0] == 1:
            CONF.set_override('secret_keys', [cryptor.generate_key()],
                              group='security')
            cryptor.reset()
    try:
        yield
    finally:
        with _KEY_LOCK:
            _KEY_DEPTH[0] -= 1
            if _KEY_DEPTH[0] == 0:
                CONF.clear_override('secret_keys', group='security')
                cryptor.reset()


def _admin_context(storage_id):
    from delfin import context
    ctx = context.get_admin_context()
    ctx.storage_id = storage_id
    return ctx


def _environment():
    def version(dist):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None
    return {
        'python': platform.python_version(),
        'implementation': platform.python_implementation(),
        'platform': platform.platform(),
        'delfin': version('delfin'),
        'stevedore': version('stevedore'),
        'executable': sys.executable,
    }


def _driver_info(vendor, model):
    name = driver_manager.driver_name(vendor, model)
    info = {'name': name, 'vendor': vendor, 'model': model}
    for ep in importlib.metadata.entry_points(group=driver_manager.NAMESPACE):
        if ep.name != name:
            continue
        info['entry_point'] = ep.value
        dist = getattr(ep, 'dist', None)
        if dist is not None:
            info['distribution'] = dist.metadata['Name']
            info['version'] = dist.version
        break
    return info


def _is_iterable(value):
    return hasattr(value, '__iter__') and not isinstance(
        value, (dict, str, bytes))


def interface_names():
    """Names of the interfaces a check reports on, in report order."""
    return (['load', 'get_storage'] + [m for m, _ in _listers()] +
            ['list_alerts', 'list_alerts(query_para)', 'parse_alert',
             'clear_alert', 'get_capabilities', 'collect_perf_metrics'])


def _listers():
    """(driver method, kinds it returns) in sync order."""
    order = []
    by_method = {}
    for kind in registry.inventory_kinds():
        if kind.driver_method not in by_method:
            by_method[kind.driver_method] = []
            order.append(kind.driver_method)
        by_method[kind.driver_method].append(kind)
    return [(m, by_method[m]) for m in order]


class _Run(object):
    """One conformance check in progress."""

    def __init__(self, vendor, model, access_info, traps, allow_clear,
                 perf_window, call_timeout, manager):
        self.vendor = vendor
        self.model = model
        self.access_info = access_info
        self.traps = traps
        self.allow_clear = allow_clear
        self.perf_window = perf_window
        self.timeout = call_timeout
        self.manager = manager or driver_manager.DriverManager(
            access_info_loader=self._no_database)
        self.storage_id = access_info.get('storage_id') or str(uuid.uuid4())
        self.driver = None
        self.cls = None
        self.results = {}       # kind name -> list of dicts
        self.paths = {}         # kind name -> path prefix
        self.alerts = []
        self.report = None

    @staticmethod
    def _no_database(storage_id):
        raise RuntimeError('the conformance check does not use a database')

    def context(self):
        return _admin_context(self.storage_id)

    def add(self, result):
        self.report.interfaces.append(result)
        return result

    def execute(self):
        self.report = rpt.Report(
            driver=_driver_info(self.vendor, self.model),
            environment=_environment(),
            options={'perf_window_s': self.perf_window,
                     'allow_clear': self.allow_clear,
                     'traps': len(self.traps) if self.traps is not None
                     else None,
                     'call_timeout_s': self.timeout,
                     'access_sections': ', '.join(
                         s for s in constants.ACCESS_TYPE
                         if self.access_info.get(s))},
            started_at=rpt.now_iso())
        try:
            if self.load():
                self.get_storage()
                self.list_inventory()
                self.check_references()
                self.list_alerts()
                self.parse_alerts()
                self.clear_alert()
                spec = self.get_capabilities()
                self.collect_perf_metrics(spec)
        finally:
            self.report.finished_at = rpt.now_iso()
        return self.report

    # -- loading ------------------------------------------------------------

    def load(self):
        result = self.add(rpt.InterfaceResult('load'))
        info = encrypt_access_info(self.access_info)
        info.update(vendor=self.vendor, model=self.model,
                    storage_id=self.storage_id)
        started = time.perf_counter()
        try:
            self.driver = self.manager.build_driver(info)
        except Exception as err:
            result.duration_ms = (time.perf_counter() - started) * 1000.0
            result.error = _describe_error(err)
            diagnosis = doctor.diagnose(self.vendor, self.model)
            result.note = '; '.join(diagnosis.reasons) or None
            result.add([validation.Violation(
                'load', validation.EXCEPTION, result.error)])
            self.report.fatal = result.error
            result.settle()
            return False
        result.duration_ms = (time.perf_counter() - started) * 1000.0
        self.cls = type(self.driver)
        driver = self.report.driver
        driver['class'] = '%s.%s' % (self.cls.__module__,
                                     self.cls.__qualname__)
        module = sys.modules.get(self.cls.__module__)
        driver['location'] = getattr(module, '__file__', None)
        driver['resources'] = capabilities.supported_kinds(self.cls)
        declared = capabilities.declared_kinds(self.cls)
        driver['declares_resources'] = declared is not None
        result.note = 'built through %s.DriverManager' % (
            driver_manager.__name__)
        result.settle()
        return True

    # -- inventory ----------------------------------------------------------

    def get_storage(self):
        result = self.add(rpt.InterfaceResult('get_storage'))
        value, err, result.duration_ms = _call(
            self.timeout, self.driver.get_storage, self.context())
        if err is not None:
            return self._failed_call(result, err, 'get_storage')
        result.counts['storage'] = 1 if value else 0
        result.add(validation.check_resource(registry.STORAGE, value,
                                             'get_storage'))
        result.settle()

    def list_inventory(self):
        supported = capabilities.supported_kinds(self.cls)
        declared = capabilities.declared_kinds(self.cls)
        for method, kinds in _listers():
            result = self.add(rpt.InterfaceResult(method))
            if not any(supported[k.name] for k in kinds):
                result.status = rpt.UNSUPPORTED
                result.note = ('not in SUPPORTED_RESOURCES' if declared
                               is not None else 'not implemented')
                continue
            # Bound now: a call that times out keeps running in its thread
            # while the loop moves on.
            value, err, result.duration_ms = _call(
                self.timeout, self._list_kinds, getattr(self.driver, method),
                kinds, self.context())
            if isinstance(err, NotImplementedError):
                if declared is not None:
                    result.add([validation.Violation(
                        method, validation.DECLARATION,
                        'declared in SUPPORTED_RESOURCES but raised '
                        'NotImplementedError')])
                    result.settle()
                else:
                    result.status = rpt.UNSUPPORTED
                    result.note = 'raised NotImplementedError'
                continue
            if err is not None:
                self._failed_call(result, err, method)
                continue
            shape, lists = value
            result.add(shape)
            for kind in kinds:
                path = (method if kind.driver_key is None
                        else '%s.%s' % (method, kind.driver_key))
                items = lists.get(kind.name, [])
                self.results[kind.name] = items
                self.paths[kind.name] = path
                result.counts[kind.name] = len(items)
                result.add(validation.check_resources(
                    kind, items, path, self.storage_id))
            result.settle()

    def _list_kinds(self, lister, kinds, context):
        return self._materialize(lister(context), kinds)

    @staticmethod
    def _materialize(value, kinds):
        """Turn a lister's result into {kind name: list}; iterating a
        generator here keeps its cost inside the timed call."""
        shape = []
        method = kinds[0].driver_method
        if kinds[0].driver_key is None:
            if not _is_iterable(value):
                shape.append(validation.Violation(
                    method, validation.SHAPE,
                    'expected an iterable of dicts, got %s (raise '
                    'NotImplementedError when unsupported)'
                    % type(value).__name__))
                return shape, {kinds[0].name: []}
            return shape, {kinds[0].name: list(value)}
        if not isinstance(value, dict):
            shape.append(validation.Violation(
                method, validation.SHAPE, 'expected a dict with keys %s, got '
                '%s' % (', '.join(k.driver_key for k in kinds),
                        type(value).__name__)))
            return shape, {}
        lists = {}
        for kind in kinds:
            part = value.get(kind.driver_key)
            if not _is_iterable(part):
                shape.append(validation.Violation(
                    '%s.%s' % (method, kind.driver_key), validation.SHAPE,
                    'expected a list under %r, got %s'
                    % (kind.driver_key, type(part).__name__)))
                part = []
            lists[kind.name] = list(part)
        for key in value:
            if key not in [k.driver_key for k in kinds]:
                shape.append(validation.Violation(
                    '%s.%s' % (method, key), validation.UNKNOWN_KEY,
                    'unexpected key %r' % key))
        return shape, lists

    def check_references(self):
        found = validation.check_references(self.results, self.paths)
        for violation in found:
            method = violation.path.split('.', 1)[0].split('[', 1)[0]
            for item in self.report.interfaces:
                if item.name == method:
                    item.add([violation])
                    item.settle()
                    break

    def _failed_call(self, result, err, method):
        result.error = _describe_error(err)
        result.add([validation.Violation(method, validation.EXCEPTION,
                                         result.error)])
        return result.settle()

    # -- alerts -------------------------------------------------------------

    def list_alerts(self):
        result = self.add(rpt.InterfaceResult('list_alerts'))
        value, err, result.duration_ms = _call(
            self.timeout, self._list_alerts, None)
        if isinstance(err, NotImplementedError):
            result.status = rpt.UNSUPPORTED
            result.note = 'raised NotImplementedError'
            return
        if err is not None:
            return self._failed_call(result, err, 'list_alerts')
        if not _is_iterable(value):
            result.add([validation.Violation(
                'list_alerts', validation.SHAPE, 'expected a list of alerts, '
                'got %s' % type(value).__name__)])
            return result.settle()
        self.alerts = list(value)
        result.counts['alerts'] = len(self.alerts)
        now = int(time.time() * 1000)
        for index, alert in enumerate(self.alerts):
            result.add(validation.check_alert(
                alert, 'list_alerts[%d]' % index, now))
        result.settle()
        self._list_alerts_in_window()

    def _list_alerts(self, query):
        value = self.driver.list_alerts(self.context(), query)
        return list(value) if _is_iterable(value) else value

    def _list_alerts_in_window(self):
        times = sorted(a['occur_time'] for a in self.alerts
                       if isinstance(a, dict)
                       and validation._is_int(a.get('occur_time')))
        name = 'list_alerts(query_para)'
        if len(times) < 2 or times[0] == times[-1]:
            result = self.add(rpt.InterfaceResult(name))
            result.status = rpt.SKIPPED
            result.note = ('needs two alerts with different occur_time to '
                           'test the time filter')
            return
        # A window holding the newest alerts only: a driver that ignores
        # query_para returns the older ones too.
        query = {'begin_time': times[-1], 'end_time': times[-1]}
        result = self.add(rpt.InterfaceResult(name))
        value, err, result.duration_ms = _call(self.timeout,
                                               self._list_alerts, query)
        if err is not None:
            return self._failed_call(result, err, name)
        if not _is_iterable(value):
            result.add([validation.Violation(name, validation.SHAPE,
                                             'expected a list of alerts')])
            return result.settle()
        value = list(value)
        result.counts['alerts'] = len(value)
        result.note = 'begin_time=end_time=%d' % times[-1]
        now = int(time.time() * 1000)
        for index, alert in enumerate(value):
            result.add(validation.check_alert(
                alert, '%s[%d]' % (name, index), now, query))
        if not value:
            result.add([validation.Violation(
                name, validation.ALERT, 'the window holds the newest alert '
                'but none was returned')])
        result.settle()

    def parse_alerts(self):
        result = self.add(rpt.InterfaceResult('parse_alert'))
        if not capabilities.overrides(self.cls, 'parse_alert'):
            result.status = rpt.UNSUPPORTED
            result.note = 'not implemented'
            return
        if self.traps is None:
            result.status = rpt.SKIPPED
            result.note = 'no trap samples given (--traps)'
            return
        now = int(time.time() * 1000)
        total = 0.0
        parsed = 0
        for index, sample in enumerate(self.traps):
            varbinds, expect = _trap_sample(sample)
            trap = dict(varbinds)
            trap.setdefault('transport_address', self._access_host())
            trap.setdefault('storage_id', self.storage_id)
            path = 'parse_alert[%d]' % index
            # Called on the class, as the alert manager does.
            value, err, ms = _call(self.timeout, self.cls.parse_alert,
                                   self.context(), trap)
            total += ms
            result.add(_judge_trap(path, value, err, expect, now))
            if value:
                parsed += 1
        result.duration_ms = total
        result.counts.update(traps=len(self.traps), alerts=parsed)
        result.settle()

    def _access_host(self):
        for section in constants.ACCESS_TYPE:
            values = self.access_info.get(section)
            if isinstance(values, dict) and values.get('host'):
                return str(values['host'])
        return '127.0.0.1'

    def clear_alert(self):
        result = self.add(rpt.InterfaceResult('clear_alert'))
        if not self.allow_clear:
            result.status = rpt.SKIPPED
            result.note = 'clearing alerts needs --allow-clear'
            return
        target = next((a for a in self.alerts if isinstance(a, dict)
                       and a.get('sequence_number') is not None), None)
        if target is None:
            result.status = rpt.SKIPPED
            result.note = 'list_alerts returned no alert to clear'
            return
        sequence = target['sequence_number']
        _, err, result.duration_ms = _call(
            self.timeout, self.driver.clear_alert, self.context(), sequence)
        if isinstance(err, NotImplementedError):
            result.status = rpt.UNSUPPORTED
            result.note = 'raised NotImplementedError'
            return
        if err is not None:
            return self._failed_call(result, err, 'clear_alert')
        result.note = 'cleared sequence_number %r' % (sequence,)
        result.counts['cleared'] = 1
        result.settle()

    # -- performance --------------------------------------------------------

    def get_capabilities(self):
        result = self.add(rpt.InterfaceResult('get_capabilities'))
        value, err, result.duration_ms = _call(
            self.timeout, self.driver.get_capabilities, self.context(), None)
        if isinstance(err, NotImplementedError):
            value, err = None, None
        if err is not None:
            self._failed_call(result, err, 'get_capabilities')
            return {}
        result.add(validation.check_capabilities(value))
        spec = value or {}
        declared = getattr(self.cls, 'PERFORMANCE_METRICS', None)
        if declared is not None:
            result.add(validation.check_declared_metrics(
                declared, 'PERFORMANCE_METRICS'))
            if not spec and isinstance(declared, dict):
                spec = {'is_historic': False, 'resource_metrics': declared}
        metrics = spec.get('resource_metrics') if isinstance(spec, dict) \
            else None
        if not value and declared is None:
            result.status = rpt.UNSUPPORTED
            result.note = 'no performance capabilities'
            return {}
        if isinstance(metrics, dict):
            result.counts['resource_types'] = len(metrics)
            result.counts['metrics'] = sum(
                len(m) for m in metrics.values() if isinstance(m, dict))
        result.settle()
        return spec if result.status == rpt.PASSED else {}

    def collect_perf_metrics(self, spec):
        result = self.add(rpt.InterfaceResult('collect_perf_metrics'))
        resource_metrics = spec.get('resource_metrics') or {}
        implemented = capabilities.overrides(self.cls, 'collect_perf_metrics')
        if not resource_metrics:
            result.status = rpt.UNSUPPORTED
            result.note = 'no resource_metrics in valid capabilities'
            return
        if not implemented:
            result.add([validation.Violation(
                'collect_perf_metrics', validation.DECLARATION,
                'capabilities declare metrics but collect_perf_metrics is '
                'not implemented')])
            return result.settle()
        end = int(time.time() * 1000)
        start = end - int(self.perf_window * 1000)
        value, err, result.duration_ms = _call(
            self.timeout, self._collect, resource_metrics, start, end)
        if err is not None:
            return self._failed_call(result, err, 'collect_perf_metrics')
        if value is None:
            result.add([validation.Violation(
                'collect_perf_metrics', validation.METRIC,
                'returned None although capabilities declare metrics')])
            return result.settle()
        result.note = 'window [%d, %d] ms' % (start, end)
        inventory = self._perf_inventory()
        result.add(validation.check_metrics(
            value, resource_metrics, self.storage_id, start, end,
            inventory=inventory))
        if _is_iterable(value):
            result.counts['series'] = len(value)
            result.counts['samples'] = sum(
                len(m.values) for m in value
                if isinstance(getattr(m, 'values', None), dict))
        result.settle()

    def _collect(self, resource_metrics, start, end):
        value = self.driver.collect_perf_metrics(
            self.context(), self.storage_id, resource_metrics, start, end)
        return list(value) if _is_iterable(value) else value

    def _perf_inventory(self):
        inventory = {}
        for kind in registry.inventory_kinds():
            if kind.perf_type and kind.name in self.results:
                inventory[kind.perf_type] = {
                    item.get(kind.native_id) for item in
                    self.results[kind.name] if isinstance(item, dict)}
        return inventory


def _trap_sample(sample):
    """(varbinds, expectation) of one entry of a traps file.

    An entry is either the variable bindings themselves, or a dict with
    ``varbinds`` and ``expect``: ``alert`` (default), ``ignored`` (a falsy
    result) or the name of the exception parse_alert must raise.
    """
    if isinstance(sample, dict) and isinstance(sample.get('varbinds'), dict):
        return sample['varbinds'], sample.get('expect', EXPECT_ALERT)
    return (sample if isinstance(sample, dict) else {}), EXPECT_ALERT


def _judge_trap(path, value, err, expect, now):
    if expect not in (EXPECT_ALERT, EXPECT_IGNORED):
        if err is not None and type(err).__name__ == expect:
            return []
        got = ('raised %s' % _describe_error(err) if err is not None
               else 'returned %r' % (value,))
        return [validation.Violation(path, validation.ALERT,
                                     'expected %s, but %s' % (expect, got))]
    if err is not None:
        return [validation.Violation(path, validation.EXCEPTION,
                                     _describe_error(err))]
    if expect == EXPECT_IGNORED:
        if value:
            return [validation.Violation(path, validation.ALERT,
                                         'expected the trap to be ignored, '
                                         'got an alert')]
        return []
    if not value:
        return [validation.Violation(path, validation.ALERT,
                                     'expected an alert, got %r' % (value,))]
    return validation.check_alert(value, path, now)


def load_data_file(path):
    """Read a JSON or YAML file (access information, trap samples)."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    if path.endswith('.json'):
        return json.loads(text)
    import yaml
    return yaml.safe_load(text)


def load_traps(path):
    """Trap samples from a file: a list, or a dict with a ``traps`` list."""
    data = load_data_file(path)
    if isinstance(data, dict) and 'traps' in data:
        data = data['traps']
    if not isinstance(data, list):
        raise ValueError('%s: expected a list of trap samples' % path)
    return data


def run_check(vendor, model, access_info, traps=None, allow_clear=False,
              perf_window=DEFAULT_PERF_WINDOW,
              call_timeout=DEFAULT_CALL_TIMEOUT, manager=None,
              ephemeral_key=True):
    """Run the conformance check of driver ``"<vendor> <model>"``.

    :param access_info: dict with access sections (``rest``, ``ssh``, ...)
        holding clear passwords, ``extra_attributes`` and optionally
        ``storage_id``; passwords are encrypted before the driver sees them.
    :param traps: list of trap samples for ``parse_alert`` (see
        `_trap_sample`), or None to skip it.
    :param allow_clear: call ``clear_alert`` on the first listed alert.
    :param perf_window: length in seconds of the performance window.
    :param call_timeout: seconds a single driver call may take.
    :param manager: a `delfin.drivers.manager.DriverManager`; a fresh one
        by default.
    :param ephemeral_key: encrypt passwords with a throw-away key (see
        `ephemeral_secret_key`) rather than the configured ones.
    :returns: a `delfin.sdk.report.Report`.
    """
    run = _Run(vendor, model, access_info, traps, allow_clear, perf_window,
               call_timeout, manager)
    if not ephemeral_key:
        return run.execute()
    with ephemeral_secret_key():
        return run.execute()
