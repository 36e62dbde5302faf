#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench-boot.sh: how long the stock kernel takes to reach its /init under
# the vireo monitor on vireo.ko, under the same monitor on Debian's
# kvm_amd, and under Debian's QEMU (-M microvm -accel kvm -cpu host) on
# kvm_amd, all in one boot of the AMD-V testbed (QEMU TCG).  QEMU runs
# from the host's root file system, shared read-only into the testbed
# over 9p.  Prints a table of the figures, each the best of BENCH_RUNS
# runs (default 2), with the ratios.  No thresholds: in an emulator the
# figures measure the emulator as much as the hypervisor.
#
#   to_init_s      from starting the monitor (or QEMU) to the guest's
#                  /init printing its first line, by the testbed's clock
#   guest_uptime_s the guest's own /proc/uptime at that moment
#   total_s        from start to the monitor's exit after poweroff -f
#
# The guest: Debian's kernel of the testbed, "console=ttyS0 quiet
# panic=-1", 256 MiB, the busybox initramfs of boot_test.sh, whose /init
# prints one line and powers off.  Logs: build/testbed/bench-boot.log.
# Exits 1 when a run failed or the testbed did not finish, 2 when a tool
# is missing.
set -euo pipefail
. "$(dirname "$0")/testbed-lib.sh"

say() { printf 'bench-boot: %s\n' "$*"; }
runs=${BENCH_RUNS:-2}
# The 9p client in the testbed, in load order.
modules9p="fs/netfs/netfs fs/fscache/fscache net/9p/9pnet drivers/virtio/virtio_ring
	drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
	drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci
	net/9p/9pnet_virtio fs/9p/9p"

tb_require_tools
KVER=$(tb_kver)
export KVER KDIR=/usr/src/linux-headers-$KVER BUILD
mkdir -p "$TB_OUT"
make -s -C "$TB_TOP" module KDIR="$KDIR"
make -s -C "$TB_TOP/userspace-vmm" static >/dev/null
guest=$TB_OUT/bench-boot-guest.cpio.gz
sh "$TB_TOP/selftests/boot/boot_test.sh" --initramfs "$guest" ||
	tb_die "cannot build the guest's initramfs; install busybox-static cpio gzip (make deps)"

files=("$TB_TOP/vireo.ko=/vireo.ko" "$BUILD/vireo-static=/bin/vireo"
	"/boot/vmlinuz-$KVER=/bench/vmlinuz" "$guest=/bench/guest.gz")
for rel in $modules9p; do
	f=$(tb_module_file "$KVER" "$rel") ||
		tb_die "no module $rel in /lib/modules/$KVER; reinstall linux-image-$KVER"
	files+=("$f=/modules9p/$(basename "$rel").ko")
done

# time_boot.sh LABEL CMD...: runs CMD (a monitor with the guest), notes
# when the guest's first /init line passes, and prints one result line.
cat >"$TB_OUT/bench-boot.time" <<'EOF'
#!/bin/sh
set -o pipefail
label=$1
shift
read -r t0 _ < /proc/uptime
"$@" < /dev/null 2>&1 | while IFS= read -r line; do
	case $line in
	*"VIREO-BOOT-TEST up "*)
		read -r t _ < /proc/uptime
		echo "$t ${line##* uptime }" > "/tmp/init.$label" ;;
	esac
done
rc=$?
read -r t1 _ < /proc/uptime
set -- $(cat "/tmp/init.$label" 2>/dev/null) - -
rm -f "/tmp/init.$label"
echo "@@bench $label $rc $t0 $1 $2 $t1"
EOF
files+=("$TB_OUT/bench-boot.time=/bench/time_boot.sh")

cmdline="console=ttyS0 quiet panic=-1 boot_test=bench"
vireo_cmd() {	# vireo_cmd DEVICE
	echo "timeout 90 /bin/vireo run --kernel /bench/vmlinuz --initrd /bench/guest.gz --mem 256M --device $1 --cmdline '$cmdline'"
}
qemu_cmd="timeout 120 chroot /host qemu-system-x86_64 -M microvm -accel kvm -cpu host -m 256 -smp 1 \
-nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot \
-kernel /boot/vmlinuz-$KVER -initrd /tmp/bench-guest.gz -append '$cmdline'"
nonce=$(tb_nonce)
{
	tb_init_head
	cat <<-EOF
	for m in $(for rel in $modules9p; do basename "$rel"; done | tr '\n' ' '); do
		insmod /modules9p/\$m.ko || echo "\$M bench cannot load \$m"
	done
	mkdir -p /host
	mount -t 9p -o trans=virtio,version=9p2000.L,ro hostroot /host || echo "\$M bench cannot mount the host's root"
	mount -t devtmpfs dev /host/dev
	mount -t proc proc /host/proc
	mount -t sysfs sys /host/sys
	mount -t tmpfs tmp /host/tmp
	cp /bench/guest.gz /host/tmp/bench-guest.gz
	EOF
	tb_init_load vireo
	for _ in $(seq "$runs"); do
		echo "sh /bench/time_boot.sh vireo-on-vireo $(vireo_cmd /dev/vireo)"
	done
	tb_init_unload vireo
	tb_init_load kvm_amd
	tb_init_hold kvm_amd
	for _ in $(seq "$runs"); do
		echo "sh /bench/time_boot.sh vireo-on-kvm $(vireo_cmd /dev/kvm)"
		echo "sh /bench/time_boot.sh qemu-on-kvm $qemu_cmd"
	done
	tb_init_unload kvm_amd
	tb_init_tail "$nonce"
} >"$TB_OUT/bench-boot.init"
tb_initrd "$TB_OUT/bench-boot.initrd.gz" "$TB_OUT/bench-boot.init" "${files[@]}"

log=$TB_OUT/bench-boot.log
limit=$((180 + runs * (90 + 90 + 120)))
say "Debian $KVER in QEMU (TCG, -cpu max) with the host's root over 9p; $runs runs each of vireo on vireo.ko, vireo on kvm_amd, QEMU microvm on kvm_amd"
t0=$(date +%s)
rc=0
# tb_boot has no way to add the 9p share, so the testbed is started here
# with the same options plus -virtfs.
timeout -k 10 "$limit" qemu-system-x86_64 -M q35 -cpu max -smp 2 -m 2048 \
	-nographic -no-reboot -nic none -kernel "/boot/vmlinuz-$KVER" \
	-initrd "$TB_OUT/bench-boot.initrd.gz" -append "$TB_APPEND" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	</dev/null >"$log" 2>"$log.qemu-stderr" || rc=$?
say "the emulated machine ran $(($(date +%s) - t0))s (status $rc); console log: $log"

status=0
tr -d '\r' <"$log" | grep -a -q "^$TB_MARK END $nonce" ||
	{ say "the testbed did not finish (no end marker; see $log)"; status=1; }
tr -d '\r' <"$log" | grep -a -E "^$TB_MARK bench " | sed 's/^/bench-boot: problem: /' && status=1
tr -d '\r' <"$log" | awk -v runs="$runs" '
	$1 == "@@bench" {
		label = $2
		if ($3 != 0 || $5 == "-") { bad[label]++; next }
		to_init = $5 - $4; up = $6; total = $7 - $4
		if (!(label in best_init) || to_init < best_init[label]) best_init[label] = to_init
		if (!(label in best_up) || up < best_up[label]) best_up[label] = up
		if (!(label in best_total) || total < best_total[label]) best_total[label] = total
	}
	function v(a, k) { return (k in a) ? sprintf("%.2f", a[k]) : "-" }
	function ratio(a, x, y) { return ((x in a) && (y in a) && a[y] > 0) ? sprintf("%.2f", a[x] / a[y]) : "-" }
	function row(name, a) {
		printf "%-18s %14s %14s %14s %12s %12s\n", name, v(a, "vireo-on-vireo"),
			v(a, "vireo-on-kvm"), v(a, "qemu-on-kvm"),
			ratio(a, "vireo-on-vireo", "vireo-on-kvm"), ratio(a, "vireo-on-vireo", "qemu-on-kvm")
	}
	END {
		printf "%-18s %14s %14s %14s %12s %12s\n", "figure (best of " runs ")", "vireo-on-vireo",
			"vireo-on-kvm", "qemu-on-kvm", "vireo/kvm", "vireo/qemu"
		row("to_init_s", best_init)
		row("guest_uptime_s", best_up)
		row("total_s", best_total)
		for (l in bad)
			printf "bench-boot: %d run(s) of %s failed (status or no /init line)\n", bad[l], l
	}'
nbad=$(tr -d '\r' <"$log" | awk '$1 == "@@bench" && ($3 != 0 || $5 == "-")' | wc -l)
[ "$nbad" = 0 ] || status=1
exit "$status"
