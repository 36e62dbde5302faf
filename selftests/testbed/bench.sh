#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench.sh: make bench.  Boots the AMD-V testbed (QEMU) once and runs
# build/selftests/exit_bench first on vireo.ko, then (after rmmod vireo) on
# Debian's kvm_amd in the same boot, and prints each figure it reports
# ("name value" lines, e.g. cpuid_exit_ns) side by side with the ratio
# vireo/kvm_amd.  Then the same in the VT-x testbed (Bochs) against
# Debian's kvm_intel, with fewer iterations (TB_VMX=0 leaves it out).
# Then bench-boot.sh: the time to the guest's init; last, bench-virtio.sh:
# virtio-blk and virtio-net throughput beside QEMU's.
# No thresholds: in an emulator the figures measure the emulator as much
# as the hypervisor; compare them with each other only.
set -euo pipefail
. "$(dirname "$0")/testbed-lib.sh"

bench=$BUILD/selftests/exit_bench
say() { printf 'bench: %s\n' "$*"; }

tb_require_tools
KVER=$(tb_kver)
export KVER KDIR=/usr/src/linux-headers-$KVER BUILD
mkdir -p "$TB_OUT"
make -s -C "$TB_TOP" module KDIR="$KDIR" selftests
[ -x "$bench" ] || { say "$bench is not built yet (selftests/module/exit_bench.c); nothing to measure"; exit 1; }
[ -r "$TB_TOP/vireo.ko" ] || tb_die "no vireo.ko; make module failed"

# bench_machine MACHINE REFDEV ITER: one boot of that machine running
# exit_bench ITER on vireo, then (after rmmod vireo) on REFDEV, and the
# table of both.  Sets status to 1 on a problem.
bench_machine() {
	local machine=$1 ref=$2 iter=$3 name=bench-$1 nonce results dev s
	nonce=$(tb_nonce)
	# The init's console depends on the machine (tb_init_head).
	local TB_MACHINE=$machine
	{
		tb_init_head
		tb_init_load vireo
		tb_init_run vireo exit_bench /tests/exit_bench "$iter"
		tb_init_unload vireo
		tb_init_load "$ref"
		tb_init_hold "$ref"
		tb_init_run "$ref" exit_bench /tests/exit_bench "$iter"
		tb_init_unload "$ref"
		tb_init_tail "$nonce"
	} >"$TB_OUT/$name.init"
	tb_initrd "$TB_OUT/$name.initrd.gz" "$TB_OUT/$name.init" \
		"$TB_TOP/vireo.ko=/vireo.ko" "$bench=/tests/exit_bench"
	tb_boot "$TB_OUT/$name.initrd.gz" "$TB_OUT/$name.log" "$4"
	results=$TB_OUT/$name.results
	tb_parse "$TB_OUT/$name.log" "$nonce" "$TB_BOOT_STATUS" "$TB_BOOT_SECS" >"$results"
	say "guest machine ran ${TB_BOOT_SECS}s; console log: $TB_OUT/$name.log"

	tb_output "$results" vireo exit_bench >"$TB_OUT/$name.vireo"
	tb_output "$results" "$ref" exit_bench >"$TB_OUT/$name.$ref"
	awk -v ref="$ref" '
	FNR == 1 { file++ }
	NF == 2 && $2 ~ /^[0-9.]+$/ {
		if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
		val[file, $1] = $2
	}
	END {
		printf "%-24s %14s %14s %16s\n", "figure", "vireo", ref, "vireo/" ref
		for (i = 1; i <= n; i++) {
			k = order[i]
			v = ((1, k) in val) ? val[1, k] : "-"
			r = ((2, k) in val) ? val[2, k] : "-"
			ratio = (v != "-" && r != "-" && r + 0 != 0) ? sprintf("%.2f", v / r) : "-"
			printf "%-24s %14s %14s %16s\n", k, v, r, ratio
		}
		if (n == 0)
			print "(exit_bench printed no figures)"
	}' "$TB_OUT/$name.vireo" "$TB_OUT/$name.$ref"

	for dev in vireo "$ref"; do
		s=$(tb_status "$results" "$dev" exit_bench)
		[ "$s" = 0 ] || { say "exit_bench on $dev exited with status $s"; status=1; }
		tb_problems "$results" "$dev" | sed "s/^/bench: problem on $dev: /"
	done
	return 0
}

status=0
say "AMD-V: Debian $KVER in QEMU (TCG, -cpu max), exit_bench on vireo, then on kvm_amd"
bench_machine amd kvm_amd 20000 "$(tb_limit 2)"
if [ "${TB_VMX:-1}" != 0 ]; then
	tb_require_bochs
	echo
	say "VT-x: Debian $KVER in Bochs (corei7_haswell_4770), exit_bench on vireo, then on kvm_intel"
	bench_machine intel kvm_intel 2000 "${TB_VMX_MAX:-1800}"
fi
echo
# Time from `vireo run` to the guest's /init: vireo on vireo.ko, vireo on
# kvm_amd, Debian's QEMU (microvm) on kvm_amd, in one QEMU boot.
"$TB_DIR/bench-boot.sh" || status=1
echo
# virtio-blk and virtio-net throughput (fio, iperf3) beside QEMU's.
"$TB_DIR/bench-virtio.sh" || status=1
exit "$status"
