"""The shipped sample configuration lists every option of the service."""
import configparser
import os
import re

from delfin.conf import opts

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                         '..', '..', '..', '..'))
SAMPLE = os.path.join(REPO_ROOT, 'etc', 'delfin', 'delfin.conf.sample')


# A commented-out option line of the generator: "#name = value".
_OPTION = re.compile(r'^#(\w+) =')


def _documented_options():
    """{group: {option names}} as written (commented out) in the sample."""
    found = {}
    group = None
    with open(SAMPLE) as f:
        for line in f:
            line = line.strip()
            if line.startswith('[') and line.endswith(']'):
                group = line[1:-1].lower()
                continue
            match = _OPTION.match(line)
            if match:
                found.setdefault(group, set()).add(match.group(1))
    return found


def test_sample_documents_every_option_of_the_service():
    documented = _documented_options()
    missing = [(group, o.name) for group, options in opts.list_opts()
               for o in options
               if o.name not in documented.get(group.lower(), set())]
    assert missing == [], ('etc/delfin/delfin.conf.sample is stale; run '
                           '`tox -e genconfig`: %s' % missing)


def test_shipped_configuration_only_sets_known_options():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(REPO_ROOT, 'etc', 'delfin', 'delfin.conf'))
    documented = _documented_options()
    for section in parser.sections() + ['DEFAULT']:
        items = parser[section] if section != 'DEFAULT' else \
            parser.defaults()
        for name in items:
            if section != 'DEFAULT' and name in parser.defaults():
                continue
            assert name in documented.get(section.lower(), set()), \
                (section, name)
