#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the unit tests, then each fuzzer for SMOKE_TIME seconds over its
# committed seed corpus (new inputs go to $OUT/corpus, never into the
# tree).  Prints TAP, then "unit: N passed, N failed"; exits non-zero on
# any failure.
#
# usage: run-check.sh UNIT_TESTS CORPUS_DIR FUZZER...

unit_tests=$1
corpus=$2
shift 2
: "${OUT:?}" "${SMOKE_TIME:=10}"

log=$OUT/unit_tests.log
"$unit_tests" >"$log" 2>&1
status=$?
grep -v -e '^1\.\.' -e '^unit: ' "$log"
summary=$(grep '^unit: ' "$log")
passed=$(echo "$summary" | sed -n 's/^unit: \([0-9]*\) passed.*/\1/p')
failed=$(echo "$summary" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
if [ -z "$passed" ] || [ -z "$failed" ]; then
	echo "not ok - unit_tests did not finish (status $status)"
	passed=${passed:-0}
	failed=$((${failed:-0} + 1))
elif [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "not ok - unit_tests exited with status $status"
	failed=$((failed + 1))
fi

n=$((passed + failed))
for fuzzer in "$@"; do
	name=${fuzzer#fuzz_}
	work=$OUT/corpus/$name
	flog=$OUT/$fuzzer.log
	mkdir -p "$work"
	n=$((n + 1))
	if "$OUT/$fuzzer" -max_total_time="$SMOKE_TIME" -timeout=5 \
		-artifact_prefix="$OUT/$fuzzer-" -print_final_stats=1 \
		"$work" "$corpus/$name" >"$flog" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$flog")
		echo "ok $n - fuzz: $fuzzer ${SMOKE_TIME}s, ${runs:-?} runs"
		passed=$((passed + 1))
	else
		echo "not ok $n - fuzz: $fuzzer (log: $flog)"
		tail -n 30 "$flog" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
done

echo "1..$n"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
