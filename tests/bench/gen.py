#!/usr/bin/env python3
# gen.py - deterministic benchmark instances for the placement solver.
#
# usage: gen.py N SEED TIGHTNESS OUTDIR
#
# Writes OUTDIR/gpus.xml, OUTDIR/regions.xml and OUTDIR/jobs.csv: N jobs on
# the ten hub clusters with three GPU types (A100, H800, 910B), prices and
# latencies drawn around the shipped figures, and free GPUs of each type
# equal to TIGHTNESS times the GPUs the jobs ask for on that type as their
# first choice (1.3: room to spare overall; 1.05: tight). The same N, SEED
# and TIGHTNESS give the same files, byte for byte.
#
# Job mix: 40 % inference (SLO 5-30 ms, 1-8 GPUs, up to a month), 60 %
# training (1-64 GPUs, 1-300 hours, 0-5,000 GB of data), a third of them
# with an alternative type; priority 1-3.
import os
import random
import sys

if len(sys.argv) != 5:
    sys.exit("usage: gen.py N SEED TIGHTNESS OUTDIR")
n, seed, tight, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
if n < 1 or tight <= 0:
    sys.exit("gen.py: N must be >= 1 and TIGHTNESS > 0")
rng = random.Random(seed)
os.makedirs(out, exist_ok=True)

GPUS = [("A100", 400, 1.0, 7.8), ("H800", 700, 2.0, 16.0), ("910B", 400, 0.8, 6.0)]
# id, zone, power price, green share, grid factor, pue, home site
HUBS = [
    ("zhangjiakou", "east", 0.52, 0.33, 0.6516, 1.25, "beijing"),
    ("wuhu", "east", 0.62, 0.25, 0.6553, 1.25, "shanghai"),
    ("yrd-demo", "east", 0.68, 0.20, 0.5737, 1.25, "shanghai"),
    ("shaoguan", "east", 0.55, 0.60, 0.4419, 1.25, "guangzhou"),
    ("tianfu", "east", 0.50, 0.80, 0.1564, 1.25, "chengdu"),
    ("chongqing", "east", 0.55, 0.45, 0.5581, 1.25, "chengdu"),
    ("horinger", "west", 0.38, 0.85, 0.6479, 1.20, None),
    ("guian", "west", 0.40, 0.32, 0.5683, 1.20, None),
    ("qingyang", "west", 0.37, 0.37, 0.4471, 1.20, None),
    ("zhongwei", "west", 0.36, 0.58, 0.6187, 1.20, None),
]
SITES = ["beijing", "shanghai", "guangzhou", "shenzhen", "chengdu", "wuhan"]
TYPES = ["A100", "H800", "910B", "A100|910B", "H800|A100", "910B|A100"]

jobs = []
demand = {g[0]: 0 for g in GPUS}
for i in range(n):
    infer = rng.random() < 0.4
    site = rng.choice(SITES)
    if infer:
        gpus = rng.choice([1, 2, 4, 8])
        hours = rng.randint(24, 720)
        slo, data = rng.choice([5, 10, 20, 30]), ""
        types = rng.choice(TYPES[:3] if rng.random() < 0.67 else TYPES[3:])
    else:
        gpus = rng.choice([1, 2, 4, 8, 8, 16, 32, 64])
        hours = rng.randint(1, 300)
        slo, data = "", rng.randint(0, 5000)
        types = rng.choice(TYPES[:3] if rng.random() < 0.67 else TYPES[3:])
    demand[types.split("|")[0]] += gpus
    jobs.append((f"j{i}", "infer" if infer else "train", types, gpus, hours, site, slo, data,
                 rng.choice([1, 1, 2, 3])))

# Capacity: each type's demand times TIGHTNESS, over the hubs by random
# weights (western hubs weigh more: they are the bigger builds).
weights = [rng.uniform(0.5, 1.5) * (1.6 if h[1] == "west" else 1.0) for h in HUBS]
wsum = sum(weights)
with open(os.path.join(out, "gpus.xml"), "w") as f:
    f.write("<gpus>\n")
    for t, w, p, _ in GPUS:
        f.write(f'  <gpu type="{t}" watts="{w}" perf="{p}"/>\n')
    f.write("</gpus>\n")
with open(os.path.join(out, "regions.xml"), "w") as f:
    f.write(f"<!-- gen.py {n} {seed} {tight}: synthetic, for benchmarks only -->\n<regions>\n")
    for (rid, zone, pp, green, grid, pue, home), w in zip(HUBS, weights):
        f.write(f'  <region id="{rid}" zone="{zone}">\n')
        f.write(f'    <power price="{pp * rng.uniform(0.9, 1.1):.4f}" green-share="{green}" '
                f'grid-factor="{grid}" pue="{pue}"/>\n')
        for t, _, _, price in GPUS:
            free = int(tight * demand[t] * w / wsum + 0.5)
            disc = 0.85 if zone == "west" else 1.0
            f.write(f'    <gpu type="{t}" free="{free}" '
                    f'price="{price * disc * rng.uniform(0.9, 1.1):.3f}"/>\n')
        for s in SITES:
            if s == home or (home == "shanghai" and s == "wuhan" and rid == "wuhu"):
                ms = rng.uniform(1, 5)
            elif zone == "east":
                ms = rng.uniform(8, 30)
            else:
                ms = rng.uniform(15, 40)
            f.write(f'    <link site="{s}" latency-ms="{ms:.1f}" '
                    f'price-per-gb="{rng.uniform(0.01, 0.05):.3f}"/>\n')
        f.write("  </region>\n")
    f.write("</regions>\n")
with open(os.path.join(out, "jobs.csv"), "w") as f:
    f.write("id,kind,gpu_type,gpus,hours,origin,slo_ms,data_gb,priority\n")
    for j in jobs:
        f.write(",".join(str(x) for x in j) + "\n")
