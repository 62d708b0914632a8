"""What the sync tolerates in a driver's items, and how it reports it.

Drivers return what their backends say: a vendor's own port type, a disk
listed twice, an item without its native id.  The sync is liberal in what
it accepts and strict in what it reports:

* ``unknown_value``: a value outside its field's vocabulary is stored as
  given (counted per value);
* ``duplicate``: an identity reported more than once in one listing of a
  kind; the last item is stored (counted per item left out);
* ``skipped``: an item that cannot be stored (not a dict, a required field
  missing, a value that cannot be read as its field's type or does not fit
  its column) is left out; the row stored for its identity, when it can be
  read, stays as it was.

Each is counted per kind, with the first few examples (identity, field,
value, reason), in the kind's entry of the job's progress under
``warnings``, and logged in one line per job.  Only an exception raised by
the driver fails a kind.  The conformance kit (`delfin.sdk.validation`)
reports each of these as an error, so that driver authors still fix them.
"""
import math

UNKNOWN_VALUE = 'unknown_value'
DUPLICATE = 'duplicate'
SKIPPED = 'skipped'
REASONS = (UNKNOWN_VALUE, DUPLICATE, SKIPPED)

_WORDS = {UNKNOWN_VALUE: 'values outside the vocabulary',
          DUPLICATE: 'duplicates left out',
          SKIPPED: 'items skipped'}

# Examples kept per kind.
EXAMPLES = 5
# Longest text of a value in an example.
_SHOWN = 100


def shown(value):
    """``value`` as an example shows it: JSON-safe and short."""
    cls = value.__class__
    if value is None or cls is bool or cls is int:
        return value
    if cls is float and math.isfinite(value):
        return value
    text = value if cls is str else repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + '...'


class Warnings(object):
    """What one kind's sync (or one chunk of it) tolerated: counts by
    reason, and the first `EXAMPLES` examples in listing order."""

    __slots__ = ('counts', 'examples')

    def __init__(self, counts=None, examples=None):
        self.counts = dict(counts or {})
        self.examples = list(examples or ())

    def __bool__(self):
        return bool(self.counts)

    @property
    def total(self):
        return sum(self.counts.values())

    def add(self, reason, native_id, field=None, value=None, message=None):
        self.counts[reason] = self.counts.get(reason, 0) + 1
        if len(self.examples) < EXAMPLES:
            example = {'reason': reason, 'native_id': shown(native_id)}
            if field is not None:
                example['field'] = field
                example['value'] = shown(value)
            if message:
                example['message'] = message
            self.examples.append(example)

    def merge(self, other):
        """Add the counts and examples of ``other`` (after this one's)."""
        for reason, count in other.counts.items():
            self.counts[reason] = self.counts.get(reason, 0) + count
        room = EXAMPLES - len(self.examples)
        if room > 0:
            self.examples.extend(other.examples[:room])

    def as_dict(self):
        """The form of a job's progress: every reason's count, then the
        examples."""
        out = {reason: self.counts.get(reason, 0) for reason in REASONS}
        out['examples'] = list(self.examples)
        return out

    def summary(self):
        """One line: the counts and the first example."""
        parts = ['%d %s' % (self.counts[r], _WORDS[r])
                 for r in REASONS if self.counts.get(r)]
        if self.examples:
            e = self.examples[0]
            parts.append('e.g. %r%s' % (e['native_id'], (
                ' %s=%r' % (e['field'], e['value'])) if 'field' in e else ''))
        return ', '.join(parts)


class ChunkWarnings(Warnings):
    """What the sync tolerated within one chunk, and where its skipped
    items are: stored beside the chunk's digest (`record`), so that a
    re-sync that does not check the chunk again still counts it."""

    __slots__ = ('skipped',)

    def __init__(self, counts=None, examples=None, skipped=None):
        super().__init__(counts, examples)
        self.skipped = list(skipped or ())

    def skip(self, index, native_id, field, value, message):
        self.add(SKIPPED, native_id, field, value, message)
        self.skipped.append(index)

    def record(self):
        """The JSON form stored with the chunk's digest."""
        return {'counts': dict(self.counts), 'examples': list(self.examples),
                'skipped': list(self.skipped)}


def from_record(record):
    """The `ChunkWarnings` of a stored record."""
    return ChunkWarnings(record.get('counts'), record.get('examples'),
                         record.get('skipped'))


def skipped_at(record):
    """Positions of the skipped items in a chunk, from its record (or
    None)."""
    return record.get('skipped') if record else None
