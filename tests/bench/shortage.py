#!/usr/bin/env python3
# shortage.py - hard placement instances where demand meets scarce supply,
# the same model written for CBC, and an independent check of ewc's plans.
#
#   shortage.py gen FAMILY N SEED RATIO DIR   write DIR/{gpus.xml,regions.xml,jobs.csv}
#   shortage.py cbc DIR SECONDS               CBC on the model, two phases (most
#                                             priority, then least objective at it),
#                                             SECONDS each; DIR/cbc.json
#   shortage.py check DIR PLAN.json           recompute ewc's plan from the inputs:
#                                             feasible?, priority, objective; and
#                                             with DIR/cbc.json, the comparison
#
# The model is built here from the files, independently of ewc's code: the
# eligibility rules and the cost model of the jobs and regions formats
# (latency SLO, links for data, pin and avoid; GPU-hours, energy with PUE,
# power, transfer, market-based carbon priced at 100 CNY/t), in balanced
# mode. Sizing follows ewc as it is: a job keeps its GPUs on every type,
# its hours scale by the perf ratio.
#
# Families (RATIO is free GPUs / GPUs asked for, per type, before noise):
#   national  ten hubs (six east, four west), four sites, three types;
#             eastern pools a third of the western, each pool +-40 %;
#             inference with 10-50 ms SLOs, 4-64 GPUs, reaching mostly the
#             east; training 8-512 GPUs for 24-1,440 h; a fifth with an
#             alternative type; priorities 1, 2, 5
#   scarce    national, but H800 at a third of RATIO and the others ample
#   bigjobs   training only, 192-512 GPUs a job, pools of a few such jobs:
#             what fits is a packing question
#   equal     one priority for all, and most jobs able to use one pool only
#   wideprio  national with priorities 1 and 1e8 side by side
# The same arguments give the same files, byte for byte.
import json
import math
import os
import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

GPUS = [("A100", 400, 1.0, 7.8), ("H800", 700, 2.0, 16.0), ("910B", 400, 0.8, 6.0)]
SITES = ["beijing", "shanghai", "guangzhou", "chengdu"]
# id, zone, power price, green share, grid factor, pue, home site
HUBS = [
    ("zhangjiakou", "east", 0.52, 0.10, 0.5856, 1.25, "beijing"),
    ("wuhu", "east", 0.62, 0.05, 0.5366, 1.25, "shanghai"),
    ("qingpu", "east", 0.68, 0.05, 0.5366, 1.25, "shanghai"),
    ("shaoguan", "east", 0.55, 0.20, 0.4403, 1.25, "guangzhou"),
    ("tianfu", "east", 0.50, 0.30, 0.1404, 1.25, "chengdu"),
    ("liangjiang", "east", 0.55, 0.15, 0.5227, 1.25, "chengdu"),
    ("horinger", "west", 0.38, 0.40, 0.6849, 1.20, None),
    ("guian", "west", 0.40, 0.25, 0.4989, 1.20, None),
    ("qingyang", "west", 0.37, 0.30, 0.5912, 1.20, None),
    ("zhongwei", "west", 0.36, 0.35, 0.5982, 1.20, None),
]
CARBON_PRICE = 100.0


def gen(family, n, seed, ratio, out):
    rng = random.Random(f"{family}/{n}/{seed}/{ratio}")
    os.makedirs(out, exist_ok=True)
    jobs = []
    demand = {g[0]: 0 for g in GPUS}
    for i in range(n):
        site = rng.choice(SITES)
        infer = family != "bigjobs" and rng.random() < 0.4
        first = rng.choices(["A100", "H800", "910B"], [0.45, 0.35, 0.2])[0]
        types = first
        if rng.random() < 0.2:
            types += "|" + rng.choice([t[0] for t in GPUS if t[0] != first])
        if family == "equal":
            # most jobs can use one pool only: one type, inference near shanghai
            first, types, site = "A100", "A100", "shanghai" if rng.random() < 0.8 else site
        if infer:
            gpus = rng.choice([4, 8, 8, 16, 16, 32, 64])
            hours = rng.randint(168, 720)
            slo = rng.choice([10, 10, 20, 30, 50]) if family != "equal" else 5
            data = ""
        else:
            if family == "bigjobs":
                gpus = rng.randint(24, 64) * 8
            else:
                gpus = rng.choices([8, 16, 32, 64, 128, 256, 512],
                                   [0.2, 0.2, 0.2, 0.15, 0.12, 0.08, 0.05])[0]
            hours = rng.randint(24, 1440)
            slo = ""
            data = rng.randint(0, 50000)
        if family == "equal":
            prio = 1
        elif family == "wideprio":
            prio = 100000000 if rng.random() < 0.05 else 1
        else:
            prio = rng.choice([1, 1, 2, 5])
        demand[first] += gpus
        jobs.append((f"j{i}", "infer" if infer else "train", types, gpus, hours, site, slo,
                     data, prio))

    # capacity: per type ratio x demand, west pools three times the east
    cap_ratio = {t[0]: ratio for t in GPUS}
    if family == "scarce":
        cap_ratio = {"A100": 1.5 * ratio, "H800": ratio / 3, "910B": 1.5 * ratio}
    weights = {}
    for h in HUBS:
        for t in GPUS:
            weights[h[0], t[0]] = (3.0 if h[1] == "west" else 1.0) * rng.uniform(0.6, 1.4)
    wsum = {t[0]: sum(weights[h[0], t[0]] for h in HUBS) for t in GPUS}
    with open(os.path.join(out, "gpus.xml"), "w") as f:
        f.write("<gpus>\n")
        for t, w, p, _ in GPUS:
            f.write(f'  <gpu type="{t}" watts="{w}" perf="{p}"/>\n')
        f.write("</gpus>\n")
    with open(os.path.join(out, "regions.xml"), "w") as f:
        f.write(f"<!-- shortage.py {family} {n} {seed} {ratio}: synthetic, for benchmarks only -->\n")
        f.write("<regions>\n")
        for rid, zone, pp, green, grid, pue, home in HUBS:
            f.write(f'  <region id="{rid}" zone="{zone}">\n')
            f.write(f'    <power price="{pp * rng.uniform(0.9, 1.1):.4f}" green-share="{green}" '
                    f'grid-factor="{grid}" pue="{pue}"/>\n')
            for t, _, _, price in GPUS:
                share = weights[rid, t] / wsum[t]
                free = int(cap_ratio[t] * demand[t] * share + 0.5)
                if family == "bigjobs":
                    free = max(free, 192)
                disc = 0.85 if zone == "west" else 1.0
                f.write(f'    <gpu type="{t}" free="{free}" '
                        f'price="{price * disc * rng.uniform(0.9, 1.1):.3f}"/>\n')
            for s in SITES:
                if s == home:
                    ms = rng.uniform(2, 5)
                elif zone == "east":
                    ms = rng.uniform(12, 30)
                else:
                    ms = rng.uniform(25, 45)
                f.write(f'    <link site="{s}" latency-ms="{ms:.1f}" '
                        f'price-per-gb="{rng.uniform(0.01, 0.05):.3f}"/>\n')
            f.write("  </region>\n")
        f.write("</regions>\n")
    with open(os.path.join(out, "jobs.csv"), "w") as f:
        f.write("id,kind,gpu_type,gpus,hours,origin,slo_ms,data_gb,priority\n")
        for j in jobs:
            f.write(",".join(str(x) for x in j) + "\n")


# --- the model, from the files ------------------------------------------------

def load(d):
    cat = {}
    for g in ET.parse(os.path.join(d, "gpus.xml")).getroot():
        cat[g.get("type")] = (float(g.get("watts")), float(g.get("perf")))
    regions = []
    for r in ET.parse(os.path.join(d, "regions.xml")).getroot():
        p = r.find("power")
        regions.append({
            "id": r.get("id"),
            "power": float(p.get("price")), "green": float(p.get("green-share")),
            "grid": float(p.get("grid-factor")), "pue": float(p.get("pue")),
            "gpus": {g.get("type"): (int(g.get("free")), float(g.get("price")))
                     for g in r.findall("gpu")},
            "links": {l.get("site"): (float(l.get("latency-ms")), float(l.get("price-per-gb")))
                      for l in r.findall("link")},
        })
    jobs = []
    with open(os.path.join(d, "jobs.csv")) as f:
        head = f.readline().strip().split(",")
        for line in f:
            v = dict(zip(head, line.rstrip("\n").split(",")))
            jobs.append({
                "id": v["id"], "kind": v["kind"], "types": v["gpu_type"].split("|"),
                "gpus": int(v["gpus"]), "hours": float(v["hours"]), "origin": v["origin"],
                "slo": float(v["slo_ms"]) if v.get("slo_ms") else None,
                "data": float(v["data_gb"]) if v.get("data_gb") else 0.0,
                "prio": float(v["priority"]) if v.get("priority") else 1.0,
            })
    return cat, regions, jobs


def options(cat, regions, jobs):
    """[(job, region, type, gpus, objective)] for every eligible option."""
    out = []
    for j, J in enumerate(jobs):
        ref = cat[J["types"][0]][1]
        for r, R in enumerate(regions):
            link = R["links"].get(J["origin"])
            for t in J["types"]:
                if t not in R["gpus"]:
                    continue
                if J["kind"] == "infer" and (link is None or link[0] > J["slo"]):
                    continue
                if J["data"] > 0 and link is None:
                    continue
                watts, perf = cat[t]
                # training keeps its GPUs and scales its hours; a service
                # keeps its hours and holds ceil(gpus x ratio) GPUs
                if J["kind"] == "infer":
                    g = J["gpus"] * ref / perf
                    gpus, hours = max(1, math.ceil(g - 1e-9 * g)), J["hours"]
                else:
                    gpus, hours = J["gpus"], J["hours"] * ref / perf
                if R["gpus"][t][0] < gpus:
                    continue
                gh = gpus * hours
                kwh = gh * watts / 1000 * R["pue"]
                cost = gh * R["gpus"][t][1] + kwh * R["power"] + \
                    (J["data"] * link[1] if J["data"] > 0 else 0)
                carbon = kwh * R["grid"] * (1 - R["green"])
                out.append((j, r, t, gpus, cost + CARBON_PRICE * carbon / 1000))
    return out


def write_lp(path, jobs, regions, opts, phase, pstar=None):
    """Phase 1: maximise priority. Phase 2: minimise the objective with
    priority >= pstar."""
    by_pool = {}
    by_job = {}
    for k, (j, r, t, g, obj) in enumerate(opts):
        by_pool.setdefault((r, t), []).append(k)
        by_job.setdefault(j, []).append(k)
    with open(path, "w") as f:
        if phase == 1:
            f.write("Maximize\n obj:")
            for k, (j, r, t, g, obj) in enumerate(opts):
                f.write(f" + {jobs[j]['prio']:.17g} x{k}")
        else:
            f.write("Minimize\n obj:")
            for k, (j, r, t, g, obj) in enumerate(opts):
                f.write(f" + {obj:.17g} x{k}")
        f.write("\nSubject To\n")
        for j, ks in by_job.items():
            f.write(f" j{j}:" + "".join(f" + x{k}" for k in ks) + " <= 1\n")
        for (r, t), ks in by_pool.items():
            cap = regions[r]["gpus"][t][0]
            f.write(f" c{r}_{t}:" + "".join(f" + {opts[k][3]} x{k}" for k in ks) +
                    f" <= {cap}\n")
        if phase == 2:
            f.write(" prio:" + "".join(f" + {jobs[opts[k][0]]['prio']:.17g} x{k}"
                                        for k in range(len(opts))) + f" >= {pstar:.17g}\n")
        f.write("Binary\n")
        for k in range(len(opts)):
            f.write(f" x{k}\n")
        f.write("End\n")


def run_cbc(lp, sol, seconds):
    """Objective, best bound, proven?, seconds, choice {k}."""
    p = subprocess.run(["cbc", lp, "sec", str(seconds), "ratio", "0", "allow", "0",
                        "solve", "solu", sol], capture_output=True, text=True)
    log = p.stdout
    with open(sol + ".log", "w") as f:
        f.write(log)
    res = re.findall(r"^Result - (.*)$", log, re.M)
    obj = re.findall(r"^Objective value:\s*(\S+)", log, re.M)
    # "Upper bound" for a maximisation, "Lower bound" for a minimisation;
    # none when it proved the optimum, which is then its own bound
    bnd = re.findall(r"^(?:Lower|Upper) bound:\s*(\S+)", log, re.M)
    wall = re.findall(r"\(Wallclock seconds\):\s*(\S+)", log)
    chosen = set()
    integer = False
    if os.path.exists(sol):
        with open(sol) as f:
            head = f.readline()
        # "Stopped on time (no integer solution - continuous used)": the
        # values are the LP's, rounded here they break the rows: no plan
        # and "Integer infeasible - objective value ...": none found either
        integer = "no integer solution" not in head and "infeasible" not in head.lower()
    if integer:
        for line in open(sol):
            m = re.match(r"\s*\d+\s+x(\d+)\s+(\S+)", line)
            if m and float(m.group(2)) > 0.5:
                chosen.add(int(m.group(1)))
    proven = bool(res) and res[-1].startswith("Optimal")
    objective = float(obj[-1]) if obj else None
    return {
        "result": res[-1] if res else "none",
        "objective": objective,
        "bound": float(bnd[-1]) if bnd else (objective if proven else None),
        "proven": proven,
        "integer": integer,
        "seconds": float(wall[-1]) if wall else None,
        "chosen": sorted(chosen),
    }


def cbc(d, seconds):
    cat, regions, jobs = load(d)
    opts = options(cat, regions, jobs)
    write_lp(os.path.join(d, "p1.lp"), jobs, regions, opts, 1)
    r1 = run_cbc(os.path.join(d, "p1.lp"), os.path.join(d, "p1.sol"), seconds)
    # CBC writes a maximisation's objective with its own sign: recompute
    pstar = sum(jobs[opts[k][0]]["prio"] for k in r1["chosen"])
    b1 = abs(r1["bound"]) if r1["bound"] is not None else None
    write_lp(os.path.join(d, "p2.lp"), jobs, regions, opts, 2, pstar)
    r2 = run_cbc(os.path.join(d, "p2.lp"), os.path.join(d, "p2.sol"), seconds)
    # a plan only if it keeps every row (capacity, one option per job, the
    # priority): a solution file CBC wrote without one is not a plan
    def keeps_rows(chosen):
        use, per_job, prio = {}, {}, 0.0
        for k in chosen:
            j, r, t, g, _ = opts[k]
            use[r, t] = use.get((r, t), 0) + g
            per_job[j] = per_job.get(j, 0) + 1
            prio += jobs[j]["prio"]
        return (all(u <= regions[r]["gpus"][t][0] for (r, t), u in use.items()) and
                all(v == 1 for v in per_job.values()) and prio >= pstar - 1e-6 * max(1, pstar))
    if r2["integer"] and not keeps_rows(r2["chosen"]):
        r2["integer"] = False
    # no integer plan in phase 2: phase 1's plan is CBC's answer
    obj = sum(opts[k][4] for k in (r2["chosen"] if r2["integer"] else r1["chosen"]))
    res = {"priority": pstar, "priority_proven": r1["proven"], "priority_bound": b1,
           "objective": obj, "objective_proven": r2["proven"],
           "lower_bound": r2["bound"], "seconds": (r1["seconds"] or 0) + (r2["seconds"] or 0),
           "phase1": r1["result"], "phase2": r2["result"], "options": len(opts),
           "phase2_integer": r2["integer"]}
    json.dump(res, open(os.path.join(d, "cbc.json"), "w"), indent=1)
    print(json.dumps(res))


def check(d, plan_path):
    cat, regions, jobs = load(d)
    opts = options(cat, regions, jobs)
    idx = {(jobs[j]["id"], regions[r]["id"], t): (j, r, t, g, obj)
           for (j, r, t, g, obj) in opts}
    plan = json.load(open(plan_path))
    used = {}
    prio = obj = 0.0
    bad = []
    for p in plan["placements"]:
        o = idx.get((p["job"], p["region"], p["gpu_type"]))
        if o is None:
            bad.append(f"{p['job']}: not an eligible option")
            continue
        used[o[1], o[2]] = used.get((o[1], o[2]), 0) + o[3]
        prio += jobs[o[0]]["prio"]
        obj += o[4]
    for (r, t), u in used.items():
        if u > regions[r]["gpus"][t][0]:
            bad.append(f"{regions[r]['id']} {t}: {u} GPUs placed, {regions[r]['gpus'][t][0]} free")
    tot = plan["totals"]
    res = {"feasible": not bad, "problems": bad[:5], "priority": prio, "objective": obj,
           "reported_priority": tot.get("priority_placed"),
           "reported_priority_bound": tot.get("priority_bound"),
           "reported_objective": tot.get("objective"), "lower_bound": tot.get("lower_bound"),
           "gap": tot.get("gap")}
    cj = os.path.join(d, "cbc.json")
    if os.path.exists(cj):
        c = json.load(open(cj))
        res["cbc"] = c
        # a reported bound that CBC's plan beats is no bound
        if res["reported_priority_bound"] is not None and c["priority"] > res["reported_priority_bound"] + 1e-6:
            res["problems"].append("priority_bound below CBC's plan")
        if c["priority"] <= prio + 1e-9 and res["lower_bound"] is not None and \
                c["objective"] < res["lower_bound"] - 1e-6 * max(1, abs(c["objective"])) and \
                abs(c["priority"] - prio) < 1e-9:
            res["problems"].append("lower_bound above CBC's plan at the same priority")
        if abs(c["priority"] - prio) < 1e-9 and c["lower_bound"] is not None:
            res["gap_to_cbc_bound"] = (obj - c["lower_bound"]) / max(1.0, abs(obj))
    print(json.dumps(res))


def main(a):
    if len(a) == 6 and a[0] == "gen":
        gen(a[1], int(a[2]), int(a[3]), float(a[4]), a[5])
    elif len(a) == 3 and a[0] == "cbc":
        cbc(a[1], float(a[2]))
    elif len(a) == 3 and a[0] == "check":
        check(a[1], a[2])
    else:
        sys.exit(__doc__ if __doc__ else "usage: see the head of shortage.py")


if __name__ == "__main__":
    main(sys.argv[1:])
