#!/bin/sh
# The benchmark behind bench/README.md's fourth round (about 30 minutes on 2 cores); the fifth
# round re-ran S1 (all, 5 rounds), S4 and S2 lib_jN (2 rounds each) and S2 merge_jN + calamine
# (3 rounds), the lines below with those --repeat values; the sixth ran only the report
# contenders (the last block).  Run from the
# repository root (or a snapshot of it, so commits cannot change the code under the run), in the
# background:  nohup sh bench/run_all.sh > bench/data/run_all.log 2>&1 &
# Needs the data first:  /work/venv/bin/python bench/make_returns.py --scenario all
# S2 and S4 leave out the CLI runs (the library runs measure the same work minus Python's
# start-up, which S1 and S5 measure).  The S2 ratios are taken between contenders run
# alternating in the same invocation.  pandas_e2e at S2 and S4, report at S2 (> 20 min) and S3
# are earlier rounds' rows: add them to --only (or run S3's line) to measure them again.
set -e
PY=${PY:-/work/venv/bin/python}
$PY bench/run.py --scenario S1 --repeat 5
$PY bench/run.py --scenario S5 --repeat 5 --skip report,report_work,report_commend,report_deeds,generate
$PY bench/run.py --scenario S2 --repeat 1 --only lib_jN,merge_jN,calamine,write_floor,write_floor_direct,pandas_read --timeout 1200
$PY bench/run.py --scenario S2 --repeat 3 --only merge_jN,calamine --timeout 900
$PY bench/run.py --scenario S4 --repeat 1 --only lib_jN,lib_j1 --timeout 1800
# sixth round: each bundled template alone (report_*) and the three together (report), from
# each scenario's consolidated workbook; S2's compilation alone took 35 minutes and 5.6 GB
$PY bench/run.py --scenario S1 --repeat 3 --only report,report_work,report_commend,report_deeds
$PY bench/run.py --scenario S4 --repeat 1 --only report,report_work,report_commend,report_deeds
$PY bench/run.py --scenario S3 --repeat 1 --only report,report_work,report_commend,report_deeds
$PY bench/run.py --scenario S2 --repeat 2 --only report_work,report_commend
$PY bench/run.py --scenario S2 --repeat 1 --only report_deeds --timeout 3600
# not re-run in the fourth round:
# $PY bench/run.py --scenario S3 --repeat 1 --only lib_jN,calamine --timeout 1200
# $PY bench/profile_merge.py --scenario S1
# $PY bench/experiments.py
# $PY bench/rust_writer.py --scenario S2 --repeat 2
