#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fuzzing as part of the test suite (README "Fuzzing"): every libFuzzer
# harness of tests/fuzz/ replays its seed corpus (which holds every input
# that once crashed) and then fuzzes for a short, bounded time
# (XW_FUZZ_SECONDS, default 10 s each: about 100 s in all).  A crash, a
# sanitizer report, a broken invariant, a hang or a missing harness is a
# FAIL with the input and the report.  `make fuzz FUZZ_SECONDS=N` runs longer.
cd "$(dirname "$0")/../.." || exit 2
exec tests/fuzz/run.sh "${XW_FUZZ_SECONDS:-10}"
