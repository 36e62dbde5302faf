#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Boots a stock Linux kernel with the vireo monitor and checks what the
# guest prints and how the monitor ends: ACPI power-off after a few
# commands, reboot through the ACPI reset register and through the i8042,
# a command typed into the guest shell followed by a reboot through port
# 0xcf9, the same kernel as a PVH vmlinux, a triple fault, and the
# one-line errors for bad input.  Prints TAP 13.  POSIX sh: it runs under
# busybox inside the testbed.
#
#   boot_test.sh VIREO KERNEL DEVICE [WORKDIR]
#   boot_test.sh --initramfs OUT      (only build the guest's initramfs)
#
# VIREO is the monitor binary, KERNEL a bzImage, DEVICE /dev/vireo or
# /dev/kvm.  Environment:
#   BOOT_INITRD   the guest initramfs (default: built in WORKDIR with
#                 BUSYBOX, a static busybox, default /bin/busybox, and
#                 cpio and gzip)
#   BOOT_PVH      a PVH vmlinux of the same kernel; without it that case
#                 is skipped, with BOOT_PVH_WHY as the reason
#   BOOT_TIMEOUT  seconds each guest run may take (default 180)
#   BOOT_MEM      guest memory (default 256M)
#   BOOT_ONLY     run only these cases (names separated by spaces, out of
#                 poweroff reboot reboot-kbd shell pvh triple usage);
#                 default all.  The plan then comes last.
# WORKDIR defaults to a fresh directory in /tmp; the logs stay there.

set -u
trap '' PIPE	# a guest that ended early must not take the script with it

MARK="VIREO-BOOT-TEST"

# The guest's /init: a marker, then what boot_test= on the command line
# asks for (poweroff by default, reboot, shell: a busybox shell on the
# console, which shell_demo.sh types into, or bench: power off at once,
# for bench-boot.sh).  The poweroff run prints what the checks look at:
# the kernel, a computed value, the interrupt controller Linux chose.
write_init() {
	cat > "$1" <<'EOI'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
echo "VIREO-BOOT-TEST up $(uname -r) uptime $(cut -d ' ' -f 1 /proc/uptime)"
case "$(cat /proc/cmdline)" in
*boot_test=bench*)
	poweroff -f ;;
*boot_test=reboot*)
	echo "VIREO-BOOT-TEST rebooting"
	reboot -f ;;
*boot_test=shell*)
	echo "VIREO-BOOT-TEST shell"
	exec sh ;;
esac
uname -a
echo "VIREO-BOOT-TEST calc $((6 * 7))"
grep -m 1 'model name' /proc/cpuinfo
grep -E '^ *[0-9]+:' /proc/interrupts | sed 's/^/VIREO-BOOT-TEST irq /'
dmesg | grep -E 'ACPI: (RSDP|XSDT|FACP|DSDT|APIC)|APIC|PIC mode|8259|ELCR|SCI|PM-Timer|clocksource: Switched' |
	sed 's/^/VIREO-BOOT-TEST dmesg /'
echo "VIREO-BOOT-TEST powering off"
poweroff -f
EOI
	chmod +x "$1"
}

# build_initramfs OUT: a newc archive with a static busybox and /init.
build_initramfs() {
	out=$1
	bb=${BUSYBOX:-/bin/busybox}
	[ -x "$bb" ] || return 1
	root=$(mktemp -d "${TMPDIR:-/tmp}/vireo-initramfs.XXXXXX") || return 1
	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" || return 1
	cp "$bb" "$root/bin/busybox" || return 1
	# Every applet, for the shell of shell_demo.sh (make demo).
	for a in $("$bb" --list) sh mount cat cut echo grep sed dmesg uname poweroff reboot; do
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
	write_init "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp" &&
		mv "$out.tmp" "$out"
	r=$?
	rm -rf "$root"
	return $r
}

if [ "${1:-}" = --initramfs ]; then
	build_initramfs "${2:?usage: boot_test.sh --initramfs OUT}" || {
		echo "boot_test.sh: cannot build the initramfs (needs a static busybox at ${BUSYBOX:-/bin/busybox}, cpio, gzip)" >&2
		exit 2
	}
	exit 0
fi

VIREO=${1:?usage: boot_test.sh VIREO KERNEL DEVICE [WORKDIR]}
KERNEL=${2:?usage: boot_test.sh VIREO KERNEL DEVICE [WORKDIR]}
DEVICE=${3:?usage: boot_test.sh VIREO KERNEL DEVICE [WORKDIR]}
WORK=${4:-$(mktemp -d /tmp/vireo-boot.XXXXXX)}
TIMEOUT=${BOOT_TIMEOUT:-180}
MEM=${BOOT_MEM:-256M}
CMDLINE="console=ttyS0 quiet panic=-1"

n=0
failed=0

# tap OK|FAIL|SKIP DESCRIPTION: the description is the same on every
# device, so results of two devices can be put side by side; anything
# variable goes on "#" lines printed before the result.
tap() {
	n=$((n + 1))
	case $1 in
	OK) echo "ok $n - $2" ;;
	SKIP) echo "ok $n - $2 # SKIP" ;;
	*) echo "not ok $n - $2"; failed=$((failed + 1)) ;;
	esac
}

diag_tail() {	# the end of a log as TAP diagnostics
	tail -n "${2:-6}" "$1" 2>/dev/null | tr -d '\r' | sed 's/^/# /'
}

# run_guest NAME KERNEL MODE EXTRA_CMDLINE [INPUT]: the monitor's status
# in $rc, output in $WORK/NAME.out, its stderr in $WORK/NAME.err, seconds
# in $secs.  INPUT is typed into the console (through a FIFO that stays
# open) once the guest's shell is up; the UART holds what the guest has
# not read yet.
run_guest() {
	name=$1 kernel=$2 mode=$3 extra=$4 input=${5:-}
	start=$(date +%s)
	rm -f "$WORK/console"
	mkfifo "$WORK/console" || return 1
	timeout "$TIMEOUT" "$VIREO" run --kernel "$kernel" \
		--initrd "$INITRD" --mem "$MEM" --device "$DEVICE" \
		--cmdline "$CMDLINE boot_test=$mode $extra" \
		< "$WORK/console" > "$WORK/$name.out" 2> "$WORK/$name.err" &
	pid=$!
	exec 3> "$WORK/console"
	if [ -n "$input" ]; then
		waited=0
		while ! grep -q "$MARK shell" "$WORK/$name.out" 2>/dev/null &&
		      kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$TIMEOUT" ]; do
			sleep 1
			waited=$((waited + 1))
		done
		sleep "${SHELL_DELAY:-2}"
		printf '%s\n' "$input" >&3 2>/dev/null
	fi
	wait "$pid"
	rc=$?
	exec 3>&-
	secs=$(( $(date +%s) - start ))
}

# check_guest NAME DESCRIPTION STDERR_PATTERN OUTPUT_PATTERN...: status 0,
# the monitor's last stderr line matching STDERR_PATTERN, and every
# OUTPUT_PATTERN (grep -E) in the guest's output.
check_guest() {
	name=$1 desc=$2 how=$3
	shift 3
	missing=
	for p in "$@"; do
		grep -q -E "$p" "$WORK/$name.out" || missing="$missing '$p'"
	done
	if [ "$rc" = 124 ]; then
		echo "# $DEVICE: timed out after ${TIMEOUT}s; the guest's last lines:"
		diag_tail "$WORK/$name.out"
		tap FAIL "$desc"
	elif [ -n "$missing" ]; then
		echo "# $DEVICE: status $rc; not in the guest's output:$missing"
		diag_tail "$WORK/$name.out" 4
		diag_tail "$WORK/$name.err" 2
		tap FAIL "$desc"
	elif [ "$rc" != 0 ]; then
		echo "# $DEVICE: status $rc, expected 0"
		diag_tail "$WORK/$name.err" 5
		tap FAIL "$desc"
	elif ! tail -n 1 "$WORK/$name.err" | grep -q -E "$how"; then
		echo "# $DEVICE: the monitor's last line is not /$how/"
		diag_tail "$WORK/$name.err" 5
		tap FAIL "$desc"
	else
		echo "# $DEVICE: ${secs}s, $(tail -n 1 "$WORK/$name.err" | tr -d '\r')"
		tap OK "$desc"
	fi
}

# expect_usage NAME ARGS...: status 2 and exactly one line on stderr.
expect_usage() {
	name=$1
	shift
	"$VIREO" "$@" < /dev/null > "$WORK/$name.out" 2> "$WORK/$name.err"
	rc=$?
	lines=$(wc -l < "$WORK/$name.err")
	if [ "$rc" = 2 ] && [ "$lines" = 1 ]; then
		echo "# $(cat "$WORK/$name.err")"
		tap OK "$name: one line, status 2"
	else
		echo "# status $rc and $lines lines on stderr, expected 2 and 1"
		diag_tail "$WORK/$name.err" 5
		tap FAIL "$name: one line, status 2"
	fi
}

# A bzImage whose 64-bit entry is UD2 with no IDT: #UD, #NP, #DF, then a
# triple fault.
build_triple_fault_image() {
	img=$WORK/triple-fault.bzImage
	dd if=/dev/zero of="$img" bs=4096 count=2 2>/dev/null || return 1
	put() { printf "$2" | dd of="$img" bs=1 seek=$(($1)) conv=notrunc 2>/dev/null; }
	put 0x1f1 '\004'			# setup_sects: payload at 0xa00
	put 0x1fe '\125\252'			# boot flag 0xaa55
	put 0x201 '\152'			# header ends at 0x26c
	put 0x202 'HdrS'
	put 0x206 '\017\002'			# protocol 2.15
	put 0x22c '\377\377\377\177'		# initrd_addr_max
	put 0x236 '\003\000'			# XLF_KERNEL_64
	put 0x238 '\377\007\000\000'		# cmdline_size
	put 0x260 '\000\000\020\000'		# init_size: 1 MiB
	put 0xc00 '\017\013'			# entry64 (payload + 0x200): ud2
}

POWERED_OFF="powered off through ACPI sleep state S5"
RESET_CF9="reset the machine through port 0xcf9"
RESET_KBC="reset the machine through the i8042"
UP="$MARK up "

# want CASE: whether BOOT_ONLY lets CASE run.
want() {
	[ -z "${BOOT_ONLY:-}" ] && return 0
	case " $BOOT_ONLY " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

echo "TAP version 13"
# A misspelt case name would otherwise run nothing and pass.
for c in ${BOOT_ONLY:-}; do
	case " poweroff reboot reboot-kbd shell pvh triple usage " in
	*" $c "*) ;;
	*) echo "Bail out! BOOT_ONLY: no case '$c' (poweroff reboot reboot-kbd shell pvh triple usage)"; exit 1 ;;
	esac
done
[ -n "${BOOT_ONLY:-}" ] || echo "1..15"
mkdir -p "$WORK"
INITRD=${BOOT_INITRD:-$WORK/initramfs.gz}
if [ -z "${BOOT_INITRD:-}" ] && ! build_initramfs "$INITRD"; then
	echo "Bail out! cannot build the guest initramfs (needs a static busybox at ${BUSYBOX:-/bin/busybox}, cpio, gzip)"
	exit 1
fi

if want poweroff; then
	run_guest poweroff "$KERNEL" poweroff ""
	check_guest poweroff "bzImage: boot, run commands, ACPI power-off" \
		"$POWERED_OFF" "$UP" "$MARK calc 42" "$MARK irq +0: .*XT-PIC.*timer" \
		"$MARK powering off" "reboot: Power down"
fi

if want reboot; then
	run_guest reboot "$KERNEL" reboot ""
	check_guest reboot "bzImage: reboot through the ACPI reset register ends the monitor" \
		"$RESET_CF9" "$UP" "$MARK rebooting" "reboot: Restarting system"
fi

if want reboot-kbd; then
	run_guest reboot-kbd "$KERNEL" reboot "reboot=kbd"
	check_guest reboot-kbd "bzImage: reboot=kbd through the i8042 ends the monitor" \
		"$RESET_KBC" "$UP" "$MARK rebooting"
fi

if want shell; then
	run_guest shell "$KERNEL" shell "reboot=pci" "echo VIREO-SHELL-\$((6*7)); reboot -f"
	check_guest shell "bzImage: a command typed into the guest shell, then reboot=pci through 0xcf9" \
		"$RESET_CF9" "VIREO-SHELL-42"
fi

if ! want pvh; then
	:
elif [ -n "${BOOT_PVH:-}" ] && [ -r "${BOOT_PVH:-}" ]; then
	run_guest pvh "$BOOT_PVH" poweroff ""
	check_guest pvh "PVH vmlinux: boot, run commands, ACPI power-off" \
		"$POWERED_OFF" "$UP" "$MARK calc 42" "$MARK powering off" \
		"reboot: Power down"
else
	echo "# ${BOOT_PVH_WHY:-no BOOT_PVH given}"
	tap SKIP "PVH vmlinux: boot, run commands, ACPI power-off"
fi

if ! want triple; then
	:
elif build_triple_fault_image; then
	timeout "$TIMEOUT" "$VIREO" run --kernel "$WORK/triple-fault.bzImage" \
		--device "$DEVICE" --mem 64M < /dev/null \
		> "$WORK/triple.out" 2> "$WORK/triple.err"
	rc=$?
	if [ "$rc" = 1 ] && grep -q "SHUTDOWN exit.*RIP" "$WORK/triple.err"; then
		echo "# $DEVICE: $(tail -n 1 "$WORK/triple.err")"
		tap OK "a triple fault: status 1, a line naming the exit and RIP"
	else
		echo "# $DEVICE: status $rc, expected 1 and a line naming the exit and RIP"
		diag_tail "$WORK/triple.err" 5
		tap FAIL "a triple fault: status 1, a line naming the exit and RIP"
	fi
else
	echo "# cannot build the test image in $WORK"
	tap FAIL "a triple fault: status 1, a line naming the exit and RIP"
fi

if want usage; then
	expect_usage "bad option" run --kernel "$KERNEL" --no-such-option
	expect_usage "no command"
	expect_usage "missing kernel" run --kernel "$WORK/no-such-kernel" --device "$DEVICE"
	expect_usage "not a bzImage" run --kernel "$INITRD" --device "$DEVICE"
	expect_usage "bad --mem" run --kernel "$KERNEL" --mem 12parsecs --device "$DEVICE"
	expect_usage "memory that cannot be had" run --kernel "$KERNEL" --mem 900G --device "$DEVICE"
	expect_usage "missing device" run --kernel "$KERNEL" --device "$WORK/no-such-device"
	expect_usage "too many vCPUs" run --kernel "$KERNEL" --cpus 64 --device "$DEVICE"
	expect_usage "a command line longer than the kernel takes" run --kernel "$KERNEL" \
		--device "$DEVICE" --cmdline "$(head -c 5000 /dev/zero | tr '\0' x)"
fi

[ -z "${BOOT_ONLY:-}" ] || echo "1..$n"
echo "# $failed of $n failed; logs in $WORK"
[ "$failed" = 0 ]
