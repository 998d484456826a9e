#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-fuzzer.sh TARGET SEEDS SCRATCH SECONDS: runs a libFuzzer TARGET for
# SECONDS from the seed corpus SEEDS; what it finds new goes to SCRATCH
# (made when missing), the seeds stay as they are. A crash leaves its input
# in SCRATCH and fails.
set -eu
target=$1 seeds=$2 scratch=$3 seconds=$4
mkdir -p "$scratch"
exec "$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-artifact_prefix="$scratch/" "$scratch" "$seeds"
