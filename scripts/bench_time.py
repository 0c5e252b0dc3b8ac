"""Helpers of bench_vs_taxometer.sh.

bench_time.py LOG.err          -> '"wall_s":S,"cpu_s":C,"rss_kib":K' from GNU time -v output
                                  (cpu_s = user + system time of the process and its children)
bench_time.py --sum A B        -> the same with walls and CPU times summed and the max RSS
"""
import re
import sys


def parse(path):
    wall = rss = None
    cpu = 0.0
    for line in open(path):
        line = line.strip()
        if line.startswith("User time (seconds)") or line.startswith("System time (seconds)"):
            cpu += float(line.rsplit(" ", 1)[1])
        if line.startswith("Elapsed (wall clock) time"):
            v = line.rsplit(" ", 1)[1]
            parts = [float(p) for p in v.split(":")]
            wall = 0.0
            for p in parts:
                wall = wall * 60 + p
        elif line.startswith("Maximum resident set size"):
            rss = int(line.rsplit(" ", 1)[1])
    return wall, cpu, rss


if sys.argv[1] == "--sum":
    walls, cpus, rsss = [], [], []
    for frag in sys.argv[2:]:
        walls.append(float(re.search(r'"wall_s":([0-9.]+)', frag).group(1)))
        cpus.append(float(re.search(r'"cpu_s":([0-9.]+)', frag).group(1)))
        rsss.append(int(re.search(r'"rss_kib":([0-9]+)', frag).group(1)))
    print(f'"wall_s":{sum(walls):.2f},"cpu_s":{sum(cpus):.2f},"rss_kib":{max(rsss)}')
else:
    w, c, r = parse(sys.argv[1])
    print(f'"wall_s":{w:.2f},"cpu_s":{c:.2f},"rss_kib":{r}')
