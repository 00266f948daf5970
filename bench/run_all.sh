#!/bin/sh
# The benchmark behind bench/README.md's third round (about 45 minutes on 2 cores); run from the
# repository root (or a snapshot of it, so commits cannot change the code under the run), in the
# background:  nohup sh bench/run_all.sh > bench/data/run_all.log 2>&1 &
# Needs the data first:  /work/venv/bin/python bench/make_returns.py --scenario all
# S2–S4 leave out the CLI runs (the library runs measure the same work minus Python's start-up,
# which S1 measures).  The S2 ratios are taken between contenders run alternating in the same
# invocation: merge() alone next to calamine and pandas' read, lib_jN next to the write floor.
# pandas_e2e at S2–S4 and report at S2 (> 20 min) are first-round rows: add them to --only to
# measure them again (S2's pandas_e2e alone takes ~7 min).
set -e
PY=${PY:-/work/venv/bin/python}
$PY bench/run.py --scenario S1 --repeat 5
$PY bench/run.py --scenario S4 --repeat 1 --only lib_jN,lib_j1,calamine,write_floor --timeout 1800
$PY bench/run.py --scenario S3 --repeat 1 --only lib_jN,calamine --timeout 1200
$PY bench/run.py --scenario S2 --repeat 3 --only merge_jN,calamine,merge_j1 --timeout 900
$PY bench/run.py --scenario S2 --repeat 2 --only pandas_read,merge_jN,calamine --timeout 900
$PY bench/run.py --scenario S2 --repeat 2 --only lib_jN,write_floor --timeout 1200
# the first round's profiles, experiments and Rust-writer check (not re-run since)
# $PY bench/profile_merge.py --scenario S1
# $PY bench/experiments.py
# $PY bench/rust_writer.py --scenario S2 --repeat 2
