"""The conformance report: what a driver did on every interface, and what
broke the contract.

A `Report` is built by `delfin.sdk.conformance` and rendered twice: as JSON
(for machines: CI, dashboards, diffing two runs) and as Markdown (for the
pull request a driver author opens).  Both carry the same facts: the
driver and the distribution it came from, the environment, the options of
the run, and per interface its status, duration, item counts and
violations with their paths.  Access information never enters a report
beyond the names of its sections.
"""
import dataclasses
import datetime
import json
import os

from delfin.sdk import validation

PASSED = 'passed'
FAILED = 'failed'
UNSUPPORTED = 'unsupported'
ERROR = 'error'
SKIPPED = 'skipped'

STATUSES = (PASSED, FAILED, ERROR, UNSUPPORTED, SKIPPED)
# Statuses that make the whole check fail.
FAILING = (FAILED, ERROR)

_ICONS = {PASSED: 'passed', FAILED: '**FAILED**', ERROR: '**ERROR**',
          UNSUPPORTED: 'unsupported', SKIPPED: 'skipped'}

# Long violation lists are cut in the Markdown (the JSON keeps them all).
MARKDOWN_VIOLATION_LIMIT = 50


@dataclasses.dataclass
class InterfaceResult:
    """The outcome of one driver interface (one method, or one aspect of
    it such as the time-window query of ``list_alerts``)."""
    name: str
    status: str = PASSED
    duration_ms: float = None
    counts: dict = dataclasses.field(default_factory=dict)
    violations: list = dataclasses.field(default_factory=list)
    error: str = None
    note: str = None

    def add(self, violations):
        self.violations.extend(violations)

    def settle(self):
        """Derive the status from what was recorded, unless it was set to
        unsupported or skipped."""
        if self.status in (UNSUPPORTED, SKIPPED):
            return self
        if self.error is not None:
            self.status = ERROR
        elif validation.errors(self.violations):
            self.status = FAILED
        else:
            self.status = PASSED
        return self

    def as_dict(self):
        return {
            'name': self.name,
            'status': self.status,
            'duration_ms': (None if self.duration_ms is None
                            else round(self.duration_ms, 3)),
            'counts': dict(self.counts),
            'violations': [v.as_dict() for v in self.violations],
            'error': self.error,
            'note': self.note,
        }


@dataclasses.dataclass
class Report:
    """Everything a conformance check found."""
    driver: dict
    environment: dict
    options: dict
    interfaces: list = dataclasses.field(default_factory=list)
    started_at: str = None
    finished_at: str = None
    fatal: str = None   # the driver could not even be built

    def interface(self, name):
        for item in self.interfaces:
            if item.name == name:
                return item
        raise KeyError(name)

    @property
    def violations(self):
        return [v for item in self.interfaces for v in item.violations]

    @property
    def passed(self):
        return self.fatal is None and not any(
            item.status in FAILING for item in self.interfaces)

    def summary(self):
        counts = {status: 0 for status in STATUSES}
        for item in self.interfaces:
            counts[item.status] += 1
        found = self.violations
        return {
            'result': PASSED if self.passed else FAILED,
            'interfaces': counts,
            'violations': len(validation.errors(found)),
            'warnings': len(found) - len(validation.errors(found)),
            'duration_ms': round(sum(item.duration_ms or 0
                                     for item in self.interfaces), 3),
        }

    def as_dict(self):
        return {
            'report': 'delfin driver conformance',
            'format_version': 1,
            'summary': self.summary(),
            'driver': self.driver,
            'environment': self.environment,
            'options': self.options,
            'started_at': self.started_at,
            'finished_at': self.finished_at,
            'fatal': self.fatal,
            'interfaces': [item.as_dict() for item in self.interfaces],
        }

    def to_json(self):
        return json.dumps(self.as_dict(), indent=2, sort_keys=False,
                          default=str)

    def to_markdown(self):
        return _markdown(self)

    def file_stem(self):
        name = self.driver.get('name') or 'driver'
        safe = ''.join(ch if ch.isalnum() or ch in '-_' else '-'
                       for ch in name)
        return 'conformance-%s' % safe

    def write(self, directory):
        """Write ``<stem>.md`` and ``<stem>.json`` into `directory`;
        return both paths."""
        os.makedirs(directory, exist_ok=True)
        stem = os.path.join(directory, self.file_stem())
        paths = (stem + '.md', stem + '.json')
        with open(paths[0], 'w', encoding='utf-8') as f:
            f.write(self.to_markdown())
        with open(paths[1], 'w', encoding='utf-8') as f:
            f.write(self.to_json())
            f.write('\n')
        return paths


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec='seconds')


def _cell(value):
    text = '' if value is None else str(value)
    return text.replace('|', '\\|').replace('\n', ' ')


def _counts_text(counts):
    return ', '.join('%s: %s' % item for item in counts.items())


def _markdown(report):
    summary = report.summary()
    driver = report.driver
    lines = ['# Conformance report: `%s`' % driver.get('name'), '']
    verdict = ('PASSED' if report.passed else 'FAILED')
    lines.append('**Result: %s** — %d violation(s), %d warning(s); '
                 'interfaces: %s.' % (
                     verdict, summary['violations'], summary['warnings'],
                     ', '.join('%d %s' % (n, s) for s, n in
                               summary['interfaces'].items() if n)))
    lines.append('')
    if report.fatal:
        lines += ['> The driver could not be loaded: %s' % report.fatal, '']
    lines += ['## Driver', '', '| | |', '|---|---|']
    for key in ('name', 'entry_point', 'class', 'distribution', 'version',
                'location'):
        if driver.get(key) is not None:
            lines.append('| %s | `%s` |' % (key, _cell(driver[key])))
    if driver.get('resources'):
        supported = [k for k, v in driver['resources'].items() if v]
        lines.append('| supported kinds | %s |'
                     % _cell(', '.join(supported) or 'none'))
    lines += ['', '## Environment', '', '| | |', '|---|---|']
    for key, value in report.environment.items():
        lines.append('| %s | %s |' % (key, _cell(value)))
    for key, value in report.options.items():
        lines.append('| option %s | %s |' % (key, _cell(value)))
    lines.append('| started | %s |' % _cell(report.started_at))
    lines.append('| finished | %s |' % _cell(report.finished_at))
    lines += ['', '## Interfaces', '',
              '| interface | status | duration (ms) | items | violations |'
              ' note |', '|---|---|---:|---|---:|---|']
    for item in report.interfaces:
        duration = ('' if item.duration_ms is None
                    else '%.1f' % item.duration_ms)
        note = item.error if item.error else item.note
        lines.append('| `%s` | %s | %s | %s | %d | %s |' % (
            item.name, _ICONS[item.status], duration,
            _cell(_counts_text(item.counts)),
            len(validation.errors(item.violations)), _cell(note)))
    with_problems = [item for item in report.interfaces if item.violations]
    if with_problems:
        lines += ['', '## Violations', '']
    for item in with_problems:
        lines += ['### `%s`' % item.name, '']
        for v in item.violations[:MARKDOWN_VIOLATION_LIMIT]:
            lines.append('- %s `%s` [%s] %s' % (
                'error' if v.severity == validation.ERROR else 'warning',
                v.path, v.code, v.message))
        hidden = len(item.violations) - MARKDOWN_VIOLATION_LIMIT
        if hidden > 0:
            lines.append('- ... %d more in the JSON report' % hidden)
        lines.append('')
    lines.append('')
    return '\n'.join(lines)
