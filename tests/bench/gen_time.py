#!/usr/bin/env python3
# gen_time.py - deterministic instances for planning over a week.
#
# usage: gen_time.py N SEED TIGHTNESS OUTDIR
#
# Writes OUTDIR/gpus.xml, OUTDIR/regions.xml and OUTDIR/jobs.csv: N jobs
# over a 168-hour week from 2026-12-07T00:00:00+08:00 on ten hubs with
# three GPU types. Eastern pools are a third of the western ones; each
# pool is TIGHTNESS times the GPU-hours asked of its type per hour of the
# week, spread by +-40 %. Every hub has a time-of-use tariff (eastern ones
# shaped like Guangdong's 1.7 : 1 : 0.38 with a valley 0-8 h, western ones
# like western Inner Mongolia's 1.48 : 1 : 0.47 with a midday valley) and
# an hourly grid factor that dips by day in the west (solar) and by night
# in the east; some pools lose GPUs to maintenance for a few hours.
# Inference (30 %) has SLOs of 10-50 ms and starts at once or later in the
# week; training (8-512 GPUs, 2-96 h) has an earliest start and, for half
# of them, a deadline. Priorities 1, 2 and 5. The same arguments give the
# same files, byte for byte.
import math
import os
import random
import sys

if len(sys.argv) != 5:
    sys.exit("usage: gen_time.py N SEED TIGHTNESS OUTDIR")
n, seed, tight, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
if n < 1 or tight <= 0:
    sys.exit("gen_time.py: N must be >= 1 and TIGHTNESS > 0")
rng = random.Random(seed)
os.makedirs(out, exist_ok=True)
H = 168

GPUS = [("A100", 400, 1.0, 7.8), ("H800", 700, 2.0, 16.0), ("910B", 400, 0.8, 6.0)]
HUBS = [
    ("zhangjiakou", "east", 0.52, 0.33, 0.6516, 1.25, "beijing"),
    ("wuhu", "east", 0.62, 0.25, 0.6553, 1.25, "shanghai"),
    ("shaoguan", "east", 0.55, 0.60, 0.4419, 1.25, "guangzhou"),
    ("tianfu", "east", 0.50, 0.0, 0.1564, 1.25, "chengdu"),
    ("chongqing", "east", 0.55, 0.0, 0.5581, 1.25, "chengdu"),
    ("yrd", "east", 0.68, 0.0, 0.5737, 1.25, "shanghai"),
    ("horinger", "west", 0.38, 0.85, 0.6479, 1.20, None),
    ("guian", "west", 0.40, 0.0, 0.5683, 1.20, None),
    ("qingyang", "west", 0.37, 0.0, 0.4471, 1.20, None),
    ("zhongwei", "west", 0.36, 0.0, 0.6187, 1.20, None),
]
SITES = ["beijing", "shanghai", "guangzhou", "chengdu"]

jobs = []
demand = {g[0]: 0.0 for g in GPUS}
for i in range(n):
    infer = rng.random() < 0.3
    site = rng.choice(SITES)
    first = rng.choice([g[0] for g in GPUS])
    types = first
    if rng.random() < 0.2:
        types = first + "|" + rng.choice([g[0] for g in GPUS if g[0] != first])
    prio = rng.choice([1, 1, 2, 5])
    if infer:
        gpus = rng.choice([1, 2, 4, 8, 16])
        hours = rng.randint(12, 168)
        early = 0 if rng.random() < 0.5 else rng.randint(0, H - hours)
        row = (f"i{i},infer,{types},{gpus},{hours},{site},{rng.choice([10, 20, 30, 50])},"
               f",{prio},{early},")
    else:
        gpus = rng.choice([8, 8, 16, 32, 64, 128, 256, 512])
        hours = rng.randint(2, 96)
        early = rng.randint(0, max(0, H - hours - 24))
        dl = ""
        if rng.random() < 0.5:
            dl = str(min(H, early + hours + rng.randint(4, 48)))
        row = f"t{i},train,{types},{gpus},{hours},{site},,{rng.randint(0, 2000)},{prio},{early},{dl}"
    demand[first] += gpus * hours / H
    jobs.append(row)

with open(os.path.join(out, "gpus.xml"), "w") as f:
    f.write("<gpus>\n")
    for t, w, p, _ in GPUS:
        f.write(f'  <gpu type="{t}" watts="{w}" perf="{p}"/>\n')
    f.write("</gpus>\n")

# per type: western pools three times the eastern
weights = {h[0]: (1.0 if h[1] == "east" else 3.0) for h in HUBS}
total_w = sum(weights.values())
with open(os.path.join(out, "regions.xml"), "w") as f:
    f.write("<regions>\n")
    for hid, zone, power, green, grid, pue, home in HUBS:
        f.write(f'  <region id="{hid}" zone="{zone}">\n')
        f.write(f'    <power price="{power}" green-share="{green}" grid-factor="{grid}" pue="{pue}"/>\n')
        if zone == "east":
            f.write('    <tariff peak="10-12,14-19" valley="0-8" peak-ratio="1.7" valley-ratio="0.38"/>\n')
        else:
            f.write('    <tariff peak="17-23" valley="10-15" peak-ratio="1.48" valley-ratio="0.47"/>\n')
        grid_h = []
        for s in range(H):
            hod = s % 24
            if zone == "west":
                dip = 0.25 * max(0.0, math.sin(math.pi * (hod - 7) / 10)) if 7 <= hod <= 17 else 0
            else:
                dip = 0.10 if hod < 6 else 0
            grid_h.append(f"{grid * (1 - dip):.4f}")
        f.write('    <hourly start="2026-12-07T00:00:00+08:00">\n')
        f.write(f'      <grid-factor>{" ".join(grid_h)}</grid-factor>\n')
        frees = []
        for t, _, _, price in GPUS:
            free = max(8, int(tight * demand[t] * weights[hid] / total_w * rng.uniform(0.6, 1.4)))
            frees.append((t, free, price))
            if rng.random() < 0.3:
                a = rng.randint(0, H - 12)
                series = [free] * H
                for s in range(a, a + rng.randint(4, 12)):
                    series[s] = free // 2
                f.write(f'      <free type="{t}">{" ".join(map(str, series))}</free>\n')
        f.write('    </hourly>\n')
        for t, free, price in frees:
            f.write(f'    <gpu type="{t}" free="{free}" price="{price * rng.uniform(0.9, 1.15):.2f}"/>\n')
        for site in SITES:
            if zone == "east":
                lat = 3 if site == home else rng.uniform(9, 30)
            else:
                lat = rng.uniform(20, 45)
            f.write(f'    <link site="{site}" latency-ms="{lat:.1f}" price-per-gb="{0.02 if site == home else 0.08}" gbps="10"/>\n')
        f.write("  </region>\n")
    f.write("</regions>\n")

with open(os.path.join(out, "jobs.csv"), "w") as f:
    f.write("id,kind,gpu_type,gpus,hours,origin,slo_ms,data_gb,priority,earliest_h,deadline_h\n")
    for r in jobs:
        f.write(r + "\n")
