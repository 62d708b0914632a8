"""Text, time and capacity conversions that CLI-based drivers share.

Drivers written for Delfin call these with Delfin's exact semantics, quirks
included: times are converted in the host's local time zone, empty input
gives ``''`` rather than 0 or None, and ``time_str_to_timestamp`` and
``timestamp_to_time_str`` are instance methods (drivers call them on
``Tools()``) while every other method is static.
"""
import datetime
import os
import posixpath
import re
import time
import xml.etree.ElementTree as ET

from oslo_log import log as logging
from oslo_utils import units
from scp import SCPClient

LOG = logging.getLogger(__name__)

_CAPACITY_UNITS = {'TB': units.Ti, 'GB': units.Gi, 'MB': units.Mi,
                   'KB': units.Ki}


class Tools(object):
    """Namespace of the conversion helpers."""

    def time_str_to_timestamp(self, time_str, time_pattern):
        """Local time text to epoch milliseconds; ``''`` for empty text."""
        if not time_str:
            return ''
        parsed = time.strptime(time_str, time_pattern)
        return int(time.mktime(parsed) * units.k)

    def timestamp_to_time_str(self, time_stamp, time_pattern):
        """Epoch milliseconds to local time text; ``''`` for 0 or None."""
        if not time_stamp:
            return ''
        return time.strftime(time_pattern,
                             time.localtime(time_stamp / units.k))

    @staticmethod
    def timestamp_to_utc_time_str(time_stamp, time_pattern):
        """Epoch milliseconds to UTC time text; ``''`` for 0 or None."""
        if not time_stamp:
            return ''
        moment = datetime.datetime.fromtimestamp(time_stamp / units.k,
                                                 datetime.timezone.utc)
        # Naive, like the datetime Delfin formatted (%Z and %z stay empty).
        return moment.replace(tzinfo=None).strftime(time_pattern)

    @staticmethod
    def change_capacity_to_bytes(unit):
        """Bytes in one `unit` (TB, GB, MB, KB, binary); 1 for any other."""
        return int(_CAPACITY_UNITS.get(unit.upper(), 1))

    @staticmethod
    def get_capacity_size(value):
        """Bytes in a capacity text such as '10GB' or '1.5 TB'.

        The unit is always the last two characters, so a one-letter unit
        eats a digit ('100B' gives 10.0), as drivers written for Delfin
        expect.  Empty, '-' and '0B' give 0.
        """
        if not value or value in ('-', '0B'):
            return 0
        if value.isdigit():
            return float(value)
        return float(value[:-2]) * Tools.change_capacity_to_bytes(value[-2:])

    @staticmethod
    def split_value_map_list(value_info, map_list, is_mapping=False,
                             is_alert=False, split=":"):
        """Parse ``key: value`` CLI output into dicts appended to
        `map_list` (which is also returned).

        Lines are separated by CRLF; a blank line ends a record.  Spaces
        are removed from keys, ``""`` from values, and a line without the
        separator is kept only with `is_mapping` (as an empty value).  With
        `is_alert`, such a line continues the value of the previous key
        (unless it mentions ``entries``), for multi-line descriptions.
        """
        separator = split + ' '
        record = {}
        current_key = None
        for line in value_info.split('\r\n'):
            if not line:
                if record:
                    map_list.append(record)
                record = {}
                current_key = None
                continue
            pieces = line.split(separator)
            key = pieces[0].replace(' ', '')
            if len(pieces) > 1:
                record[key] = pieces[-1].replace('""', '')
                current_key = key
            elif is_alert and current_key is not None \
                    and 'entries' not in line:
                record[current_key] += line
            elif is_mapping:
                record[key] = ''
        if record:
            map_list.append(record)
        return map_list

    @staticmethod
    def get_numbers_in_brackets(source_info, pattern_str):
        """The first match of `pattern_str` without its parentheses."""
        matches = re.findall(pattern_str, source_info)
        if not matches:
            return ''
        return matches[0].replace('(', '').replace(')', '')

    @staticmethod
    def remove_file_with_same_type(file_name, file_path):
        """Delete the files in `file_path` sharing the first three
        ``_``-separated parts of `file_name` (older dumps of one kind)."""
        parts = file_name.split('_')
        prefix = '%s_%s_%s' % (parts[0], parts[1], parts[2])
        for name in os.listdir(file_path):
            path = os.path.join(file_path, name)
            if prefix in name and os.path.isfile(path):
                os.remove(path)

    @staticmethod
    def get_remote_file_to_xml(ssh, file, local_path, remote_path):
        """Fetch `remote_path`/`file` over SCP and parse it as XML.

        Returns the root Element, or None (after logging) on any error.
        The fetched file and older ones of its kind are deleted locally.
        """
        local_file = os.path.join(local_path, file)
        try:
            client = SCPClient(ssh.get_transport(), socket_timeout=15.0)
            try:
                client.get(posixpath.join(remote_path, file), local_path)
            finally:
                client.close()
            with open(local_file, encoding='utf-8') as f:
                return ET.fromstring(f.read())
        except Exception as e:
            LOG.error("Failed to fetch and parse %s: %s", file, e)
            return None
        finally:
            if os.path.exists(local_file):
                Tools.remove_file_with_same_type(file, local_path)
