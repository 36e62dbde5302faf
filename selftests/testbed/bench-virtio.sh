#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench-virtio.sh: virtio-blk and virtio-net throughput of the nested
# guest, in one boot of the AMD-V testbed (QEMU TCG): the vireo monitor
# on vireo.ko, the same monitor on Debian's kvm_amd, and Debian's QEMU
# (-M q35 -accel kvm -cpu host, virtio-blk-pci and virtio-net-pci) on
# kvm_amd.  Each guest boots Debian's kernel, loads its virtio modules,
# switches its root to /dev/vda (an ext4 image holding busybox and
# Debian's fio and iperf3 with their libraries, given read-only) and runs
# selftests/virtio/bench_guest.sh: fio on /dev/vdb (a 64 MiB image in the
# testbed's tmpfs; O_DIRECT, psync; sequential 1 MiB and random 4 KiB
# reads and writes) and iperf3 both ways against a server on the
# testbed's TAP device.  QEMU and iperf3's server run from the host's
# root, shared read-only into the testbed over 9p (as bench-boot.sh does).
# Prints a table with the ratio vireo/QEMU.  A figure the monitor cannot
# give yet (no --disk, no --net) is "-".  No thresholds.
# Environment: BENCH_SECS (each fio and iperf3 run, default 5).
# Log: $TB_OUT/bench-virtio.log.  Exits 1 when a run failed, 2 when a
# tool is missing.
set -euo pipefail
. "$(dirname "$0")/testbed-lib.sh"
. "$(dirname "$0")/virtio-lib.sh"

say() { printf 'bench-virtio: %s\n' "$*"; }
secs=${BENCH_SECS:-5}
# The 9p client in the testbed, in load order (see bench-boot.sh).
modules9p="fs/netfs/netfs fs/fscache/fscache net/9p/9pnet drivers/virtio/virtio_ring
	drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
	drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci
	net/9p/9pnet_virtio fs/9p/9p drivers/net/tun"

# run_one.sh WHO DEVICE: one guest (WHO is vireo or qemu) with the root
# image, the bench disk and, when possible, a network card on vt0;
# prints the guest's @@bench lines.  Runs in the testbed.
write_run_one() {
	cat <<-'EOF'
	#!/bin/sh
	who=$1 dev=$2
	root=/host/tmp/vt-bench/root.img disk=/host/tmp/vt-bench/disk.img
	# report LOG: the figures, or the guest's last lines when it did not finish.
	report() {
		tr -d '\r' <"$1" | grep -a -E '^@@bench|^vireo:'
		grep -q '^@@bench-done' "$1" || tr -d '\r' <"$1" | tail -n 8 | sed 's/^/@@bench-error guest: /'
	}
	cmd="console=ttyS0 quiet panic=-1 virtio_test=bench bench_secs=$BENCH_SECS"
	if [ "$who" = qemu ]; then
		timeout 600 chroot /host qemu-system-x86_64 -M q35 -accel kvm -cpu host -m 512 \
			-nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot \
			-kernel "/boot/vmlinuz-$KVER" -initrd /tmp/vt-bench/guest.gz \
			-append "$cmd bench_net=1" \
			-drive file=/tmp/vt-bench/root.img,if=none,id=d0,format=raw,readonly=on \
			-device virtio-blk-pci,drive=d0 \
			-drive file=/tmp/vt-bench/disk.img,if=none,id=d1,format=raw \
			-device virtio-blk-pci,drive=d1 \
			-netdev tap,id=n0,ifname=vt0,script=no,downscript=no -device virtio-net-pci,netdev=n0 \
			</dev/null >/tmp/bench-qemu.out 2>&1
		report /tmp/bench-qemu.out
		exit 0
	fi
	help=$(/bin/vireo run --help 2>&1)
	case $help in *--disk*) ;; *) echo "@@bench-error the monitor has no --disk yet"; exit 0 ;; esac
	net=
	case $help in *--net*) net="--net tap=vt0" cmd="$cmd bench_net=1" ;; esac
	timeout 600 /bin/vireo run --kernel /bench/vmlinuz --initrd /bench/guest.gz --mem 512M \
		--device "$dev" --cmdline "$cmd" --disk "$root,ro" --disk "$disk" $net \
		</dev/null >"/tmp/bench-vireo.out" 2>&1
	report /tmp/bench-vireo.out
	EOF
}

tb_require_tools
vt_require_tools
command -v fio >/dev/null && command -v iperf3 >/dev/null ||
	tb_die "missing tools: install fio iperf3 (apt-get install fio iperf3, or make deps)"
KVER=$(tb_kver)
export KVER KDIR=/usr/src/linux-headers-$KVER BUILD
mkdir -p "$TB_OUT" "$TB_CACHE"
make -s -C "$TB_TOP" module KDIR="$KDIR"
make -s -C "$TB_TOP/userspace-vmm" static >/dev/null

# The guest: its initramfs, and a root image with fio and iperf3.
guest=$(vt_guest_initrd "$KVER" "$TB_CACHE/virtio-guest.cpio.gz")
stage=$(mktemp -d "${TMPDIR:-/tmp}/vt-bench-root.XXXXXX")
mkdir -p "$stage/bench"
install -m 755 "$VT_SRC/bench_guest.sh" "$stage/bench/run.sh"
vt_root_image "$stage" "$TB_OUT/bench-virtio-root.img" 160M fio iperf3 >/dev/null
rm -rf "$stage"
write_run_one >"$TB_OUT/bench-virtio.run_one"

files=("$TB_TOP/vireo.ko=/vireo.ko" "$BUILD/vireo-static=/bin/vireo"
	"/boot/vmlinuz-$KVER=/bench/vmlinuz" "$guest=/bench/guest.gz"
	"$TB_OUT/bench-virtio.run_one=/bench/run_one.sh")
for rel in $modules9p; do
	f=$(tb_module_file "$KVER" "$rel") ||
		tb_die "no module $rel in /lib/modules/$KVER; reinstall linux-image-$KVER"
	files+=("$f=/modules9p/$(basename "$rel").ko")
done

nonce=$(tb_nonce)
{
	tb_init_head
	cat <<-EOF
	export KVER=$KVER BENCH_SECS=$secs
	for m in $(for rel in $modules9p; do basename "$rel"; done | tr '\n' ' '); do
		insmod /modules9p/\$m.ko || echo "\$M bench cannot load \$m"
	done
	mkdir -p /host
	mount -t 9p -o trans=virtio,version=9p2000.L,ro hostroot /host || echo "\$M bench cannot mount the host's root"
	# The root image before the tmpfs hides the host's /tmp.
	cp /host$TB_OUT/bench-virtio-root.img /tmp/root.img || echo "\$M bench cannot copy the root image"
	mount -t devtmpfs dev /host/dev
	mount -t proc proc /host/proc
	mount -t sysfs sys /host/sys
	mount -t tmpfs tmp /host/tmp
	mkdir -p /host/tmp/vt-bench
	cp /bench/guest.gz /host/tmp/vt-bench/guest.gz
	mv /tmp/root.img /host/tmp/vt-bench/root.img
	dd if=/dev/zero of=/host/tmp/vt-bench/disk.img bs=1M count=64 2>/dev/null
	tunctl -t vt0 >/dev/null && ip link set vt0 up && ip addr add 10.0.2.1/24 dev vt0
	ip link set lo up
	chroot /host iperf3 -s -D -B 10.0.2.1
	EOF
	tb_init_load vireo
	tb_init_run vireo bench sh /bench/run_one.sh vireo /dev/vireo
	tb_init_unload vireo
	tb_init_load kvm_amd
	tb_init_hold kvm_amd
	tb_init_run kvm_amd bench sh /bench/run_one.sh vireo /dev/kvm
	tb_init_run kvm_amd qemu sh /bench/run_one.sh qemu /dev/kvm
	tb_init_unload kvm_amd
	tb_init_tail "$nonce"
} >"$TB_OUT/bench-virtio.init"
tb_initrd "$TB_OUT/bench-virtio.initrd.gz" "$TB_OUT/bench-virtio.init" "${files[@]}"

log=$TB_OUT/bench-virtio.log
limit=$((300 + 3 * (120 + 6 * secs * 4)))
say "Debian $KVER in QEMU (TCG, -cpu max), host root over 9p; fio and iperf3 in the nested guest: vireo on vireo.ko, vireo on kvm_amd, QEMU q35 on kvm_amd"
t0=$(date +%s)
rc=0
# tb_boot has no way to add the 9p share: the same options plus -virtfs.
timeout -k 10 "$limit" qemu-system-x86_64 -M q35 -cpu max -smp 2 -m 2048 \
	-nographic -no-reboot -nic none -kernel "/boot/vmlinuz-$KVER" \
	-initrd "$TB_OUT/bench-virtio.initrd.gz" -append "$TB_APPEND" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	</dev/null >"$log" 2>"$log.qemu-stderr" || rc=$?
say "the emulated machine ran $(($(date +%s) - t0))s (status $rc); console log: $log"

results=$TB_OUT/bench-virtio.results
tb_parse "$log" "$nonce" "done" 0 >"$results"
status=0
tr -d '\r' <"$log" | grep -a -q "^$TB_MARK END $nonce" ||
	{ say "the testbed did not finish (no end marker; see $log)"; status=1; }
for run in "vireo bench" "kvm_amd bench" "kvm_amd qemu"; do
	# shellcheck disable=SC2086 # two words
	tb_output "$results" $run | sed -n 's/^@@bench //p' >"$TB_OUT/bench-virtio.${run// /-}"
	tb_output "$results" $run | grep -a -E '^@@bench-error|^vireo:' |
		sed "s/^/bench-virtio: ${run% *} ${run#* }: /" || true
done
awk '
	FNR == 1 { file++ }
	NF == 2 { if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } val[file, $1] = $2 }
	function v(f, k) { return ((f, k) in val) ? val[f, k] : "-" }
	END {
		printf "%-24s %14s %14s %14s %12s\n", "figure", "vireo-on-vireo", "vireo-on-kvm", "qemu-on-kvm", "vireo/qemu"
		for (i = 1; i <= n; i++) {
			k = order[i]
			r = (v(1, k) != "-" && v(3, k) != "-" && v(3, k) + 0 > 0) ? sprintf("%.2f", v(1, k) / v(3, k)) : "-"
			printf "%-24s %14s %14s %14s %12s\n", k, v(1, k), v(2, k), v(3, k), r
		}
		if (n == 0)
			print "(no figures)"
	}' "$TB_OUT/bench-virtio.vireo-bench" "$TB_OUT/bench-virtio.kvm_amd-bench" "$TB_OUT/bench-virtio.kvm_amd-qemu"
[ -s "$TB_OUT/bench-virtio.kvm_amd-qemu" ] || { say "QEMU gave no figures"; status=1; }
exit "$status"
