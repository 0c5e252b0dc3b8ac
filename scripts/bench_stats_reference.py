"""Reference values for the statistics of `taxdistill-bench`
(bench/src/stats.rs tests), computed with SciPy.

usage: /work/venvs/vamb/bin/python scripts/bench_stats_reference.py
(any Python with scipy >= 1.7; prints the numbers the Rust tests assert)
"""
import math

from scipy import stats

print("ln_gamma(101) =", repr(math.lgamma(101.0)))
for a, b in [([0.81, 0.84, 0.79], [0.78, 0.80, 0.78]),
             ([0.5, 0.61, 0.55, 0.72, 0.6], [0.52, 0.58, 0.5, 0.7, 0.49])]:
    r = stats.ttest_rel(a, b)
    print(f"ttest_rel({a}, {b}): t = {r.statistic!r}, p = {r.pvalue!r}")
for t, df in [(2.0, 2), (-1.0, 10), (0.0, 4), (12.0, 30)]:
    print(f"2 * t.sf(|{t}|, {df}) = {2 * stats.t.sf(abs(t), df)!r}")
for b, c in [(5, 15), (15, 5), (0, 6), (480, 560), (7, 7)]:
    print(f"binomtest({b}, {b + c}).pvalue = {stats.binomtest(b, b + c, 0.5).pvalue!r}")
