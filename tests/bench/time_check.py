#!/usr/bin/env python3
# time_check.py - check a plan over a horizon against its inputs, independently of ewc.
#
# usage: time_check.py DIR PLAN.json
#
# DIR holds gpus.xml, regions.xml and jobs.csv (as gen_time.py writes them);
# PLAN.json is `ewc place --horizon ... --format json`. Checks that every
# placed job starts no earlier than earliest_h, ends by deadline_h and within
# the horizon, that training keeps its GPUs and services start at once, and
# that in every (region, type, hour) the GPUs of the jobs running stay within
# that hour's free count (the <hourly><free> series, else gpu@free). Prints
# "ok" and the plan's figures, or each violation; exit 1 on any.
import csv
import datetime as dt
import json
import math
import sys
import xml.etree.ElementTree as ET


def iso(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: time_check.py DIR PLAN.json")
    d, plan = sys.argv[1], json.load(open(sys.argv[2]))
    perf = {g.get("type"): float(g.get("perf")) for g in ET.parse(d + "/gpus.xml").getroot()}
    hz = plan["horizon"]
    t0, H = iso(hz["start"]), hz["hours"]
    free = {}
    for r in ET.parse(d + "/regions.xml").getroot():
        rid = r.get("id")
        series = {}
        for h in r.iter("hourly"):
            hs = iso(h.get("start"))
            step = float(h.get("step-h", "1"))
            for f in h.iter("free"):
                series[f.get("type")] = (hs, step, [float(v) for v in f.text.split()])
        for g in r.iter("gpu"):
            t = g.get("type")
            base = float(g.get("free"))
            caps = []
            for s in range(H):
                T = t0 + 3600 * s
                v = base
                if t in series:
                    hs, step, vals = series[t]
                    if T >= hs:
                        i = int(math.floor((T - hs) / (3600 * step) + 1e-9))
                        v = vals[min(i, len(vals) - 1)]
                caps.append(v)
            free[(rid, t)] = caps
    jobs = {row["id"]: row for row in csv.DictReader(open(d + "/jobs.csv"))}
    used = {k: [0] * H for k in free}
    bad = 0
    for p in plan["placements"]:
        j = jobs[p["job"]]
        s = round((iso(p["start"]) - t0) / 3600)
        first = j["gpu_type"].split("|")[0]
        hours = float(j["hours"])
        if j["kind"] == "train":
            hours *= perf[first] / perf[p["gpu_type"]]
            if p["gpus"] != int(j["gpus"]):
                print(f"{p['job']}: holds {p['gpus']} GPUs, asked {j['gpus']}")
                bad += 1
        early = float(j.get("earliest_h") or 0)
        limit = min(H, float(j["deadline_h"])) if j.get("deadline_h") else H
        if s < early - 1e-9 or s + hours > limit + 1e-6:
            print(f"{p['job']}: runs {s}..{s + hours:g} h, window {early:g}..{limit:g}")
            bad += 1
        if j["kind"] == "infer" and s > math.ceil(early) + 1:
            print(f"{p['job']}: a service starting at {s} h, earliest {early:g}")
            bad += 1
        for h in range(s, min(H, s + math.ceil(hours - 1e-9))):
            used[(p["region"], p["gpu_type"])][h] += p["gpus"]
    for k, u in used.items():
        for h in range(H):
            if u[h] > free[k][h] + 1e-9:
                print(f"{k[0]} {k[1]} hour {h}: {u[h]} GPUs placed, {free[k][h]:g} free")
                bad += 1
    t = plan["totals"]
    if t["lower_bound"] > t["objective"] + 1e-6 * max(1, abs(t["objective"])):
        print("lower bound above the objective")
        bad += 1
    if bad:
        sys.exit(1)
    print(f"ok: {t['placed']} placed, priority {t['priority_placed']:g} (bound "
          f"{t['priority_bound']:g}), objective {t['objective']:.2f}, bound "
          f"{t['lower_bound']:.2f}, gap {100 * t['gap']:.2f} %")


main()
