#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# guest_init.sh: /init of the nested guest's initramfs for the virtio
# tests (virtio_test.sh), make demo and make bench.  Debian's stock kernel
# has its virtio drivers as modules, so this loads them from /modules in
# the order /modules/order lists (as a distribution initramfs would), then
# does what virtio_test= on the kernel command line asks and powers off:
#   disk     the virtio-blk and virtio-rng checks (vda ext4, vdb pattern,
#            vdc read-only, /dev/hwrng)
#   console  runs on hvc0 (console=hvc0): prints, reads one typed line
#   net      configures eth0 statically, pings, TCP both ways with nc
#   shell    mounts /dev/vda (ext4) as the root and starts a shell there
#   bench    runs the command in /bench/run.sh of /dev/vda's file system
# Every line the checks read starts with "VIREO-VIRTIO ".  POSIX sh for
# busybox.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
M=VIREO-VIRTIO

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /mnt
mount -t tmpfs tmpfs /tmp

# arg NAME: the value of NAME= on the kernel command line.
arg() {
	for w in $(cat /proc/cmdline); do
		case $w in "$1="*) echo "${w#*=}"; return 0 ;; esac
	done
	return 1
}

# load_modules: insmod each module of /modules/order; the failures are
# collected in $bad (printed later, once the console is there, and
# checked by virtio_test.sh) but do not stop the rest.
load_modules() {
	bad=
	for m in $(cat /modules/order); do
		insmod "/modules/$m.ko" 2>/dev/null || bad="$bad $m"
	done
}

# wait_for PATH: up to 15 s for a device node to appear (drivers probe
# asynchronously after insmod).
wait_for() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 150 ]; do
		usleep 100000
		i=$((i + 1))
	done
	[ -e "$1" ]
}

# disk_checks: what virtio_test.sh's disk cases look at.
disk_checks() {
	for d in vda vdb vdc; do
		wait_for "/dev/$d"
		echo "$M blk $d size $(cat /sys/block/$d/size 2>/dev/null || echo none) ro $(cat /sys/block/$d/ro 2>/dev/null || echo none)"
	done
	# (a) ext4 on vda: read the host's file, write one for the host.
	if mount -t ext4 /dev/vda /mnt; then
		echo "$M ext4 mounted"
		echo "$M ext4 read $(cat /mnt/from-host.txt)"
		echo "$(arg virtio_nonce) written by the guest" >/mnt/from-guest.txt
		sync
		umount /mnt && echo "$M ext4 unmounted"
	else
		echo "$M ext4 mount failed"
	fi
	# (b) the whole of vdb, hashed.
	echo "$M vdb sha256 $(timeout 120 sha256sum /dev/vdb | cut -d' ' -f1)"
	# (c) vdc is read-only: a write must fail.
	timeout 30 dd if=/dev/zero of=/dev/vdc bs=4096 count=1 conv=fsync 2>/dev/null
	echo "$M vdc write status $?"
	echo "$M vdc sha256 $(timeout 120 sha256sum /dev/vdc | cut -d' ' -f1)"
	# (e) the virtio entropy source.
	wait_for /dev/hwrng
	echo "$M rng current $(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
	for i in 1 2; do
		echo "$M rng read $i $(timeout 20 dd if=/dev/hwrng bs=64 count=1 2>/dev/null | od -An -v -tx1 | tr -d ' \n')"
	done
}

# console_checks: on hvc0 only; prints where the console is, then echoes
# one line typed into the monitor's stdin.
console_checks() {
	echo "$M console active $(cat /sys/class/tty/console/active)"
	echo "$M direct to hvc0" >/dev/hvc0
	echo "$M console ready"
	if read -r -t 60 line; then
		echo "$M console got $line"
	else
		echo "$M console got nothing"
	fi
}

# recv_until SIZE FILE CMD...: runs CMD (an nc reading the network) with
# its output in FILE until FILE has SIZE bytes or 60 s pass.  Busybox's
# small nc ends at the end of its stdin, not of the connection, so its
# stdin is a FIFO held open here.
recv_until() {
	size=$1 file=$2
	shift 2
	rm -f /tmp/hold
	mkfifo /tmp/hold
	# The file exists before the loop looks at it: the background job
	# makes it only once its stdin (the FIFO) is open, and a missing file
	# used to end the wait at once, taking nc down with whatever it had.
	: >"$file"
	"$@" </tmp/hold >>"$file" &
	pid=$!
	exec 8>/tmp/hold
	i=0
	while [ "$(stat -c %s "$file" 2>/dev/null || echo 0)" -lt "$size" ] &&
	      [ $i -lt 600 ]; do
		usleep 100000
		i=$((i + 1))
	done
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	exec 8>&-
}

# net_checks: eth0 gets virtio_ip/24; ping virtio_peer; send a random
# blob to the peer's port 5001 and receive one from its port 5002.
net_checks() {
	ip=$(arg virtio_ip) peer=$(arg virtio_peer) size=$(arg virtio_size)
	i=0
	while ! ip link show eth0 >/dev/null 2>&1 && [ $i -lt 150 ]; do
		usleep 100000
		i=$((i + 1))
	done
	echo "$M net mac $(cat /sys/class/net/eth0/address 2>/dev/null || echo none)"
	# The virtio feature bits the driver accepted, bit 0 first (CSUM,
	# GUEST_CSUM, ..., 7/8 GUEST_TSO4/6, ..., 11/12 HOST_TSO4/6).
	echo "$M net features $(cat /sys/class/net/eth0/device/features 2>/dev/null || echo none)"
	ip link set eth0 up && ip addr add "$ip/24" dev eth0
	ping -c 3 -W 5 "$peer" >/tmp/ping.out 2>&1
	echo "$M net ping status $? $(grep -E 'packets transmitted' /tmp/ping.out)"
	head -c "$size" /dev/urandom >/tmp/blob
	echo "$M net sent sha256 $(sha256sum /tmp/blob | cut -d' ' -f1)"
	timeout 60 nc -w 10 "$peer" 5001 </tmp/blob
	echo "$M net send status $?"
	recv_until "$size" /tmp/got nc -w 10 "$peer" 5002
	echo "$M net received sha256 $(sha256sum /tmp/got | cut -d' ' -f1) bytes $(stat -c %s /tmp/got)"
}

# root_on_vda: the ext4 file system of /dev/vda as the new root, as a
# distribution initramfs does, with /proc, /sys, /dev moved along.
root_on_vda() {
	wait_for /dev/vda || { echo "$M no /dev/vda"; return 1; }
	# A disk given read-only (bench) is mounted read-only.
	mount -t ext4 /dev/vda /mnt 2>/dev/null || mount -t ext4 -o ro /dev/vda /mnt ||
		{ echo "$M cannot mount /dev/vda"; return 1; }
	mkdir -p /mnt/proc /mnt/sys /mnt/dev /mnt/tmp
	mount --move /proc /mnt/proc
	mount --move /sys /mnt/sys
	mount --move /dev /mnt/dev
	mount --move /tmp /mnt/tmp
}

load_modules
mode=$(arg virtio_test)
if [ "$mode" = console ]; then
	# The kernel found no console at boot: hvc0 exists only now.
	wait_for /dev/hvc0
	exec </dev/hvc0 >/dev/hvc0 2>&1
fi
echo "$M up $(uname -r) mode ${mode:-none} uptime $(cut -d' ' -f1 /proc/uptime)"
echo "$M clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo none)"
echo "$M modules loaded, failed:${bad:- none}"
case $mode in
disk) disk_checks ;;
console) console_checks ;;
net) net_checks ;;
shell)
	root_on_vda && exec switch_root /mnt /bin/sh -c \
		"echo '$M shell on /dev/vda'; cd /; exec setsid cttyhack sh"
	exec sh ;;
bench)
	root_on_vda && exec switch_root /mnt /bin/sh /bench/run.sh
	;;
esac
echo "$M powering off uptime $(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
