"""Delfin's own driver unit tests, run against our core (a CI step).

    python -m delfin.tests.upstream_drivers [--release delfin==1.5.0]

The promise is that Delfin's vendor drivers run here unchanged.  This job
checks it with the tests Delfin ships for them:

1. pip downloads the release (``delfin==1.5.0`` by default) from PyPI;
2. ``delfin-driver adopt FILE --install`` builds the plugin of its vendor
   drivers and pip-installs it, with what the drivers import, into a
   throwaway environment layered on the test virtualenv (which is left
   untouched; see `delfin.tests.fixtures.throwaway_env`);
3. ``delfin-driver list`` must show each of the release's drivers (but the
   fake one, which our core provides) as loadable, from the plugin;
4. the release's ``delfin/tests/unit/drivers/<vendor>/`` tests run against
   our core with unittest (Delfin's own runner), one process per vendor
   folder, each in a fresh working directory holding the
   ``delfin/drivers/utils/performance_file/`` folders that some drivers
   write to.  The tests are made importable under their own names
   (``delfin.tests.unit.drivers.<vendor>...``) by adding their folder to
   that package's ``__path__``; nothing of them is changed;
5. then all vendor folders run once more in a single process, where the
   cryptor mock some of them install must not reach the others.

It fails when a test fails or errors, or when a vendor folder passes fewer
tests than on Delfin's own core.  Delfin's two framework tests at the top
of the folder (``test_api.py``, ``test_manager.py``) test Delfin's
``drivers/api.py`` and ``drivers/manager.py`` through its database API,
which our core replaces; they are not driver tests and are not run.

Delfin's own core, measured once (delfin==1.5.0 and its dependencies in a
separate Python 3.11 virtualenv, same per-folder runs): 204 of 204 tests
pass (dell_emc 60, fujitsu 13, hitachi 23, hpe 18, huawei 43, ibm 18,
netapp 19, pure 10) when ``delfin.common.config`` is imported first, as
Delfin's services and its single-process ``unittest discover`` run do.
Run alone, without that import, 173 pass: the hnas tests of hitachi (12)
and all of netapp (19) stop at import with ``NoSuchOptError:
delfin_cryptor``, Delfin's cryptor reading an option that only
``delfin.common.config`` registers.  In one process for the whole folder
(Delfin's ``unittest discover``), 19 huawei tests error on Delfin's core
because the cryptor mock that earlier vendors' tests put in
``sys.modules`` leaks into them: 185 pass.  Our core needs neither
crutch: the runs here import nothing before the tests do, and all 204 pass
in one process too.

Time: 30 to 75 s (download, plugin install, 8 processes of 1 to 5 s).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import zipfile

RELEASE = 'delfin==1.5.0'
TESTS_DIR = 'delfin/tests/unit/drivers'
# The release's drivers, as it names them (but the fake one).
DRIVERS = {'delfin==1.5.0': [
    'dellemc unity', 'dellemc vmax', 'dellemc vnx_block', 'dellemc vplex',
    'fujitsu eternus', 'hitachi hnas', 'hitachi vsp', 'hpe 3par', 'hpe msa',
    'huawei oceanstor', 'ibm ds8k', 'ibm storwize_svc', 'netapp cmode',
    'pure flasharray']}
# Passing tests per vendor folder on Delfin's own core (see above).
EXPECTED = {'delfin==1.5.0': {
    'dell_emc': 60, 'fujitsu': 13, 'hitachi': 23, 'hpe': 18, 'huawei': 43,
    'ibm': 18, 'netapp': 19, 'pure': 10}}
# Folders (relative to the working directory) some drivers write to.
WORK_FOLDERS = ('delfin/drivers/utils/performance_file/svc',
                'delfin/drivers/utils/performance_file/vnx_block',
                'delfin/drivers/utils/performance_file/macro_san')
RESULT_MARK = 'UPSTREAM-RESULT '
FOLDER_TIMEOUT = 600


def _say(text):
    print(text, flush=True)


# -- one vendor folder (child process) ---------------------------------

class _Result(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed.append(test.id())


def run_folder(tests_root, vendors):
    """Run the tests of the vendor folders `vendors` (comma-separated) in
    this process; print a JSON summary line; return the exit code."""
    import delfin.tests.unit.drivers as ours
    folder = os.path.join(tests_root, TESTS_DIR)
    names = []
    for vendor in vendors.split(','):
        for own in ours.__path__:
            if os.path.isdir(os.path.join(own, vendor)):
                raise SystemExit('our tests have a folder %s too' % vendor)
        for dirpath, dirnames, filenames in os.walk(os.path.join(folder,
                                                                 vendor)):
            dirnames.sort()
            for name in sorted(filenames):
                if name.startswith('test') and name.endswith('.py'):
                    rel = os.path.relpath(os.path.join(dirpath, name[:-3]),
                                          folder)
                    names.append('delfin.tests.unit.drivers.'
                                 + rel.replace(os.sep, '.'))
    ours.__path__.append(folder)
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromName(n) for n in names)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=1,
                                     resultclass=_Result)
    result = runner.run(suite)
    summary = {
        'passed': result.passed,
        'failed': [t.id() for t, _ in result.failures],
        'errors': [t.id() for t, _ in result.errors],
        'skipped': [t.id() for t, _ in result.skipped],
        'unexpected_successes': [t.id() for t in
                                 result.unexpectedSuccesses],
    }
    print(RESULT_MARK + json.dumps(summary), flush=True)
    return 0 if result.wasSuccessful() else 1


# -- the job -------------------------------------------------------------

def _download(release, dest):
    done = subprocess.run(
        [sys.executable, '-m', 'pip', 'download', '--no-deps',
         '--disable-pip-version-check', '--only-binary', ':all:', '--dest',
         dest, release], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit('pip could not download %s:\n%s'
                         % (release, done.stderr or done.stdout))
    files = os.listdir(dest)
    if len(files) != 1:
        raise SystemExit('expected one file from pip download, got %s'
                         % files)
    return os.path.join(dest, files[0])


def _extract_tests(wheel, dest):
    with zipfile.ZipFile(wheel) as archive:
        members = [n for n in archive.namelist()
                   if n.startswith(TESTS_DIR + '/') and '..' not in n]
        archive.extractall(dest, members)
    folder = os.path.join(dest, TESTS_DIR)
    return sorted(d for d in os.listdir(folder)
                  if os.path.isfile(os.path.join(folder, d, '__init__.py')))


def _check_listed(env, plan_dist, expected_names):
    done = env.run(['-m', 'delfin.sdk.cli', 'list', '--json'])
    try:
        entries = json.loads(done.stdout)
    except ValueError:
        return ['delfin-driver list --json failed:\n%s%s'
                % (done.stdout, done.stderr)]
    problems = []
    for name in expected_names:
        mine = [e for e in entries if e['name'] == name]
        if len(mine) != 1 or mine[0]['status'] != 'ok' \
                or mine[0]['distribution'] != plan_dist:
            problems.append('delfin-driver list: "%s" is %s' % (
                name, mine or 'missing'))
    return problems


def _run_vendor(env, tests_root, vendor, work):
    cwd = os.path.join(work, 'cwd-' + vendor.replace(',', '-'))
    for folder in WORK_FOLDERS:
        os.makedirs(os.path.join(cwd, folder), exist_ok=True)
    started = time.monotonic()
    # -P: the working directory holds a delfin/ folder, which must not
    # be imported as (part of) the delfin package.
    done = env.run(['-P', '-m', 'delfin.tests.upstream_drivers',
                    '--run-folder', tests_root, vendor], cwd=cwd,
                   timeout=FOLDER_TIMEOUT)
    seconds = time.monotonic() - started
    stray = sorted(set(os.listdir(cwd)) - {'delfin'})
    if stray:
        done.returncode = done.returncode or 1
        done.stdout += ('\nleft in the working directory: %s\n'
                        % ', '.join(stray))
    summary = None
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            summary = json.loads(line[len(RESULT_MARK):])
    return done, summary, seconds


def run_job(release, keep=None):
    """Download, adopt, install and test; return the exit code."""
    from delfin.sdk import adopt
    from delfin.tests.fixtures.throwaway_env import ThrowawayEnv
    expected = EXPECTED.get(release, {})
    work = keep or tempfile.mkdtemp(prefix='delfin-upstream-')
    os.makedirs(work, exist_ok=True)
    started = time.monotonic()
    env = None
    try:
        _say('==> Downloading %s' % release)
        wheel = _download(release, os.path.join(work, 'download'))
        _say('==> Adopting %s into a throwaway environment'
             % os.path.basename(wheel))
        env = ThrowawayEnv(os.path.join(work, 'env'))
        done = env.run(['-m', 'delfin.sdk.cli', 'adopt', wheel,
                        '--dist-dir', os.path.join(work, 'dist'),
                        '--install'])
        _say(done.stdout.rstrip())
        if done.returncode != 0:
            _say('delfin-driver adopt failed:\n%s' % done.stderr)
            return 1
        plan = adopt.plan(adopt.fetch(wheel, work))
        problems = []
        names = DRIVERS.get(release, sorted(plan.entry_points))
        if sorted(plan.entry_points) != names:
            problems.append('the plugin declares %s, the release %s'
                            % (sorted(plan.entry_points), names))
        problems += _check_listed(env, plan.distribution, names)
        tests_root = os.path.join(work, 'tests')
        vendors = _extract_tests(wheel, tests_root)
        totals = {'passed': 0, 'failed': 0, 'errors': 0}
        for vendor in vendors:
            done, summary, seconds = _run_vendor(env, tests_root, vendor,
                                                 work)
            if summary is None:
                problems.append('%s: no result\n%s\n%s' % (
                    vendor, done.stdout[-4000:], done.stderr[-4000:]))
                continue
            counts = {k: len(v) for k, v in summary.items()}
            for key in totals:
                totals[key] += counts[key]
            _say('%-10s %3d passed, %d failed, %d errors, %d skipped '
                 '(%.1f s; %s on Delfin\'s core)' % (
                     vendor, counts['passed'], counts['failed'],
                     counts['errors'], counts['skipped'], seconds,
                     expected.get(vendor, '?')))
            if done.returncode != 0 or counts['passed'] < expected.get(
                    vendor, 0):
                problems.append('%s:\n%s' % (vendor, done.stdout[-20000:]))
        # Then all of them in one process: a cryptor mock installed by one
        # vendor's tests must not reach the others.
        done, summary, seconds = _run_vendor(env, tests_root,
                                             ','.join(vendors), work)
        passed = len(summary['passed']) if summary else 0
        _say('%-10s %3d passed in one process (%.1f s)' % (
            'all', passed, seconds))
        if done.returncode != 0 or passed < totals['passed']:
            problems.append('all vendor folders in one process:\n%s'
                            % done.stdout[-20000:])
        for vendor in sorted(set(expected) - set(vendors)):
            problems.append('%s: no such test folder in the release'
                            % vendor)
        _say('%s driver tests on our core: %d passed, %d failed, %d errors '
             '(Delfin\'s core: %s passed); %.0f s' % (
                 release, totals['passed'], totals['failed'],
                 totals['errors'], sum(expected.values()) or '?',
                 time.monotonic() - started))
        for problem in problems:
            _say('FAILED: %s' % problem)
        return 1 if problems else 0
    finally:
        if env is not None and keep is None:
            env.remove()
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m delfin.tests.upstream_drivers',
        description=__doc__.split('\n\n')[0])
    parser.add_argument('--release', default=RELEASE,
                        help='pip requirement of the release (default %s)'
                             % RELEASE)
    parser.add_argument('--keep', metavar='DIR',
                        help='work in DIR and keep it (for debugging)')
    parser.add_argument('--run-folder', nargs=2,
                        metavar=('TESTS_ROOT', 'VENDOR'),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_folder:
        return run_folder(*args.run_folder)
    return run_job(args.release, args.keep)


if __name__ == '__main__':
    sys.exit(main())
