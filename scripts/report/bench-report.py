#!/usr/bin/env python3
"""The last step of make bench: the benchmarks' summary lines (bench/bench.h)
    result <metric> <value> <unit> <reference> <ratio> <target> <stat>
           <n> <min> <q1> <median> <q3> <ref-n> <ref-min> <ref-q1> <ref-median> <ref-q3>
           [not-run: <reason>]
(lines of the older format, which ends at <target>, are read too, without
statistic or spread) as one table on stdout and, in
$GMEM_BUILD/results/bench/, bench.csv, bench.md (the table for README, with
the date and the machine) and bench.png (the ratios against their targets,
drawn by gnuplot).

Usage: bench-report.py [--base BASE] [FILE]
FILE: the benchmarks' output (default $GMEM_BUILD/results/bench.txt; the
console's bench.ktap works too).  BASE: the output of the same benchmarks on
the unpatched base kernel.  A metric whose target is "base<=X" (those of
bench/base_bench.c) gets BASE's figure as its reference and the ratio of the
two on the statistic it declares; without a figure in BASE it is info.

The verdict comes from the printed figures: a target "<=X" or ">=X" is met
or MISSED by the ratio, or by the value if the metric has no reference; "~X"
is info (a figure to watch); not-run if there is no value.  A program that
printed no summary at all (killed, older build, the guest stopped) gets one
not-run row under its own name.  The date is that of FILE; the machine is
the host the report runs on, so run it where the benchmarks ran.

Exits 0 once the CSV and the Markdown are written, whatever the verdicts
(the figures are the product, not a pass or fail), also without gnuplot,
which a warning then says: a missing plotter should not fail a 4-minute run
after the fact.  Exits 1 if gnuplot fails to draw the plot, if FILE or BASE
is missing or empty, or if FILE holds nothing to report.
"""
import argparse, csv, math, os, re, shutil, subprocess, sys, tempfile, time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get('GMEM_BUILD') or os.path.join(TOP, 'build')  # as lib.sh
FIELDS = ('metric', 'value', 'unit', 'ref', 'ratio', 'target', 'stat')
STATS = ('n', 'min', 'q1', 'median', 'q3')
TARGET = re.compile(r'(base)?(<=|>=|~)(-?[0-9]+(?:\.[0-9]+)?)')
COLOUR = {'met': '#3a9a4a', 'MISSED': '#d03a2a', 'info': '#7a8a9a', 'not-run': '#7a8a9a'}


def parse(path):
    """The rows of the summary lines of path, in order, and the kernel they ran on."""
    rows, progs, why, rc, seen, kernel, prog = [], [], {}, {}, set(), None, None
    with open(path, errors='replace') as f:
        for nr, line in enumerate(f, 1):
            line = line.rstrip('\r\n').removeprefix('# ')
            w = line.split()
            if len(w) == 2 and w[0] == 'running':
                prog = w[1]
                progs.append(prog)
            elif prog and w[:2] == [prog, 'on'] and len(w) > 2:
                kernel = kernel or w[2]
            elif prog and re.match(r'(SKIP|error): ', line):
                why.setdefault(prog, line)
            elif prog and w[:2] == [prog + ':', 'exit'] and len(w) > 2:
                rc[prog] = w[2]
            if w[:1] != ['result']:
                continue
            i = w.index('not-run:') if 'not-run:' in w else len(w)
            if i not in (7, 18):
                print(f'warning: {path}:{nr}: not a summary line, ignored: {line}', file=sys.stderr)
                continue
            head = w[1:i] + ['-'] * (18 - i)
            rows.append(dict(zip(FIELDS, head), v=dict(zip(STATS, head[7:12])), r=dict(zip(STATS, head[12:])),
                             note=' '.join(w[i + 1:]) or ('not measured' if i < len(w) else '')))
            seen.add(prog)
    # A program without any summary line: say what became of it.
    for p in (p for p in progs if p not in seen):
        note = {None: 'did not finish (killed, or the guest stopped; see bench.log)',
                '137': 'killed (exit 137: its timeout or the OOM killer)',
                '0': 'exit 0 but no result lines (a build from before the summary?)'
                }.get(rc.get(p), f'exit {rc.get(p)}, no result lines')
        rows.append(dict(dict.fromkeys(FIELDS, '-'), metric=f'{p} (all)', v=dict.fromkeys(STATS, '-'),
                         r=dict.fromkeys(STATS, '-'), note=f'{why[p]} ({note})' if p in why else note))
    return rows, kernel or 'unknown'


def join_base(rows, base, name):
    """The base kernel's figure as the reference of each "base<=X" metric."""
    by_name = {b['metric']: b for b in base}
    for r in (r for r in rows if r['target'].startswith('base') and r['value'] != '-'):
        b = by_name.get(r['metric'])
        if not b or b['value'] == '-':
            r['note'] = f'no figure in {name}' + (f': {b["note"]}' if b else '')
            continue
        r['ref'], r['r'] = b['value'], b['v']
        if float(b['value']):
            r['ratio'] = f'{float(r["value"]) / float(b["value"]):.3f}'


def verdict(r):
    m = TARGET.fullmatch(r['target'])
    if r['value'] == '-':
        return 'not-run'
    if not m or m[2] == '~' or (m[1] and r['ratio'] == '-'):
        return 'info'
    x, lim = float(r['ratio'] if r['ratio'] != '-' else r['value']), float(m[3])
    return 'met' if (x <= lim if m[2] == '<=' else x >= lim) else 'MISSED'


def cell(x, s, stat):
    """A figure with the spread of its repetitions."""
    if x == '-' or s['n'] == '-':
        return x
    if s['min'] == '-':
        return f'{x} (n {s["n"]})'
    med = '' if stat == 'median' else f', median {s["median"]}'
    return f'{x} (min {s["min"]}{med}, IQR {s["q1"]}..{s["q3"]}, n {s["n"]})'


def plot(rows, png, title, data):
    """One bar per metric, its ratio coloured by verdict, its target limit
    as a black tick, the figures written to the right; log scale when they
    span more than 20x."""
    ends = [1.0]
    with open(data, 'w') as f:
        for i, r in enumerate(rows, 1):
            m = TARGET.fullmatch(r['target'])
            ratio = float(r['ratio']) if r['ratio'] != '-' else math.nan
            lim = float(m[3]) if m and m[2] != '~' and r['ratio'] != '-' else math.nan
            ends += [x for x in (ratio, lim) if x > 0]
            if r['verdict'] == 'not-run':
                text = f'not run: {r["note"]}'
            elif r['ratio'] == '-':
                text = f'{r["value"]} {r["unit"]}, no reference; target {r["target"]}: {r["verdict"]}'
            else:
                stat = '' if r['stat'] == '-' else r['stat'] + '; '
                text = f'{r["ratio"]}  ({stat}target {r["target"]}: {r["verdict"]})'
            text = (text[:61] + '...' if len(text) > 64 else text).replace('"', "'")
            f.write(f'{i}\t{r["metric"]}\t{ratio}\t{lim}\t0x{COLOUR[r["verdict"]][1:]}\t{text}\n')
    lo, hi, n = min(ends), max(ends), len(rows)
    log = hi / lo > 20
    xlo, xhi = (10 ** (math.ceil(math.log10(lo)) - 1), 10 ** (math.floor(math.log10(hi)) + 1)) if log else (0, hi * 1.15)
    gp = f"""set terminal pngcairo size 1400,{170 + 40 * n} font 'Sans,11' noenhanced
set output '{png}'
set datafile separator tab
set title "{title}"
set lmargin 26
set rmargin at screen 0.6
set yrange [{n} + 0.6 : 0.4]
set ytics nomirror scale 0
set x2range [0 : 1]
unset x2tics
set xrange [{xlo} : {xhi}]
{"set logscale x; set format x '%g'" if log else ''}
set xlabel 'ratio{" (log scale)" if log else ""}'
set grid xtics lc rgb '#dddddd'
set style fill solid 0.85 noborder
set key at graph 0.5, screen 0.01 center bottom horizontal width 2
set bmargin 6
set arrow from 1, graph 0 to 1, graph 1 nohead dt 2 lc rgb '#888888'
plot '{data}' using ({xlo}):1:({xlo}):3:($1 - 0.35):($1 + 0.35):5 with boxxyerror lc rgb variable notitle, \\
     '' using 4:($1 - 0.45):(0):(0.9) with vectors nohead lw 3 lc rgb 'black' title 'target limit', \\
     '' using (1):1:6:ytic(2) with labels left offset char 1, 0 notitle axes x2y1, \\
     keyentry with boxes lc rgb '{COLOUR["met"]}' title 'met', \\
     keyentry with boxes lc rgb '{COLOUR["MISSED"]}' title 'MISSED', \\
     keyentry with boxes lc rgb '{COLOUR["info"]}' title 'info (no target to meet)'
"""
    return subprocess.run(['gnuplot'], input=gp, text=True, capture_output=True)


def main():
    ap = argparse.ArgumentParser(description='The table of make bench (see the top of this file).')
    ap.add_argument('--base', metavar='BASE', help="the same benchmarks' output on the unpatched base kernel")
    ap.add_argument('file', nargs='?', metavar='FILE', default=os.path.join(BUILD, 'results', 'bench.txt'))
    a = ap.parse_args()
    out = os.path.join(BUILD, 'results', 'bench')
    os.makedirs(out, exist_ok=True)
    csv_path, md, png = (os.path.join(out, 'bench.' + x) for x in ('csv', 'md', 'png'))
    # Nothing of an earlier run may be taken for this one's.
    for p in (p for p in (csv_path, md, png) if os.path.exists(p)):
        os.remove(p)
    for p in (p for p in (a.file, a.base) if p and not (os.path.isfile(p) and os.path.getsize(p))):
        sys.exit(f'error: {p} is missing or empty: no benchmark output to report (see {BUILD}/results/bench.log)')
    rows, kernel = parse(a.file)
    if not rows:
        sys.exit(f'error: {a.file} has no result lines and no benchmark in it: nothing to report')
    ref = 'Reference: the figure of the same run that the value is compared with; for a target base<=X, '
    if a.base:
        base, base_kernel = parse(a.base)
        join_base(rows, base, os.path.basename(a.base))
        ref += f'the same metric on the unpatched base kernel {base_kernel} ({os.path.basename(a.base)})'
    else:
        ref += 'the same metric on the unpatched base kernel, not given (--base): info'
    for r in rows:
        r['verdict'] = verdict(r)

    date = time.strftime('%F', time.localtime(os.path.getmtime(a.file)))
    with open('/proc/cpuinfo') as f:
        cpu = next((l.split(':', 1)[1].strip() for l in f if l.startswith('model name')), 'unknown CPU')
    with open('/proc/meminfo') as f:
        ram = next(round(int(l.split()[1]) / 1048576) for l in f if l.startswith('MemTotal:'))
    # boot.sh's defaults; make bench passes its environment on to both.
    guest = f'QEMU/TCG guest ({os.environ.get("GMEM_QEMU_SMP", "1")} vCPU, {os.environ.get("GMEM_QEMU_MEM", "4G")})'
    machine = f'{len(os.sched_getaffinity(0))} cores, {ram} GiB RAM, {cpu}; {guest}, kernel {kernel}'

    # CSV, RFC 4180 quoting (the machine has commas).
    with open(csv_path, 'w', newline='') as f:
        csv.writer(f, lineterminator='\n').writerows(
            [['metric', 'unit', 'stat', 'value', *STATS, 'reference', *('ref_' + x for x in STATS),
              'ratio', 'target', 'verdict', 'date', 'machine', 'note']] +
            [[r['metric'], r['unit'], r['stat'], r['value'], *r['v'].values(), r['ref'], *r['r'].values(),
              r['ratio'], r['target'], r['verdict'], date, machine, r['note']] for r in rows])
    head = ('metric', 'decided on', 'value', 'reference', 'unit', 'ratio', 'target', 'verdict')
    table = [[r['metric'], r['stat'], cell(r['value'], r['v'], r['stat']), cell(r['ref'], r['r'], r['stat']),
              r['unit'], r['ratio'], r['target'], r['verdict']] for r in rows]
    # Markdown, to paste into README, with the note of every row not met.
    with open(md, 'w') as f:
        f.write(f'Latest run: {date}, `make bench` on {machine}.\n\n{ref}.\n\n')
        f.write('| ' + ' | '.join(head) + ' |\n' + '|---' * len(head) + '|\n')
        for r, t in zip(rows, table):
            note = f': {r["note"]}' if r['note'] and r['verdict'] != 'met' else ''
            f.write('| ' + ' | '.join(c.replace('|', '\\|') for c in t[:-1] + [t[-1] + note]) + ' |\n')

    # The table on stdout: aligned columns, the notes below.
    print(f'make bench, {date}: {machine}\n{ref}')
    wid = [max(len(t[i]) for t in [head] + table) for i in range(len(head))]
    for t in [head] + table:
        print('  '.join(c.rjust(w) if i == 5 else c.ljust(w) for i, (c, w) in enumerate(zip(t, wid))).rstrip())
    print('{} met, {} MISSED, {} info, {} not-run'.format(*(sum(r['verdict'] == v for r in rows) for v in COLOUR)))
    for r in (r for r in rows if r['note'] and r['verdict'] != 'met'):
        print(f'{r["verdict"]}: {r["metric"]}: {r["note"]}')

    print(f'>>> wrote {csv_path}\n>>> wrote {md}', file=sys.stderr)
    if not shutil.which('gnuplot'):
        print(f'warning: gnuplot is not installed: no plot ({png}); install the Debian package gnuplot-nox (make deps)',
              file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        title = f'make bench, {date}: ratio to the reference, with the target\\n{machine}'.replace('"', "'")
        p = plot(rows, png, title, os.path.join(tmp, 'plot.tsv'))
    if p.returncode or not os.path.exists(png):
        print(f'{p.stderr}error: gnuplot failed to draw {png}', file=sys.stderr)
        if os.path.exists(png):
            os.remove(png)
        return 1
    print(f'>>> wrote {png}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
