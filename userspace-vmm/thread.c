// SPDX-License-Identifier: GPL-2.0-only
/*
 * Starting the monitor's threads (vmm.h): every one starts with all
 * signals blocked, so SIGTERM and friends reach the main thread and the
 * vCPU kick only the vCPU thread that unblocks it.
 */
#include <signal.h>

#include "vmm.h"

int vmm_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -r;
}
