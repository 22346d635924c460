#!/usr/bin/env python3
"""The bench's figures from its results.tsv: per method median and min-max wall, medians of the
CPU figures and WAL, peak RSS, the ratios of medians against issue 13's targets (wall and own
CPU), the scale case per database, and every single run.

    bench/report.py results.tsv [SCALE_DATABASES]

bench/run calls it at the end; it also works on the results.tsv of an unfinished run.
"""
import csv
import statistics
import sys

rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
nscale = int(sys.argv[2]) if len(sys.argv) > 2 else 200
by = {}
for r in rows:
    # own: the work this method caused (both servers + its own processes); busy minus own is
    # what the rest of the shared machine did meanwhile.
    r['own_s'] = str(float(r['src_s']) + float(r['dst_s']) + float(r['tools_s']))
    by.setdefault(r['method'], []).append(r)

LABELS = [
    ('pgm', 'pg-migrate (default: counts + analyze)'),
    ('pgm-noopt', 'pg-migrate --disable-dst-optimizations'),
    ('pgm-fast', 'pg-migrate --fast-verify'),
    ('pgm-checksums', 'pg-migrate --verify checksums'),
    ('pgm-walmin', 'pg-migrate, target wal_level=minimal'),
    ('manual', 'pg_dump -Z5 + pg_restore by hand'),
    ('pgcopydb', 'pgcopydb clone'),
    ('lower', 'lower bound (dump + restore)'),
    ('lower-dump', '  lower bound: dump -Z0 alone'),
    ('lower-restore', '  lower bound: restore alone'),
    ('scale', f'scale: {nscale} databases'),
]


def med(method, field):
    v = [float(r[field]) for r in by.get(method, []) if r.get(field) not in ('', None)]
    return statistics.median(v) if v else None


def fmt(x, f='{:.1f}'):
    return '-' if x is None else f.format(x)


print()
print(f"{'method':42} {'median s':>9} {'min-max s':>13} {'busy CPU-s':>10} {'own':>6} {'source':>7} "
      f"{'target':>7} {'tools':>6} {'WAL MiB':>8} {'RSS MiB':>8}  result")
for key, label in LABELS:
    rs = by.get(key)
    if not rs:
        continue
    walls = [float(r['wall_s']) for r in rs]
    rss = [int(r[k]) for r in rs for k in ('rss_kb', 'hwm_kb') if r[k]]
    bad = sorted({r['status'] for r in rs if r['status'] != 'ok'})
    wal = med(key, 'dst_wal_bytes')
    print(f"{label:42} {statistics.median(walls):9.1f} {min(walls):6.1f}-{max(walls):<6.1f} "
          f"{fmt(med(key, 'busy_s')):>10} {fmt(med(key, 'own_s')):>6} {fmt(med(key, 'src_s')):>7} "
          f"{fmt(med(key, 'dst_s')):>7} {fmt(med(key, 'tools_s')):>6} "
          f"{fmt(None if wal is None else wal / 1048576, '{:.0f}'):>8} "
          f"{fmt(max(rss) / 1024 if rss else None):>8}  {'ok' if not bad else '; '.join(bad)}"
          f"  ({len(rs)} run{'s' if len(rs) != 1 else ''})")
print()


def ratio(field, other, target, what):
    base, o = med('pgm', field), med(other, field)
    if not base or not o:
        return
    r = base / o
    verdict = ('meets' if r <= target else
               f'MISSES by {(r / target - 1) * 100:.0f}% ({base - target * o:.1f} {what} over)')
    print(f"  pg-migrate default / {other:9} = {base:6.1f} / {o:6.1f} = {r:.2f}   "
          f"(target <= {target:.2f}: {verdict})")


print("ratios of medians, wall seconds:")
for other, target in (('manual', 0.85), ('pgcopydb', 0.80), ('lower', 1.20)):
    ratio('wall_s', other, target, 's')
print("ratios of medians, own CPU-seconds (source + target + tools; insensitive to other work):")
for other, target in (('manual', 0.85), ('pgcopydb', 0.80), ('lower', 1.20)):
    ratio('own_s', other, target, 'CPU-s')
base = med('pgm', 'wall_s')
for k in ('pgm-noopt', 'pgm-fast', 'pgm-checksums', 'pgm-walmin'):
    o = med(k, 'wall_s')
    if base and o:
        print(f"  {k:13} / pg-migrate default: wall {o / base:.2f}, own CPU "
              f"{med(k, 'own_s') / med('pgm', 'own_s'):.2f}")
rss = [int(r[k]) for m in ('pgm', 'pgm-noopt', 'pgm-fast', 'pgm-checksums', 'pgm-walmin', 'scale')
       for r in by.get(m, []) for k in ('rss_kb', 'hwm_kb') if r[k]]
if rss:
    mx = max(rss) / 1024
    print(f"peak RSS of pg-migrate, every run: {mx:.1f} MiB "
          f"(target <= 64 MiB: {'meets' if mx <= 64 else 'MISSES'})")
if by.get('scale'):
    per = [float(r['wall_s']) / nscale for r in by['scale']]
    m = statistics.median(per)
    cpu = statistics.median(float(r['own_s']) / nscale for r in by['scale'])
    verdict = 'meets' if m <= 0.1 else f'MISSES by {(m / 0.1 - 1) * 100:.0f}%'
    print(f"scale: {m:.3f} s per database (median; {min(per):.3f}-{max(per):.3f}), "
          f"{cpu:.3f} own CPU-s per database; target <= 0.1 s: {verdict}")
print()
print("per run (round method wall busy own source target tools):")
for r in rows:
    print(f"  {r['round']} {r['method']:14} {float(r['wall_s']):7.1f} {r['busy_s']:>7} "
          f"{float(r['own_s']):6.1f} {r['src_s']:>7} {r['dst_s']:>7} {r['tools_s']:>7}")
