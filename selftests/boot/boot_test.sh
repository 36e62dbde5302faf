#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Boots a stock Linux kernel with the vireo monitor and checks what the
# guest prints and how the monitor ends: power-off, reboot, a command
# typed into the guest shell over the serial console, and the one-line
# errors for bad input.  Prints TAP 13.
#
#   boot_test.sh VIREO KERNEL DEVICE [WORKDIR]
#
# VIREO is the monitor binary, KERNEL a bzImage (or PVH vmlinux), DEVICE
# /dev/vireo or /dev/kvm.  Needs a static busybox, cpio and gzip to build
# the guest's initramfs (in WORKDIR, default a fresh directory in /tmp).
# BOOT_TIMEOUT (seconds, default 180) bounds each guest run; under an
# emulated host a boot takes some 30 s.

set -u
trap '' PIPE	# a guest that ended early must not take the script with it

VIREO=${1:?usage: boot_test.sh VIREO KERNEL DEVICE [WORKDIR]}
KERNEL=${2:?usage: boot_test.sh VIREO KERNEL DEVICE [WORKDIR]}
DEVICE=${3:?usage: boot_test.sh VIREO KERNEL DEVICE [WORKDIR]}
WORK=${4:-$(mktemp -d /tmp/vireo-boot.XXXXXX)}
TIMEOUT=${BOOT_TIMEOUT:-180}
MEM=${BOOT_MEM:-256M}
MARK=VIREO-BOOT-TEST

n=0
failed=0

tap() {	# tap OK|FAIL description
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

diag_tail() {	# the end of a log as TAP diagnostics
	tail -n "${2:-15}" "$1" 2>/dev/null | tr -d '\r' | sed 's/^/# /'
}

# The guest's /init: a marker, then what the command line asks for.
build_initramfs() {
	bb=$(command -v busybox) || return 1
	root=$WORK/root
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" || return 1
	cp "$bb" "$root/bin/busybox" || return 1
	for a in sh mount cat echo poweroff reboot sleep uname; do
		ln -s busybox "$root/bin/$a"
	done
	cat > "$root/init" <<'EOI'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
echo "VIREO-BOOT-TEST up $(uname -r)"
case "$(cat /proc/cmdline)" in
*boot_test=reboot*) echo "VIREO-BOOT-TEST rebooting"; reboot -f ;;
*boot_test=shell*) echo "VIREO-BOOT-TEST shell"; exec sh ;;
esac
echo "VIREO-BOOT-TEST powering off"
poweroff -f
EOI
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) \
		> "$WORK/initramfs.gz"
}

# run_guest NAME MODE [INPUT]: the monitor's status in $rc, output in
# $WORK/NAME.out, its stderr in $WORK/NAME.err.  INPUT is typed into the
# console (through a FIFO that stays open) once the guest had time to
# start its shell; the UART holds what the guest has not read yet.
run_guest() {
	name=$1 mode=$2 input=${3:-}
	start=$(date +%s)
	rm -f "$WORK/console"
	mkfifo "$WORK/console" || return 1
	timeout "$TIMEOUT" "$VIREO" run --kernel "$KERNEL" \
		--initrd "$WORK/initramfs.gz" --mem "$MEM" --device "$DEVICE" \
		--cmdline "console=ttyS0 panic=-1 boot_test=$mode" \
		< "$WORK/console" > "$WORK/$name.out" 2> "$WORK/$name.err" &
	pid=$!
	exec 3> "$WORK/console"
	if [ -n "$input" ]; then
		# Wait for the shell's banner line, then type.
		waited=0
		while ! grep -q "$MARK shell" "$WORK/$name.out" 2>/dev/null &&
		      kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$TIMEOUT" ]; do
			sleep 1
			waited=$((waited + 1))
		done
		sleep "${SHELL_DELAY:-3}"
		printf '%s\n' "$input" >&3 2>/dev/null
	fi
	wait "$pid"
	rc=$?
	exec 3>&-
	secs=$(( $(date +%s) - start ))
}

check_guest() {	# check_guest NAME DESCRIPTION EXPECTED_TEXT
	if [ "$rc" = 124 ]; then
		tap FAIL "$2: timed out after ${TIMEOUT}s"
		diag_tail "$WORK/$1.out"
	elif ! grep -q "$3" "$WORK/$1.out"; then
		tap FAIL "$2: no '$3' in the guest's output (status $rc)"
		diag_tail "$WORK/$1.out"
		diag_tail "$WORK/$1.err" 5
	elif [ "$rc" != 0 ]; then
		tap FAIL "$2: status $rc, expected 0"
		diag_tail "$WORK/$1.err" 5
	else
		tap OK "$2 (${secs}s)"
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
		tap OK "$name: one line, status 2: $(cat "$WORK/$name.err")"
	else
		tap FAIL "$name: status $rc and $lines lines on stderr, expected 2 and 1"
		diag_tail "$WORK/$name.err" 5
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

echo "TAP version 13"
echo "1..11"
mkdir -p "$WORK"
if ! build_initramfs; then
	echo "Bail out! cannot build the guest initramfs (needs busybox, cpio, gzip)"
	exit 1
fi

run_guest poweroff poweroff
check_guest poweroff "boot to /init and power off on $DEVICE" "$MARK powering off"

run_guest reboot reboot
check_guest reboot "boot and reboot ends the monitor on $DEVICE" "$MARK rebooting"

run_guest shell shell "echo VIREO-SHELL-\$((6*7)); poweroff -f"
check_guest shell "a command typed into the guest shell on $DEVICE" "VIREO-SHELL-42"

if build_triple_fault_image; then
	timeout "$TIMEOUT" "$VIREO" run --kernel "$WORK/triple-fault.bzImage" \
		--device "$DEVICE" --mem 64M < /dev/null \
		> "$WORK/triple.out" 2> "$WORK/triple.err"
	rc=$?
	if [ "$rc" = 1 ] && grep -q "SHUTDOWN exit.*RIP" "$WORK/triple.err"; then
		tap OK "a triple fault ends with status 1: $(tail -n 1 "$WORK/triple.err")"
	else
		tap FAIL "a triple fault: status $rc, expected 1 and a line naming the exit and RIP"
		diag_tail "$WORK/triple.err" 5
	fi
else
	tap FAIL "a triple fault: cannot build the test image"
fi

expect_usage "bad option" run --kernel "$KERNEL" --no-such-option
expect_usage "missing kernel" run --kernel "$WORK/no-such-kernel" --device "$DEVICE"
expect_usage "not a bzImage" run --kernel "$WORK/initramfs.gz" --device "$DEVICE"
expect_usage "bad --mem" run --kernel "$KERNEL" --mem 12parsecs --device "$DEVICE"
expect_usage "memory that cannot be had" run --kernel "$KERNEL" --mem 900G --device "$DEVICE"
expect_usage "missing device" run --kernel "$KERNEL" --device "$WORK/no-such-device"
expect_usage "too many vCPUs" run --kernel "$KERNEL" --cpus 64 --device "$DEVICE"

echo "# $failed of $n failed; logs in $WORK"
[ "$failed" = 0 ]
