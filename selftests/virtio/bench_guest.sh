#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# bench_guest.sh: /bench/run.sh on the root file system of the benchmark's
# nested guest (bench-virtio.sh puts it there; guest_init.sh runs it after
# switch_root to /dev/vda).  Measures /dev/vdb with fio (O_DIRECT, psync:
# sequential 1 MiB and random 4 KiB reads and writes) and TCP with iperf3
# against the server at 10.0.2.1 on the TAP side, both directions, and
# prints one "@@bench NAME VALUE" line per figure.  Kernel command line:
# bench_secs= (each run's length), bench_net=1 (when there is a network
# card).  POSIX sh for busybox.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

arg() {
	for w in $(cat /proc/cmdline); do
		case $w in "$1="*) echo "${w#*=}"; return 0 ;; esac
	done
	return 1
}
secs=$(arg bench_secs || echo 5)

# io NAME RW BS: one fio run on /dev/vdb; terse format 3 has the read
# KiB/s and IOPS in fields 7 and 8, the write ones in 48 and 49.
io() {
	fio --name="$1" --filename=/dev/vdb --direct=1 --ioengine=psync \
		--rw="$2" --bs="$3" --size=48M --runtime="$secs" --time_based \
		--minimal 2>/tmp/fio.err |
		awk -F';' -v n="$1" 'NF > 49 {
			printf "@@bench %s_MiBps %.1f\n@@bench %s_iops %d\n", n, ($7 + $48) / 1024, n, $8 + $49 }'
	[ -s /tmp/fio.err ] && sed 's/^/@@bench-error fio: /' /tmp/fio.err
}

# tcp NAME [-R]: one iperf3 run; the receiver's Mbit/s.
tcp() {
	name=$1
	shift
	iperf3 -c 10.0.2.1 -t "$secs" -f m "$@" 2>&1 | tee /tmp/iperf.out |
		awk -v n="$name" '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") printf "@@bench %s_Mbps %s\n", n, $(i - 1) }'
	grep -q receiver /tmp/iperf.out || sed 's/^/@@bench-error iperf3: /' /tmp/iperf.out
}

echo "@@bench-start $(uname -r)"
io seq_read read 1M
io seq_write write 1M
io rand_read randread 4k
io rand_write randwrite 4k
if [ "$(arg bench_net)" = 1 ]; then
	ip link set lo up
	ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
	sleep 1
	tcp tcp_guest_to_host
	tcp tcp_host_to_guest -R
fi
echo "@@bench-done"
sync
poweroff -f
