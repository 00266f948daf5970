#!/bin/sh
# The benchmark behind bench/README.md's second round (about 40 minutes on 2 cores); run from
# the repository root (or a snapshot of it, so commits cannot change the code under the run),
# in the background:  nohup sh bench/run_all.sh > bench/data/run_all.log 2>&1 &
# Needs the data first:  /work/venv/bin/python bench/make_returns.py --scenario all
# S2–S4 leave out the CLI runs (the library runs measure the same work minus Python's start-up,
# which S1 measures).  pandas_e2e at S2–S4 and report at S2 (> 20 min) are first-round rows:
# add them to --only to measure them again (S2's pandas_e2e alone takes ~7 min).
set -e
PY=${PY:-/work/venv/bin/python}
$PY bench/run.py --scenario S1 --repeat 5
$PY bench/run.py --scenario S4 --repeat 1 --only lib_jN,lib_j1,calamine,write_floor,generate,report --timeout 1800
$PY bench/run.py --scenario S3 --repeat 1 --only lib_j1,lib_jN,calamine,write_floor,report --timeout 1200
$PY bench/run.py --scenario S2 --repeat 1 --only lib_j1,lib_jN,calamine,pandas_read,write_floor,generate --timeout 1800
# the first round's profiles, experiments and Rust-writer check (not re-run in the second round)
# $PY bench/profile_merge.py --scenario S1
# $PY bench/experiments.py
# $PY bench/rust_writer.py --scenario S2 --repeat 2
