"""Wall time of the driver author's first path: scaffold -> install ->
passing conformance report.

Runs ``delfin-driver new``, ``pip install -e --no-deps --no-build-isolation``
and ``delfin-driver check`` on the sample data, in a temporary folder,
with the interpreter running this script, then uninstalls the package.
Prints one line per step and the total, in seconds, for each round.

    python bench/driver_scaffold_bench.py [--rounds N]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid


def _tool():
    script = os.path.join(os.path.dirname(sys.executable), 'delfin-driver')
    return [script] if os.path.exists(script) else [
        sys.executable, '-m', 'delfin.sdk.cli']


def _timed(args, cwd):
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit('%s failed (%d):\n%s\n%s' % (' '.join(args),
                                              done.returncode, done.stdout,
                                              done.stderr))
    return elapsed


def one_round():
    vendor, model = 'bench%s' % uuid.uuid4().hex[:6], 'array'
    dist = 'delfin-driver-%s-%s' % (vendor, model)
    pip = [sys.executable, '-m', 'pip']
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, dist)
        steps = [('new', _timed(_tool() + ['new', vendor, model, '--dir',
                                           tmp], tmp))]
        steps.append(('install', _timed(
            pip + ['install', '-q', '--no-deps', '--no-build-isolation',
                   '-e', folder], tmp)))
        try:
            steps.append(('check', _timed(_tool() + [
                'check', '--vendor', vendor, '--model', model,
                '--access-info', 'samples/access_info.yaml',
                '--traps', 'samples/traps.yaml', '--allow-clear',
                '--report-dir', 'reports'], folder)))
        finally:
            subprocess.run(pip + ['uninstall', '-y', '-q', dist], cwd=tmp,
                           capture_output=True)
    return steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args()
    totals = []
    for number in range(1, args.rounds + 1):
        steps = one_round()
        total = sum(seconds for _, seconds in steps)
        totals.append(total)
        print('round %d: %s  total=%.2fs' % (number, '  '.join(
            '%s=%.2fs' % step for step in steps), total))
    totals.sort()
    print('scaffold->install->passing check: median %.2fs, best %.2fs '
          '(%d rounds)' % (totals[len(totals) // 2], totals[0], len(totals)))


if __name__ == '__main__':
    main()
