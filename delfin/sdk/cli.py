"""The ``delfin-driver`` command: the driver author's tool box.

``delfin-driver new VENDOR MODEL``
    create a driver package that passes the conformance check on its own
    recorded sample data;
``delfin-driver check --vendor V --model M --access-info FILE``
    run a driver through every interface and write the conformance report
    (Markdown and JSON);
``delfin-driver list [--vendor V --model M]``
    show every driver entry point, where it comes from and whether it
    imports, or explain why a vendor/model is not found;
``delfin-driver adopt SOURCE... [--dist-dir DIR] [--install]``
    package the vendor drivers of a Delfin release (wheel, sdist, source
    folder or pip requirement) as a plugin wheel, and install it.

Exit status: 0 on success, 1 when a check fails or a driver is not found
or broken, 2 on wrong usage or unreadable input.
"""
import argparse
import json
import logging
import os
import sys

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _parser():
    parser = argparse.ArgumentParser(
        prog='delfin-driver',
        description='Create, check and troubleshoot storage drivers.')
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='log driver and tool activity to stderr')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True

    check = sub.add_parser(
        'check', help='run the conformance check of a driver',
        description='Load a driver as the service does, call every '
                    'interface and validate the results; writes '
                    'conformance-<vendor>-<model>.md and .json.')
    check.add_argument('driver', nargs='?', metavar='"VENDOR MODEL"',
                       help='the driver, as its entry point is named '
                            '(or give --vendor and --model)')
    check.add_argument('--vendor')
    check.add_argument('--model')
    check.add_argument('--access-info', required=True, metavar='FILE',
                       help='JSON or YAML access information (rest/ssh/cli/'
                            'smis sections, clear passwords, '
                            'extra_attributes)')
    check.add_argument('--traps', metavar='FILE',
                       help='JSON or YAML list of trap samples for '
                            'parse_alert')
    check.add_argument('--allow-clear', action='store_true',
                       help='call clear_alert on the first listed alert')
    check.add_argument('--perf-window', type=float, metavar='SECONDS',
                       default=300.0,
                       help='performance collection window (default 300)')
    check.add_argument('--timeout', type=float, metavar='SECONDS',
                       default=300.0,
                       help='longest a single driver call may take')
    check.add_argument('--report-dir', metavar='DIR', default='.',
                       help='where to write the reports (default: here)')
    check.add_argument('--config-file', metavar='FILE', action='append',
                       default=[],
                       help='service configuration to load (for example '
                            '[storage_driver] ca_path)')
    check.set_defaults(func=_check)

    new = sub.add_parser(
        'new', help='create a new driver package',
        description='Create a pip-installable driver package for VENDOR '
                    'MODEL that passes the conformance check on its '
                    'recorded sample data.')
    new.add_argument('vendor')
    new.add_argument('model')
    new.add_argument('--dir', default='.', metavar='DIR',
                     help='parent folder of the package (default: here)')
    new.set_defaults(func=_new)

    lst = sub.add_parser(
        'list', help='list driver entry points, or diagnose one',
        description='Show every driver entry point stevedore sees, with '
                    'its distribution, version and import status; with '
                    '--vendor and --model, explain why that driver would '
                    'not be found.')
    lst.add_argument('--vendor')
    lst.add_argument('--model')
    lst.add_argument('--json', action='store_true',
                     help='print JSON instead of text')
    lst.set_defaults(func=_list)

    adopt = sub.add_parser(
        'adopt', help='package the vendor drivers of a Delfin release',
        description='Build a plugin wheel holding the vendor driver '
                    'packages of a Delfin release under their own import '
                    'paths, with its driver entry points and the '
                    'distributions they import; our core modules are '
                    'never replaced, and what is left out is listed.')
    adopt.add_argument('sources', nargs='+', metavar='SOURCE',
                       help='a release wheel or sdist, a source folder, or '
                            'a pip requirement such as delfin==1.5.0 '
                            '(downloaded with pip)')
    adopt.add_argument('--dist-dir', default='dist', metavar='DIR',
                       help='where to write the wheels (default: dist)')
    adopt.add_argument('--install', action='store_true',
                       help='pip-install the wheels (and what they '
                            'require) into this environment')
    adopt.set_defaults(func=_adopt)
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format='%(levelname)s %(name)s: %(message)s')
    return args.func(parser, args)


# -- check ----------------------------------------------------------------

def _driver_words(parser, args):
    """Vendor and model from "VENDOR MODEL" or --vendor/--model."""
    if args.driver:
        if args.vendor or args.model:
            parser.error('give "VENDOR MODEL" or --vendor/--model, not '
                         'both')
        words = args.driver.split(' ', 1)
        if len(words) != 2 or not all(w.strip() for w in words):
            parser.error('"%s": expected "VENDOR MODEL"' % args.driver)
        args.vendor, args.model = words
    elif not (args.vendor and args.model):
        parser.error('give the driver as "VENDOR MODEL" or with --vendor '
                     'and --model')


def _check(parser, args):
    from oslo_config import cfg

    from delfin.sdk import conformance
    _driver_words(parser, args)
    try:
        access_info = conformance.load_data_file(args.access_info)
        traps = (conformance.load_traps(args.traps) if args.traps
                 else None)
    except (OSError, ValueError) as err:
        print('delfin-driver check: %s' % err, file=sys.stderr)
        return EXIT_USAGE
    except Exception as err:  # a YAML syntax error names its line
        print('delfin-driver check: cannot read input: %s' % err,
              file=sys.stderr)
        return EXIT_USAGE
    if not isinstance(access_info, dict):
        print('delfin-driver check: %s must hold a mapping'
              % args.access_info, file=sys.stderr)
        return EXIT_USAGE
    for key in ('vendor', 'model'):
        given = access_info.get(key)
        if given is not None and given != getattr(args, key):
            print('note: %s %r in %s is replaced by --%s %r'
                  % (key, given, args.access_info, key, getattr(args, key)),
                  file=sys.stderr)
    cfg.CONF([], project='delfin', default_config_files=args.config_file)
    report = conformance.run_check(
        args.vendor, args.model, access_info, traps=traps,
        allow_clear=args.allow_clear, perf_window=args.perf_window,
        call_timeout=args.timeout)
    paths = report.write(args.report_dir)
    _print_summary(report)
    print('report: %s' % paths[0])
    print('report: %s' % paths[1])
    if report.fatal:
        print('hint: run  delfin-driver list --vendor %s --model %s'
              % (args.vendor, args.model))
    return EXIT_OK if report.passed else EXIT_FAILED


def _print_summary(report):
    width = max(len(item.name) for item in report.interfaces)
    for item in report.interfaces:
        duration = ('' if item.duration_ms is None
                    else '%9.1f ms' % item.duration_ms)
        counts = ', '.join('%s=%s' % kv for kv in item.counts.items())
        errors = len([v for v in item.violations if v.severity == 'error'])
        extra = ('%d violation(s)' % errors) if errors else (item.note or '')
        print('%-*s  %-11s %12s  %-30s %s' % (
            width, item.name, item.status, duration, counts, extra))
    summary = report.summary()
    print('result: %s (%d violation(s), %d warning(s))' % (
        summary['result'].upper(), summary['violations'],
        summary['warnings']))


# -- new ------------------------------------------------------------------

def _new(parser, args):
    from delfin.sdk import scaffold
    try:
        folder = scaffold.create(args.vendor, args.model, args.dir)
    except (ValueError, FileExistsError) as err:
        print('delfin-driver new: %s' % err, file=sys.stderr)
        return EXIT_USAGE
    names = scaffold.names(args.vendor, args.model)
    print('created %s' % folder)
    print('next:')
    print('  pip install -e %s' % folder)
    print('  cd %s && delfin-driver check --vendor %s --model %s '
          '--access-info samples/access_info.yaml '
          '--traps samples/traps.yaml' % (folder, args.vendor, args.model))
    print('then edit %s/client.py and driver.py for the real backend'
          % os.path.join(folder, names['package']))
    return EXIT_OK


# -- adopt ----------------------------------------------------------------

def _adopt(parser, args):
    from delfin.sdk import adopt
    try:
        built = adopt.adopt(args.sources, args.dist_dir)
    except adopt.AdoptError as err:
        print('delfin-driver adopt: %s' % err, file=sys.stderr)
        return EXIT_FAILED
    for plan, path in built:
        print(adopt.report_text(plan))
        print('wrote %s' % path)
        if args.install:
            try:
                adopt.install(path)
            except adopt.AdoptError as err:
                print('delfin-driver adopt: %s' % err, file=sys.stderr)
                return EXIT_FAILED
            print('installed %s %s into %s' % (
                plan.distribution, plan.release.version, sys.prefix))
    if not args.install:
        print('install with: pip install %s' % ' '.join(
            path for _, path in built))
    return EXIT_OK


# -- list -----------------------------------------------------------------

def _list(parser, args):
    from delfin.sdk import doctor
    if bool(args.vendor) != bool(args.model):
        parser.error('--vendor and --model go together')
    if args.vendor:
        diagnosis = doctor.diagnose(args.vendor, args.model)
        if args.json:
            print(json.dumps(diagnosis.as_dict(), indent=2))
        else:
            _print_diagnosis(diagnosis)
        return EXIT_OK if diagnosis.found else EXIT_FAILED
    entries = doctor.list_drivers()
    if args.json:
        print(json.dumps([e.as_dict() for e in entries], indent=2))
    else:
        _print_entries(entries)
    broken = [e for e in entries if e.status not in (doctor.OK,)]
    return EXIT_FAILED if broken else EXIT_OK


def _print_entries(entries):
    if not entries:
        print('no driver entry point in namespace %s' % 'delfin.storage.'
              'drivers')
        return
    rows = [('NAME', 'DISTRIBUTION', 'STATUS', 'TARGET')]
    for e in entries:
        dist = '%s %s' % (e.distribution or '?', e.version or '')
        rows.append(('"%s"' % e.name, dist.strip(), e.status, e.value))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print('%-*s  %-*s  %-*s  %s' % (widths[0], row[0], widths[1],
                                        row[1], widths[2], row[2], row[3]))
    for e in entries:
        if e.error:
            print('\n"%s": %s' % (e.name, e.error))
        for problem in e.problems:
            print('"%s": warning: %s' % (e.name, problem))


def _print_diagnosis(diagnosis):
    if diagnosis.found:
        entry = [e for e in diagnosis.entries if e.status == 'ok'][0]
        print('"%s" resolves to %s' % (diagnosis.name, entry.driver_class))
        print('  distribution: %s %s' % (entry.distribution, entry.version))
        print('  metadata:     %s' % entry.metadata_path)
        print('  module file:  %s' % entry.module_file)
    else:
        print('"%s" would not be found:' % diagnosis.name)
    for reason in diagnosis.reasons:
        print('  - %s' % reason)
    for hint in diagnosis.hints:
        print('hint: %s' % hint)


if __name__ == '__main__':
    sys.exit(main())
