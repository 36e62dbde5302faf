#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench.sh: make bench.  Boots the AMD-V testbed once and runs
# build/selftests/exit_bench first on vireo.ko, then (after rmmod vireo) on
# Debian's kvm_amd in the same boot, and prints each figure it reports
# ("name value" lines, e.g. cpuid_exit_ns) side by side with the ratio
# vireo/kvm_amd.  No thresholds: under TCG the figures measure the
# emulator as much as the hypervisor; compare them with each other only.
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

nonce=$(tb_nonce)
{
	tb_init_head
	tb_init_load vireo
	tb_init_run vireo exit_bench /tests/exit_bench
	tb_init_unload vireo
	tb_init_load kvm_amd
	tb_init_run kvm_amd exit_bench /tests/exit_bench
	tb_init_unload kvm_amd
	tb_init_tail "$nonce"
} >"$TB_OUT/bench.init"
tb_initrd "$TB_OUT/bench.initrd.gz" "$TB_OUT/bench.init" \
	"$TB_TOP/vireo.ko=/vireo.ko" "$bench=/tests/exit_bench"
say "booting Debian $KVER in QEMU (TCG, -cpu max): exit_bench on vireo, then on kvm_amd"
tb_boot "$TB_OUT/bench.initrd.gz" "$TB_OUT/bench.log" "$(tb_limit 2)"
results=$TB_OUT/bench.results
tb_parse "$TB_OUT/bench.log" "$nonce" "$TB_BOOT_STATUS" "$TB_BOOT_SECS" >"$results"
say "guest machine ran ${TB_BOOT_SECS}s; console log: $TB_OUT/bench.log"

tb_output "$results" vireo exit_bench >"$TB_OUT/bench.vireo"
tb_output "$results" kvm_amd exit_bench >"$TB_OUT/bench.kvm_amd"
awk '
FNR == 1 { file++ }
NF == 2 && $2 ~ /^[0-9.]+$/ {
	if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
	val[file, $1] = $2
}
END {
	printf "%-24s %14s %14s %16s\n", "figure", "vireo", "kvm_amd", "vireo/kvm_amd"
	for (i = 1; i <= n; i++) {
		k = order[i]
		v = ((1, k) in val) ? val[1, k] : "-"
		r = ((2, k) in val) ? val[2, k] : "-"
		ratio = (v != "-" && r != "-" && r + 0 != 0) ? sprintf("%.2f", v / r) : "-"
		printf "%-24s %14s %14s %16s\n", k, v, r, ratio
	}
	if (n == 0)
		print "(exit_bench printed no figures)"
}' "$TB_OUT/bench.vireo" "$TB_OUT/bench.kvm_amd"

status=0
for dev in vireo kvm_amd; do
	s=$(tb_status "$results" "$dev" exit_bench)
	[ "$s" = 0 ] || { say "exit_bench on $dev exited with status $s"; status=1; }
	tb_problems "$results" "$dev" | sed "s/^/bench: problem on $dev: /"
done
exit "$status"
