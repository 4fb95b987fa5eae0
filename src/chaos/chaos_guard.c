/*
 * chaos_guard.c: undoing a fault however the run ends (see chaos_guard.h).
 */
#include "chaos/chaos_guard.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/compiler.h"
#include "util/nft.h"
#include "util/xalloc.h"

#define GUARD_MAX_PIDS 512
#define GUARD_MAX_ENV  32

extern char **environ;

/*
 * What to undo, ready for a signal handler: nothing in undo_now allocates or locks.
 * argv and env arrays are built when the fault is armed.
 */
static struct {
	pid_t pids[GUARD_MAX_PIDS];
	int n_pids;
	char nft[PATH_MAX];
	char table[64];
	const char *nft_argv[6];
	bool has_table;
	char *exec_strings[GUARD_MAX_ENV + 1]; /* owned: the command and the extra env */
	const char *exec_argv[4];
	char **exec_env; /* owned array: the extra entries, then environ's */
	bool has_exec;
} guard;

static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t undoing;

/* run_and_wait: fork + execve + waitpid, nothing else (async-signal-safe). */
static void run_and_wait(const char *path, const char *const *argv, char *const *envp)
{
	pid_t pid = fork();

	if (pid == 0) {
		execve(path, (char *const *)(uintptr_t)argv, envp);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
}

static void undo_now(void)
{
	if (undoing)
		return;
	undoing = 1;
	for (int i = 0; i < guard.n_pids; i++)
		kill(guard.pids[i], SIGCONT);
	if (guard.has_table)
		run_and_wait(guard.nft, guard.nft_argv, environ);
	if (guard.has_exec)
		run_and_wait("/bin/sh", guard.exec_argv, guard.exec_env);
	guard.n_pids = 0;
	guard.has_table = false;
	guard.has_exec = false;
	undoing = 0;
}

static void on_stop_signal(int sig)
{
	if (interrupted) { /* asked twice: no orderly end, but nothing left broken */
		undo_now();
		signal(sig, SIG_DFL);
		raise(sig);
	}
	interrupted = 1;
}

static void on_crash(int sig)
{
	undo_now();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void at_exit(void)
{
	undo_now();
}

void chaos_guard_install(void)
{
	static bool installed;
	static const int stops[] = {SIGINT, SIGTERM, SIGHUP};
	static const int crashes[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	struct sigaction sa = {.sa_handler = on_stop_signal};

	if (installed)
		return;
	installed = true;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_LEN(stops); i++)
		sigaction(stops[i], &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (size_t i = 0; i < ARRAY_LEN(crashes); i++)
		sigaction(crashes[i], &sa, NULL);
	atexit(at_exit);
}

bool chaos_guard_interrupted(void)
{
	return interrupted != 0;
}

void chaos_guard_stopped(const pid_t *pids, int n)
{
	guard.n_pids = 0;
	for (int i = 0; i < n && i < GUARD_MAX_PIDS; i++)
		guard.pids[i] = pids[i];
	guard.n_pids = MIN(n, GUARD_MAX_PIDS);
}

void chaos_guard_table(const char *name)
{
	guard.has_table = false;
	if (!nft_binary(guard.nft, sizeof(guard.nft)))
		return;
	snprintf(guard.table, sizeof(guard.table), "%s", name);
	guard.nft_argv[0] = guard.nft;
	guard.nft_argv[1] = "delete";
	guard.nft_argv[2] = "table";
	guard.nft_argv[3] = "inet";
	guard.nft_argv[4] = guard.table;
	guard.nft_argv[5] = NULL;
	guard.has_table = true;
}

static void free_exec(void)
{
	guard.has_exec = false;
	for (int i = 0; guard.exec_strings[i]; i++) {
		free(guard.exec_strings[i]);
		guard.exec_strings[i] = NULL;
	}
	free(guard.exec_env);
	guard.exec_env = NULL;
}

void chaos_guard_exec(const char *command, const char *const *env)
{
	size_t n_env = 0, n_environ = 0, k = 0;

	free_exec();
	while (env[n_env] && n_env < GUARD_MAX_ENV - 1)
		n_env++;
	while (environ[n_environ])
		n_environ++;
	guard.exec_strings[0] = xstrdup(command);
	guard.exec_env = xcalloc(n_env + n_environ + 1, sizeof(char *));
	for (size_t i = 0; i < n_env; i++)
		guard.exec_env[k++] = guard.exec_strings[i + 1] = xstrdup(env[i]);
	for (size_t i = 0; i < n_environ; i++)
		guard.exec_env[k++] = environ[i];
	guard.exec_argv[0] = "/bin/sh";
	guard.exec_argv[1] = "-c";
	guard.exec_argv[2] = guard.exec_strings[0];
	guard.exec_argv[3] = NULL;
	guard.has_exec = true;
}

void chaos_guard_clear(void)
{
	guard.n_pids = 0;
	guard.has_table = false;
	free_exec();
}

void chaos_guard_undo(void)
{
	undo_now();
	chaos_guard_clear();
}
