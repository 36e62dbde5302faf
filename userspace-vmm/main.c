// SPDX-License-Identifier: GPL-2.0-only
/*
 * vireo: the userspace monitor.  `vireo run` boots a Linux kernel (a
 * bzImage over the 64-bit boot protocol, or an ELF vmlinux at its PVH
 * entry) with the guest's serial console on our stdin and stdout.
 *
 * Anything wrong with the command line, the files or the host ends with
 * one line on stderr naming the problem and what to do, and status 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm.h"

#define DEFAULT_DEVICE	"/dev/vireo"
#define DEFAULT_MEM	(512ULL << 20)
#define DEFAULT_CMDLINE	"console=ttyS0"
/* With --console virtio: early messages on COM1, then hvc0 as /dev/console. */
#define VIRTIO_CMDLINE	"console=ttyS0 console=hvc0"
#define MIN_MEM		(32ULL << 20)
#define MAX_MEM		(1ULL << 40)
#define MAX_CPUS	1
#define MAX_FILE	(1ULL << 30)

static const char main_usage[] =
	"Usage: vireo COMMAND [OPTIONS]\n"
	"\n"
	"Vireo's monitor: runs a virtual machine on /dev/vireo or /dev/kvm.\n"
	"\n"
	"Commands:\n"
	"  run       boot a Linux kernel with its console on this terminal\n"
	"\n"
	"Options:\n"
	"  -h, --help  show this help; `vireo run --help` describes run\n"
	"\n"
	"Exit status: 0 when the guest powers off or reboots, 1 when it\n"
	"crashes (triple fault, internal error), 2 for a usage or setup error.\n";

static const char run_usage[] =
	"Usage: vireo run --kernel PATH [OPTIONS]\n"
	"\n"
	"Boots a Linux kernel in a new virtual machine.  The guest's first\n"
	"serial port (ttyS0) is this program's stdin and stdout; a terminal\n"
	"is put in raw mode while the guest runs and restored on exit.\n"
	"\n"
	"Options:\n"
	"  -k, --kernel PATH    the kernel: an x86-64 bzImage (64-bit boot\n"
	"                       protocol) or an ELF vmlinux with a PVH note\n"
	"  -i, --initrd PATH    an initial ramdisk, passed to the kernel\n"
	"  -c, --cmdline STR    the kernel command line\n"
	"                       (default: \"" DEFAULT_CMDLINE "\")\n"
	"  -m, --mem SIZE       guest memory: a number with K, M, G or T\n"
	"                       (512M, 2G); a bare number is MiB\n"
	"                       (default: 512M, at least 32M)\n"
	"      --cpus N         number of vCPUs (default and maximum: 1)\n"
	"  -d, --device PATH    the hypervisor device (default: " DEFAULT_DEVICE
	";\n"
	"                       /dev/kvm works the same way)\n"
	"      --disk PATH[,ro] a raw disk image as a virtio-blk disk (/dev/vda,\n"
	"                       vdb, ... in order); ,ro or an image that cannot\n"
	"                       be written makes it read-only; repeatable\n"
	"      --net tap=NAME[,mac=MAC]\n"
	"                       a virtio-net card on TAP device NAME (created\n"
	"                       if missing; needs CAP_NET_ADMIN); repeatable\n"
	"      --rng            a virtio-rng device fed from getrandom()\n"
	"      --console KIND   serial (default): stdin/stdout are COM1 (ttyS0);\n"
	"                       virtio: stdin/stdout are a virtio console (hvc0),\n"
	"                       COM1 only prints (default command line then\n"
	"                       \"" VIRTIO_CMDLINE "\")\n"
	"      --virtio-ring KIND\n"
	"                       split (default): virtio devices offer split\n"
	"                       rings only; packed: they offer packed rings too,\n"
	"                       which Linux's driver then takes\n"
	"  -h, --help           show this help\n"
	"\n"
	"Exit status: 0 when the guest powers off or reboots, 1 when it\n"
	"crashes (triple fault, internal error), 2 for a usage or setup error.\n";

static void __attribute__((noreturn, format(printf, 1, 2)))
die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("vireo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(VIREO_STATUS_USAGE);
}

/* "512M", "2G", "1048576K", "256" (MiB); 0 on a malformed size. */
static uint64_t parse_size(const char *s)
{
	unsigned long long v;
	unsigned int shift = 20;
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	case '\0': break;
	default: return 0;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > (MAX_MEM >> shift))
		return 0;
	return (uint64_t)v << shift;
}

static uint8_t *read_file(const char *what, const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_usage("cannot open %s %s: %s; check the --%s path", what,
			  path, strerror(errno), what);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		die_usage("%s %s is not a regular file; pass a file to --%s",
			  what, path, what);
	if ((unsigned long long)st.st_size > MAX_FILE)
		die_usage("%s %s is larger than 1 GiB; pass a smaller file",
			  what, path);
	if (st.st_size == 0)
		die_usage("%s %s is empty; pass a real file to --%s", what,
			  path, what);
	buf = malloc((size_t)st.st_size);
	if (!buf)
		die_usage("out of memory reading %s %s", what, path);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n <= 0)
			die_usage("cannot read %s %s: %s", what, path,
				  n ? strerror(errno) : "file shrank");
		done += (size_t)n;
	}
	close(fd);
	*size = done;
	return buf;
}

struct run_opts {
	const char *kernel, *initrd, *cmdline, *device;
	uint64_t mem;
	int cpus;
	struct machine_virtio_config virtio;
};

/* "52:54:00:12:34:56" into mac; false if it is not six hex bytes. */
static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return !(mac[0] & 1);		/* not a multicast address */
}

/* --net tap=NAME[,mac=MAC]; the default MAC is 52:54:00:12:34:56 + n. */
static void parse_net(char *arg, struct machine_virtio_config *o)
{
	struct machine_nic *nic;
	char *save = NULL;

	if (o->nr_nics == VM_MAX_VIRTIO)
		die_usage("--net given more than %d times; use fewer cards",
			  VM_MAX_VIRTIO);
	nic = &o->nics[o->nr_nics];
	*nic = (struct machine_nic){ .mac = { 0x52, 0x54, 0x00, 0x12, 0x34,
					      (uint8_t)(0x56 + o->nr_nics) } };
	o->nr_nics++;
	for (char *kv = strtok_r(arg, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		if (!strncmp(kv, "tap=", 4) && kv[4] && strlen(kv + 4) < 16)
			nic->tap = kv + 4;
		else if (!strncmp(kv, "mac=", 4) && parse_mac(kv + 4, nic->mac))
			continue;
		else
			die_usage("--net: cannot use '%s'; write --net tap=NAME[,mac=52:54:00:12:34:56] (a name of at most 15 characters, a unicast MAC)",
				  kv);
	}
	if (!nic->tap)
		die_usage("--net needs a TAP device; write --net tap=NAME");
}

/* --disk PATH[,ro]: the path is checked for reading here, at once. */
static void parse_disk(char *arg, struct machine_virtio_config *o)
{
	char *comma = strrchr(arg, ',');
	struct machine_disk *disk;

	if (o->nr_disks == VM_MAX_VIRTIO)
		die_usage("--disk given more than %d times; use fewer disks",
			  VM_MAX_VIRTIO);
	disk = &o->disks[o->nr_disks++];
	*disk = (struct machine_disk){ .path = arg };
	if (comma && !strcmp(comma, ",ro")) {
		*comma = '\0';
		disk->read_only = true;
	} else if (comma && !strchr(comma, '/')) {
		die_usage("--disk %s: unknown flag '%s'; write --disk PATH or --disk PATH,ro",
			  arg, comma + 1);
	}
	if (!*disk->path)
		die_usage("--disk needs a path; write --disk PATH[,ro]");
	if (access(disk->path, R_OK))
		die_usage("cannot read disk image %s: %s; check the --disk path",
			  disk->path, strerror(errno));
}

static void parse_run_opts(int argc, char **argv, struct run_opts *o)
{
	enum { OPT_CPUS = 256, OPT_DISK, OPT_NET, OPT_RNG, OPT_CONSOLE,
	       OPT_VIRTIO_RING };
	static const struct option longopts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "device", required_argument, NULL, 'd' },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "net", required_argument, NULL, OPT_NET },
		{ "rng", no_argument, NULL, OPT_RNG },
		{ "console", required_argument, NULL, OPT_CONSOLE },
		{ "virtio-ring", required_argument, NULL, OPT_VIRTIO_RING },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long n;
	int c;

	*o = (struct run_opts){ .device = DEFAULT_DEVICE,
				.mem = DEFAULT_MEM, .cpus = 1 };
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":k:i:c:m:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->kernel = optarg; break;
		case 'i': o->initrd = optarg; break;
		case 'c': o->cmdline = optarg; break;
		case 'd': o->device = optarg; break;
		case 'm':
			o->mem = parse_size(optarg);
			if (!o->mem)
				die_usage("--mem %s is not a size; write it like 512M or 2G",
					  optarg);
			if (o->mem < MIN_MEM)
				die_usage("--mem %s is too small; give at least 32M",
					  optarg);
			break;
		case OPT_CPUS:
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 1)
				die_usage("--cpus %s is not a positive number", optarg);
			if (n > MAX_CPUS)
				die_usage("--cpus %ld: only 1 vCPU is supported (no local APIC is emulated); use --cpus 1",
					  n);
			o->cpus = (int)n;
			break;
		case OPT_DISK:
			parse_disk(optarg, &o->virtio);
			break;
		case OPT_NET:
			parse_net(optarg, &o->virtio);
			break;
		case OPT_RNG:
			o->virtio.rng = true;
			break;
		case OPT_CONSOLE:
			if (!strcmp(optarg, "virtio"))
				o->virtio.console = CONSOLE_VIRTIO;
			else if (!strcmp(optarg, "serial"))
				o->virtio.console = CONSOLE_SERIAL;
			else
				die_usage("--console %s is not a console; use --console serial or --console virtio",
					  optarg);
			break;
		case OPT_VIRTIO_RING:
			if (!strcmp(optarg, "packed"))
				o->virtio.packed = true;
			else if (!strcmp(optarg, "split"))
				o->virtio.packed = false;
			else
				die_usage("--virtio-ring %s is not a ring layout; use --virtio-ring split or --virtio-ring packed",
					  optarg);
			break;
		case 'h':
			fputs(run_usage, stdout);
			exit(0);
		case ':':
			die_usage("option %s needs a value; see vireo run --help",
				  argv[optind - 1]);
		default:
			die_usage("unknown option %s; see vireo run --help",
				  argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'; see vireo run --help",
			  argv[optind]);
	if (!o->kernel)
		die_usage("no kernel given; pass --kernel PATH (see vireo run --help)");
	if (!o->cmdline)
		o->cmdline = o->virtio.console == CONSOLE_VIRTIO ? VIRTIO_CMDLINE :
							    DEFAULT_CMDLINE;
}

static int cmd_run(int argc, char **argv)
{
	char err[BOOT_ERR_LEN] = "";
	struct machine_config mcfg;
	struct boot_cpu_state st;
	struct boot_config bcfg;
	struct run_opts o;
	struct bzimage bz;
	struct machine m;
	uint8_t *kernel, *initrd = NULL;
	size_t kernel_size, initrd_size = 0;
	bool is_elf;
	int status;

	parse_run_opts(argc, argv, &o);
	kernel = read_file("kernel", o.kernel, &kernel_size);
	if (o.initrd)
		initrd = read_file("initrd", o.initrd, &initrd_size);

	is_elf = elf_is_elf(kernel, kernel_size);
	if (!is_elf && bzimage_parse(kernel, kernel_size, &bz, err, sizeof(err)))
		die_usage("kernel %s: %s", o.kernel, err);
	if (initrd_size > o.mem / 2)
		die_usage("initrd %s (%zu MiB) needs more memory than half of --mem; give more --mem",
			  o.initrd, initrd_size >> 20);

	mcfg = (struct machine_config){ .device = o.device, .mem_size = o.mem,
					.cpus = o.cpus, .virtio = o.virtio };
	if (machine_open(&m, &mcfg, err, sizeof(err)))
		die_usage("%s", err);

	bcfg = (struct boot_config){ .cmdline = o.cmdline, .initrd = initrd,
				     .initrd_size = initrd_size,
				     .rsdp = m.rsdp };
	if (is_elf) {
		struct elf_kernel ek;

		if (elf_kernel_load(kernel, kernel_size, &m.gm, &ek, err,
				    sizeof(err)) ||
		    boot_pvh(&m.gm, &ek, &bcfg, &st, err, sizeof(err)))
			die_usage("kernel %s: %s", o.kernel, err);
	} else if (boot_bzimage(&m.gm, &bz, &bcfg, &st, err, sizeof(err))) {
		die_usage("kernel %s: %s", o.kernel, err);
	}
	free(kernel);
	free(initrd);
	if (machine_boot_cpu(&m, &st, err, sizeof(err)))
		die_usage("%s", err);

	term_raw(STDIN_FILENO);
	status = machine_run(&m);
	term_restore();
	fflush(stdout);
	machine_report_devices(&m);
	if (m.stop_msg[0])
		fprintf(stderr, "\r\nvireo: %s\n", m.stop_msg);
	machine_close(&m);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die_usage("no command given; run `vireo run --kernel PATH` (see vireo --help)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		fputs(main_usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	die_usage("unknown command '%s'; the command is `run` (see vireo --help)",
		  argv[1]);
}
