#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh: make demo.  Boots Debian's stock kernel to a busybox shell with
# the vireo monitor on vireo.ko and types a few commands into the guest's
# serial console (uname, /proc/cpuinfo, the interrupts, poweroff -f),
# showing everything it prints.  Before that, the first guest of the
# module alone, build/selftests/demo_guest, when it is built.
#
# On a host whose CPU has VT-x or AMD-V and whose kernel loads modules,
# this runs right here (as root), with the host's kernel as the guest's;
# when stdin is a terminal the shell is yours (end it with poweroff -f).
# Anywhere else it boots the AMD-V testbed (QEMU TCG, about a minute and
# a half) and does it there, with the testbed's kernel.
set -euo pipefail
. "$(dirname "$0")/testbed-lib.sh"
. "$(dirname "$0")/virtio-lib.sh"

demo=$BUILD/selftests/demo_guest
say() { printf 'demo: %s\n' "$*"; }
# What is typed into the guest's shell; the last one ends it.
commands=("uname -a" "head -n 8 /proc/cpuinfo" "cat /proc/interrupts"
	'dmesg | grep -E "ACPI: (RSDP|FACP|APIC)|PIC mode"' "poweroff -f")
guest=$TB_OUT/demo-guest.cpio.gz

mkdir -p "$TB_OUT"
sh "$TB_TOP/selftests/boot/boot_test.sh" --initramfs "$guest" ||
	tb_die "cannot build the guest's initramfs; install busybox-static cpio gzip (make deps)"

if grep -q -w -E 'vmx|svm' /proc/cpuinfo && [ -e /proc/modules ]; then
	say "this CPU has $(grep -o -w -m1 -E 'vmx|svm' /proc/cpuinfo): running on the host"
	[ "$(id -u)" -eq 0 ] || tb_die "loading vireo.ko needs root: run sudo make demo"
	kernel=/boot/vmlinuz-$(uname -r)
	[ -r "$kernel" ] || tb_die "cannot read $kernel; install the kernel image of $(uname -r)"
	make -s -C "$TB_TOP" module
	make -s -C "$TB_TOP/userspace-vmm"
	make -s -C "$TB_TOP" selftests || true
	if grep -q -E '^kvm_(amd|intel) ' /proc/modules; then
		say "note: kvm is loaded and may hold the CPU's virtualization; rmmod kvm_amd (or kvm_intel) if insmod fails"
	fi
	insmod "$TB_TOP/vireo.ko"
	trap 'rmmod vireo 2>/dev/null || true' EXIT
	status=0
	if [ -x "$demo" ]; then
		VIREO_DEVICE=/dev/vireo "$demo" || status=$?
		say "demo_guest exited with status $status"
	fi
	if [ -t 0 ]; then
		say "booting $kernel to a busybox shell; type commands, end with poweroff -f"
		"$BUILD/vireo" run --kernel "$kernel" --initrd "$guest" --mem 256M \
			--cmdline "console=ttyS0 quiet boot_test=shell" || status=$?
	else
		"$TB_TOP/selftests/boot/shell_demo.sh" "$BUILD/vireo" "$kernel" "$guest" \
			/dev/vireo "${commands[@]}" || status=$?
	fi
	say "the monitor exited with status $status; vireo unloaded"
	exit "$status"
fi

say "this CPU has no VT-x or AMD-V (or no module loading): using the emulated AMD-V machine"
tb_require_tools
KVER=$(tb_kver)
export KVER KDIR=/usr/src/linux-headers-$KVER BUILD
make -s -C "$TB_TOP" module KDIR="$KDIR"
make -s -C "$TB_TOP/userspace-vmm" static >/dev/null
make -s -C "$TB_TOP" selftests || say "make selftests failed: no demo_guest this time"

files=("$TB_TOP/vireo.ko=/vireo.ko" "$BUILD/vireo-static=/bin/vireo"
	"$TB_TOP/selftests/boot/shell_demo.sh=/demo/shell_demo.sh"
	"/boot/vmlinuz-$KVER=/demo/vmlinuz" "$guest=/demo/guest.gz")

# virtio_demo_init: when the monitor has --disk, a second guest whose
# initramfs loads Debian's virtio modules and switches its root to an
# ext4 image on /dev/vda, with the entropy source and, when the monitor
# has --net, a network card on the testbed's TAP device vt0 (10.0.2.1);
# prints the testbed's /init lines for it and adds its files.
virtio_demo_init() {
	local help opts cmds stage
	help=$("$BUILD/vireo-static" run --help 2>&1 || true)
	[[ $help == *--disk* ]] || { echo "echo 'demo: the monitor has no --disk yet: no virtio demo'"; return 0; }
	vt_require_tools
	stage=$(mktemp -d "${TMPDIR:-/tmp}/vt-demo-root.XXXXXX")
	echo "a file on the ext4 root on /dev/vda" >"$stage/hello.txt"
	vt_root_image "$stage" "$TB_OUT/demo-root.img" 32M
	rm -rf "$stage"
	files+=("$(vt_guest_initrd "$KVER" "$TB_CACHE/virtio-guest.cpio.gz")=/demo/virtio-guest.gz"
		"$TB_OUT/demo-root.img=/demo/root.img")
	opts="--disk /demo/root.img"
	cmds=("cat /proc/mounts | grep vda" "cat /hello.txt" "df /"
		"echo written in the guest >/new.txt; sync; ls -l /new.txt")
	[[ $help != *--rng* ]] || { opts="$opts --rng"; cmds+=("cat /sys/class/misc/hw_random/rng_current"); }
	if [[ $help == *--net* ]]; then
		files+=("$(tb_module_file "$KVER" drivers/net/tun)=/demo/tun.ko")
		echo "insmod /demo/tun.ko && tunctl -t vt0 >/dev/null && ip link set vt0 up && ip addr add 10.0.2.1/24 dev vt0"
		opts="$opts --net tap=vt0"
		cmds+=("ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0; ip addr show eth0"
			"ping -c 3 10.0.2.1")
	fi
	cmds+=("poweroff -f")
	printf "tb_run vireo virtio_demo env DEMO_CMDLINE='console=ttyS0 quiet panic=-1 virtio_test=shell' DEMO_READY='VIREO-VIRTIO shell on' DEMO_OPTS='%s' " "$opts"
	printf 'sh /demo/shell_demo.sh /bin/vireo /demo/vmlinuz /demo/virtio-guest.gz /dev/vireo'
	printf " '%s'" "${cmds[@]}"	# none has a single quote
	echo
}

nonce=$(tb_nonce)
{
	tb_init_head
	tb_init_load vireo
	if [ -x "$demo" ]; then
		files+=("$demo=/tests/demo_guest")
		tb_init_run vireo demo_guest /tests/demo_guest
	fi
	printf 'tb_run vireo shell_demo sh /demo/shell_demo.sh /bin/vireo /demo/vmlinuz /demo/guest.gz /dev/vireo'
	printf " '%s'" "${commands[@]}"	# none has a single quote
	echo
	virtio_demo_init
	tb_init_unload vireo
	tb_init_tail "$nonce"
} >"$TB_OUT/demo.init"
tb_initrd "$TB_OUT/demo.initrd.gz" "$TB_OUT/demo.init" "${files[@]}"

say "booting Debian $KVER in QEMU (TCG, -cpu max), insmod vireo.ko, then the monitor runs the same kernel inside"
log=$TB_OUT/demo.log
# Show the guest's console as it comes: the lines of the programs only.
# tail is the job (so that killing it ends the viewer); the shell's
# cursor-position queries are dropped.
: >"$log"
tail -F -n +1 --pid=$$ "$log" 2>/dev/null > >(awk -v M="$TB_MARK" '
	{ gsub(/\r/, ""); gsub(/\033\[6n/, "") }
	index($0, M " begin ") == 1 { split($0, w, " "); print "--- " w[4] " ---"; on = 1; fflush(); next }
	index($0, M " end ") == 1 { split($0, w, " "); print "--- " w[4] ": exit status " w[5] ", " w[6] "s ---"; on = 0; fflush(); next }
	on { print; fflush() }') &
viewer=$!
tb_boot "$TB_OUT/demo.initrd.gz" "$log" "$(tb_limit 2)"
sleep 1
kill "$viewer" 2>/dev/null || true
wait "$viewer" 2>/dev/null || true
results=$TB_OUT/demo.results
tb_parse "$log" "$nonce" "$TB_BOOT_STATUS" "$TB_BOOT_SECS" >"$results"
status=$(tb_status "$results" vireo shell_demo)
problems=$(tb_problems "$results" vireo)
say "the monitor's exit status: $status; demo_guest: $(tb_status "$results" vireo demo_guest); rmmod vireo: $(awk -F '\t' '$1 == "T" && $3 == "module_unload" { print $4 }' "$results")"
say "the emulated machine ran ${TB_BOOT_SECS}s; console log: $log"
if [ -n "$problems" ]; then
	echo "$problems" | sed 's/^/demo: problem: /'
	exit 1
fi
# The virtio guest's monitor status, when it ran ("none" when not).
vstatus=$(tb_status "$results" vireo virtio_demo)
[ "$vstatus" = none ] || say "the virtio guest's monitor exit status: $vstatus"
[ "$status" = 0 ] && { [ "$vstatus" = none ] || [ "$vstatus" = 0 ]; }
