// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest console on our terminal: raw mode while the guest runs, the
 * saved settings back on every way out (normal exit, fatal signals).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vm.h"

static struct termios term_saved;
static int term_fd = -1;

void term_restore(void)
{
	if (term_fd >= 0) {
		tcsetattr(term_fd, TCSAFLUSH, &term_saved);
		term_fd = -1;
	}
}

static void term_fatal_signal(int sig)
{
	/* tcsetattr is async-signal-safe. */
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

void term_raw(int fd)
{
	static const int fatal[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT,
				     SIGSEGV, SIGBUS, SIGABRT, SIGFPE };
	struct sigaction sa;
	struct termios raw;

	if (!isatty(fd) || tcgetattr(fd, &term_saved))
		return;
	raw = term_saved;
	cfmakeraw(&raw);
	/* Keep output processing off: the guest sends its own CR LF. */
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSAFLUSH, &raw))
		return;
	term_fd = fd;
	atexit(term_restore);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = term_fatal_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
}
