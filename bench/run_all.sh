#!/bin/sh
# The whole benchmark as run for bench/README.md (about 2.5 hours on 2 cores); run from the
# repository root, in the background:  nohup sh bench/run_all.sh > bench/data/run_all.log 2>&1 &
# Needs the data first:  /work/venv/bin/python bench/make_returns.py --scenario all
# S2–S4 leave out the CLI runs (the library runs measure the same work minus Python's start-up,
# which S1 measures) and pandas_read (pandas_e2e's first phase is the same work).
set -e
PY=${PY:-/work/venv/bin/python}
BIG=lib_j1,lib_jN,calamine,pandas_e2e,write_floor,generate,report
$PY bench/experiments.py --files 300
$PY bench/profile_merge.py --scenario S1
$PY bench/profile_merge.py --scenario S2 --files 50
$PY bench/run.py --scenario S1 --repeat 5
$PY bench/run.py --scenario S3 --repeat 1 --only $BIG --timeout 1200
$PY bench/run.py --scenario S2 --repeat 1 --only $BIG --timeout 1200
# S4: 5,000 files; the jobs=1 merge takes ~40 min (≈ 0.5 s per file, experiment E1)
$PY bench/run.py --scenario S4 --repeat 1 --only lib_jN,calamine,pandas_e2e,write_floor,generate,report --timeout 2400
$PY bench/rust_writer.py --scenario S2 --repeat 2
$PY bench/rust_writer.py --scenario S2 --limit 20000 --repeat 1 --libreoffice
