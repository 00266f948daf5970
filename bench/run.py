"""Run the merge benchmark: xltools against the read and write floors and against pandas.

Usage (from the repository root; the scenario's data must exist — bench/make_returns.py)::

    /work/venv/bin/python bench/run.py --scenario S1 --repeat 5
    /work/venv/bin/python bench/run.py --scenario S2 --repeat 2 --only lib_j1,lib_jN,calamine
    /work/venv/bin/python bench/run.py --table          # re-print the latest results of every scenario

For each scenario every contender runs ``--repeat`` times in a subprocess of its own, the
contenders alternating (each round runs all of them, starting one further along the list each
time, the ``report*`` ones last: they read this round's consolidated workbook; from 100,000
rows up only in the last round, see ``--report-repeat``), after one untimed pass that reads
every return into the page cache.  The results are saved after every run.
Per run it records:

* ``seconds`` — the contender's own clock around its work (bench/contenders.py) for the library
  contenders; the subprocess's wall time for the CLI ones (``cli_*``, ``generate``, ``report*``),
  which includes starting Python and importing xltools, as a user sees it;
* ``wall`` — the subprocess's wall time;
* ``maxrss_mb`` — peak resident set of the largest process of the contender's tree
  (``os.wait4`` rusage, i.e. ``RUSAGE_CHILDREN`` for that child; the kernel reports the largest
  of the process and its waited-for descendants);
* ``pss_mb`` — peak of the summed proportional set size (``/proc/<pid>/smaps_rollup``) of the
  whole process tree, sampled every 0.1 s: what the machine must have with ``--jobs N``, where the
  largest process alone understates it.

Results: ``bench/results/<scenario>-<time>.json`` (and ``<scenario>-latest.json``), and a
Markdown table on stdout.  Correctness is checked on every run, not assumed: merge's counts must
equal the scenario's manifest (rows read, rows rejected = bad cells injected), and the
consolidated workbooks of ``--jobs 1`` and ``--jobs N`` (CLI and library) must be byte-identical.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
RESULTS = HERE / "results"
PY = sys.executable
CORES = os.cpu_count() or 1
KIT = ROOT / "templates" / "xlsx" / "pioneer_posts.yaml"
SCENARIOS = ("S1", "S2", "S3", "S4", "S5")
TEMPLATES = ("work_report", "commendation", "deeds_compilation")

#: name → (kind, description).  kind "worker": bench/contenders.py; "cli": python -m xltools.
CONTENDERS = {
    "cli_j1": ("cli", "xltools merge --jobs 1（命令行，含启动）"),
    "cli_jN": ("cli", f"xltools merge --jobs {CORES}（命令行，含启动）"),
    "lib_j1": ("worker", "merge() + write_consolidated()，jobs=1"),
    "lib_jN": ("worker", f"merge() + write_consolidated()，jobs={CORES}"),
    "merge_j1": ("worker", "merge() only (everything before the write), jobs=1"),
    "merge_jN": ("worker", f"merge() only (everything before the write), jobs={CORES}"),
    "calamine": ("worker", "读取下限：python-calamine 读出全部值"),
    "pandas_read": ("worker", "pandas.read_excel(openpyxl) 全部工作表 + concat"),
    "pandas_e2e": ("worker", "pandas 读取 + concat + to_excel"),
    "pandas_script": ("script", "同上，作为脚本运行的全程（含 Python 启动和导入 pandas，与 cli_* 同口径）"),
    "write_floor": ("worker", "写出下限：XlsxWriter constant_memory 写同样的行"),
    "write_floor_xml": ("worker", "写出下限，xltools 的写法：表头和最后一行由 XlsxWriter 写，其余行写成 SpreadsheetML 文本后拼入（xlsx_rows）"),
    "generate": ("cli", "xltools generate（本情景的名单）"),
    "report": ("cli", "xltools report 三个随附模板"),
    "report_work": ("cli", "xltools report work_report（汇报材料）"),
    "report_commend": ("cli", "xltools report commendation（通报表彰）"),
    "report_deeds": ("cli", "xltools report deeds_compilation（事迹汇编）"),
}
#: report contenders → the templates each renders (one ``xltools report`` command)
REPORTS = {"report": TEMPLATES, "report_work": ("work_report",), "report_commend": ("commendation",),
           "report_deeds": ("deeds_compilation",)}


# --------------------------------------------------------------------------- measuring


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_kb(root: int) -> int:
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _pss_kb(pid)
        todo.extend(_children(pid))
    return total


def measure(argv: list[str], work: Path, timeout: float) -> dict:
    """Run ``argv`` (stdout/stderr to files in ``work``), sampling the tree's PSS; returns wall
    seconds, exit code, peak RSS (largest process) and peak tree PSS in MB, and stdout."""
    work.mkdir(parents=True, exist_ok=True)
    out, err = (work / "stdout.txt").open("wb"), (work / "stderr.txt").open("wb")
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="0")
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=ROOT, env=env, start_new_session=True)
    peak_pss, last_sample, status, usage = 0, 0.0, None, None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        now = time.perf_counter()
        if pid:
            break
        if now - t0 > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            _, status, usage = os.wait4(proc.pid, 0)
            break
        if now - last_sample >= 0.1:
            peak_pss = max(peak_pss, tree_pss_kb(proc.pid))
            last_sample = now
        time.sleep(0.005)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.close()
    err.close()
    return {
        "wall": wall,
        "rc": proc.returncode,
        "timed_out": wall > timeout,
        "cpu": usage.ru_utime + usage.ru_stime,
        "load": load,
        "maxrss_mb": usage.ru_maxrss / 1024,
        "pss_mb": peak_pss / 1024,
        "stdout": (work / "stdout.txt").read_text("utf-8", "replace"),
        "stderr": (work / "stderr.txt").read_text("utf-8", "replace")[-2000:],
    }


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _report_cli_available() -> bool:
    r = subprocess.run([PY, "-m", "xltools", "report", "--help"], cwd=ROOT, capture_output=True,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return r.returncode == 0


def run_one(name: str, scenario: str, timeout: float, report_cli: bool) -> dict:
    base = DATA / scenario
    work = base / "work" / name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    kind = CONTENDERS[name][0]
    if name.startswith("cli_"):
        jobs = "1" if name == "cli_j1" else str(CORES)
        argv = [PY, "-m", "xltools", "merge", str(KIT), str(base / "returns"), "--roster", str(base / "roster.xlsx"),
                "--out", str(work / "consolidated.xlsx"), "--jobs", jobs]
    elif name == "generate":
        argv = [PY, "-m", "xltools", "generate", str(KIT), "--roster", str(base / "roster.xlsx"),
                "--out", str(work / "issued"), "--date", "2024-01-15", "--deadline", "2024-12-31"]
    elif name in REPORTS:
        if report_cli:
            argv = [PY, "-m", "xltools", "report", *REPORTS[name], "--data", str(base / "consolidated.xlsx"),
                    "--out", str(work / "docs"), "--date", "2024-12-31"]
        else:
            argv = [PY, str(HERE / "contenders.py"), "report_lib", scenario, str(work), *REPORTS[name]]
    elif name == "pandas_script":  # the pandas baseline timed like the CLI: the whole process
        argv = [PY, str(HERE / "contenders.py"), "pandas_e2e", scenario, str(work)]
    else:
        assert kind == "worker"
        argv = [PY, str(HERE / "contenders.py"), name, scenario, str(work)]
    src = source_fingerprint()
    m = measure(argv, work, timeout)
    rec = {"src": src}
    rec |= {k: m[k] for k in ("wall", "cpu", "load", "rc", "timed_out", "maxrss_mb", "pss_mb")}
    rec["seconds"] = m["wall"]
    if kind in ("worker", "script") or (name in REPORTS and not report_cli):
        lines = [x for x in m["stdout"].splitlines() if x.startswith("{")]
        if m["rc"] != 0 or not lines:
            rec["error"] = (m["stderr"] or m["stdout"])[-800:]
            return rec
        res = json.loads(lines[-1])
        rec["seconds"] = res["seconds"] if kind != "script" else m["wall"]
        rec["phases"] = res.get("phases", {})
        rec["info"] = res.get("info", {})
    elif (name.startswith("cli_") and m["rc"] not in (0, 1)) or ((name == "generate" or name in REPORTS) and m["rc"] != 0):
        rec["error"] = m["stderr"][-800:]
        return rec
    # --- correctness ------------------------------------------------------------------------
    manifest = json.loads((base / "manifest.json").read_text("utf-8"))
    exp = manifest["expected"]
    out = work / "consolidated.xlsx"
    if name.startswith("cli_"):
        mt = re.search(r"读取 (\d+) 行 = 采用 (\d+) 行 \+ 退回 (\d+) 行", m["stdout"])
        got = {"rows_read": int(mt[1]), "rows_rejected": int(mt[3])} if mt else {}
    elif name.startswith(("lib_", "merge_")):
        c = rec["info"]["counts"]
        got = {"rows_read": c["rows_read"], "rows_rejected": c["rows_rejected"]}
    else:
        got = None
    if got is not None:
        rec["check"] = "ok" if got == exp else f"counts {got} != manifest {exp}"
    if got is not None and not name.startswith("merge_"):  # merge_* write no workbook
        rec["sha256"] = sha256(out)
        if not (base / "consolidated.xlsx").exists():
            shutil.copyfile(out, base / "consolidated.xlsx")
    if name == "generate":
        n = len(list((work / "issued").glob("*.xlsx")))
        rec["check"] = "ok" if n == manifest["units"] else f"{n} workbooks for {manifest['units']} units"
    if name in REPORTS:
        docs = sorted((work / "docs").glob("*.docx"))
        rec["check"] = "ok" if len(docs) == len(REPORTS[name]) else f"{len(docs)} documents"
        rec["via"] = "cli" if report_cli else "library (xltools report not registered)"
    if name.startswith("pandas_"):
        sys.path.insert(0, str(ROOT))
        from xltools.forms import load_form_definition

        sheets = {f.sheet: f.name for f in load_form_definition(KIT).forms}
        got = {sheets[k]: v for k, v in rec["info"]["rows"].items() if k in sheets}
        rec["check"] = "ok" if got == manifest["rows_per_form"] else f"rows {got}"
    if name == "calamine":
        rec["check"] = "ok" if rec["info"]["files"] == manifest["units"] else "file count"
    shutil.rmtree(work / "issued", ignore_errors=True)
    shutil.rmtree(work / "docs", ignore_errors=True)
    return rec


# --------------------------------------------------------------------------- summaries


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = {}
    for dist in ("python-calamine", "XlsxWriter", "openpyxl", "pandas", "numpy", "docxtpl", "click", "PyYAML"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    sys.path.insert(0, str(ROOT))
    import xltools

    git = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %ad", "--date=format:%Y-%m-%d %H:%M"],
                         capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": CORES, "git_head": git, "memory_gb": round(mem_gb, 1), "python": platform.python_version(),
            "platform": platform.platform(), "xltools": xltools.__version__, "versions": versions}


def summarise(runs: list[dict]) -> dict:
    ok = [r for r in runs if "error" not in r and not r.get("timed_out")]
    if not ok:
        last = runs[-1] if runs else {}
        if last.get("timed_out"):
            err = f"timed out after {last['wall']:.0f} s (peak RSS {last['maxrss_mb']:.0f} MB)"
        else:
            err = last.get("error") or "not run"
        return {"n": 0, "error": err}
    secs = [r["seconds"] for r in ok]
    s = {"n": len(ok), "median": statistics.median(secs), "min": min(secs), "max": max(secs),
         "wall_median": statistics.median(r["wall"] for r in ok),
         "cpu_median": statistics.median(r.get("cpu", 0) for r in ok),
         "load_max": max(r.get("load", 0) for r in ok),
         "maxrss_mb": max(r["maxrss_mb"] for r in ok), "pss_mb": max(r["pss_mb"] for r in ok),
         "checks": sorted({r.get("check", "") for r in ok} - {""})}
    phases = {}
    for key in ok[0].get("phases", {}):
        phases[key] = statistics.median(r["phases"][key] for r in ok)
    if phases:
        s["phases"] = phases
    rss_merge = [r["info"]["rss_merge_kb"] for r in ok if "rss_merge_kb" in r.get("info", {})]
    if rss_merge:
        s["rss_merge_mb"] = max(rss_merge) / 1024
        s["rss_workers_mb"] = max(r["info"]["rss_workers_kb"] for r in ok) / 1024
    return s


def source_fingerprint() -> str:
    """SHA-256 (12 hex digits) of xltools' source files: other engineers edit the checkout while
    the benchmark runs, so outputs are only compared between runs of the same source."""
    h = hashlib.sha256()
    for p in sorted((ROOT / "xltools").rglob("*.py")):
        h.update(str(p.relative_to(ROOT)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:12]


def identical_outputs(runs: dict[str, list[dict]]) -> dict:
    """Consolidated-output hashes grouped by xltools source version (by round for results
    recorded before the fingerprint was): identical when every group has one hash."""
    groups: dict[str, dict[str, set]] = {}
    for name, rs in runs.items():
        for i, r in enumerate(rs):
            if "sha256" in r:
                key = r.get("src") or f"round {i + 1}"
                groups.setdefault(key, {}).setdefault(name, set()).add(r["sha256"][:12])
    compared = {k: v for k, v in groups.items() if len(v) > 1 or any(len(x) > 1 for x in v.values())}
    verdicts = [len(set().union(*g.values())) == 1 for g in compared.values()]
    every = {h for g in groups.values() for x in g.values() for h in x}
    if len(every) == 1 and sum(len(g) for g in groups.values()) > 1:
        verdicts = [True]  # one output for every contender, whatever the source versions
    return {"groups": {k: {n: sorted(x) for n, x in g.items()} for k, g in groups.items()},
            "source_versions": len(groups), "identical": all(verdicts) if verdicts else None}


def ratios(s: dict) -> dict:
    return _ratios(s)[0]


def mixed_ratios(s: dict) -> list[str]:
    """The ratios whose contenders were measured in different invocations of the runner (a
    partial rerun, ``--only``, replaces only its own contenders' rows): not side by side, so
    the tables flag them.  Rows from before invocations were recorded count as unknown."""
    _values, inputs = _ratios(s)
    return [key for key, names in inputs.items()
            if len({s[n].get("invocation") for n in names if s.get(n, {}).get("n")} - {None}) > 1]


def _ratios(s: dict) -> tuple[dict, dict[str, set[str]]]:
    """The ratios of a scenario's summary, and the contenders each was computed from."""
    used: set[str] = set()

    def med(name: str, phase: str | None = None):
        x = s.get(name, {})
        if not x.get("n"):
            return None
        used.add(name)
        return x["phases"][phase] if phase else x["median"]

    def div(a, b):
        return a / b if a is not None and b else None

    def read_floor():
        return med("calamine")

    def before(jobs: str):
        # merge() alone when it was measured (repeated next to the floor), else lib's phase
        return med(f"merge_{jobs}") if med(f"merge_{jobs}") is not None else med(f"lib_{jobs}", "merge")

    def pandas_read():
        # pandas_e2e's first phase is exactly pandas_read's work (big scenarios run only pandas_e2e)
        return med("pandas_read") if med("pandas_read") is not None else med("pandas_e2e", "read_concat")

    def floors(write: str):
        r, w = read_floor(), med(write)
        return r + w if r is not None and w is not None else None

    # each ratio is evaluated on its own so that the contenders it read are known
    formulas = {
        "before_write_jN / calamine": lambda: div(before("jN"), read_floor()),
        "before_write_j1 / calamine": lambda: div(before("j1"), read_floor()),
        "pandas_read / before_write_jN": lambda: div(pandas_read(), before("jN")),
        "pandas_e2e / e2e_jN (library)": lambda: div(med("pandas_e2e"), med("lib_jN")),
        "pandas_e2e / cli_jN": lambda: div(med("pandas_e2e"), med("cli_jN")),
        "pandas_script / cli_jN": lambda: div(med("pandas_script"), med("cli_jN")),
        "e2e_jN / (read floor + write floor)": lambda: div(med("lib_jN"), floors("write_floor")),
        "e2e_j1 / (read floor + write floor)": lambda: div(med("lib_j1"), floors("write_floor")),
        "write / write floor": lambda: div(med("lib_jN", "write"), med("write_floor")),
        # xltools writes the form sheets through XlsxWriter's undecorated cell methods: the same
        # floor written that way, for the honest comparison
        "e2e_jN / (read floor + xltools write floor)": lambda: div(med("lib_jN"), floors("write_floor_xml")),
        "write / xltools write floor": lambda: div(med("lib_jN", "write"), med("write_floor_xml")),
    }
    values: dict = {}
    inputs: dict[str, set[str]] = {}
    for key, formula in formulas.items():
        used.clear()
        values[key] = formula()
        inputs[key] = set(used)
    return values, inputs


#: A scenario with at least this many rows runs its ``report*`` contenders in the first round
#: only unless ``--report-repeat`` says otherwise: S2's compilation alone takes over half an hour
#: and 5.6 GB (bench/README.md, "The compilation at city scale").
BIG_REPORT_ROWS = 100_000


def run_scenario(scenario: str, repeat: int, names: list[str], timeout: float,
                 report_repeat: int | None = None) -> dict:
    """Run ``names`` ``repeat`` rounds on ``scenario`` (the ``report*`` ones in the last
    ``report_repeat`` rounds: by default all, or the last one from ``BIG_REPORT_ROWS`` rows up,
    so that the merge rounds come first).  The results are saved
    after every run (:func:`save_results`), so a run stopped part way (a timeout of the whole
    job, Ctrl-C, a machine that runs out of memory) keeps what it measured."""
    base = DATA / scenario
    if not (base / "manifest.json").exists():
        raise SystemExit(f"{base}：没有数据，请先运行 bench/make_returns.py --scenario {scenario}")
    manifest = json.loads((base / "manifest.json").read_text("utf-8"))
    if report_repeat is None:
        report_repeat = 1 if manifest["expected"]["rows_read"] >= BIG_REPORT_ROWS else repeat
    for f in (base / "returns").iterdir():  # warm the page cache: every contender reads warm files
        f.read_bytes()
    if "write_floor" in names or "write_floor_xml" in names:
        subprocess.run([PY, str(HERE / "contenders.py"), "prepare_rows", scenario, str(base / "work")],
                       check=True, cwd=ROOT)
    if any(n.startswith(("cli_", "lib_")) for n in names):
        (base / "consolidated.xlsx").unlink(missing_ok=True)  # report reads this round's output
    elif any(n in REPORTS for n in names) and not (base / "consolidated.xlsx").exists():
        raise SystemExit("report 需要汇总表：请同时运行一个 merge 参赛者（cli_* 或 lib_*）")
    report_cli = any(n in REPORTS for n in names) and _report_cli_available()
    rotating = [n for n in names if n not in REPORTS]
    reports = [n for n in names if n in REPORTS]  # last: they read this round's consolidated workbook
    runs: dict[str, list[dict]] = {n: [] for n in names}
    started = datetime.now().isoformat(timespec="seconds")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    latest = RESULTS / f"{scenario}-latest.json"
    earlier = json.loads(latest.read_text("utf-8")) if latest.exists() else None
    if earlier is not None and earlier.get("manifest") != manifest:
        earlier = None  # the data were generated again: earlier rows measured other files
    result: dict = {}
    for i in range(repeat):
        k = i % max(1, len(rotating))
        order = rotating[k:] + rotating[:k] + (reports if i >= repeat - report_repeat else [])
        for name in order:
            rec = run_one(name, scenario, timeout, report_cli)
            runs[name].append(rec)
            shown = f"{rec['seconds']:.2f}s" if "error" not in rec else "ERROR " + rec["error"].strip()[-200:]
            print(f"[{scenario} {i + 1}/{repeat}] {name:12s} {shown}  cpu {rec['cpu']:.2f}s  load {rec['load']:.1f}  "
                  f"rss {rec['maxrss_mb']:.0f} MB  "
                  f"pss {rec['pss_mb']:.0f} MB {rec.get('check', '')}", file=sys.stderr, flush=True)
            last = i == repeat - 1 and name == order[-1]
            result = save_results(scenario, stamp, started, repeat, manifest, runs, earlier, complete=last)
    return result


def save_results(scenario: str, stamp: str, started: str, repeat: int, manifest: dict,
                 runs: dict[str, list[dict]], earlier: dict | None, complete: bool) -> dict:
    """Write this invocation's runs so far to ``bench/results/<scenario>-<stamp>.json`` and
    into ``<scenario>-latest.json``: the contenders run so far replace their rows in
    ``earlier`` (the latest results when this invocation began, on the same data), the others
    keep theirs, so partial reruns (``--only``) and interrupted ones lose nothing.
    ``complete`` is False until the last run.  Returns the latest results."""
    ran = {n: rs for n, rs in runs.items() if rs}
    summary = {n: summarise(rs) | {"invocation": started} for n, rs in ran.items()}
    result = {"scenario": scenario, "started": started, "finished": datetime.now().isoformat(timespec="seconds"),
              "complete": complete, "repeat": repeat, "machine": machine(), "manifest": manifest,
              "summary": summary, "ratios": ratios(summary), "mixed_ratios": mixed_ratios(summary),
              "identical_outputs": identical_outputs(ran), "runs": ran}
    RESULTS.mkdir(exist_ok=True)
    _write_atomically(RESULTS / f"{scenario}-{stamp}.json", result)
    if earlier is not None:
        old = json.loads(json.dumps(earlier))
        old["summary"].update(summary)
        old["runs"].update(ran)
        old["ratios"] = ratios(old["summary"])
        old["mixed_ratios"] = mixed_ratios(old["summary"])
        old["identical_outputs"] = identical_outputs(old["runs"])
        old["finished"] = result["finished"]
        old["complete"] = complete
        result = old
    _write_atomically(RESULTS / f"{scenario}-latest.json", result)
    return result


def _write_atomically(path: Path, obj: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- Markdown


#: After a ratio whose two contenders ran in different invocations (see mixed_ratios).
_MIXED = "（两次运行）"


class _Mixed(float):
    """A ratio of contenders from different invocations, shown with ``_MIXED``."""


def _f(x, digits=2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def table(result: dict) -> str:
    s, m = result["summary"], result["manifest"]
    # runs per contender: partial reruns (--only) merge into the latest results, so they differ
    ns = sorted({x["n"] for x in s.values() if x.get("n")}) or [result["repeat"]]
    repeat = f"{ns[0]}" if len(ns) == 1 else f"{ns[0]}–{ns[-1]}"
    lines = [f"### {result['scenario']} — {m['note']}（{m['units']} 个文件，{m['rows_total']:,} 行，"
             f"{m['bytes_returns'] / 2**20:.1f} MB；每个参赛者运行 {repeat} 次）", "",
             "| contender | median s | min–max s | merge s | write s | CPU s | peak RSS MB | tree PSS MB | check |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, (_, desc) in CONTENDERS.items():
        x = s.get(name)
        if x is None:
            continue
        if not x.get("n"):
            lines.append(f"| {name} — {desc} | — | — | | | | | | {x.get('error', '')[:60]!s} |")
            continue
        ph = x.get("phases", {})
        rss = x["maxrss_mb"]
        if "rss_merge_mb" in x:
            rss_txt = f"{rss:.0f} (merge {max(x['rss_merge_mb'], x['rss_workers_mb']):.0f})"
        else:
            rss_txt = f"{rss:.0f}"
        lines.append(f"| {name} — {desc} | {_f(x['median'])} | {_f(x['min'])}–{_f(x['max'])} | "
                     f"{_f(ph.get('merge'))} | {_f(ph.get('write'))} | {_f(x.get('cpu_median'))} | {rss_txt} | "
                     f"{x['pss_mb']:.0f} | "
                     f"{', '.join(x['checks'])} |")
    lines.append("")
    lines.append("| ratio | value |")
    lines.append("|---|---:|")
    mixed = set(result.get("mixed_ratios", ()))
    for k, v in result["ratios"].items():
        lines.append(f"| {k} | {_f(v)}{_MIXED if k in mixed and v is not None else ''} |")
    ident = identical_outputs(result["runs"])
    verdict = {True: "yes", False: "**no**", None: "—"}[ident["identical"]]
    lines.append(f"| consolidated output byte-identical, jobs 1 / {CORES}, CLI and library (compared within "
                 f"each of {ident['source_versions']} xltools source versions seen) | {verdict} |")
    return "\n".join(lines)


def _latest() -> dict[str, dict]:
    out = {}
    for sc in SCENARIOS:
        p = RESULTS / f"{sc}-latest.json"
        if p.exists():
            out[sc] = json.loads(p.read_text("utf-8"))
    return out


def targets(res: dict[str, dict]) -> str:
    """The targets of issue 7, measured (median) against the target; never asserted."""

    def summ(sc, name):
        return res.get(sc, {}).get("summary", {}).get(name, {})

    def ratio(sc, key):
        value = res.get(sc, {}).get("ratios", {}).get(key)
        if value is not None and key in res.get(sc, {}).get("mixed_ratios", ()):
            return _Mixed(value)
        return value

    rows = []

    def add(what, value, target, ok):
        verdict = "—" if value is None or ok is None else ("met" if ok(value) else "**missed**")
        shown = value if isinstance(value, str) else _f(value) + (_MIXED if isinstance(value, _Mixed) else "")
        rows.append(f"| {what} | {shown} | {target} | {verdict} |")

    add("S2 before-write jobs=cores ÷ calamine floor", ratio("S2", "before_write_jN / calamine"), "≤ 1.5", lambda v: v <= 1.5)
    add("S2 pandas read+concat ÷ before-write jobs=cores", ratio("S2", "pandas_read / before_write_jN"), "≥ 10", lambda v: v >= 10)
    add("S2 end to end ÷ (read floor + write floor)", ratio("S2", "e2e_jN / (read floor + write floor)"), "≤ 1.2", lambda v: v <= 1.2)
    # xltools' own way of writing (xlsx_rows) is below the issue's write floor; these two say how
    # close the whole merge comes to reading plus writing that way: information, no target
    add("S2 end to end ÷ (read floor + xltools write floor)", ratio("S2", "e2e_jN / (read floor + xltools write floor)"),
        "（参考）", None)
    add("S5 (40,000 rows) end to end ÷ (read floor + write floor)", ratio("S5", "e2e_jN / (read floor + write floor)"),
        "≤ 1.2", lambda v: v <= 1.2)
    add("S5 (40,000 rows) end to end ÷ (read floor + xltools write floor)",
        ratio("S5", "e2e_jN / (read floor + xltools write floor)"), "（参考）", None)
    s1 = summ("S1", "cli_jN")
    add("S1 end to end, CLI jobs=cores (s)", s1.get("median"), "< 2", lambda v: v < 2)
    s1l = summ("S1", "lib_jN")
    add("S1 end to end, library jobs=cores (s)", s1l.get("median"), "< 2", lambda v: v < 2)
    # The same target three ways: pandas_e2e is timed inside its process (no start-up, pandas
    # already imported) and cli_jN as a whole process; the first line mixes the two.
    add("S1 pandas end to end ÷ xltools CLI end to end (pandas without start-up, xltools with)",
        ratio("S1", "pandas_e2e / cli_jN"), "≥ 5", lambda v: v >= 5)
    add("S1 pandas end to end ÷ xltools library end to end (both in-process, no start-up)",
        ratio("S1", "pandas_e2e / e2e_jN (library)"), "≥ 5", lambda v: v >= 5)
    add("S1 pandas as a script ÷ xltools CLI (both whole processes, start-up and imports included)",
        ratio("S1", "pandas_script / cli_jN"), "≥ 5", lambda v: v >= 5)
    for sc, limit in (("S2", 1024), ("S3", 1536)):
        for name in ("lib_j1", "lib_jN"):
            x = summ(sc, name)
            add(f"{sc} peak memory {name}: largest process / tree PSS (MB)",
                None if not x.get("n") else f"{x['maxrss_mb']:.0f} / {x['pss_mb']:.0f}", f"< {limit}",
                lambda v, x=x, limit=limit: max(x["maxrss_mb"], x["pss_mb"]) < limit)
    a, b = summ("S4", "lib_jN"), summ("S2", "lib_jN")
    if a.get("n") and b.get("n"):
        v = a["pss_mb"] / b["pss_mb"]
        add("S4 tree PSS ÷ S2 tree PSS (jobs=cores)", v, "≤ 1.2", lambda v: v <= 1.2)
    else:
        add("S4 tree PSS ÷ S2 tree PSS (jobs=cores)", None, "≤ 1.2", lambda v: True)
    s4 = summ("S4", "lib_j1")
    if s4.get("n"):
        files = res["S4"]["manifest"]["units"]
        per_file = s4["phases"]["merge"] / files * 1000
        add("S4 merge jobs=1 per file, all-in (ms)", per_file, "< 20", lambda v: v < 20)
        s2 = summ("S2", "lib_j1")
        if s2.get("n"):
            per_row = s2["phases"]["merge"] / res["S2"]["manifest"]["rows_total"]
            fixed = (s4["phases"]["merge"] - per_row * res["S4"]["manifest"]["rows_total"]) / files * 1000
            add("S4 per-file fixed cost (ms; minus S2's per-row cost × 20 rows)", fixed, "< 20", lambda v: v < 20)
    s4n = summ("S4", "lib_jN")
    if s4n.get("n"):
        files = res["S4"]["manifest"]["units"]
        add("S4 merge jobs=cores: CPU time per file, all processes (ms)", s4n["cpu_median"] / files * 1000, "< 20",
            lambda v: v < 20)
    g = summ("S2", "generate")
    add("generate 500 units, one core (s, CLI)", g.get("median"), "< 15", lambda v: v < 15)
    head = ["| target | measured | target | verdict |", "|---|---:|---:|---|"]
    return "\n".join(head + rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="xltools merge benchmark (see bench/README.md)")
    ap.add_argument("--scenario", default="S1", choices=[*SCENARIOS, "all"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated contenders (default: all)")
    ap.add_argument("--skip", default="", help="comma-separated contenders to leave out")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per contender run")
    ap.add_argument("--report-repeat", type=int, default=None,
                    help=f"rounds that run the report* contenders, the last ones (default: --repeat, or 1 from "
                         f"{BIG_REPORT_ROWS:,} rows up: S2, S3, S4)")
    ap.add_argument("--table", action="store_true", help="only print the tables of the latest results")
    args = ap.parse_args(argv)
    if not args.table:
        names = [n for n in (args.only.split(",") if args.only else CONTENDERS) if n]
        bad = [n for n in names if n not in CONTENDERS]
        if bad:
            ap.error(f"unknown contender(s): {', '.join(bad)}; known: {', '.join(CONTENDERS)}")
        names = [n for n in names if n not in args.skip.split(",")]
        # xltools runs from this tree (PYTHONPATH): compile its bytecode once, as pip does when it
        # installs a package, so no contender pays the compiler at start-up (about 0.15 s here,
        # every run, under PYTHONDONTWRITEBYTECODE=1, which only stops Python writing it).
        compileall.compile_dir(str(ROOT / "xltools"), quiet=1)
        for sc in SCENARIOS if args.scenario == "all" else [args.scenario]:
            run_scenario(sc, args.repeat, names, args.timeout, args.report_repeat)
    res = _latest()
    for sc in SCENARIOS:
        if sc in res and (args.table or args.scenario in (sc, "all")):
            print(table(res[sc]) + "\n")
    print(targets(res))


if __name__ == "__main__":
    main()
