#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What `make check` runs: builds everything, runs the host unit tests, the
# module's selftests in the emulated AMD-V machine (QEMU) and in the
# emulated VT-x machine (Bochs), each beside Debian's kvm as the
# reference, and ends with "N passed, N failed".  Exits 1 on any failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$TB_OUT"
passed=0
failed=0
t0=$(date +%s)

note() { echo "== $* ($(( $(date +%s) - t0 ))s)"; }

# count NAME: adds the "NAME: N passed, N failed" line of a suite's output.
count() {
	local line p f
	line=$(grep -E "^$1: [0-9]+ passed, [0-9]+ failed" "$2" | tail -n 1)
	if [ -z "$line" ]; then
		echo "not ok - $1 printed no result line (log: $2)"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
}

# step NAME CMD...: one build step, one test.
step() {
	local name=$1 log
	shift
	log=$TB_OUT/$name.log
	if "$@" >"$log" 2>&1; then
		echo "ok - $name"
		passed=$((passed + 1))
		return 0
	fi
	echo "not ok - $name (log: $log)"
	tail -n 20 "$log" | sed 's/^/# /'
	failed=$((failed + 1))
	return 1
}

kver=$(tb_kver) || tb_die "no Debian kernel with headers; run make deps"
export KDIR=/usr/src/linux-headers-$kver
note "building for Debian kernel $kver"
built=1
step build-module make -C "$TB_TOP" module || built=0
step build-selftests make -C "$TB_TOP" selftests || built=0

note "host unit tests"
make -C "$TB_TOP/selftests/unit" check > "$TB_OUT/unit.log" 2>&1
grep -E "^not ok" "$TB_OUT/unit.log"
count unit "$TB_OUT/unit.log"
if [ -f "$TB_TOP/selftests/vmm/Makefile" ]; then
	make -C "$TB_TOP/selftests/vmm" check > "$TB_OUT/vmm.log" 2>&1
	grep -E "^not ok" "$TB_OUT/vmm.log"
	count vmm "$TB_OUT/vmm.log"
fi

if [ $built = 1 ]; then
	note "module selftests on AMD-V (QEMU), beside kvm_amd"
	"$(dirname "$0")/run-suite.sh" amd > "$TB_OUT/amd-v.log" 2>&1
	cat "$TB_OUT/amd-v.log"
	count amd-v "$TB_OUT/amd-v.log"

	note "module selftests on VT-x (Bochs), beside kvm_intel"
	"$(dirname "$0")/run-suite.sh" intel "$(dirname "$0")/vmx-subset" \
		> "$TB_OUT/vt-x.log" 2>&1
	cat "$TB_OUT/vt-x.log"
	count vt-x "$TB_OUT/vt-x.log"
fi

note "done"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
